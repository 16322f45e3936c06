"""`localci init`, `localci config --check`, `localci show`, and the module entry point."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from localci.config.loader import load_config

from .conftest import CliResult

PYPROJECT = '[project]\nname = "demo"  # keep this comment\nversion = "1"\n'


def test_init_writes_a_valid_starter(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({"a.txt": "x"})
    result = cli("init", cwd=repo)
    assert result.code == 0
    config = load_config(repo)
    assert config.path == ".localci.yml"
    assert [s.name for s in config.stages] == ["tests", "coverage", "lint"]
    again = cli("init", cwd=repo)
    assert again.code == 2
    assert "already exists" in again.err
    assert cli("init", "--force", cwd=repo).code == 0


def test_init_pyproject_keeps_the_rest_of_the_file(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({"pyproject.toml": PYPROJECT})
    assert cli("init", "--pyproject", cwd=repo).code == 0
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith(PYPROJECT)
    assert "[tool.localci]" in text
    config = load_config(repo)
    assert config.path == "pyproject.toml"
    assert [s.name for s in config.stages] == ["tests", "coverage", "lint"]
    second = cli("init", "--pyproject", cwd=repo)
    assert second.code == 2
    assert "already has a [tool.localci] table" in second.err


def test_config_check_prints_the_effective_config(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            ".localci.yml": "stages:\n  - {name: lint, kind: lint, run: [ruff],"
            " report: {format: sarif, path: r.sarif}}\n"
        }
    )
    result = cli("config", "--check", cwd=repo)
    assert result.code == 0
    doc = yaml.safe_load(result.out)
    assert doc["stages"][0]["max_findings"] == 0
    assert doc["stages"][0]["severity"] == "warning"
    assert doc["verify"]["require_signature"] is True
    assert "valid" in result.err
    as_json = cli("config", "--check", "--json", cwd=repo)
    assert as_json.json()["source"] == ".localci.yml"


def test_config_check_default_and_errors(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({"a.txt": "x"})
    assert cli("config", "--check", "--json", cwd=repo).json()["source"] == "<default>"
    (repo / ".localci.yml").write_text("stages:\n  - {name: a, run: [x], nedds: [b]}\n")
    bad = cli("config", "--check", cwd=repo)
    assert bad.code == 2
    assert ".localci.yml:2:25: stages[0].nedds: unknown key; did you mean `needs`?" in bad.err


def test_show_without_results(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    result = cli("show", cwd=make_repo({"a.txt": "x"}))
    assert result.code == 2
    assert "no results yet" in result.err


def test_show_rejects_an_edited_document(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: a, run: [echo]}\n"})
    assert cli("run", cwd=repo).code == 0
    [path] = (repo / ".localci" / "results").glob("*.json")
    path.write_text(path.read_text().replace('"success"', '"great"'))
    result = cli("show", cwd=repo)
    assert result.code == 2
    assert "not a valid localci result" in result.err


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "localci", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert proc.stdout.startswith("localci, version ")


def test_unknown_option_is_a_usage_error(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("run", "--frobnicate", cwd=tmp_path)
    assert result.code == 2
    assert "No such option" in result.err
