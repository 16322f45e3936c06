"""The result cache: never re-run checks on code that already passed.

The key is the sha256 of the RFC 8785 canonical JSON of:

- the commit's tree sha (same content, any commit: a rebase, an amended message);
- the effective configuration's digest and the localci version;
- a fingerprint of the tool environment: the project interpreter's label, version and
  implementation and every distribution installed for it with its version (as that
  interpreter's ``importlib.metadata`` lists them), the platform, and the values of the
  environment variables the configuration declares as inputs (``cache.inputs`` and each
  stage's ``inputs``);
- the ``--rerun-failures`` count: re-runs change the verdict itself (a test that fails,
  then passes, is flaky rather than failed), so a result got with re-runs never stands
  in for a run without them, nor the other way round, nor for a different count (a
  test may need more attempts). Both directions matter once failing results are served
  (``--cache-failures``), and a passing result with flaky tests under ``max_flaky > 0``
  would otherwise satisfy a run that never re-ran anything.

``--fail-fast`` is not part of the key: a run it stopped early is never stored (see
:func:`store`), and one it did not stop is the same verdict as a run without it.

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
from localci.run.interpreter import InterpreterFacts

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


def environment_fingerprint(
    env_names: tuple[str, ...],
    env: Mapping[str, str],
    python: InterpreterFacts | None = None,
    interpreter: str | None = None,
) -> dict[str, Any]:
    """The tool environment as plain data (see the module docstring); without ``python``,
    the interpreter running localci stands in."""
    return {
        "python": python.version if python else platform.python_version(),
        "implementation": python.implementation if python else sys.implementation.name,
        "executable": interpreter or sys.executable,
        "platform": platform.platform(),
        "distributions": list(python.distributions) if python else _distributions(),
        "inputs": {name: env.get(name) for name in sorted(set(env_names))},
    }


def cache_key(
    tree: str,
    config: Config,
    env: Mapping[str, str] | None = None,
    *,
    python: InterpreterFacts | None = None,
    interpreter: str | None = None,
    rerun_failures: int = 0,
) -> CacheKey:
    """The key for running ``config`` on ``tree`` with the project interpreter whose
    self-description is ``python`` (labelled ``interpreter``) and ``rerun_failures``
    re-runs of failed tests (``--rerun-failures``, 0: none).

    :raises Exception: whatever fails while fingerprinting; callers fail open.
    """
    names = config.cache_inputs + tuple(n for s in config.stages for n in s.inputs)
    inputs = {
        "tree": tree,
        "config_sha256": config.sha256,
        "localci_version": __version__,
        "rerun_failures": rerun_failures,
        "environment": environment_fingerprint(
            names, os.environ if env is None else env, python, interpreter
        ),
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
    if doc.get("partial") or (doc.get("workspace") or {}).get("mode") == "in-place":
        return None
    return doc


def store(
    root: Path, key: CacheKey, result: Result, doc: Mapping[str, Any], *, stopped: bool = False
) -> bool:
    """Remember ``doc`` under ``key`` when it may be re-used: complete, clean and isolated
    (an ``--in-place`` run can be changed by git-ignored files, so it is never cached).

    A run that ``stopped`` stages early (``--fail-fast``) is never cached: its stopped
    and unstarted stages say nothing about the tree, so it must not stand in for a full
    run (``--cache-failures``). That is why ``--fail-fast`` is not part of the key.
    """
    in_place = result.workspace is not None and result.workspace.mode == "in-place"
    if result.partial or result.git.dirty or in_place or result.conclusion == "cancelled":
        return False
    if stopped:
        return False
    atomic_write_json(_path(root, key), dict(doc))
    return True
