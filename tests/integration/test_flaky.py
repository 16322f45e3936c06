"""``--rerun-failures``: a test that fails, then passes, is flaky (own count, finding,
threshold, history), never silently passed; one that keeps failing stays failed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from localci.config.loader import parse_config
from localci.config.model import ConfigSource
from localci.config.thresholds import evaluate
from localci.result.model import Metrics, TestCounts

from .conftest import PYTEST_STAGE, CliResult

CONFIG = "stages:\n" + PYTEST_STAGE + "    max_failures: 1\n"
TESTS = """\
from pathlib import Path

import pytest

FLAG = Path(__file__).with_name(".first-attempt-done")


def test_ok():
    pass


@pytest.mark.parametrize("n", [1])
def test_flaky(n):
    if not FLAG.exists():
        FLAG.write_text("x")
        raise AssertionError("first attempt fails")


def test_broken():
    assert 1 == 2
"""


def test_a_test_that_fails_then_passes_is_flaky(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": CONFIG, "tests/test_f.py": TESTS})
    run = cli("run", "--rerun-failures", "2", "--json", cwd=repo)
    assert run.code == 1, run.err
    (stage,) = run.json()["stages"]
    assert stage["metrics"]["tests"]["flaky"] == 1
    assert stage["metrics"]["tests"]["failed"] == 1  # test_broken, on every attempt
    assert stage["metrics"]["tests"]["passed"] == 1
    assert stage["inventory"]["tests"]["tests/test_f.py::test_flaky[1]"] == "flaky"
    assert stage["inventory"]["tests"]["tests/test_f.py::test_broken"] == "failed"
    flaky = [f for f in stage["findings"] if f["rule"] == "flaky"]
    assert [f["test_id"] for f in flaky] == ["tests/test_f.py::test_flaky[1]"]
    assert flaky[0]["severity"] == "warning"
    assert "first attempt fails" in flaky[0]["message"]
    outcome = {t["name"]: t["passed"] for t in stage["thresholds"]}
    assert outcome == {"max_failures": True, "max_flaky": False}
    assert "flaky tests (failed, then passed on a re-run) exceed max_flaky 0" in stage["reason"]

    history = json.loads((repo / ".localci" / "flaky.json").read_text(encoding="utf-8"))
    assert history["tests"]["tests/test_f.py::test_flaky[1]"]["count"] == 1
    context = cli("context", cwd=repo)
    assert "`tests/test_f.py::test_flaky[1]`: flaky in 1 run(s)" in context.out


RECORDS = """\
import os
import sys
from pathlib import Path

FLAG = Path(__file__).with_name(".first-attempt-done")


def test_flaky():
    with open(Path(os.environ["LOCALCI_REPORTS"]) / "attempts", "a") as out:
        out.write(f"{sys.prefix} {os.environ.get('STAGE_MARK')}\\n")
    if not FLAG.exists():
        FLAG.write_text("x")
        raise AssertionError("first attempt fails")
"""


def test_a_rerun_uses_the_stages_interpreter_and_environment(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], project_python: Path
) -> None:
    config = CONFIG.replace("    max_failures: 1\n", "    env: {STAGE_MARK: seen}\n")
    repo = make_repo({".localci.yml": config, "tests/test_f.py": RECORDS})
    run = cli("run", "--rerun-failures", "1", "--python", str(project_python), "--json", cwd=repo)
    doc = run.json()
    assert doc["stages"][0]["metrics"]["tests"]["flaky"] == 1, run.err
    attempts = repo / ".localci" / "runs" / doc["run_id"] / "reports" / "attempts"
    project_env = str(project_python.parent.parent)
    assert attempts.read_text(encoding="utf-8").splitlines() == [f"{project_env} seen"] * 2


def test_max_flaky_is_the_policy_threshold() -> None:
    config = parse_config(
        ConfigSource(
            kind="yaml",
            display=".localci.yml",
            text=(
                "stages:\n  - {name: t, kind: tests, run: [x], max_flaky: 1,\n"
                "     report: {format: junit, path: j.xml}}\n"
            ),
        )
    )
    counts = TestCounts(total=3, passed=2, failed=0, errors=0, skipped=0, flaky=1)
    (stage,) = config.stages
    assert [(t.name, t.passed) for t in evaluate(stage, Metrics(tests=counts))] == [
        ("max_failures", True),
        ("max_flaky", True),
    ]
    two = TestCounts(total=3, passed=1, failed=0, errors=0, skipped=0, flaky=2)
    assert not evaluate(stage, Metrics(tests=two))[1].passed
