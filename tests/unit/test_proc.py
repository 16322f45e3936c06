"""The process layer: streaming, bounded tails, timeouts, cancellation, process groups."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from localci.proc import TAIL_BYTES, TAIL_LINES, CommandNotFound, run_process
from tests.conftest import process_running

PY = sys.executable


def run(tmp_path: Path, code: str, **kwargs: object) -> object:
    return run_process(
        [PY, "-c", code],
        cwd=tmp_path,
        env=dict(os.environ),
        log_path=tmp_path / "logs" / "stage.log",
        **kwargs,  # type: ignore[arg-type]
    )


def test_output_is_streamed_to_the_log_and_lines(tmp_path: Path) -> None:
    seen: list[str] = []
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    outcome = run(tmp_path, code, on_line=seen.append)
    assert outcome.exit_code == 3  # type: ignore[attr-defined]
    assert sorted(seen) == ["err", "out"]
    assert sorted((tmp_path / "logs" / "stage.log").read_text().split()) == ["err", "out"]
    assert not outcome.timed_out  # type: ignore[attr-defined]


def test_tail_keeps_the_last_lines_only(tmp_path: Path) -> None:
    outcome = run(tmp_path, "for i in range(1000): print(f'line {i}')")
    lines = outcome.tail.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == TAIL_LINES
    assert lines[-1] == "line 999"
    assert outcome.tail_truncated  # type: ignore[attr-defined]
    assert (tmp_path / "logs" / "stage.log").read_text().count("\n") == 1000


def test_tail_is_capped_in_bytes_even_for_one_huge_line(tmp_path: Path) -> None:
    outcome = run(tmp_path, "import sys; sys.stdout.write('x' * 5_000_000)")
    assert len(outcome.tail.encode()) <= TAIL_BYTES  # type: ignore[attr-defined]
    assert (tmp_path / "logs" / "stage.log").stat().st_size == 5_000_000


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    outcome = run(tmp_path, code, timeout=1.5)
    assert outcome.timed_out  # type: ignore[attr-defined]
    assert outcome.exit_code < 0  # type: ignore[attr-defined]
    assert "started" in outcome.tail  # type: ignore[attr-defined]
    child = int(pidfile.read_text())
    assert not process_running(child)


def test_strays_left_by_a_finished_process_are_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "stray.pid"
    code = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
    )
    outcome = run(tmp_path, code)
    assert outcome.exit_code == 0  # type: ignore[attr-defined]
    assert not process_running(int(pidfile.read_text()))


def test_cancel_stops_the_process(tmp_path: Path) -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    try:
        outcome = run(tmp_path, "import time; time.sleep(60)", cancel=cancel)
    finally:
        timer.cancel()
    assert outcome.cancelled  # type: ignore[attr-defined]


def test_missing_program(tmp_path: Path) -> None:
    with pytest.raises(CommandNotFound) as info:
        run_process(
            ["definitely-not-a-program-xyz"],
            cwd=tmp_path,
            env=dict(os.environ),
            log_path=tmp_path / "x.log",
        )
    assert info.value.program == "definitely-not-a-program-xyz"


def test_on_start_runs_while_the_process_runs_and_loses_no_output(tmp_path: Path) -> None:
    """``on_start`` is called once the process exists; what the process writes meanwhile
    waits in the pipe and reaches the log whole."""
    gate = tmp_path / "gate"
    code = (
        "import os, time\n"
        f"while not os.path.exists({str(gate)!r}): time.sleep(0.01)\n"
        "for i in range(2000): print(f'line {i}')\n"
    )
    calls: list[int] = []

    def on_start() -> None:
        calls.append(1)
        gate.touch()  # the process waits for this: it is running when on_start is called

    outcome = run(tmp_path, code, on_start=on_start)
    assert calls == [1]
    assert outcome.exit_code == 0  # type: ignore[attr-defined]
    log = (tmp_path / "logs" / "stage.log").read_text().splitlines()
    assert log == [f"line {i}" for i in range(2000)]


def test_on_start_raising_stops_the_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"

    def on_start() -> None:
        for _ in range(500):
            if pid_file.exists() and pid_file.read_text():
                break
            threading.Event().wait(0.01)
        raise RuntimeError("a bug in the work done meanwhile")

    with pytest.raises(RuntimeError):
        run(tmp_path, code, on_start=on_start)
    assert not process_running(int(pid_file.read_text()))
