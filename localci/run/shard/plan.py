"""Balanced shards from collected test ids and the durations of earlier runs (pure).

The idea is pytest-split's: every shard collects the whole suite, computes the same plan
from the same sorted ids and durations, and keeps only its own part, so no coordinator
has to collect anything. Units are test files; a file whose expected time alone exceeds
a fair share (the total divided by the shard count) is split into its test ids. Units
are then placed largest first on the least loaded shard (the LPT rule), which stays
within 4/3 of the optimal makespan (Graham, 1969).
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["DEFAULT_SECONDS", "collected_digest", "file_of", "plan_shards", "unit_weights"]

DEFAULT_SECONDS = 1.0
"""Expected seconds of a test with no recorded duration when none at all is recorded."""


def file_of(test_id: str) -> str:
    """``tests/test_a.py::TestX::test_b[1]`` -> ``tests/test_a.py``."""
    return test_id.split("::", 1)[0]


def collected_digest(test_ids: Iterable[str]) -> str:
    """sha256 (hex) over the sorted, NUL-separated ids: equal on every shard of one run."""
    hasher = hashlib.sha256()
    for test_id in sorted(test_ids):
        hasher.update(test_id.encode("utf-8", "surrogateescape") + b"\0")
    return hasher.hexdigest()


def _expected(test_ids: Sequence[str], durations: Mapping[str, float]) -> dict[str, float]:
    """Seconds per id: the recorded duration, else the median of the recorded ones."""
    known = [durations[t] for t in test_ids if t in durations]
    fallback = statistics.median(known) if known else DEFAULT_SECONDS
    return {t: max(durations.get(t, fallback), 0.0) for t in test_ids}


def unit_weights(
    test_ids: Sequence[str], durations: Mapping[str, float], shards: int
) -> dict[tuple[str, ...], float]:
    """Units of work and their expected seconds: whole files, or single ids for a file
    that alone exceeds ``total / shards``. Keys are tuples of ids in sorted order."""
    expected = _expected(sorted(set(test_ids)), durations)
    by_file: dict[str, list[str]] = {}
    for test_id in expected:
        by_file.setdefault(file_of(test_id), []).append(test_id)
    fair = sum(expected.values()) / max(shards, 1)
    units: dict[tuple[str, ...], float] = {}
    for ids in by_file.values():
        weight = sum(expected[t] for t in ids)
        if shards > 1 and weight > fair and len(ids) > 1:
            units.update({(t,): expected[t] for t in ids})
        else:
            units[tuple(ids)] = weight
    return units


def plan_shards(
    test_ids: Sequence[str], durations: Mapping[str, float], shards: int
) -> list[list[str]]:
    """Split ``test_ids`` into ``shards`` lists (some may be empty), balanced by
    ``durations`` (seconds per id, from earlier runs; missing ids get the median).

    Deterministic: the same ids and durations give the same plan in any order and on any
    machine. Every id lands in exactly one shard.

    :raises ValueError: when ``shards`` < 1.
    """
    if shards < 1:
        raise ValueError(f"shard count must be at least 1, not {shards}")
    units = unit_weights(test_ids, durations, shards)
    order = sorted(units, key=lambda unit: (-units[unit], unit))
    loads = [0.0] * shards
    plan: list[list[str]] = [[] for _ in range(shards)]
    for unit in order:
        target = min(range(shards), key=lambda i: (loads[i], i))
        loads[target] += units[unit]
        plan[target].extend(unit)
    return [sorted(ids) for ids in plan]
