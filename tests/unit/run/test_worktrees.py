"""Stale-worktree pruning asks git for the linked worktrees only when there can be some."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from localci.run.worktrees import _may_have_worktrees
from tests.conftest import git


def test_git_is_asked_only_when_the_repository_records_linked_worktrees(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"a.py": "A = 1\n"})
    assert not _may_have_worktrees(repo)  # no .git/worktrees: none to list
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "--detach", "-q", str(linked))
    assert _may_have_worktrees(repo)
    assert _may_have_worktrees(linked)  # its .git is a file: git is asked
    git(repo, "worktree", "remove", str(linked))
    assert _may_have_worktrees(repo) == (repo / ".git" / "worktrees").exists()
