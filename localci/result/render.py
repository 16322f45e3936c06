"""Human-readable views of a result (``localci show``, the end of ``localci run``).

Pure functions from :class:`~localci.result.model.Result` to text; no I/O.
"""

from __future__ import annotations

from localci.result.model import Finding, Result, StageResult

__all__ = ["metrics_summary", "render_result"]

_FINDINGS_SHOWN = 10
_TAIL_SHOWN = 20
"""Output lines shown per failed stage; the result keeps up to 200, the log all."""


def metrics_summary(stage: StageResult) -> str:
    """A short digest of a stage's metrics: ``12 passed, 1 failed``, ``87.50%``, ``3 findings``."""
    m = stage.metrics
    if m.tests is not None:
        t = m.tests
        parts = [f"{t.passed} passed"]
        parts += [
            f"{n} {label}"
            for n, label in (
                (t.failed, "failed"),
                (t.errors, "errors"),
                (t.skipped, "skipped"),
                (t.xfailed, "xfailed"),
                (t.xpassed, "xpassed"),
                (t.subtests_passed, "subtests passed"),
                (t.subtests_failed, "subtests failed"),
            )
            if n
        ]
        return ", ".join(parts)
    if m.coverage is not None:
        return f"{m.coverage.percent:.2f}% covered"
    if m.lint is not None:
        return f"{m.lint.total} finding{'s' if m.lint.total != 1 else ''}"
    if stage.exit_code is not None:
        return f"exit {stage.exit_code}"
    return ""


def _finding_line(f: Finding) -> str:
    where = f.path or f.test_id or ""
    if f.path and f.line:
        where += f":{f.line}" + (f":{f.column}" if f.column else "")
    head = f.test_id if f.kind == "test" and f.test_id else where
    rule = f" [{f.rule}]" if f.rule and f.kind == "lint" else ""
    first = f.message.splitlines()[0] if f.message else ""
    return f"      {head}{rule}: {first}"


def _tail_lines(stage: StageResult) -> list[str]:
    """The last lines of a stage's output (already redacted), indented under it."""
    if not stage.log_tail:
        return []
    tail = stage.log_tail.rstrip("\n").splitlines()[-_TAIL_SHOWN:]
    head = f"      --- last {len(tail)} lines of {stage.name}'s output ---"
    return [head, *(f"      | {line}" for line in tail)]


def render_result(result: Result, *, output: bool = False) -> str:
    """A table of stages and, for each stage that failed, errored or timed out, its
    reason, first findings and, with ``output`` (``localci show``), the last lines of its
    output (``localci run`` has printed them as the stage ended)."""
    g = result.git
    lines = [
        f"commit {g.commit}"
        + (" (dirty)" if g.dirty else "")
        + (f" on {g.branch}" if g.branch else ""),
        f"run {result.run_id}  {result.started_at}  {result.duration:.1f}s  "
        f"config {result.config_path}",
        "",
        f"  {'STAGE':<16} {'STATUS':<10} {'TIME':>7}  DETAILS",
    ]
    for s in result.stages:
        lines.append(f"  {s.name:<16} {s.status:<10} {s.duration:>6.1f}s  {metrics_summary(s)}")
        if s.status != "passed" and s.reason:
            lines.append(f"      {s.reason}")
        if s.status in ("failed", "error", "timed_out"):
            lines += [_finding_line(f) for f in s.findings[:_FINDINGS_SHOWN]]
            if s.findings_total > _FINDINGS_SHOWN:
                lines.append(f"      ... and {s.findings_total - _FINDINGS_SHOWN} more")
            lines += _tail_lines(s) if output else []
    partial = " (partial run)" if result.partial else ""
    lines += ["", f"conclusion: {result.conclusion}{partial}"]
    return "\n".join(lines)
