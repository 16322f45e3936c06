"""An interpreter's installed distributions, remembered while what decides them stays.

Listing the project interpreter's distributions (part of the result cache's key) takes
that interpreter ~0.1 s and more, on every run that may use the cache. So the probe that
lists them also looks at what decides the list, *before* it lists:

- every folder and archive on its ``sys.path`` (asked with ``-I``: no ``PYTHON*``
  variables and no user site, so that path depends on the interpreter and its files
  alone);
- in each such folder, every ``*.dist-info`` and ``*.egg-info`` (with its ``METADATA``
  or ``PKG-INFO``), ``*.egg-link`` and ``*.pth`` (which extend ``sys.path``);
- the environment's ``pyvenv.cfg``.

Each is kept as its device, inode, size, mtime and ctime (``None`` when it does not
exist). A later run re-uses the list while every one of them is as it was. Installing,
removing or upgrading a distribution adds or removes an entry in a folder on
``sys.path``, which gives that folder a new mtime and ctime; a file edited in place gets a
new ctime, which no tool can set back (``touch`` and ``cp -p`` set the mtime only). On
Windows ``st_ctime`` is the creation time, so there an edit in place shows only in the
mtime (and, mostly, the size).

A list is not remembered when anything it depends on changed within :data:`RACY_NS`
before it was looked at: a change in the same tick of the file system's clock would
leave the stat as it was (git treats such index entries as "racily clean" and checks
their content, for the same reason). Nor is it for a relative ``sys.path`` entry (it
depends on the folder the probe ran in), or for an interpreter that is a script (a
pyenv shim: its answer depends on the folder and the environment). What no file shows
is not seen: a ``sitecustomize`` that builds ``sys.path`` from other environment
variables, for one (``--no-cache`` runs regardless).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localci.fsutil import read_memo, write_memo

__all__ = ["LOOK", "RACY_NS", "recall", "remember"]

RACY_NS = 2_000_000_000
"""2 s: a state younger than this when it was looked at is not remembered (FAT keeps
mtimes to 2 s, ext4 and most others to the kernel's clock tick)."""

LOOK = (
    "def _look():\n"
    "    import os, stat, time\n"
    "    now, seen = time.time_ns(), {}\n"
    "    def at(p):\n"
    "        try:\n"
    "            s = os.stat(p)\n"
    "        except OSError:\n"
    "            seen[p] = None\n"
    "            return None\n"
    "        seen[p] = [s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns]\n"
    "        return s\n"
    "    at(os.path.join(sys.prefix, 'pyvenv.cfg'))\n"
    "    for entry in sys.path:\n"
    "        if not os.path.isabs(entry):\n"
    "            return None\n"
    "        s = at(entry)\n"
    "        if s is None or not stat.S_ISDIR(s.st_mode):\n"
    "            continue\n"
    "        try:\n"
    "            names = sorted(os.listdir(entry))\n"
    "        except OSError:\n"
    "            return None\n"
    "        for name in names:\n"
    "            if name.endswith(('.dist-info', '.egg-info', '.egg-link', '.pth')):\n"
    "                p = os.path.join(entry, name)\n"
    "                e = at(p)\n"
    "                if e is not None and stat.S_ISDIR(e.st_mode):\n"
    "                    meta = 'METADATA' if name.endswith('.dist-info') else 'PKG-INFO'\n"
    "                    at(os.path.join(p, meta))\n"
    "    return {'at': now, 'paths': sorted(seen.items())}\n"
)
"""Python the probe runs before it lists the distributions (it defines ``_look()``,
which returns ``{"at": ns, "paths": [[path, stat or None], ...]}``, or ``None`` when
the list may not be remembered: a relative entry, a folder it cannot list); the probe
adds the answer as ``"looked"``, or ``None`` for anything ``_look`` raised, so the
version and the list never depend on it."""


def recall(memo: Path, executable: Path, binary: str) -> Any:
    """The facts remembered for ``executable`` (whose binary has the memo key ``binary``)
    while every path they depend on is unchanged, as :func:`remember` was given them (the
    caller checks their shape); ``None`` otherwise, or for a memo not as written."""
    doc = read_memo(_path(memo, executable, binary))
    if not isinstance(doc, dict) or set(doc) != {"paths", "facts"}:
        return None
    paths = doc["paths"]
    if not isinstance(paths, list) or not paths or not all(_entry(item) for item in paths):
        return None
    if any(_state(path) != state for path, state in paths):
        return None
    return doc["facts"]


def remember(
    memo: Path, executable: Path, binary: str, facts: Mapping[str, Any], looked: Any
) -> None:
    """Keep ``facts`` for ``executable`` with what the probe ``looked`` at (see
    :data:`LOOK`); nothing when it says not to, or when anything there changed within
    :data:`RACY_NS` before it looked."""
    if not isinstance(looked, dict) or not isinstance(looked.get("at"), int):
        return
    paths = looked.get("paths")
    if not isinstance(paths, list) or not paths:
        return
    if not all(_entry(item) for item in paths):
        return
    newest = max((max(s[3], s[4]) for _, s in paths if s is not None), default=0)
    if newest > looked["at"] - RACY_NS:
        return
    doc = {"paths": paths, "facts": dict(facts)}
    write_memo(_path(memo, executable, binary), doc)


def _entry(item: Any) -> bool:
    """``[path, [dev, ino, size, mtime_ns, ctime_ns] or None]`` with a path that can be
    stored (a name that is not UTF-8 reaches Python as surrogates, which cannot)."""
    if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
        return False
    path, state = item
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    if state is None:
        return True
    return isinstance(state, list) and len(state) == 5 and all(type(n) is int for n in state)


def _state(path: str) -> list[int] | None:
    try:
        s = os.stat(path)
    except OSError:
        return None
    return [s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns]


def _path(memo: Path, executable: Path, binary: str) -> Path:
    """``<memo>/dists-<key>.json``: one per interpreter path (a virtual environment's
    ``python`` links to a binary many environments share) and binary."""
    ident = json.dumps([os.path.abspath(executable), binary])
    return memo / f"dists-{hashlib.sha256(ident.encode()).hexdigest()[:32]}.json"
