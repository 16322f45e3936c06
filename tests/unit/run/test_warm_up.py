"""What a run loads while its first stage process runs: loaded by the first call only;
a call that finds it taken returns at once rather than loading it a second time."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from localci.run import stage
assert "localci.reports.pytest_junit" not in sys.modules
assert "jsonschema" not in sys.modules
stage._WARM.acquire()  # as if another stage's thread were loading it now
stage.warm_up()  # returns at once: nothing loaded by this call
assert "jsonschema" not in sys.modules
stage._WARM.release()
stage.warm_up()
loaded = {"localci.reports", "localci.reports.exits", "localci.reports.pytest_junit"}
assert loaded <= set(sys.modules)
from localci.schemas import _shell_validator, _stage_validator
assert _stage_validator.cache_info().currsize == 1 and _shell_validator.cache_info().currsize == 1
assert stage._WARM.locked()  # held for good: later calls return at once
print("ok")
"""


def test_warm_up_loads_once_and_never_waits() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
