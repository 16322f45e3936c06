"""localci.git: the notes ref stays under refs/notes/, trees and tracked files by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from localci import git as gitrepo
from localci.errors import UsageError
from tests.conftest import git


@pytest.mark.parametrize("ref", ["refs/notes/localci", "refs/notes/team/ci"])
def test_notes_refs_under_refs_notes_pass(ref: str) -> None:
    assert gitrepo.check_notes_ref(ref) == ref


@pytest.mark.parametrize(
    "ref",
    ["refs/heads/main", "refs/notes/../heads/main", "refs/notes/", "+refs/notes/x", "x:y", ""],
)
def test_other_refs_are_refused(ref: str) -> None:
    with pytest.raises(UsageError, match="not under refs/notes/"):
        gitrepo.check_notes_ref(ref)


def test_tree_and_tracked_files(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "1", "d/b.txt": "2"})
    head = git(repo, "rev-parse", "HEAD")
    assert gitrepo.tree_of(repo, head) == git(repo, "rev-parse", "HEAD^{tree}")
    assert gitrepo.tree_of(repo, "0" * 40) is None
    assert gitrepo.tree_size(repo, head) == 2
    assert gitrepo.tracked_files(repo, "d") == ["d/b.txt"]
    assert gitrepo.tracked_files(repo, ".localci") == []
    assert gitrepo.notes_plan("origin", "refs/notes/localci", head) == [
        f"notes --ref=refs/notes/localci add {head}",
        "push origin refs/notes/localci",
    ]
