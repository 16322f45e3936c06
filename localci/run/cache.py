"""The result cache: never re-run checks on code that already passed.

The key is the sha256 of the RFC 8785 canonical JSON of:

- the commit's tree sha (same content, any commit: a rebase, an amended message);
- the effective configuration's digest and the localci version;
- a fingerprint of the tool environment: Python version and implementation, platform,
  every installed distribution with its version (``importlib.metadata``), and the values
  of the environment variables the configuration declares as inputs (``cache.inputs``
  and each stage's ``inputs``).

A hit that passed is re-used, re-bound to the current commit. A failing result is only
served with ``cache_failures``. When any input cannot be computed the cache is bypassed
(fail open: run). Entries live in ``.localci/cache/<key>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localci import __version__
from localci.config.loader import Config
from localci.fsutil import atomic_write_json
from localci.result.digest import sha256_hex
from localci.result.model import Result

__all__ = ["CacheKey", "cache_key", "environment_fingerprint", "lookup", "store"]


@dataclass(frozen=True, kw_only=True)
class CacheKey:
    """A computed key and the inputs it was made of (for ``--json`` and debugging)."""

    digest: str
    inputs: Mapping[str, Any]


def _distributions() -> list[str]:
    from importlib import metadata

    found = set()
    for dist in metadata.distributions():
        meta = dist.metadata  # parsed on each access: read it once
        name = meta["Name"] if meta else None
        if name:
            found.add(f"{name.lower()}=={meta['Version']}")
    return sorted(found)


def environment_fingerprint(env_names: tuple[str, ...], env: Mapping[str, str]) -> dict[str, Any]:
    """The tool environment as plain data (see the module docstring)."""
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "platform": platform.platform(),
        "distributions": _distributions(),
        "inputs": {name: env.get(name) for name in sorted(set(env_names))},
    }


def cache_key(tree: str, config: Config, env: Mapping[str, str] | None = None) -> CacheKey:
    """The key for running ``config`` on ``tree`` in this environment.

    :raises Exception: whatever fails while fingerprinting; callers fail open.
    """
    names = config.cache_inputs + tuple(n for s in config.stages for n in s.inputs)
    inputs = {
        "tree": tree,
        "config_sha256": config.sha256,
        "localci_version": __version__,
        "environment": environment_fingerprint(names, os.environ if env is None else env),
    }
    return CacheKey(digest=sha256_hex(inputs), inputs=inputs)


def _path(root: Path, key: CacheKey) -> Path:
    return root / ".localci" / "cache" / f"{key.digest}.json"


def lookup(root: Path, key: CacheKey, *, failures: bool = False) -> dict[str, Any] | None:
    """The cached result document for ``key``, if any and acceptable.

    Only complete, clean results are cached; a failing one is returned only with
    ``failures``. An unreadable entry counts as a miss.
    """
    try:
        doc = json.loads(_path(root, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    if doc.get("conclusion") != "success" and not failures:
        return None
    return doc


def store(root: Path, key: CacheKey, result: Result, doc: Mapping[str, Any]) -> bool:
    """Remember ``doc`` under ``key`` when it may be re-used: complete and clean."""
    if result.partial or result.git.dirty or result.conclusion == "cancelled":
        return False
    atomic_write_json(_path(root, key), dict(doc))
    return True
