"""The result document as frozen dataclasses.

The JSON form is defined by ``schemas/result.v1.schema.json``; :mod:`localci.result.codec`
(``result_to_dict`` and ``result_from_dict``) is the only translation between the two.
Every field name here is the JSON key of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from localci.git import GitInfo

__all__ = [
    "RESULT_SCHEMA_ID",
    "RESULT_SCHEMA_VERSION",
    "CacheOrigin",
    "Conclusion",
    "CoverageMetrics",
    "Finding",
    "GitInfo",
    "Inventory",
    "LintCounts",
    "Metrics",
    "Result",
    "RunnerInfo",
    "Severity",
    "ShardRecord",
    "StageResult",
    "StageStatus",
    "TestCounts",
    "ThresholdOutcome",
    "WorkspaceInfo",
]

RESULT_SCHEMA_ID = "urn:localci:schema:result:v1"
"""The ``$id`` of ``schemas/result.v1.schema.json`` and the document's ``schema`` value."""

RESULT_SCHEMA_VERSION = "1.2"
"""``major.minor``: a minor bump only adds optional fields; a major bump is a new schema."""

Conclusion = Literal["success", "failure", "error", "cancelled"]
StageStatus = Literal["passed", "failed", "error", "skipped", "timed_out"]
Severity = Literal["error", "warning", "note"]
FindingKind = Literal["test", "lint", "coverage", "stage"]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One thing a human or an automated fixer should look at.

    - ``kind``: ``test`` (a failing or erroring test), ``lint`` (a linter finding),
      ``coverage`` (a range of uncovered lines), ``stage`` (a problem with the stage itself).
    - ``message``: the explanation, e.g. the assertion text; at most 4096 characters.
    - ``path``: file path relative to the repository root (POSIX separators), when known.
    - ``line`` / ``end_line`` / ``column``: 1-based positions, when known.
    - ``rule``: the lint rule id (``F401``), or for tests ``failure`` / ``error`` / ``xpass``.
    - ``severity``: ``error``, ``warning`` or ``note`` (SARIF's levels).
    - ``test_id``: pytest node id (``tests/test_a.py::test_b``) for test findings.
    - ``details``: longer text (a traceback), at most 16384 characters.
    """

    kind: FindingKind
    message: str
    severity: Severity = "error"
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    column: int | None = None
    rule: str | None = None
    test_id: str | None = None
    details: str | None = None


@dataclass(frozen=True, kw_only=True)
class TestCounts:
    """Test outcomes as counted from a JUnit XML report.

    ``failed`` are assertion failures, ``errors`` are errors in set-up, tear-down or
    collection; ``xfailed`` tests count as skipped in JUnit and are reported apart when
    pytest marks them; ``xpassed`` are unexpected passes (a failure under ``xfail_strict``,
    which pytest then reports as ``failed``). ``total`` includes every category.

    ``subtests_passed`` and ``subtests_failed`` count pytest's subtests (``subtests``
    fixture, ``unittest`` ``subTest``). As in pytest's own summary line, each failed subtest
    is also one of ``failed``, while ``subtests_passed`` is apart from ``passed`` (pytest
    counts passed subtests only when run with ``-q`` or ``-v``).
    """

    __test__ = False  # not a pytest test class

    total: int
    passed: int
    failed: int
    errors: int
    skipped: int
    xfailed: int = 0
    xpassed: int = 0
    subtests_passed: int = 0
    subtests_failed: int = 0
    flaky: int = 0
    """Tests that failed and then passed on a re-run (``--rerun-failures``): counted here
    instead of ``failed``/``errors``, never as ``passed``; ``max_flaky`` limits them."""


@dataclass(frozen=True, kw_only=True)
class CoverageMetrics:
    """Coverage totals, in percent (0-100, not rounded) and in counts.

    ``percent`` is coverage.py's combined figure (statements and, when measured, branches);
    ``branch_percent`` is ``None`` when branch coverage was not measured.
    """

    percent: float
    line_percent: float
    branch_percent: float | None
    statements: int
    covered_statements: int
    branches: int | None = None
    covered_branches: int | None = None


@dataclass(frozen=True, kw_only=True)
class LintCounts:
    """Lint findings counted by severity (all findings, not only the capped list)."""

    total: int
    errors: int
    warnings: int
    notes: int


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """The raw numbers a stage produced; the verifier recomputes thresholds from these."""

    tests: TestCounts | None = None
    coverage: CoverageMetrics | None = None
    lint: LintCounts | None = None


@dataclass(frozen=True, kw_only=True)
class ThresholdOutcome:
    """One threshold, evaluated: ``actual`` compared with ``limit``.

    ``name`` is ``min_percent`` (coverage, ``actual >= limit``), ``max_failures`` (tests:
    failed + errors, ``actual <= limit``) or ``max_findings`` (lint findings at or above
    ``severity``, ``actual <= limit``) or ``max_flaky`` (tests: flaky tests,
    ``actual <= limit``). ``precision`` (``min_percent`` only) is set when the limit is
    the project's coverage.py ``fail_under``: ``passed`` then follows coverage.py's rule,
    the total rounded to that many digits (``coverage.results.should_fail_under``).
    """

    name: Literal["min_percent", "max_failures", "max_findings", "max_flaky"]
    limit: float
    actual: float
    passed: bool
    severity: Severity | None = None
    precision: int | None = None


TestOutcome = Literal["passed", "failed", "error", "skipped", "flaky"]


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """Every test's outcome and every measured file's coverage, so a later result can be
    compared with this one (newly failing, fixed, added and removed tests; per-file
    coverage deltas). ``tests`` are ``(node id, outcome)`` pairs; ``files`` are
    ``(path relative to the repository root, percent covered)`` pairs; both sorted and at
    most :data:`MAX_INVENTORY` long."""

    tests: tuple[tuple[str, TestOutcome], ...] = ()
    files: tuple[tuple[str, float], ...] = ()


MAX_INVENTORY = 20000
"""Entries kept per inventory list (``schemas/result.v1.schema.json``)."""


@dataclass(frozen=True, kw_only=True)
class ShardRecord:
    """One shard of a stage sharded over a Dask cluster.

    ``index`` is 0-based; ``worker`` the Dask address of the worker that ran it to the
    end (``tcp://10.0.0.5:40211``); ``duration`` its wall seconds there; ``tests`` the
    number of tests it selected and ran.
    """

    index: int
    worker: str
    duration: float
    tests: int


@dataclass(frozen=True, kw_only=True)
class StageResult:
    """What one stage did.

    - ``status``: ``passed``, ``failed`` (ran; a threshold or exit code said no), ``error``
      (could not run or its report was unusable), ``skipped`` (with ``reason``),
      ``timed_out``.
    - ``duration``: seconds, wall time. ``exit_code`` is ``None`` when it never ran;
      negative when killed by a signal (``-9``).
    - ``findings``: at most :data:`localci.limits.MAX_FINDINGS` entries; ``findings_total``
      keeps the real count.
    - ``log_tail``: the last lines of output of a failed stage, secrets redacted;
      ``None`` for a passing stage.
    - ``shards``: one record per shard when the stage ran sharded (``--executor dask``);
      empty (and absent from the JSON) otherwise.
    """

    name: str
    kind: Literal["tests", "coverage", "lint", "command"]
    status: StageStatus
    command: tuple[str, ...]
    duration: float
    exit_code: int | None = None
    reason: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    metrics: Metrics = field(default_factory=Metrics)
    thresholds: tuple[ThresholdOutcome, ...] = ()
    findings: tuple[Finding, ...] = ()
    findings_total: int = 0
    log_tail: str | None = None
    log_tail_truncated: bool = False
    report_format: str | None = None
    shards: tuple[ShardRecord, ...] = ()
    inventory: Inventory | None = None


@dataclass(frozen=True, kw_only=True)
class RunnerInfo:
    """Where the run happened: ``os`` (``platform.platform()``), ``python`` (the version
    of the interpreter that ran the stages, as it reports itself), ``interpreter`` (which
    one: a label such as ``.venv/bin/python`` or ``$VIRTUAL_ENV/bin/python``, never an
    absolute local path) and ``interpreter_source`` (the rule that chose it: ``--python``,
    ``config``, ``VIRTUAL_ENV``, ``.venv`` or ``localci``)."""

    os: str
    python: str
    localci_version: str
    interpreter: str | None = None
    interpreter_source: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkspaceInfo:
    """Where the stages ran: ``mode`` ``isolated`` (a clean worktree of the commit) or
    ``in-place`` (the work tree, where git-ignored files can change a run; such a result
    never satisfies the verifier). ``ignored`` lists the git-ignored files and folders of
    an in-place run that could influence it (``conftest.py``, ``.env``, ``build/``; at
    most 100), ``ignored_total`` their real count."""

    mode: Literal["isolated", "in-place"]
    ignored: tuple[str, ...] = ()
    ignored_total: int = 0


@dataclass(frozen=True, kw_only=True)
class CacheOrigin:
    """Where a cached result came from: the ``commit`` and ``run_id`` that produced it,
    and the cache ``key`` (sha256) it was found under."""

    commit: str
    run_id: str
    key: str


@dataclass(frozen=True, kw_only=True)
class Result:
    """The versioned record of one ``localci run`` (``schemas/result.v1.schema.json``).

    Timestamps are UTC RFC 3339 strings (``2026-11-21T04:00:00.123456Z``). ``partial`` is
    true when only a subset of the configured stages ran (``--stage`` / ``--skip``); a
    partial result never satisfies the verifier. ``config_sha256`` is the sha256 of the
    effective configuration's canonical JSON (RFC 8785); ``config_committed`` says whether
    that configuration is the one committed in ``git.commit`` (``False`` for an
    uncommitted ``--config`` file or an edited work tree; ``None`` in results written
    before localci recorded it).
    """

    run_id: str
    localci_version: str
    started_at: str
    finished_at: str
    duration: float
    conclusion: Conclusion
    git: GitInfo
    runner: RunnerInfo
    config_path: str
    config_sha256: str
    stages: tuple[StageResult, ...]
    partial: bool = False
    cached_from: CacheOrigin | None = None
    config_committed: bool | None = None
    workspace: WorkspaceInfo | None = None
    schema: str = RESULT_SCHEMA_ID
    schema_version: str = RESULT_SCHEMA_VERSION

    def stage(self, name: str) -> StageResult | None:
        """The stage called ``name``, or ``None``."""
        return next((s for s in self.stages if s.name == name), None)

    def rebound(self, git: GitInfo, origin: CacheOrigin) -> Result:
        """A copy bound to other git facts: a cache hit re-used for another commit."""
        return replace(self, git=git, cached_from=origin)
