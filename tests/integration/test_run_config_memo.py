"""A configuration text that passed every check once is remembered, as the document it
made; nothing else is, and a memo not as written is never trusted."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import commit_all

from .conftest import CliResult

VALID = 'stages:\n  - {name: ok, run: ["true"]}\n'
INVALID = 'stages:\n  - {name: ok, run: ["true"], colour: red}\n'


def _markers(repo: Path) -> list[str]:
    folder = repo / ".localci" / "cache" / "configs"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_valid_configuration_is_remembered_and_an_edited_one_checked_again(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": VALID})
    first = cli("run", "--no-cache", cwd=repo)
    assert first.code == 0, first.err
    remembered = _markers(repo)
    assert len(remembered) == 1
    again = cli("run", "--no-cache", cwd=repo)
    assert again.code == 0, again.err
    assert _markers(repo) == remembered  # the same text: the same marker, nothing new

    # The same stage with an unknown key: a new text, checked in full, never remembered.
    (repo / ".localci.yml").write_text(INVALID)
    commit_all(repo, "an invalid key")
    for _ in range(2):
        bad = cli("run", "--no-cache", cwd=repo)
        assert bad.code == 2
        assert ".localci.yml:2:" in bad.err
        assert "colour" in bad.err
    assert _markers(repo) == remembered


def test_a_marker_never_stands_in_for_another_text(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": VALID})
    assert cli("run", "--no-cache", cwd=repo).code == 0
    (marker,) = _markers(repo)
    # Whatever else is in the folder, an invalid text is looked up by its own digest.
    (repo / ".localci" / "cache" / "configs" / (marker[:-1] + "0")).touch()
    (repo / ".localci.yml").write_text(INVALID)
    commit_all(repo, "an invalid key")
    bad = cli("run", "--no-cache", cwd=repo)
    assert bad.code == 2
    assert "colour" in bad.err


def test_the_memo_holds_the_document_and_spares_the_yaml_parser(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({".localci.yml": VALID})
    # A fresh interpreter for each run, so what it imported is its own doing.
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('YAML', 'yaml' in sys.modules, file=sys.stderr))\n"
        "from localci.cli.main import main\n"
        "main(['run', '--no-cache'])\n"
    )

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "YAML True" in run()
    (marker,) = _markers(repo)
    document = json.loads((repo / ".localci" / "cache" / "configs" / marker).read_text())
    assert document == {"stages": [{"name": "ok", "run": ["true"]}]}
    assert "YAML False" in run()


@pytest.mark.parametrize(
    "memo",
    [
        "",
        "not json",
        "[]",
        # Refused by the semantic checks (a stage that needs a missing one).
        '{"stages": [{"name": "ok", "run": ["false"], "needs": ["missing"]}]}',
    ],
    ids=["empty", "not-json", "not-an-object", "refused"],
)
def test_a_memo_not_as_written_is_parsed_again_and_rewritten(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], memo: str
) -> None:
    repo = make_repo({".localci.yml": VALID})
    assert cli("run", "--no-cache", cwd=repo).code == 0
    (marker,) = _markers(repo)
    path = repo / ".localci" / "cache" / "configs" / marker
    path.write_text(memo)
    again = cli("run", "--no-cache", "--json", cwd=repo)
    assert again.code == 0, again.err
    assert [s["name"] for s in json.loads(again.out)["stages"]] == ["ok"]
    assert json.loads(path.read_text()) == {"stages": [{"name": "ok", "run": ["true"]}]}


def test_a_policy_only_file_is_remembered_per_embedded_default(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file without `stages:` takes the embedded default's: another localci build with
    another default must not re-use the document this one made."""
    from localci.config.defaults import DEFAULT_CONFIG_YAML

    repo = make_repo({".localci.yml": "retention_days: 7\n"})
    assert cli("run", "--no-cache", "--stage", "lint", cwd=repo).code in (0, 1)
    assert len(_markers(repo)) == 1
    another = DEFAULT_CONFIG_YAML + "# another\n"
    monkeypatch.setattr("localci.run.configs.DEFAULT_CONFIG_YAML", another)
    assert cli("run", "--no-cache", "--stage", "lint", cwd=repo).code in (0, 1)
    assert len(_markers(repo)) == 2
