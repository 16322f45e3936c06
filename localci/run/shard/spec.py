"""The plain data that travels between the coordinator and the workers (picklable).

Environment variables the shard plugin reads (set by the worker for the stage process):
``LOCALCI_SHARD_INDEX`` (0-based), ``LOCALCI_SHARD_COUNT``, ``LOCALCI_SHARD_DURATIONS``
(a JSON file: ``{test id: seconds}``) and ``LOCALCI_SHARD_MANIFEST`` (where the plugin
writes what it collected, selected and timed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from localci.config.loader import StageConfig

__all__ = [
    "ENV_COUNT",
    "ENV_DURATIONS",
    "ENV_INDEX",
    "ENV_MANIFEST",
    "PLUGIN",
    "ShardFailed",
    "ShardOutcome",
    "ShardRefused",
    "ShardSpec",
]

ENV_INDEX = "LOCALCI_SHARD_INDEX"
ENV_COUNT = "LOCALCI_SHARD_COUNT"
ENV_DURATIONS = "LOCALCI_SHARD_DURATIONS"
ENV_MANIFEST = "LOCALCI_SHARD_MANIFEST"
PLUGIN = "localci.run.shard.plugin"
"""The module pytest loads with ``-p`` (added through ``PYTEST_ADDOPTS``)."""


@dataclass(frozen=True, kw_only=True)
class ShardSpec:
    """One shard of one stage, as a worker receives it.

    ``tree`` is the commit's tree id (40 or 64 hex) the unpacked archive must hash to;
    ``python`` the coordinator's interpreter version (``3.12.4``); ``packages`` the
    distribution versions the worker must have (``{"pytest": "8.3.2"}``);
    ``durations`` seconds per test id from earlier runs; ``cancel_name`` the name
    :func:`localci.run.shard.worker.cancel_shards` stops the shard by.
    """

    stage: StageConfig
    index: int
    count: int
    tree: str
    python: str
    packages: tuple[tuple[str, str], ...]
    durations: dict[str, float] = field(default_factory=dict)
    cancel_name: str | None = None

    @property
    def label(self) -> str:
        """``shard 2/4`` (1-based, for people)."""
        return f"shard {self.index + 1}/{self.count}"


@dataclass(frozen=True, kw_only=True)
class ShardOutcome:
    """What a worker sends back.

    ``files`` are the shard's report files by relative path (``reports/junit.xml``,
    ``reports/.coverage``, ``tree/.coverage``); ``report`` the stage's JUnit XML (``None``
    when the stage wrote none); ``manifest`` is the plugin's JSON record
    (``None`` when pytest never loaded the plugin); ``duration`` wall seconds on the
    worker; ``tail`` the redacted end of the output.
    """

    index: int
    worker: str
    exit_code: int
    timed_out: bool
    cancelled: bool
    duration: float
    tail: str
    tail_truncated: bool
    files: dict[str, bytes]
    report: bytes | None
    manifest: dict[str, object] | None


class ShardFailed(Exception):
    """A shard could not run to the end on a worker; the message names shard and worker."""


class ShardRefused(ShardFailed):
    """A worker would not run a shard: its environment or the unpacked tree differs from
    what the coordinator asked for. The message says which, on which worker."""
