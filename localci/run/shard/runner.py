"""The run pipeline's one entry point here: which function runs a stage.

``stage_runner(...)`` yields :func:`localci.run.stage.run_stage` for the local executor,
or a connected :class:`~localci.run.shard.executor.DaskExecutor`'s ``run_stage``. It
imports ``distributed`` only when the dask executor is chosen.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from localci.config.loader import StageConfig
from localci.errors import UsageError
from localci.result.model import StageResult
from localci.run.shard.settings import dask_settings
from localci.run.stage import StageContext, run_stage

__all__ = ["StageRunner", "stage_runner"]

StageRunner = Callable[[StageConfig, StageContext], StageResult]


@contextlib.contextmanager
def stage_runner(
    document: Mapping[str, Any],
    root: Path,
    *,
    commit: str,
    tree: str,
    dirty: bool,
    executor: str | None = None,
    scheduler: str | None = None,
    shards: int | None = None,
) -> Iterator[StageRunner]:
    """The stage runner for one run; the Dask client (if any) is closed on exit.

    :raises UsageError: for unusable executor settings, a missing ``dask`` extra, or a
        dirty ``--in-place`` run (workers receive the commit, not the work tree).
    :raises SchedulerUnreachable: when the scheduler does not answer in time (exit 5).
    """
    settings = dask_settings(document, root, executor=executor, scheduler=scheduler, shards=shards)
    if settings is None:
        yield run_stage
        return
    if importlib.util.find_spec("distributed") is None:
        raise UsageError(
            "the dask executor needs Dask's `distributed` package",
            hint="Install the extra: python -m pip install 'localci[dask]'.",
        )
    if dirty:
        raise UsageError(
            "a dirty --in-place run cannot be sharded: workers receive the commit's tree",
            hint="Commit your changes, or run without --executor dask.",
        )
    from localci.run.shard.executor import DaskExecutor

    with DaskExecutor(settings, root=root, commit=commit, tree=tree) as dask:
        yield dask.run_stage
