"""The failure context of a result: what a fixer needs, without access to logs.

Pure functions from a :class:`~localci.result.model.Result` (wherever it came from: a
local result, a fetched note, a Check Run's embedded note) to a
:class:`FailureContext`. Rendering and bounding live in :mod:`localci.context.render`.

Text from the result is treated as untrusted: log tails are cut again to
:data:`MAX_TAIL_LINES` lines and :data:`MAX_TAIL_BYTES` bytes and redacted again, since a
fetched note may come from another machine.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from localci.redact import Redactor
from localci.result.model import Finding, Result, StageResult

__all__ = [
    "MAX_TAIL_BYTES",
    "MAX_TAIL_LINES",
    "FailingTest",
    "FailureContext",
    "FindingRef",
    "StageContext",
    "build_context",
    "split_params",
]

MAX_TAIL_LINES = 200
"""Lines of output kept per stage (the last ones)."""

MAX_TAIL_BYTES = 32 * 1024
"""UTF-8 bytes of output kept per stage, after redaction."""

MAX_REPRODUCE_IDS = 20
"""Test ids named in one reproduce command; more run the whole stage instead."""

_BAD = ("failed", "error", "timed_out")
_PARAMS = re.compile(r"^(?P<base>[^\[]*)\[(?P<params>.*)\]$")


@dataclass(frozen=True, kw_only=True)
class FailingTest:
    """A failing or erroring test.

    ``id`` is the pytest node id without parameters (``tests/t.py::test_x``); ``params``
    the subtest parameters (``1-2`` of ``test_x[1-2]``) or ``None``; ``location``
    ``file:line`` when known; ``message`` the first 4096 characters of the failure text.
    """

    id: str
    params: str | None
    message: str
    location: str | None
    outcome: str

    @property
    def node_id(self) -> str:
        """The full pytest node id, with parameters."""
        return f"{self.id}[{self.params}]" if self.params is not None else self.id


@dataclass(frozen=True, kw_only=True)
class FindingRef:
    """A lint finding (or, for a coverage stage, an uncovered range, rule ``uncovered``):
    ``path:line:col``, ``rule`` and ``message``."""

    path: str | None
    line: int | None
    column: int | None
    rule: str | None
    message: str
    severity: str

    @property
    def location(self) -> str:
        """``path:line:col`` as far as known (``-`` when there is no path)."""
        where = self.path or "-"
        if self.line:
            where += f":{self.line}" + (f":{self.column}" if self.column else "")
        return where


@dataclass(frozen=True, kw_only=True)
class StageContext:
    """One failed, errored or timed-out stage.

    ``tail`` holds the last output lines (bounded, redacted); ``tail_cut`` says the stored
    tail was already shortened when recorded, or here. ``findings_total`` counts every
    finding, including those the result did not keep. ``reproduce`` are shell commands,
    most specific first, that repeat the failure in a checkout of the commit.
    """

    name: str
    kind: str
    status: str
    reason: str | None
    tests: tuple[FailingTest, ...]
    findings: tuple[FindingRef, ...]
    findings_total: int
    tail: tuple[str, ...]
    tail_cut: bool
    reproduce: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FailureContext:
    """Everything ``localci context`` prints for one result.

    ``source`` names where the result came from (``local``, ``notes``, ``check_run``);
    ``flaky`` maps test node ids to the number of recorded flaky runs (history in
    ``.localci/flaky.json``); only ids relevant to this result are kept.
    """

    commit: str
    tree: str
    branch: str | None
    conclusion: str
    run_id: str
    localci_version: str
    config_path: str
    config_sha256: str
    partial: bool
    source: str
    stages: tuple[StageContext, ...]
    flaky: Mapping[str, int]


def split_params(node_id: str) -> tuple[str, str | None]:
    """``("tests/t.py::test_x", "1-2")`` for ``tests/t.py::test_x[1-2]``; ``(id, None)``
    for an id without parameters (pytest's node id grammar: parameters in brackets)."""
    match = _PARAMS.match(node_id)
    if match is None:
        return node_id, None
    return match.group("base"), match.group("params")


def _failing_test(f: Finding) -> FailingTest:
    base, params = split_params(f.test_id or "<unnamed test>")
    location = f"{f.path}:{f.line}" if f.path and f.line else f.path
    return FailingTest(
        id=base,
        params=params,
        message=f.message,
        location=location,
        outcome=f.rule or "failure",
    )


def _finding_ref(f: Finding) -> FindingRef:
    return FindingRef(
        path=f.path,
        line=f.line,
        column=f.column,
        rule=f.rule or ("uncovered" if f.kind == "coverage" else None),
        message=f.message,
        severity=f.severity,
    )


def bound_tail(text: str | None, redact: Redactor) -> tuple[tuple[str, ...], bool]:
    """The last lines of ``text``, redacted, within :data:`MAX_TAIL_LINES` lines and
    :data:`MAX_TAIL_BYTES` bytes; and whether anything was dropped."""
    if not text:
        return (), False
    lines = redact(text).splitlines()
    cut = len(lines) > MAX_TAIL_LINES
    lines = lines[-MAX_TAIL_LINES:]
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line.encode("utf-8")) + 1
        if size > MAX_TAIL_BYTES:
            cut = True
            break
        kept.append(line)
    return tuple(reversed(kept)), cut


def reproduce_commands(stage: StageResult, tests: tuple[FailingTest, ...]) -> tuple[str, ...]:
    """Commands that repeat ``stage``'s failure locally, most specific first.

    Failing tests: ``python -m pytest 'id' ...`` (up to :data:`MAX_REPRODUCE_IDS` ids);
    ruff findings: ``ruff check <paths>``; always ``localci run --stage <name>`` last.
    """
    out: list[str] = []
    if tests and len(tests) <= MAX_REPRODUCE_IDS:
        ids = sorted({t.node_id for t in tests})
        out.append("python -m pytest " + " ".join(shlex.quote(i) for i in ids))
    if stage.kind == "lint" and _runs_ruff(stage.command):
        paths = sorted({f.path for f in stage.findings if f.path and f.kind == "lint"})
        target = " ".join(shlex.quote(p) for p in paths[:MAX_REPRODUCE_IDS]) or "."
        out.append(f"ruff check {target}")
    out.append(f"localci run --stage {shlex.quote(stage.name)}")
    return tuple(out)


def _runs_ruff(command: tuple[str, ...]) -> bool:
    return any(part.rsplit("/", 1)[-1] == "ruff" for part in command[:3])


def _stage_context(stage: StageResult, redact: Redactor) -> StageContext:
    tests = tuple(_failing_test(f) for f in stage.findings if f.kind == "test")
    findings = tuple(
        _finding_ref(f)
        for f in stage.findings
        if f.kind != "test" and (f.kind != "coverage" or stage.kind == "coverage")
    )
    tail, cut = bound_tail(stage.log_tail, redact)
    return StageContext(
        name=stage.name,
        kind=stage.kind,
        status=stage.status,
        reason=redact(stage.reason) if stage.reason else None,
        tests=tuple(_redacted_test(t, redact) for t in tests),
        findings=tuple(_redacted_ref(r, redact) for r in findings),
        findings_total=max(stage.findings_total, len(stage.findings)),
        tail=tail,
        tail_cut=cut or stage.log_tail_truncated,
        reproduce=reproduce_commands(stage, tests),
    )


def _redacted_test(t: FailingTest, redact: Redactor) -> FailingTest:
    return FailingTest(
        id=t.id,
        params=t.params,
        message=redact(t.message),
        location=t.location,
        outcome=t.outcome,
    )


def _redacted_ref(r: FindingRef, redact: Redactor) -> FindingRef:
    return FindingRef(
        path=r.path,
        line=r.line,
        column=r.column,
        rule=r.rule,
        message=redact(r.message),
        severity=r.severity,
    )


def build_context(
    result: Result,
    *,
    source: str = "local",
    flaky: Mapping[str, int] | None = None,
    redact: Redactor | None = None,
) -> FailureContext:
    """The failure context of ``result``: only stages that failed, errored or timed out.

    ``flaky`` is the flaky history (node id -> count); ids of this result's tests that
    failed, or that are flaky in it, are kept. ``redact`` defaults to a
    :class:`~localci.redact.Redactor` over the current environment.
    """
    redact = redact or Redactor()
    stages = tuple(_stage_context(s, redact) for s in result.stages if s.status in _BAD)
    history = dict(flaky or {})
    ids = {t.node_id for s in stages for t in s.tests}
    ids |= {f.test_id for s in result.stages for f in s.findings if f.rule == "flaky" and f.test_id}
    g = result.git
    return FailureContext(
        commit=g.commit,
        tree=g.tree,
        branch=g.branch,
        conclusion=result.conclusion,
        run_id=result.run_id,
        localci_version=result.localci_version,
        config_path=result.config_path,
        config_sha256=result.config_sha256,
        partial=result.partial,
        source=source,
        stages=stages,
        flaky={k: v for k, v in sorted(history.items()) if k in ids},
    )
