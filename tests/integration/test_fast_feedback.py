"""Parallel stages, fail-fast, partial runs, readable output and lean start-up.

Concurrency is proved by rendezvous (each stage waits for the other's marker file), never
by timing.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from localci.result.model import StageResult, StageStatus
from localci.run.console import ConsoleReporter
from tests.conftest import process_running

from .conftest import CliResult

RENDEZVOUS = (
    'touch "$LOCALCI_REPORTS/{me}"; i=0; while [ $i -lt 200 ]; do '
    '[ -f "$LOCALCI_REPORTS/{other}" ] && exit 0; sleep 0.05; i=$((i+1)); done; exit 1'
)


def rendezvous_config() -> str:
    a = RENDEZVOUS.format(me="a", other="b")
    b = RENDEZVOUS.format(me="b", other="a")
    return (
        f"stages:\n  - {{name: a, run: '{a}', shell: true}}\n"
        f"  - {{name: b, run: '{b}', shell: true}}\n"
    )


def test_independent_stages_run_concurrently(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": rendezvous_config()})
    result = cli("run", "--jobs", "2", "--no-cache", "--json", cwd=repo)
    assert result.code == 0, result.err
    assert [s["status"] for s in result.json()["stages"]] == ["passed", "passed"]


def test_jobs_one_runs_one_at_a_time(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    config = rendezvous_config().replace("200", "10")
    repo = make_repo({".localci.yml": config})
    result = cli("run", "--jobs", "1", "--no-cache", "--json", cwd=repo)
    statuses = [s["status"] for s in result.json()["stages"]]
    assert statuses == ["failed", "passed"]  # a waited alone; b found a's marker


def test_needs_orders_stages_even_in_parallel(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            ".localci.yml": (
                "stages:\n"
                "  - {name: late, run: 'test -f \"$LOCALCI_REPORTS/early\"', shell: true,\n"
                "     needs: [early]}\n"
                "  - {name: early, shell: true,\n"
                "     run: 'sleep 0.3; touch \"$LOCALCI_REPORTS/early\"'}\n"
            )
        }
    )
    result = cli("run", "--jobs", "4", "--json", cwd=repo)
    assert result.code == 0, result.err
    assert [s["name"] for s in result.json()["stages"]] == ["late", "early"]  # config order


def test_fail_fast_stops_running_and_pending_stages(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            ".localci.yml": (
                "stages:\n"
                "  - {name: slow, shell: true,\n"
                "     run: 'echo $$ > \"$LOCALCI_REPORTS/slow.pid\"; exec sleep 60'}\n"
                "  - {name: broken, run: 'sleep 0.5; exit 3', shell: true}\n"
                "  - {name: later, run: ['true'], needs: [slow]}\n"
                "  - {name: queued, run: ['true']}\n"
            )
        }
    )
    result = cli("run", "--jobs", "2", "--fail-fast", "--json", cwd=repo)
    assert result.code == 1
    stages = {s["name"]: s for s in result.json()["stages"]}
    assert stages["broken"]["status"] == "failed"
    assert stages["slow"]["status"] == "error"
    assert stages["slow"]["reason"] == "stopped by --fail-fast after 'broken' failed"
    assert stages["later"]["status"] == "skipped"
    assert stages["queued"]["status"] == "skipped"
    assert stages["queued"]["reason"].startswith("not started: stopped by --fail-fast")
    [pidfile] = (repo / ".localci" / "runs").glob("*/reports/slow.pid")
    assert not process_running(int(pidfile.read_text()))


def test_skip_makes_a_partial_run(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            ".localci.yml": "stages:\n  - {name: a, run: ['true']}\n"
            "  - {name: b, run: ['true'], needs: [a]}\n  - {name: c, run: ['true']}\n"
        }
    )
    doc = cli("run", "--skip", "a", "--json", cwd=repo).json()
    assert doc["partial"] is True
    assert {s["name"]: s["status"] for s in doc["stages"]} == {"b": "skipped", "c": "passed"}
    assert doc["stages"][0]["reason"] == "needs 'a', which was not selected to run"
    only = cli("run", "--stage", "b", "--json", cwd=repo).json()
    assert [s["name"] for s in only["stages"]] == ["a", "b"]  # needs come along
    assert only["partial"] is True


def result_of(name: str, status: StageStatus, tail: str | None = None) -> StageResult:
    return StageResult(
        name=name,
        kind="command",
        status=status,
        command=("x",),
        duration=1.25,
        exit_code=1 if status != "passed" else 0,
        reason=None if status == "passed" else "exited with code 1",
        log_tail=tail,
    )


def test_plain_output_shows_failed_output_as_one_block() -> None:
    stream = io.StringIO()
    reporter = ConsoleReporter(stream)
    reporter.stage_finished(result_of("lint", "passed"))
    reporter.stage_finished(result_of("tests", "failed", tail="line one\nline two"))
    text = stream.getvalue()
    assert "\033" not in text  # not a terminal: no colour, no status line
    assert "  ok    lint (1.2s)" in text
    assert "  FAIL  tests (1.2s) exit 1: exited with code 1" in text
    assert "┌── output of tests\n  | line one\n  | line two\n  └──" in text


def test_verbose_prefixes_streamed_lines() -> None:
    stream = io.StringIO()
    reporter = ConsoleReporter(stream, verbose=True)
    reporter.output_line("tests", "collected 3 items")
    reporter.stage_finished(result_of("tests", "failed", tail="already streamed"))
    assert "  [tests] collected 3 items" in stream.getvalue()
    assert "already streamed" not in stream.getvalue()


def test_live_status_line_on_a_terminal() -> None:
    from localci.config.loader import StageConfig

    stream = io.StringIO()
    reporter = ConsoleReporter(stream, live=True)
    reporter.stage_started(StageConfig(name="tests", kind="command", run=("x",)))
    deadline = time.monotonic() + 5
    while "running: tests" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    reporter.stage_finished(result_of("tests", "passed"))
    assert "running: tests" in stream.getvalue()
    assert "\r\033[K" in stream.getvalue()


HEAVY = ("sigstore", "github", "jsonschema", "requests", "cryptography", "yaml")


def imported_by(args: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys, atexit\n"
        "atexit.register(lambda: print(' '.join(sorted({m.split('.')[0] for m in sys.modules})),"
        " file=sys.stderr))\n"
        "from localci.cli.main import main\n"
        f"main({args!r})\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )
    return set(proc.stderr.strip().splitlines()[-1].split())


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    assert imported_by(["--help"], tmp_path) & set(HEAVY) == set()


def test_show_imports_neither_sigstore_nor_github(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: a, run: ['true']}\n"})
    assert cli("run", cwd=repo).code == 0
    modules = imported_by(["show"], repo)
    assert modules & {"sigstore", "github", "requests", "cryptography"} == set()
