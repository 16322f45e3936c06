"""The project's own code stays lint-clean, formatted and mypy --strict clean."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_check() -> None:
    proc = run(
        "ruff", "check", "--output-format=concise", "localci", "tests", "scripts", "benchmarks"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = run("ruff", "format", "--check", "localci", "tests", "scripts", "benchmarks")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict() -> None:
    proc = run("mypy", "--no-incremental")
    assert proc.returncode == 0, proc.stdout + proc.stderr
