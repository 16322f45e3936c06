"""Stale temporary worktrees: recognise localci's own and remove those whose owner died.

A run's worktree lives at ``<parent>/localci-XXXXXXXX/<repo name>`` (``tempfile.mkdtemp``).
:func:`claim` writes :data:`MARKER` into that holder folder: the owner's pid, the
process's start time (``/proc/<pid>/stat`` field 22, so a reused pid is not taken for the
owner) and the repository. :func:`prune_stale` runs before every run and removes, for
this repository only, every marked worktree whose owner is gone: left by SIGKILL, a
power cut, or a second Ctrl-C during clean-up (then git may also hold it locked). Stage
processes still running inside it (their own sessions outlive a SIGKILLed localci) are
killed first.
Worktrees without the marker are never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable
from pathlib import Path

from localci import git as gitrepo
from localci.fsutil import atomic_write_json

__all__ = ["MARKER", "claim", "prune_stale"]

MARKER = ".localci-worktree.json"
_PREFIX = "localci-"


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def claim(holder: Path, root: Path) -> None:
    """Mark ``holder`` (the folder around a new worktree) as this process's, for ``root``."""
    pid = os.getpid()
    atomic_write_json(
        holder / MARKER, {"pid": pid, "start": _start_time(pid), "repo": str(root.resolve())}
    )


def _owner_alive(marker: dict[str, object]) -> bool:
    pid = marker.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    start = marker.get("start")
    return start is None or _start_time(pid) in (None, start)


def _read_marker(holder: Path) -> dict[str, object] | None:
    try:
        doc = json.loads((holder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _stale(holder: Path, root: str) -> bool:
    marker = _read_marker(holder)
    return (
        holder.name.startswith(_PREFIX)
        and marker is not None
        and marker.get("repo") == root
        and not _owner_alive(marker)
    )


def _kill_strays(holder: Path) -> None:
    """SIGKILL the process groups of processes still working inside ``holder`` (stage
    processes a SIGKILLed localci could not stop: each has its own session). Linux
    (``/proc``) only; elsewhere nothing is done."""
    prefix = str(holder.resolve())
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd == prefix or cwd.startswith(prefix + os.sep):
                with contextlib.suppress(OSError):
                    os.killpg(os.getpgid(int(entry.name)), signal.SIGKILL)


def _may_have_worktrees(root: Path) -> bool:
    """False only when ``root/.git`` is a folder without ``worktrees/``, where git keeps
    the record of every linked worktree: then ``git worktree list`` has none to name. A
    ``.git`` file (``root`` is itself a linked worktree, or a submodule) asks git."""
    dotgit = root / ".git"
    return not dotgit.is_dir() or (dotgit / "worktrees").exists()


def prune_stale(root: Path, parents: Iterable[str | None] = ()) -> list[Path]:
    """Remove ``root``'s marked worktrees whose owner process is gone; the holders
    removed. ``parents`` are further folders to scan for orphaned holders that git no
    longer lists (``None``: the system temporary folder). Never raises."""
    resolved = str(root.resolve())
    removed: list[Path] = []
    for path in gitrepo.list_worktrees(root) if _may_have_worktrees(root) else ():
        holder = path.parent
        if _stale(holder, resolved):
            _kill_strays(holder)
            gitrepo.remove_worktree(root, path)
            shutil.rmtree(holder, ignore_errors=True)
            removed.append(holder)
    for parent in {p or tempfile.gettempdir() for p in parents}:
        with contextlib.suppress(OSError):
            for holder in Path(parent).glob(f"{_PREFIX}*"):
                if holder not in removed and _stale(holder, resolved):
                    _kill_strays(holder)
                    shutil.rmtree(holder, ignore_errors=True)
                    removed.append(holder)
    return removed
