"""The flaky-test history in ``.localci/flaky.json``.

A test is *flaky* in a run when it failed and then passed on a re-run
(``localci run --rerun-failures N``). The history counts, per pytest node id, in how many
runs that happened and when last, so ``localci context`` can say "this test has been
flaky before". Format::

    {"version": 1, "tests": {"tests/t.py::test_x": {"count": 3, "last": "2026-...Z",
                                                   "last_commit": "<sha>"}}}

Writes are atomic (:mod:`localci.fsutil`); an unreadable history counts as empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from localci.fsutil import atomic_write_json
from localci.result.model import Result

__all__ = ["FLAKY_FILE", "flaky_ids", "load_flaky", "record_flaky", "sweep_flaky"]

FLAKY_FILE = "flaky.json"


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    tests = doc.get("tests") if isinstance(doc, dict) else None
    if not isinstance(tests, dict):
        return {}
    return {
        k: v
        for k, v in tests.items()
        if isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("count"), int)
    }


def flaky_ids(result: Result) -> list[str]:
    """Node ids of the tests that were flaky in ``result`` (findings with rule ``flaky``)."""
    return sorted(
        {f.test_id for s in result.stages for f in s.findings if f.rule == "flaky" and f.test_id}
    )


def load_flaky(base: Path) -> dict[str, int]:
    """Node id -> number of runs in which it was flaky, from ``<base>/flaky.json``
    (``base`` is the ``.localci`` folder); ``{}`` when there is none."""
    return {k: int(v["count"]) for k, v in _read(base / FLAKY_FILE).items()}


def record_flaky(base: Path, node_ids: Iterable[str], *, commit: str, now: str) -> None:
    """Add one flaky run for each of ``node_ids``; ``now`` is an RFC 3339 UTC time."""
    ids = sorted(set(node_ids))
    if not ids:
        return
    path = base / FLAKY_FILE
    tests = _read(path)
    for node in ids:
        entry = tests.get(node, {"count": 0})
        tests[node] = {"count": int(entry["count"]) + 1, "last": now, "last_commit": commit}
    base.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, {"version": 1, "tests": dict(sorted(tests.items()))})


def sweep_flaky(base: Path, cutoff: str) -> int:
    """Forget tests last flaky before ``cutoff`` (RFC 3339 UTC, compared as text, which
    orders correctly for the ``...Z`` form localci writes); the number forgotten."""
    path = base / FLAKY_FILE
    tests = _read(path)
    keep: Mapping[str, Any] = {k: v for k, v in tests.items() if str(v.get("last", "")) >= cutoff}
    removed = len(tests) - len(keep)
    if removed:
        atomic_write_json(path, {"version": 1, "tests": dict(sorted(keep.items()))})
    return removed
