"""Paths in reports: made relative to the repository root, and looked up without raising.

Every report path a result holds is relative to the repository root (issue #11), whatever
the producer printed and whichever folder its stage ran in (``cwd:``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["is_dir", "is_file", "relative_path"]


def relative_path(
    raw: str | os.PathLike[str], root: Path, *, base: Path | None = None
) -> str | None:
    """``raw`` as a POSIX path relative to ``root``, or ``None`` when it lies outside.

    A relative ``raw`` is taken relative to ``base`` (default ``root``). The comparison
    is lexical first and, only when that fails, between resolved paths, because tools
    differ in whether they print symbolic links resolved (``/private/tmp`` for ``/tmp``
    on macOS). ``root`` itself is not a file: ``None``. Never raises.
    """
    path = Path(raw)
    if not path.is_absolute():
        path = (base if base is not None else root) / path
    anchor = root.absolute()
    rel = _relative_to(Path(os.path.normpath(path)), Path(os.path.normpath(anchor)))
    if rel is None:  # only then touch the file system
        with contextlib.suppress(OSError, ValueError, RuntimeError):  # NUL, symlink loops
            rel = _relative_to(path.resolve(), anchor.resolve())
    return rel if rel != "." else None


def _relative_to(path: Path, top: Path) -> str | None:
    try:
        return path.relative_to(top).as_posix()
    except ValueError:
        return None


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file; ``False`` also for names the OS cannot even look up.

    :meth:`Path.is_file` raises for a name that is too long (``ENAMETOOLONG``), which a
    report can contain; this never raises.
    """
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    """Whether ``path`` is a directory; never raises (see :func:`is_file`)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False
