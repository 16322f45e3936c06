"""A stage that prints 50 MB does not grow localci's memory by more than a few MB."""

from __future__ import annotations

import os
import sys
import tracemalloc
from pathlib import Path

from localci.proc import run_process


def test_streaming_fifty_megabytes_stays_bounded(tmp_path: Path) -> None:
    code = (
        "import sys\nline = ('x' * 99 + '\\n').encode()\n"
        "for _ in range(500_000): sys.stdout.buffer.write(line)\n"
    )
    tracemalloc.start()
    try:
        outcome = run_process(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env=dict(os.environ),
            log_path=tmp_path / "big.log",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.exit_code == 0
    assert (tmp_path / "big.log").stat().st_size == 50_000_000
    assert peak < 4 * 1024 * 1024, f"peak Python allocation {peak / 1e6:.1f} MB"
