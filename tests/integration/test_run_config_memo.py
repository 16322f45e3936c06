"""A configuration text that passed the schema once is remembered; nothing else is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
