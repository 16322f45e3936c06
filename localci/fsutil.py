"""Atomic file writes: a crash never leaves a half-written file (DESIGN.md, "Storage").

The pattern is write to a temporary file in the same directory, flush, ``fsync``, then
``os.replace`` over the target (atomic on POSIX and Windows), then fsync the directory so
the rename itself survives a power loss.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text"]


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically, creating parent directories.

    :raises OSError: when the directory is not writable; the target is then untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def atomic_write_json(path: Path, doc: Any, *, mode: int = 0o644) -> None:
    """Write ``doc`` as indented UTF-8 JSON with a trailing newline, atomically."""
    atomic_write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", mode=mode)


def _fsync_dir(directory: Path) -> None:
    # Not every platform lets you open a directory (Windows); the rename is still atomic.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
