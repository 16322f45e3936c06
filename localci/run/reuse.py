"""One checkout per repository, kept between runs and reset to each commit.

A fresh worktree costs a full checkout and, worse, a full bytecode compile of the project
on every run. The kept checkout is a ``git clone --shared`` of the repository (it borrows
the objects, so nothing is copied, and it is not one of the repository's own worktrees),
in a folder only this user can enter. Before each run it is reset to the commit: tracked
files forced to the commit's content, every untracked and ignored file removed
(``git clean -ffdx``), so nothing of an earlier run survives in it.

Bytecode is the one thing kept: the clean spares ``__pycache__`` folders (``git clean
-e __pycache__``), so compiled modules of unchanged files, pytest's rewritten test modules
among them, are re-used. Python re-validates each ``.pyc`` against its source's size and
modification time (PEP 552); for files a reset changed, the cached bytecode is deleted as
well, so a change made within the same second and keeping the size cannot be served
stale. (Not ``PYTHONPYCACHEPREFIX``: it moves the bytecode of *every* module, the
standard library's and the environment's too, so each stage recompiled them all whenever
``PYTHONDONTWRITEBYTECODE`` was set or the prefix was new.)

A kept checkout unused for :data:`UNUSED_DAYS` days is removed by the next run. When the
checkout is busy (another ``localci run`` of the same repository) or cannot be made
safely, :func:`kept_checkout` yields ``None`` and the caller uses a temporary worktree.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from localci import git as gitrepo
from localci.errors import LocalciError

__all__ = ["Checkout", "kept_checkout", "kept_path"]


@dataclass(frozen=True, kw_only=True)
class Checkout:
    """A checkout of the commit: ``path`` is where the stages run."""

    path: Path


@contextlib.contextmanager
def kept_checkout(root: Path, commit: str, parent: Path) -> Iterator[Checkout | None]:
    """The kept checkout of ``root`` under ``parent``, reset to ``commit`` and locked for
    this run; ``None`` when it is in use or unsafe (the caller falls back)."""
    home = _private_dir(parent / f"localci-{os.getuid()}")
    if home is None:
        yield None
        return
    _prune(home)
    slot = home / _slot_name(root)
    slot.mkdir(mode=0o700, exist_ok=True)
    with _locked(slot / "lock") as held:
        if not held:
            yield None
            return
        os.utime(slot / "lock")  # last used: see _prune
        checkout = _reset(root, commit, slot)
        yield checkout


def kept_path(root: Path, parent: Path) -> Path:
    """Where the kept checkout of ``root`` under ``parent`` is, whether or not it exists:
    ``<parent>/localci-<uid>/<slot>/<repository name>``."""
    return parent / f"localci-{os.getuid()}" / _slot_name(root) / root.name


def _slot_name(root: Path) -> str:
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]


UNUSED_DAYS = 14
"""A kept checkout not used for this many days is removed (tmpfs holds it in memory)."""


def _prune(home: Path) -> None:
    """Remove the kept checkouts (of any repository) unused for :data:`UNUSED_DAYS`."""
    cutoff = time.time() - UNUSED_DAYS * 86400
    for slot in home.iterdir():
        lock = slot / "lock"
        with contextlib.suppress(OSError):
            if slot.is_dir() and not slot.is_symlink() and lock.stat().st_mtime < cutoff:
                with _locked(lock) as held:
                    if held:
                        shutil.rmtree(slot, ignore_errors=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _private_dir(path: Path) -> Path | None:
    """``path`` as a folder of this user's only (made when missing); ``None`` when it is
    anything else (a symlink, another owner, open to others)."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    try:
        info = path.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    return path if private and not info.st_mode & 0o077 else None


def _reset(root: Path, commit: str, slot: Path) -> Checkout:
    path = slot / root.name
    shutil.rmtree(slot / "pycache", ignore_errors=True)  # the prefix of localci <= 0.2
    try:
        if not (path / ".git").is_dir():
            raise FileNotFoundError(path)
        changed = gitrepo.reset_checkout(path, commit)
    except (LocalciError, OSError):
        # Missing, or broken (its objects pruned by a gc in the repository): start over.
        shutil.rmtree(path, ignore_errors=True)
        gitrepo.shared_clone(root, path)
        changed = gitrepo.reset_checkout(path, commit)
    _forget_bytecode(path, changed)
    return Checkout(path=path)


def _forget_bytecode(checkout: Path, changed: list[str]) -> None:
    """Delete the cached bytecode of every ``changed`` Python file (all interpreters,
    pytest's rewritten modules included: ``__pycache__/<stem>.<tag>[-pytest-<v>].pyc``)."""
    for name in changed:
        if not name.endswith(".py"):
            continue
        source = checkout / name
        for compiled in (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)
