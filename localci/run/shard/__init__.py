"""Sharding a pytest ``tests`` stage over a Dask cluster (the optional ``dask`` extra).

- :mod:`.plan`: pure functions: split collected test ids into balanced shards.
- :mod:`.plugin`: the pytest plugin each shard loads to keep only its own tests.
- :mod:`.spec`: the plain data sent to workers and returned from them.
- :mod:`.worker`: the task a worker runs: check its environment, unpack and verify the
  commit's tree, run the shard.
- :mod:`.merge`: JUnit XML merged and coverage data combined into one stage outcome.
- :mod:`.executor`: the thin Dask client that submits, waits, retries and cancels.

Nothing here imports ``distributed`` at import time; only :mod:`.executor` and
:mod:`.worker` import it, inside the functions that need it.
"""
