"""Bad input gives a one-paragraph error and the documented exit code; nothing crashes."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import process_running

from .conftest import CliResult, localci_subprocess

JUNIT_STAGE = (
    "stages:\n  - name: t\n    kind: tests\n    run: {run}\n"
    "    report: {{format: junit, path: {path}}}\n"
)


def test_not_a_git_directory(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("run", cwd=tmp_path)
    assert result.code == 2
    assert "is not inside a git repository" in result.err
    assert "Traceback" not in result.err


def test_repository_without_commits(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    result = cli("run", cwd=make_repo({"a.txt": "x"}, commit=False))
    assert result.code == 2
    assert "has no commits yet" in result.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stages: [\n", ".localci.yml:2:1: not valid YAML"),
        ("stages:\n  - {name: a, run: [x], timeout: soon}\n", "stages[0].timeout"),
        ("stages:\n  - {name: a, run: [x], timout: 3}\n", "did you mean `timeout`?"),
    ],
)
def test_bad_config(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], text: str, expected: str
) -> None:
    result = cli("run", cwd=make_repo({".localci.yml": text}))
    assert result.code == 2
    assert expected in result.err
    assert "Traceback" not in result.err


def test_missing_command_is_a_stage_error(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: a, run: [no-such-tool-xyz, go]}\n"})
    result = cli("run", "--json", cwd=repo)
    assert result.code == 1
    stage = result.json()["stages"][0]
    assert stage["status"] == "error"
    assert "cannot run 'no-such-tool-xyz'" in stage["reason"]
    assert result.json()["conclusion"] == "error"


def test_skip_if_missing(make_repo: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    repo = make_repo(
        {".localci.yml": "stages:\n  - {name: a, run: [no-such-tool-xyz], skip_if_missing: true}\n"}
    )
    result = cli("run", "--json", cwd=repo)
    assert result.code == 0
    assert result.json()["stages"][0]["status"] == "skipped"
    assert "not installed" in result.json()["stages"][0]["reason"]


@pytest.mark.parametrize(
    ("writer", "expected"),
    [
        ("true", "does not exist"),
        ("printf '<testsuites><testsuite' > r.xml", "r.xml"),
        ("printf 'not xml at all' > r.xml", "r.xml"),
    ],
)
def test_broken_reports_are_stage_errors(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], writer: str, expected: str
) -> None:
    config = JUNIT_STAGE.format(run=f'"{writer}"\n    shell: true', path="r.xml")
    result = cli("run", "--json", cwd=make_repo({".localci.yml": config}))
    assert result.code == 1, result.err
    stage = result.json()["stages"][0]
    assert stage["status"] == "error"
    assert expected in stage["reason"]


def test_pytest_collecting_nothing_is_an_error(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    config = JUNIT_STAGE.format(
        run='["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider",'
        ' "--junitxml={reports}/j.xml"]',
        path="'{reports}/j.xml'",
    )
    result = cli("run", "--json", cwd=make_repo({".localci.yml": config}))
    stage = result.json()["stages"][0]
    assert (stage["status"], stage["exit_code"]) == ("error", 5)
    assert "collected no tests" in stage["reason"]


def test_timeout(make_repo: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    repo = make_repo(
        {".localci.yml": "stages:\n  - {name: slow, run: [sleep, '30'], timeout: 1}\n"}
    )
    result = cli("run", "--json", cwd=repo)
    assert result.code == 1
    stage = result.json()["stages"][0]
    assert stage["status"] == "timed_out"
    assert "timed out after 1 s" in stage["reason"]


def test_secrets_are_redacted_from_log_tails(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    token = "ghp_" + "a1B2" * 9
    app = "ghs_" + "ABCD" * 6 + "123"  # masked by its pattern: APP is not a secret-like name
    script = (
        "echo classic $T; echo app $APP; "
        "echo pw $MY_PASSWORD; echo jwt eyJhbGciOi.eyJzdWIiOiJ4In0.c2lnbmF0dXJl; exit 1"
    )
    repo = make_repo(
        {".localci.yml": f"stages:\n  - {{name: leak, run: '{script}', shell: true}}\n"}
    )
    result = cli("run", "--json", cwd=repo, env={"T": token, "APP": app, "MY_PASSWORD": "hunter22"})
    tail = result.json()["stages"][0]["log_tail"]
    assert "classic ***" in tail
    assert "app ***" in tail
    assert "pw ***" in tail
    assert "jwt ***" in tail
    for secret in (token, "hunter22", app, "eyJhbGciOi"):
        assert secret not in result.out


def test_unknown_stage_name(make_repo: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: tests, run: [echo]}\n"})
    result = cli("run", "--stage", "test", cwd=repo)
    assert result.code == 2
    assert "Did you mean `tests`?" in result.err


def test_failed_need_skips_dependants(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            ".localci.yml": "stages:\n  - {name: a, run: ['false']}\n"
            "  - {name: b, run: ['true'], needs: [a]}\n  - {name: c, run: ['true'], after: [a]}\n"
        }
    )
    stages = {s["name"]: s for s in cli("run", "--json", cwd=repo).json()["stages"]}
    assert stages["b"]["status"] == "skipped"
    assert stages["b"]["reason"] == "needs 'a', which failed"
    assert stages["c"]["status"] == "passed"


def test_ctrl_c_stops_everything_and_exits_130(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        {
            ".localci.yml": 'stages:\n  - name: hang\n    run: \'echo $$ > "$LOCALCI_REPORTS/pid";'
            ' sleep 60 & echo $! >> "$LOCALCI_REPORTS/pid"; wait\'\n    shell: true\n'
        }
    )
    proc = localci_subprocess("run", cwd=repo)
    pids = _wait_for_pids(repo)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    for pid in pids:
        assert not process_running(pid)
    worktrees = (
        subprocess.run(
            ["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()
    )
    assert len(worktrees) == 1
    assert not list((repo / ".localci" / "results").glob("*.json"))


def _wait_for_pids(repo: Path) -> list[int]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for pidfile in (repo / ".localci" / "runs").glob("*/reports/pid"):
            pids = pidfile.read_text().split()
            if len(pids) == 2:
                return [int(p) for p in pids]
        time.sleep(0.05)
    raise AssertionError("the stage never started")


def test_secrets_never_reach_the_stage_log_or_the_terminal(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    token = "ghp_" + "Zz09" * 9
    repo = make_repo({".localci.yml": "stages:\n  - {name: leak, run: 'echo t=$T', shell: true}\n"})
    result = cli("run", "-v", "--no-cache", cwd=repo, env={"T": token})
    assert result.code == 0
    assert "[leak] t=***" in result.err
    [log] = (repo / ".localci" / "runs").glob("*/leak.log")
    assert log.read_text() == "t=***\n"
    assert token not in result.err + result.out


def test_secrets_from_a_stage_env_are_masked_too(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    config = (
        "stages:\n  - name: leak\n    run: 'echo key=$DEPLOY_KEY; exit 1'\n    shell: true\n"
        "    env: {DEPLOY_KEY: s3cr3t-value}\n"
    )
    result = cli("run", "--json", "--no-cache", cwd=make_repo({".localci.yml": config}))
    assert result.json()["stages"][0]["log_tail"] == "key=***"
    assert "s3cr3t-value" not in result.out + result.err


def test_every_stage_record_is_masked_in_the_stored_result(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """A stage's result is scrubbed while the next stage process runs; a skipped stage's
    and the last stage's (here a guard's ``error``) at the end: no secret survives."""
    ran, skipped, in_name = ("ghp_" + c * 36 for c in "QRS")
    config = (
        "stages:\n"
        f"  - {{name: leak, run: [sh, -c, 'exit 1', {ran}]}}\n"
        f"  - {{name: later, run: [echo, {skipped}], needs: [leak]}}\n"
        f"  - {{name: edit, run: [sh, -c, 'echo x >> {in_name}.txt']}}\n"
    )
    repo = make_repo({".localci.yml": config, f"{in_name}.txt": "tracked\n"})
    result = cli("run", "--json", "--no-cache", "--jobs", "1", cwd=repo)
    stages = {s["name"]: s for s in result.json()["stages"]}
    assert [stages[n]["status"] for n in ("leak", "later", "edit")] == [
        "failed",
        "skipped",
        "error",
    ]
    assert "***" in stages["edit"]["reason"]
    [stored] = (repo / ".localci" / "results").glob("*.json")
    for secret in (ran, skipped, in_name):
        assert secret not in stored.read_text()
        assert secret not in result.out + result.err
