"""localci in its own environment, the project in another: which Python runs the stages,
what the result records of it, and that an isolated run never sees the work tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import PYTEST_STAGE, CliResult

ONE_STAGE = (
    "stages:\n"
    "  - name: which\n"
    "    kind: command\n"
    "    shell: true\n"
    '    run: \'{python} -c "import sys; print(sys.prefix)" > "$LOCALCI_REPORTS/prefix"\'\n'
)


@pytest.fixture
def no_venv(monkeypatch: pytest.MonkeyPatch) -> None:
    """No active virtual environment, as when localci runs from its own (pipx) install."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


def run_json(cli: Callable[..., CliResult], repo: Path, *args: str) -> tuple[CliResult, dict]:  # type: ignore[type-arg]
    result = cli("run", "--json", "--no-cache", *args, cwd=repo)
    assert result.code == 0, result.err
    return result, json.loads(result.out)


@pytest.mark.usefixtures("no_venv")
def test_python_option_wins_and_is_recorded_without_a_local_path(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], project_python: Path
) -> None:
    repo = make_repo({".localci.yml": ONE_STAGE})
    _, doc = run_json(cli, repo, "--python", str(project_python))
    runner = doc["runner"]
    assert runner["interpreter_source"] == "--python"
    assert runner["interpreter"] == f"<python>/{project_python.name}"
    assert runner["python"] == ".".join(map(str, sys.version_info[:3]))
    text = json.dumps(doc)
    assert str(project_python.parent.parent) not in text
    assert doc["stages"][0]["command"][0].startswith("{python} -c")


def test_repository_venv_then_active_venv_then_localci_own(
    make_repo: Callable[..., Path],
    cli: Callable[..., CliResult],
    project_python: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo({".localci.yml": ONE_STAGE})
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    own, doc = run_json(cli, repo)
    assert doc["runner"]["interpreter_source"] == "localci"
    assert "the stages run with localci's own Python" in own.err

    (repo / ".venv").symlink_to(project_python.parent.parent)
    _, doc = run_json(cli, repo)
    assert doc["runner"]["interpreter"] == ".venv/bin/python"
    run_dir = repo / ".localci" / "runs" / doc["run_id"]
    assert (run_dir / "reports" / "prefix").read_text().strip() == str(repo / ".venv")

    monkeypatch.setenv("VIRTUAL_ENV", str(project_python.parent.parent))
    _, doc = run_json(cli, repo)
    assert doc["runner"]["interpreter"] == "$VIRTUAL_ENV/bin/python"
    assert doc["runner"]["interpreter_source"] == "VIRTUAL_ENV"


@pytest.mark.usefixtures("no_venv")
def test_config_python_key_and_a_missing_interpreter(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "python: envs/py/bin/python\n" + ONE_STAGE})
    missing = cli("run", cwd=repo)
    assert missing.code == 2
    assert "python: in the configuration: no Python interpreter at 'envs/py/bin/python'" in (
        missing.err
    )


def _project(name: str, layout: str) -> dict[str, str]:
    package = f"src/{name}" if layout == "src" else name
    return {
        "pyproject.toml": (
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            f'[project]\nname = "{name}"\nversion = "1.0"\n'
            f'[tool.hatch.build.targets.wheel]\npackages = ["{package}"]\n'
        ),
        f"{package}/__init__.py": "def add(a, b):\n    return a + b\n",
        "sitecustomize.py": "import os\nos.environ['PROJECT_SITE'] = '1'\n",
        "tests/test_it.py": (
            "import importlib.util\nimport os\n"
            f"import {name}\n\n"
            f"def test_add():\n    assert {name}.add(2, 3) == 5\n\n"
            "def test_the_projects_own_sitecustomize_still_runs():\n"
            '    assert os.environ.get("PROJECT_SITE") == "1"\n\n'
            "def test_the_work_tree_is_hidden():\n"
            f'    assert importlib.util.find_spec("stray_{name}") is None\n'
        ),
        ".localci.yml": "stages:\n" + PYTEST_STAGE,
    }


@pytest.mark.slow
@pytest.mark.usefixtures("no_venv")
@pytest.mark.parametrize("layout", ["flat", "src"])
@pytest.mark.parametrize("editable", [True, False], ids=["editable", "installed"])
def test_isolated_stages_never_see_the_work_tree(
    make_repo: Callable[..., Path],
    cli: Callable[..., CliResult],
    project_python: Path,
    layout: str,
    editable: bool,
) -> None:
    """Issue 10.8: an uncommitted edit and an untracked module stay invisible, even where
    an editable install's ``.pth`` names the work tree."""
    name = f"calc_{layout}_{'e' if editable else 'i'}"
    repo = make_repo(_project(name, layout))
    install = [str(project_python), "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    install += ["--no-build-isolation", *(["-e"] if editable else []), str(repo)]
    subprocess.run(install, check=True, capture_output=True)
    package = repo / ("src" if layout == "src" else "") / name / "__init__.py"
    package.write_text("def add(a, b):\n    return a - b\n")
    (package.parent.parent / f"stray_{name}.py").write_text("")
    if editable:  # sanity: the environment really reaches into the work tree
        seen = subprocess.run(
            [str(project_python), "-c", f"import stray_{name}, {name}; print({name}.add(2, 3))"],
            cwd=repo.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        assert seen.stdout.strip() == "-1"
    _, doc = run_json(cli, repo, "--python", str(project_python))
    assert doc["stages"][0]["metrics"]["tests"]["passed"] == 3, doc["stages"][0]


@pytest.mark.slow
@pytest.mark.usefixtures("no_venv")
def test_a_project_that_is_a_localci_dependency_cannot_break_localci(
    make_repo: Callable[..., Path], project_python: Path
) -> None:
    """The project under test is ``click``; an uncommitted edit breaks it in the work tree.
    localci (its own environment, started as its console script) runs on."""
    files = _project("click", "flat")
    repo = make_repo(files)
    (repo / "click" / "__init__.py").write_text("raise SystemExit('broken click')\n")
    script = Path(sys.executable).parent / "localci"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [str(script), "run", "--json", "--python", str(project_python)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["conclusion"] == "success"
