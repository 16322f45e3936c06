"""The code under test is the commit's: isolation from the work tree and editable installs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import CliResult, make_venv

BREAKING_EDIT = '''
def add(a: int, b: int) -> int:
    """Broken in the work tree only, never committed."""
    return a - b
'''


@pytest.fixture(scope="module")
def editable_env(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """A real virtual environment that can ``pip install -e`` an example project.

    It sees the test environment's packages (pip, hatchling, pytest, coverage, ruff,
    localci) through a ``site.addsitedir`` line, so nothing is downloaded; the example's
    editable install is real (hatchling's PEP 660 build, a ``.pth`` to ``src/``).
    """
    home = tmp_path_factory.mktemp("venv")
    python, site = make_venv(home / "env")
    ours = sysconfig.get_paths()["purelib"]
    Path(site, "_localci_tests.pth").write_text(f"import site; site.addsitedir({ours!r})\n")

    def install(project: Path) -> Path:
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "-e",
                str(project),
            ],
            check=True,
            capture_output=True,
        )
        return python

    return install


@pytest.mark.slow
def test_uncommitted_edit_does_not_reach_an_isolated_run(
    make_repo: Callable[..., Path], editable_env: Callable[[Path], Path]
) -> None:
    repo = make_repo(example="passing")
    python = editable_env(repo)
    (repo / "src" / "calc" / "__init__.py").write_text(
        (repo / "src" / "calc" / "__init__.py").read_text() + BREAKING_EDIT
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # ruff's binary lives beside the test interpreter, not in the new environment.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    # Sanity: the editable install really imports the broken work tree.
    direct = subprocess.run(
        [str(python), "-c", "import calc; print(calc.add(2, 3))"],
        cwd=repo.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert direct.stdout.strip() == "-1"

    isolated = subprocess.run(
        [str(python), "-m", "localci", "run", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert isolated.returncode == 0, isolated.stderr
    assert json.loads(isolated.stdout)["git"]["dirty"] is False

    in_place = subprocess.run(
        [str(python), "-m", "localci", "run", "--in-place", "--json", "--stage", "tests"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert in_place.returncode == 1
    doc = json.loads(in_place.stdout)
    assert doc["git"]["dirty"] is True
    assert len(doc["git"]["diff_sha256"]) == 64
    assert doc["partial"] is True
    assert doc["stages"][0]["metrics"]["tests"]["failed"] == 1


def test_in_place_on_a_clean_tree_is_not_dirty(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: hi, run: [echo, hi]}\n"})
    result = cli("run", "--in-place", "--json", cwd=repo)
    assert result.code == 0, result.err
    assert result.json()["git"]["dirty"] is False
    assert result.json()["git"]["diff_sha256"] is None


def test_dirty_digest_changes_with_the_edit(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: hi, run: [echo, hi]}\n"})
    (repo / "new.txt").write_text("one")
    first = cli("run", "--in-place", "--json", cwd=repo).json()["git"]["diff_sha256"]
    (repo / "new.txt").write_text("two")
    second = cli("run", "--in-place", "--json", cwd=repo).json()["git"]["diff_sha256"]
    assert first
    assert second
    assert first != second


def test_isolated_run_leaves_no_worktree(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: pwd, run: [pwd]}\n"})
    result = cli("run", "--json", cwd=repo)
    assert result.code == 0
    listing = (
        subprocess.run(
            ["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()
    )
    assert len(listing) == 1


def test_config_comes_from_the_commit_under_test(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: committed, run: [echo, hi]}\n"})
    (repo / ".localci.yml").write_text("stages:\n  - {name: edited, run: [echo, hi]}\n")
    assert cli("run", "--json", cwd=repo).json()["stages"][0]["name"] == "committed"
    in_place = cli("run", "--in-place", "--json", cwd=repo).json()
    assert in_place["stages"][0]["name"] == "edited"


def test_rev_tests_an_older_commit(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: a, run: [test, -f, marker]}\n"})
    first = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    (repo / "marker").write_text("x")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "marker"], cwd=repo, check=True)
    assert cli("run", cwd=repo).code == 0
    old = cli("run", "--rev", first, "--json", cwd=repo)
    assert old.code == 1
    assert old.json()["git"]["commit"] == first
    assert cli("run", "--rev", first, "--in-place", cwd=repo).code == 2


assert sys.platform != "win32"  # process groups are POSIX


def test_worktree_location_can_be_chosen(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    where = tmp_path / "worktrees"
    where.mkdir()
    # The stage writes its cwd to a file: logs and output name it only as {workspace}.
    config = "stages:\n  - {name: pwd, run: 'pwd > \"$LOCALCI_REPORTS/pwd\"', shell: true}\n"
    repo = make_repo({".localci.yml": config})
    env = {"LOCALCI_WORKTREE_DIR": str(where), "LOCALCI_FRESH_WORKTREE": "1"}
    result = cli("run", "-v", "--no-cache", cwd=repo, env=env)
    assert result.code == 0, result.err
    [pwd] = (repo / ".localci" / "runs").glob("*/reports/pwd")
    assert pwd.read_text().startswith(f"{where}/localci-")
    assert list(where.iterdir()) == []  # removed afterwards
