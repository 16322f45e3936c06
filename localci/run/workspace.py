"""Where the stages run: a clean, detached worktree of the commit, or the work tree.

The worktree is created outside the repository (tools such as ruff and pytest look for
configuration in parent folders) and removed on every exit path, Ctrl-C (and SIGTERM,
SIGHUP) included; one a killed run left behind is pruned before the next
(:mod:`localci.run.worktrees`).
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
from localci.run.worktrees import claim, prune_stale

__all__ = ["workspace"]


@contextlib.contextmanager
def workspace(root: Path, commit: str, in_place: bool) -> Iterator[Path]:
    """The directory stages run in; a temporary detached worktree unless ``in_place``.

    The worktree is removed on every exit path, Ctrl-C included.
    """
    prune_stale(root, (os.environ.get("LOCALCI_WORKTREE_DIR"), str(_SHM), None))
    if in_place:
        yield root
        return
    holder = Path(tempfile.mkdtemp(prefix="localci-", dir=_worktree_parent(root, commit)))
    path = holder / root.name
    try:
        claim(holder, root)  # so a later run can prune it if this process dies
        gitrepo.add_worktree(root, commit, path)
        yield path
    finally:
        gitrepo.remove_worktree(root, path)
        shutil.rmtree(holder, ignore_errors=True)


_SHM = Path("/dev/shm")  # noqa: S108 - only ever a parent for mkdtemp (mode 0700)
_SHM_HEADROOM = 4
"""tmpfs is used only when it has this many times the tree's size free (it is memory)."""


def _worktree_parent(root: Path, commit: str) -> str | None:
    """Where the temporary worktree goes: ``LOCALCI_WORKTREE_DIR`` when set; else
    ``/dev/shm`` (tmpfs) when it is writable and has ample room for the commit's tree,
    because writing thousands of small files to memory is many times faster than to
    disk; else the system temporary directory (``None``)."""
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
    try:
        tree_bytes = gitrepo.tree_size(root, commit)
        free = shutil.disk_usage(_SHM).free
    except (LocalciError, OSError, ValueError, IndexError):
        return None
    return str(_SHM) if free > _SHM_HEADROOM * tree_bytes + (64 << 20) else None
