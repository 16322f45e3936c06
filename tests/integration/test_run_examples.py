"""`localci run` on the example projects, with the real pytest, coverage and ruff.

Counts are checked against what the tools themselves report for the same code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localci.schemas import RESULT_SCHEMA, schema_errors

from .conftest import CliResult


def pytest_summary(repo: Path) -> dict[str, int]:
    """Run pytest directly in ``repo`` and parse its closing summary line."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(repo / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    last = proc.stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


def coverage_total(repo: Path) -> float:
    """coverage.py's own total for the example, measured directly."""
    env = {"PYTHONPATH": str(repo / "src"), "PATH": "/usr/bin:/bin"}
    data = repo.parent / f"{repo.name}.coverage"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--data-file={data}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        check=False,
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "report",
            f"--data-file={data}",
            "--format=total",
            "--precision=4",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip())


def stage(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["stages"] if s["name"] == name)


@pytest.fixture
def passing(make_repo: Callable[..., Path]) -> Path:
    return make_repo(example="passing")


@pytest.fixture
def failing(make_repo: Callable[..., Path]) -> Path:
    return make_repo(example="failing")


def test_passing_example(passing: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("run", "--json", cwd=passing)
    assert result.code == 0, result.err
    doc = result.json()
    assert schema_errors(RESULT_SCHEMA, doc) == []
    assert doc["conclusion"] == "success"
    head = subprocess.run(
        ["git", "rev-parse", "HEAD", "HEAD^{tree}"],
        cwd=passing,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [doc["git"]["commit"], doc["git"]["tree"]] == head
    assert doc["git"]["dirty"] is False
    tests = stage(doc, "tests")["metrics"]["tests"]
    summary = pytest_summary(passing)
    assert tests["passed"] == summary["passed"] == 6
    assert tests["skipped"] == summary["skipped"] == 1
    assert tests["failed"] == tests["errors"] == 0
    cov = stage(doc, "coverage")
    assert cov["metrics"]["coverage"]["percent"] == pytest.approx(coverage_total(passing), abs=1e-3)
    assert cov["thresholds"] == [
        {
            "name": "min_percent",
            "limit": 90,
            "actual": cov["metrics"]["coverage"]["percent"],
            "passed": True,
        }
    ]
    assert stage(doc, "lint")["metrics"]["lint"]["total"] == 0
    stored = passing / ".localci" / "results" / f"{head[0]}.json"
    assert stored.is_file()
    assert (passing / ".localci" / ".gitignore").read_text().strip().endswith("*")
    assert "tests (" in result.err  # progress went to stderr
    assert "6 passed, 1 skipped" in result.err


def test_failing_example_explains_itself(failing: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("run", "--json", cwd=failing)
    assert result.code == 1
    doc = result.json()
    assert schema_errors(RESULT_SCHEMA, doc) == []
    assert doc["conclusion"] == "failure"
    summary = pytest_summary(failing)

    tests = stage(doc, "tests")
    assert tests["status"] == "failed"
    assert tests["metrics"]["tests"]["failed"] == summary["failed"] == 1
    assert tests["metrics"]["tests"]["passed"] == summary["passed"] == 1
    [failure] = [f for f in tests["findings"] if f["kind"] == "test"]
    assert failure["test_id"] == "tests/test_shapes.py::test_perimeter"
    assert failure["path"] == "tests/test_shapes.py"
    assert failure["line"] == 9
    assert "assert 5 == 10" in failure["message"] + failure.get("details", "")
    assert "test_perimeter" in tests["log_tail"]
    assert "failed or errored tests exceed max_failures 0" in tests["reason"]

    cov = stage(doc, "coverage")
    assert cov["status"] == "failed"
    percent = cov["metrics"]["coverage"]["percent"]
    assert percent == pytest.approx(coverage_total(failing), abs=1e-3)
    assert percent < 80
    assert f"coverage {percent:.2f}% is below min_percent 80" in cov["reason"]
    assert any(
        f["kind"] == "coverage" and f["path"] == "src/shapes/__init__.py" for f in cov["findings"]
    )

    lint = stage(doc, "lint")
    assert lint["status"] == "failed"
    rules = sorted(f["rule"] for f in lint["findings"])
    assert rules == ["F401", "F401", "F841"]
    assert lint["metrics"]["lint"]["total"] == lint["findings_total"] == 3
    unused = next(f for f in lint["findings"] if f["rule"] == "F841")
    assert (unused["path"], unused["line"], unused["column"]) == ("src/shapes/__init__.py", 22, 5)


def test_show_renders_the_stored_result(failing: Path, cli: Callable[..., CliResult]) -> None:
    assert cli("run", cwd=failing).code == 1
    shown = cli("show", cwd=failing)
    assert shown.code == 0
    assert "tests/test_shapes.py::test_perimeter" in shown.out
    assert "conclusion: failure" in shown.out
    assert "[F841]" in shown.out
    as_json = cli("show", "HEAD", "--json", cwd=failing)
    assert as_json.json()["conclusion"] == "failure"
