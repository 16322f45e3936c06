"""The pytest plugin a shard loads (``-p localci.run.shard.plugin``).

With ``LOCALCI_SHARD_INDEX`` / ``LOCALCI_SHARD_COUNT`` set, it plans the whole collected
suite with :func:`localci.run.shard.plan.plan_shards`, deselects every test that belongs
to another shard, and writes a manifest (JSON) to ``LOCALCI_SHARD_MANIFEST``:
``{"collected": N, "digest": sha256 of the collected ids, "selected": M,
"durations": {test id: seconds of set-up + call + tear-down}}``. The coordinator checks
that every shard collected the same suite (equal digests) and that the selections add up.
A shard left with no tests exits 0, not pytest's 5 ("no tests collected").
Without those variables the plugin does nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localci.run.shard.plan import collected_digest, plan_shards
from localci.run.shard.spec import ENV_COUNT, ENV_DURATIONS, ENV_INDEX, ENV_MANIFEST

__all__ = ["ShardSelector", "pytest_configure"]

_NO_TESTS_COLLECTED = 5


class ShardSelector:
    """Keeps shard ``index`` of ``count`` and records what it ran."""

    def __init__(self, index: int, count: int, durations: dict[str, float], out: Path) -> None:
        self.index = index
        self.count = count
        self.durations = durations
        self.out = out
        self.collected = 0
        self.digest = collected_digest(())
        self.selected = 0
        self.timings: dict[str, float] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        ids = [item.nodeid for item in items]
        self.collected, self.digest = len(ids), collected_digest(ids)
        mine = set(plan_shards(ids, self.durations, self.count)[self.index])
        keep = [item for item in items if item.nodeid in mine]
        drop = [item for item in items if item.nodeid not in mine]
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep
        self.selected = len(keep)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.timings[report.nodeid] = self.timings.get(report.nodeid, 0.0) + report.duration

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.selected == 0 and self.collected > 0 and exitstatus == _NO_TESTS_COLLECTED:
            session.exitstatus = pytest.ExitCode.OK
        manifest = {
            "collected": self.collected,
            "digest": self.digest,
            "selected": self.selected,
            "durations": {k: round(v, 6) for k, v in sorted(self.timings.items())},
        }
        self.out.write_text(json.dumps(manifest), encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    """Register the selector when this process is a shard (the variables are set)."""
    index, count, out = (os.environ.get(k) for k in (ENV_INDEX, ENV_COUNT, ENV_MANIFEST))
    if index is None or count is None or out is None:
        return
    durations_file = os.environ.get(ENV_DURATIONS)
    durations: dict[str, float] = {}
    if durations_file:
        durations = json.loads(Path(durations_file).read_text(encoding="utf-8"))
    selector = ShardSelector(int(index), int(count), durations, Path(out))
    config.pluginmanager.register(selector, "localci-shard-selector")
