"""The flaky history in .localci/flaky.json: counting, reading back, forgetting."""

from __future__ import annotations

from pathlib import Path

from localci.result.flaky import load_flaky, record_flaky, sweep_flaky


def test_flaky_runs_are_counted_per_node_id(tmp_path: Path) -> None:
    assert load_flaky(tmp_path) == {}
    record_flaky(tmp_path, ["t.py::a", "t.py::b[1]"], commit="1" * 40, now="2026-01-01T00:00:00Z")
    record_flaky(tmp_path, ["t.py::a"], commit="2" * 40, now="2026-01-02T00:00:00Z")
    assert load_flaky(tmp_path) == {"t.py::a": 2, "t.py::b[1]": 1}


def test_a_damaged_history_counts_as_empty(tmp_path: Path) -> None:
    (tmp_path / "flaky.json").write_text("{not json", encoding="utf-8")
    assert load_flaky(tmp_path) == {}
    record_flaky(tmp_path, ["t.py::a"], commit="1" * 40, now="2026-01-01T00:00:00Z")
    assert load_flaky(tmp_path) == {"t.py::a": 1}


def test_sweep_forgets_tests_last_flaky_before_the_cutoff(tmp_path: Path) -> None:
    record_flaky(tmp_path, ["old"], commit="1" * 40, now="2026-01-01T00:00:00Z")
    record_flaky(tmp_path, ["new"], commit="1" * 40, now="2026-02-01T00:00:00Z")
    assert sweep_flaky(tmp_path, "2026-01-15T00:00:00Z") == 1
    assert load_flaky(tmp_path) == {"new": 1}
