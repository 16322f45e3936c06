"""Atomic file writes, and bounded reads of documents that may be hostile.

Writes: a crash never leaves a half-written file.
See ``docs/architecture.md``, "Storage".

The pattern is write to a temporary file in the same directory, flush, ``fsync``, then
``os.replace`` over the target (atomic on POSIX and Windows), then fsync the directory so
the rename itself survives a power loss.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_DEPTH",
    "DocumentTooLarge",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "gunzip_bounded",
    "load_json",
]


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


def read_memo(path: Path) -> Any:
    """The JSON document in the memo file ``path``; ``None`` when it is missing,
    unreadable or not JSON. A memo is only a shortcut: the caller checks its shape and
    falls back to the work it spares."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_memo(path: Path, doc: Any, *, mode: int = 0o644) -> None:
    """Write ``doc`` to the memo file ``path`` as compact JSON, atomically (parents
    created); a folder that cannot be written is ignored (the next run does the work
    again)."""
    with contextlib.suppress(OSError):
        atomic_write_text(path, json.dumps(doc, ensure_ascii=False), mode=mode)


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


MAX_DOCUMENT_BYTES = 32 << 20
"""32 MiB: the largest JSON document (a result, note, bundle, spool entry) localci reads."""
MAX_DOCUMENT_DEPTH = 64
"""Nesting levels a JSON document may have (a result needs fewer than ten)."""


class DocumentTooLarge(ValueError):
    """A JSON document past :data:`MAX_DOCUMENT_BYTES` or :data:`MAX_DOCUMENT_DEPTH`."""


def load_json(data: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """``json.loads`` for documents that may be hostile (a note or Check Run from a
    remote, a file in ``.localci/``): bounded in size and nesting.

    :raises ValueError: when ``data`` is not JSON (``json.JSONDecodeError``), or too large
        or too deep (:class:`DocumentTooLarge`), so callers' ``except ValueError`` holds.
    """
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"larger than {max_bytes >> 20} MiB")
    try:
        doc = json.loads(data)
    except RecursionError:
        raise DocumentTooLarge(f"nested deeper than {MAX_DOCUMENT_DEPTH} levels") from None
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DOCUMENT_DEPTH:
                raise DocumentTooLarge(f"nested deeper than {MAX_DOCUMENT_DEPTH} levels")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items)
    return doc


def gunzip_bounded(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """Decompress gzip ``data`` to at most ``max_bytes`` (a gzip bomb stops there).

    :raises ValueError: when it is not gzip, is truncated or expands past ``max_bytes``.
    """
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise ValueError(f"not gzip data: {exc}") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise DocumentTooLarge(f"expands past {max_bytes >> 20} MiB")
    if not inflater.eof:
        raise ValueError("truncated gzip data")
    return out
