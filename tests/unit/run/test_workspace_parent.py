"""Where a run's checkout goes: tmpfs when it has room for the tree, or at once when it
already holds the repository's kept checkout (the tree is not measured again)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from localci import git as gitrepo
from localci.run import workspace
from localci.run.reuse import kept_path
from tests.conftest import git


@pytest.fixture
def shm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for ``/dev/shm`` (a writable folder), with ``LOCALCI_WORKTREE_DIR``
    unset so the choice is the module's own."""
    folder = tmp_path / "shm"
    folder.mkdir()
    monkeypatch.setattr(workspace, "_SHM", folder)
    monkeypatch.delenv("LOCALCI_WORKTREE_DIR", raising=False)
    return folder


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commits whose tree size was measured (the real ``git ls-tree`` still runs)."""
    calls: list[str] = []
    real = gitrepo.tree_size

    def counting(root: Path, commit: str) -> int:
        calls.append(commit)
        return real(root, commit)

    monkeypatch.setattr(gitrepo, "tree_size", counting)
    return calls


def test_tmpfs_is_chosen_after_measuring_the_tree_when_no_checkout_is_kept_there(
    make_repo: Callable[..., Path], shm: Path, measured: list[str]
) -> None:
    repo = make_repo({"a.py": "A = 1\n"})
    head = git(repo, "rev-parse", "HEAD")
    assert workspace._worktree_parent(repo, head, keep=True) == str(shm)
    assert measured == [head]


def test_a_kept_checkout_already_in_tmpfs_is_used_without_measuring_the_tree(
    make_repo: Callable[..., Path], shm: Path, measured: list[str]
) -> None:
    repo = make_repo({"a.py": "A = 1\n"})
    head = git(repo, "rev-parse", "HEAD")
    (kept_path(repo, shm) / ".git").mkdir(parents=True)
    assert workspace._worktree_parent(repo, head, keep=True) == str(shm)
    assert measured == []
    # A run that asks for a fresh worktree does not use the kept checkout: it measures.
    assert workspace._worktree_parent(repo, head, keep=False) == str(shm)
    assert measured == [head]


def test_another_repositorys_kept_checkout_does_not_count(
    make_repo: Callable[..., Path], shm: Path, measured: list[str]
) -> None:
    repo, other = make_repo({"a.py": "A = 1\n"}), make_repo({"b.py": "B = 1\n"})
    (kept_path(other, shm) / ".git").mkdir(parents=True)
    head = git(repo, "rev-parse", "HEAD")
    workspace._worktree_parent(repo, head, keep=True)
    assert measured == [head]
