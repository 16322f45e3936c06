"""Shard planning and the durations history (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from localci.run.shard import durations
from localci.run.shard.plan import collected_digest, plan_shards, unit_weights

IDS = [f"tests/test_{f}.py::test_{t}" for f in "abcdef" for t in range(4)]


def test_every_id_lands_in_exactly_one_shard() -> None:
    plan = plan_shards(IDS, {}, 4)
    assert sorted(i for shard in plan for i in shard) == sorted(IDS)
    assert len(plan) == 4


def test_files_stay_whole_and_are_balanced_without_history() -> None:
    plan = plan_shards(IDS, {}, 3)
    for shard in plan:
        assert len({i.split("::")[0] for i in shard}) == 2  # 6 equal files over 3 shards


def test_plan_is_independent_of_collection_order() -> None:
    timings = {i: float(n % 5) for n, i in enumerate(IDS)}
    assert plan_shards(IDS, timings, 3) == plan_shards(list(reversed(IDS)), timings, 3)


def test_a_dominating_file_is_split_by_test_id() -> None:
    ids = [f"tests/test_big.py::test_{n}" for n in range(8)] + ["tests/test_small.py::test_0"]
    timings = {i: (10.0 if "big" in i else 1.0) for i in ids}
    units = unit_weights(ids, timings, 2)
    assert ("tests/test_big.py::test_0",) in units
    assert ("tests/test_small.py::test_0",) in units
    loads = [sum(timings[i] for i in shard) for shard in plan_shards(ids, timings, 2)]
    assert sorted(loads) == [40.0, 41.0]


def test_durations_from_history_balance_the_shards() -> None:
    timings = {i: (30.0 if i.startswith("tests/test_a.py") else 1.0) for i in IDS}
    loads = sorted(sum(timings[i] for i in s) for s in plan_shards(IDS, timings, 2))
    assert loads == [68.0, 72.0]  # test_a.py (120 s) is split by id; 4 s files fill in


def test_more_shards_than_tests_leaves_empty_shards() -> None:
    plan = plan_shards(IDS[:2], {}, 5)
    assert sum(map(len, plan)) == 2
    assert plan.count([]) == 3


def test_shard_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plan_shards(IDS, {}, 0)


def test_digest_ignores_order_but_not_content() -> None:
    assert collected_digest(IDS) == collected_digest(reversed(IDS))
    assert collected_digest(IDS) != collected_digest(IDS[1:])


def test_durations_round_trip_and_tolerate_garbage(tmp_path: Path) -> None:
    assert durations.load(tmp_path, "tests") == {}
    durations.save(tmp_path, "tests", {"b": 2.0, "a": 1.5})
    assert durations.load(tmp_path, "tests") == {"a": 1.5, "b": 2.0}
    durations.path_for(tmp_path, "tests").write_text('{"a": "x", "b": -1, "c": 3}')
    assert durations.load(tmp_path, "tests") == {"c": 3.0}
    durations.path_for(tmp_path, "tests").write_text("[1")
    assert durations.load(tmp_path, "tests") == {}
