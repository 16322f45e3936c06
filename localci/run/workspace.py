"""Where the stages run: a clean checkout of the commit, or the work tree.

The checkout is made outside the repository (tools such as ruff and pytest look for
configuration in parent folders): the repository's kept checkout, reset to the commit
(:mod:`localci.run.reuse`), or a temporary detached worktree, removed on every exit path,
Ctrl-C (and SIGTERM, SIGHUP) included; one a killed run left behind is pruned before the
next (:mod:`localci.run.worktrees`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from localci import git as gitrepo
from localci.errors import LocalciError, UsageError
from localci.run.reuse import Checkout, kept_checkout, kept_path
from localci.run.worktrees import claim, prune_stale

__all__ = ["influential_ignored", "workspace"]


@contextlib.contextmanager
def workspace(root: Path, commit: str, in_place: bool) -> Iterator[Checkout]:
    """Where the stages run: the work tree with ``in_place``; else the repository's kept
    checkout reset to ``commit`` (:mod:`localci.run.reuse`); else, when that is busy or
    ``LOCALCI_FRESH_WORKTREE=1``, a temporary detached worktree, removed on every exit
    path, Ctrl-C included."""
    prune_stale(root, (os.environ.get("LOCALCI_WORKTREE_DIR"), str(_SHM), None))
    if in_place:
        yield Checkout(path=root)
        return
    keep = os.environ.get("LOCALCI_FRESH_WORKTREE") != "1"
    parent = _worktree_parent(root, commit, keep=keep) or tempfile.gettempdir()
    if keep:
        with kept_checkout(root, commit, Path(parent)) as kept:
            if kept is not None:
                yield kept
                return
    holder = Path(tempfile.mkdtemp(prefix="localci-", dir=parent))
    path = holder / root.name
    try:
        claim(holder, root)  # so a later run can prune it if this process dies
        gitrepo.add_worktree(root, commit, path)
        yield Checkout(path=path)
    finally:
        gitrepo.remove_worktree(root, path)
        shutil.rmtree(holder, ignore_errors=True)


_SHM = Path("/dev/shm")  # noqa: S108 - only ever a parent for mkdtemp (mode 0700)
_SHM_HEADROOM = 4
"""tmpfs is used only when it has this many times the tree's size free (it is memory)."""


def _worktree_parent(root: Path, commit: str, *, keep: bool) -> str | None:
    """Where the checkout goes: ``LOCALCI_WORKTREE_DIR`` when set; else ``/dev/shm``
    (tmpfs) when it is writable and either already holds the repository's kept checkout
    (with ``keep``: its files and bytecode are there, and measuring the commit's tree
    would cost a ``git ls-tree`` of the whole tree) or has ample room for the commit's
    tree, because writing thousands of small files to memory is many times faster than
    to disk; else the system temporary directory (``None``)."""
    explicit = os.environ.get("LOCALCI_WORKTREE_DIR")
    if explicit:
        if not os.path.isdir(explicit) or not os.access(explicit, os.W_OK | os.X_OK):
            raise UsageError(
                f"LOCALCI_WORKTREE_DIR is not a writable directory: {explicit}",
                hint="Create it, or unset LOCALCI_WORKTREE_DIR to use the default.",
            )
        return explicit
    if not (_SHM.is_dir() and os.access(_SHM, os.W_OK)):
        return None
    if keep and (kept_path(root, _SHM) / ".git").is_dir():
        return str(_SHM)
    try:
        tree_bytes = gitrepo.tree_size(root, commit)
        free = shutil.disk_usage(_SHM).free
    except (LocalciError, OSError, ValueError, IndexError):
        return None
    return str(_SHM) if free > _SHM_HEADROOM * tree_bytes + (64 << 20) else None


_HARMLESS_DIRS = frozenset(
    {
        ".localci",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "htmlcov",
        ".idea",
        ".vscode",
    }
)
_HARMLESS_SUFFIXES = (".pyc", ".pyo", ".log", ".swp", "~")
_HARMLESS_NAMES = frozenset({".DS_Store", ".coverage", "coverage.xml", "coverage.json"})


def influential_ignored(root: Path) -> tuple[str, ...]:
    """The git-ignored files and folders of the work tree at ``root`` that could change
    an ``--in-place`` run (a ``conftest.py``, ``.env``, a stale ``build/``), sorted;
    caches, virtual environments, editor files and localci's own folder are left out."""
    kept = []
    for path in gitrepo.ignored_paths(root):
        parts = path.rstrip("/").split("/")
        name = parts[-1]
        if any(p in _HARMLESS_DIRS for p in parts) or name in _HARMLESS_NAMES:
            continue
        if name.endswith(_HARMLESS_SUFFIXES) or name.startswith(".coverage."):
            continue
        kept.append(path)
    return tuple(sorted(kept))
