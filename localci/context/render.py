"""``localci context`` output: Markdown or JSON, bounded as a whole.

The whole output fits ``max_bytes`` UTF-8 bytes (default :data:`DEFAULT_MAX_BYTES`).
When the full context does not fit, parts are cut in this order, each step only as far
as needed, and every cut is stated in the output (Markdown: a "Cut to fit" section;
JSON: the ``cut`` list):

1. output tails, to the last 100, 50, 20, 5, then 0 lines per stage;
2. findings (lint), to the first 50, 20, 5, then 0 per stage;
3. failing tests, to the first 50, 20, 5, then 1 per stage;
4. finally the text itself is cut at the limit (Markdown), or stages are dropped from
   the end (JSON).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from localci.context.failure import FailingTest, FailureContext, FindingRef, StageContext

__all__ = ["CONTEXT_SCHEMA", "DEFAULT_MAX_BYTES", "context_json", "context_markdown"]

DEFAULT_MAX_BYTES = 64 * 1024
CONTEXT_SCHEMA = "urn:localci:context:v1"
_TAILS = (100, 50, 20, 5, 0)
_FINDINGS = (50, 20, 5, 0)
_TESTS = (50, 20, 5, 1)
_CUT_MARK = "\n\n… (cut at the {limit}-byte limit)\n"
_BACKTICKS = re.compile(r"`{3,}")


@dataclass(frozen=True)
class _Limits:
    tail: int | None = None
    findings: int | None = None
    tests: int | None = None


def _steps() -> Iterator[_Limits]:
    yield _Limits()
    for t in _TAILS:
        yield _Limits(tail=t)
    for f in _FINDINGS:
        yield _Limits(tail=0, findings=f)
    for n in _TESTS:
        yield _Limits(tail=0, findings=0, tests=n)


def _apply(ctx: FailureContext, lim: _Limits) -> tuple[FailureContext, list[str]]:
    cuts: list[str] = []
    stages = []
    for s in ctx.stages:
        tail, findings, tests = s.tail, s.findings, s.tests
        if lim.tail is not None and len(tail) > lim.tail:
            cuts.append(f"stage {s.name}: output cut to the last {lim.tail} of {len(tail)} lines")
            tail = tail[len(tail) - lim.tail :] if lim.tail else ()
        if lim.findings is not None and len(findings) > lim.findings:
            cuts.append(f"stage {s.name}: findings cut to {lim.findings} of {len(findings)}")
            findings = findings[: lim.findings]
        if lim.tests is not None and len(tests) > lim.tests:
            cuts.append(f"stage {s.name}: failing tests cut to {lim.tests} of {len(tests)}")
            tests = tests[: lim.tests]
        stages.append(replace(s, tail=tail, findings=findings, tests=tests))
    return replace(ctx, stages=tuple(stages)), cuts


def _fit(
    ctx: FailureContext, max_bytes: int, render: Callable[[FailureContext, list[str]], str]
) -> tuple[str, FailureContext, list[str]]:
    text, cut_ctx, cuts = "", ctx, list[str]()
    for lim in _steps():
        cut_ctx, cuts = _apply(ctx, lim)
        text = render(cut_ctx, cuts)
        if len(text.encode("utf-8")) <= max_bytes:
            break
    return text, cut_ctx, cuts


# -- Markdown -------------------------------------------------------------------------------


def _fence(text: str, lang: str = "text") -> str:
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def _code(text: str) -> str:
    return "`` " + text.replace("\n", " ") + " ``" if "`" in text else f"`{text}`"


def _test_md(t: FailingTest) -> list[str]:
    head = f"- {_code(t.id)}"
    if t.params is not None:
        head += f" with parameters {_code(t.params)}"
    if t.location:
        head += f" at {_code(t.location)}"
    head += f" ({t.outcome})"
    return [head, *("  " + line for line in _fence(t.message or "(no message)").splitlines())]


def _finding_md(f: FindingRef) -> str:
    rule = f" **{f.rule}**" if f.rule else ""
    first = f.message.splitlines()[0] if f.message else "(no message)"
    return f"- {_code(f.location)}{rule} {first} ({f.severity})"


def _stage_md(s: StageContext) -> list[str]:
    lines = [f"## Stage `{s.name}` ({s.kind}): {s.status}", ""]
    if s.reason:
        lines += [f"Reason: {s.reason}", ""]
    if s.tests:
        lines += [f"### Failing tests ({len(s.tests)} shown)", ""]
        for t in s.tests:
            lines += _test_md(t)
        lines.append("")
    if s.findings:
        lines += [f"### Findings ({len(s.findings)} shown of {s.findings_total})", ""]
        lines += [_finding_md(f) for f in s.findings]
        lines.append("")
    if s.tail:
        dropped = " (earlier output dropped)" if s.tail_cut else ""
        lines += [f"### Last {len(s.tail)} lines of output{dropped}", "", _fence("\n".join(s.tail))]
        lines.append("")
    lines += ["### Reproduce", "", _fence("\n".join(s.reproduce), "sh"), ""]
    return lines


def _markdown(ctx: FailureContext, cuts: list[str]) -> str:
    bad = ", ".join(s.name for s in ctx.stages) or "no failed stage"
    lines = [
        f"# localci context: {ctx.conclusion} ({bad})",
        "",
        f"- commit: `{ctx.commit}` (tree `{ctx.tree}`"
        + (f", branch `{ctx.branch}`" if ctx.branch else "")
        + ")",
        f"- run: `{ctx.run_id}`" + (" (partial: only some stages ran)" if ctx.partial else ""),
        f"- config: `{ctx.config_path}` (sha256 `{ctx.config_sha256}`)",
        f"- localci: {ctx.localci_version}; result from: {ctx.source}",
        "",
    ]
    for s in ctx.stages:
        lines += _stage_md(s)
    if ctx.flaky:
        lines += ["## Flaky history (.localci/flaky.json)", ""]
        lines += [f"- {_code(k)}: flaky in {v} run(s)" for k, v in ctx.flaky.items()]
        lines.append("")
    if cuts:
        lines += ["## Cut to fit", "", *(f"- {c}" for c in cuts), ""]
    return "\n".join(lines)


def context_markdown(ctx: FailureContext, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The context as Markdown within ``max_bytes`` UTF-8 bytes (cut order: module doc)."""
    text = _fit(ctx, max_bytes, _markdown)[0]
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    mark = _CUT_MARK.format(limit=max_bytes)
    if len(mark.encode("utf-8")) > max_bytes:
        return raw[:max_bytes].decode("utf-8", "ignore")
    return raw[: max_bytes - len(mark.encode("utf-8"))].decode("utf-8", "ignore") + mark


# -- JSON -----------------------------------------------------------------------------------


def _stage_doc(s: StageContext) -> dict[str, Any]:
    return {
        "name": s.name,
        "kind": s.kind,
        "status": s.status,
        "reason": s.reason,
        "failing_tests": [
            {
                "id": t.id,
                "params": t.params,
                "node_id": t.node_id,
                "outcome": t.outcome,
                "location": t.location,
                "message": t.message,
            }
            for t in s.tests
        ],
        "findings": [
            {
                "location": f.location,
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
            }
            for f in s.findings
        ],
        "findings_total": s.findings_total,
        "output_tail": list(s.tail),
        "output_tail_cut": s.tail_cut,
        "reproduce": list(s.reproduce),
    }


def _doc(ctx: FailureContext, cuts: list[str]) -> dict[str, Any]:
    return {
        "schema": CONTEXT_SCHEMA,
        "commit": ctx.commit,
        "tree": ctx.tree,
        "branch": ctx.branch,
        "conclusion": ctx.conclusion,
        "run_id": ctx.run_id,
        "partial": ctx.partial,
        "config": {"path": ctx.config_path, "sha256": ctx.config_sha256},
        "localci_version": ctx.localci_version,
        "source": ctx.source,
        "stages": [_stage_doc(s) for s in ctx.stages],
        "flaky_history": dict(ctx.flaky),
        "cut": list(cuts),
    }


def _dumps(ctx: FailureContext, cuts: list[str]) -> str:
    return json.dumps(_doc(ctx, cuts), indent=2, ensure_ascii=False)


def context_json(ctx: FailureContext, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """The context as a JSON document whose ``json.dumps(indent=2)`` fits ``max_bytes``.

    Past the cut order of the module doc, stages are dropped from the end (said in
    ``cut``); the header alone is always returned.
    """
    _, cut_ctx, cuts = _fit(ctx, max_bytes, _dumps)
    while cut_ctx.stages and len(_dumps(cut_ctx, cuts).encode("utf-8")) > max_bytes:
        dropped = cut_ctx.stages[-1]
        cut_ctx = replace(cut_ctx, stages=cut_ctx.stages[:-1])
        cuts = [*cuts, f"stage {dropped.name}: dropped"]
    return _doc(cut_ctx, cuts)
