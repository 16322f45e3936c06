"""What a result looks like on GitHub: Check Run output and commit status, as plain data.

Pure functions, no network. GitHub's limits (REST docs, "Checks" and "Commit statuses";
``docs/architecture.md``, "Publishing limits"): ``output.summary`` and ``output.text`` at
most 65535 bytes each; annotations at most 50 per request (later PATCHes append);
annotation ``title`` at most 255 characters and ``message`` / ``raw_details`` 64 KB;
levels ``notice``, ``warning``, ``failure``; a commit status ``description`` at most 140
characters.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localci.fsutil import gunzip_bounded, load_json
from localci.result.model import Finding, Result, StageResult
from localci.result.render import metrics_summary

__all__ = [
    "ANNOTATIONS_PER_REQUEST",
    "MAX_DESCRIPTION",
    "MAX_OUTPUT_BYTES",
    "CheckRunPayload",
    "StatusPayload",
    "annotations_for",
    "check_run_payload",
    "embedded_note",
    "status_payload",
    "truncate_bytes",
]

MAX_OUTPUT_BYTES = 65535
ANNOTATIONS_PER_REQUEST = 50
MAX_DESCRIPTION = 140
MAX_TITLE = 255
MAX_MESSAGE_BYTES = 64 * 1024
TRUNCATION_MARKER = "\n\n… (truncated by localci to fit GitHub's 65535-byte limit)"
_NOTE_MARKER = re.compile(r"<!-- localci-note:v1 ([A-Za-z0-9+/=]+) -->")

_CHECK_CONCLUSION = {
    "success": "success",
    "failure": "failure",
    "error": "failure",
    "cancelled": "cancelled",
}
_STATUS_STATE = {"success": "success", "failure": "failure", "error": "error", "cancelled": "error"}
_LEVEL = {"error": "failure", "warning": "warning", "note": "notice"}


@dataclass(frozen=True, kw_only=True)
class CheckRunPayload:
    """A Check Run to create: the first request carries ``annotations[:50]``, each later
    PATCH the next 50 (``batches``)."""

    name: str
    head_sha: str
    external_id: str
    conclusion: str
    started_at: str
    completed_at: str
    title: str
    summary: str
    text: str
    annotations: tuple[Mapping[str, Any], ...]
    details_url: str | None = None

    def output(self, batch: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The ``output`` object for one request carrying ``batch`` annotations."""
        out: dict[str, Any] = {"title": self.title, "summary": self.summary, "text": self.text}
        if batch:
            out["annotations"] = [dict(a) for a in batch]
        return out

    def create_body(self, batch: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The JSON body of ``POST /repos/{owner}/{repo}/check-runs`` carrying ``batch``."""
        details = {"details_url": self.details_url} if self.details_url else {}
        return {
            "name": self.name,
            "head_sha": self.head_sha,
            **details,
            "external_id": self.external_id,
            "status": "completed",
            "conclusion": self.conclusion,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "output": self.output(batch),
        }

    def batches(self) -> list[tuple[Mapping[str, Any], ...]]:
        """Annotations in request-sized groups (at least one, possibly empty, group)."""
        groups = [
            self.annotations[i : i + ANNOTATIONS_PER_REQUEST]
            for i in range(0, len(self.annotations), ANNOTATIONS_PER_REQUEST)
        ]
        return groups or [()]


@dataclass(frozen=True, kw_only=True)
class StatusPayload:
    """A commit status: ``state`` in ``error|failure|pending|success``."""

    sha: str
    state: str
    context: str
    description: str
    target_url: str | None = None

    def body(self) -> dict[str, Any]:
        """The JSON body of ``POST /repos/{owner}/{repo}/statuses/{sha}``."""
        body = {"state": self.state, "context": self.context, "description": self.description}
        return {**body, "target_url": self.target_url} if self.target_url else body


def truncate_bytes(text: str, limit: int = MAX_OUTPUT_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, ending with a visible marker."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    keep = limit - len(TRUNCATION_MARKER.encode("utf-8"))
    return raw[:keep].decode("utf-8", "ignore") + TRUNCATION_MARKER


def _truncate_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counts(result: Result) -> str:
    done = [s for s in result.stages if s.status != "skipped"]
    passed = sum(s.status == "passed" for s in done)
    return f"{passed}/{len(done)} stages passed"


def title_for(result: Result) -> str:
    """``localci: success (3/3 stages passed)``, or the failing stages' names."""
    bad = [s.name for s in result.stages if s.status in ("failed", "error", "timed_out")]
    if bad:
        return _truncate_chars(f"localci: {result.conclusion} in {', '.join(bad)}", MAX_TITLE)
    return f"localci: {result.conclusion} ({_counts(result)})"


def _threshold_text(stage: StageResult) -> str:
    parts = []
    for t in stage.thresholds:
        op = ">=" if t.name == "min_percent" else "<="
        mark = "✅" if t.passed else "❌"
        rounded = "" if t.precision is None else f" rounded to {t.precision} digits"
        parts.append(f"{mark} {t.name} {op} {t.limit:g} (actual {t.actual:g}{rounded})")
    return "; ".join(parts)


def summary_for(result: Result, *, signer: str | None = None) -> str:
    """The Markdown summary: what was tested, a stage table, and the reasons for failures."""
    g = result.git
    lines = [
        f"**{title_for(result)}**",
        "",
        f"Commit `{g.commit}` (tree `{g.tree[:12]}`), run `{result.run_id}`, "
        f"localci {result.localci_version}, {result.duration:.1f} s"
        + (" — **partial run**" if result.partial else "")
        + (" — **dirty work tree**" if g.dirty else ""),
    ]
    if signer:
        lines.append(f"Signed by `{signer}` with Sigstore.")
    lines += ["", "| Stage | Status | Time | Metrics | Thresholds |", "|---|---|---:|---|---|"]
    for s in result.stages:
        lines.append(
            f"| {s.name} | {s.status} | {s.duration:.1f} s | {metrics_summary(s)} "
            f"| {_threshold_text(s)} |"
        )
    reasons = [f"- **{s.name}**: {s.reason}" for s in result.stages if s.reason]
    if reasons:
        lines += ["", *reasons]
    return truncate_bytes("\n".join(lines))


def text_for(result: Result, note: Mapping[str, Any] | None = None) -> str:
    """Log tails of the stages that did not pass, then (when it fits) the embedded note."""
    parts = []
    for s in result.stages:
        if s.log_tail:
            cut = " (earlier output dropped)" if s.log_tail_truncated else ""
            fence = _fence(s.log_tail)
            parts.append(
                f"### {s.name}: last lines of output{cut}\n\n{fence}text\n{s.log_tail}\n{fence}"
            )
    text = "\n\n".join(parts) or "All stages passed."
    if note is not None:
        blob = base64.b64encode(gzip.compress(json.dumps(note).encode(), mtime=0)).decode()
        embedded = f"\n\n<!-- localci-note:v1 {blob} -->"
        room = MAX_OUTPUT_BYTES - len(embedded.encode())
        if room > len(TRUNCATION_MARKER.encode()) + 100:
            return truncate_bytes(text, room) + embedded
    return truncate_bytes(text)


def _fence(content: str) -> str:
    """A backtick fence longer than any run of backticks in ``content`` (CommonMark,
    "Fenced code blocks": the closing fence must be at least as long as the opening), so
    the content cannot close the block."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def embedded_note(text: str | None) -> dict[str, Any] | None:
    """The note :func:`text_for` embedded in a Check Run's ``output.text``, if any."""
    match = _NOTE_MARKER.search(text or "")
    if not match:
        return None
    try:
        # From a Check Run anyone with checks: write could have made: a gzip bomb stops
        # at the document bound, and so does deep nesting.
        doc = load_json(gunzip_bounded(base64.b64decode(match.group(1))))
    except (ValueError, OSError, EOFError):
        return None
    return doc if isinstance(doc, dict) else None


def annotations_for(result: Result, *, uncovered: bool = False) -> tuple[dict[str, Any], ...]:
    """Annotations from lint findings and failing tests with a file and line, and from
    uncovered lines when ``uncovered``; in the result's order (stage by stage, and within
    a stage errors first, as the runner sorts findings)."""
    out = []
    for stage in result.stages:
        for f in stage.findings:
            if f.path and f.line and (f.kind != "coverage" or uncovered):
                out.append(_annotation(stage, f))
    return tuple(out)


def _annotation(stage: StageResult, f: Finding) -> dict[str, Any]:
    assert f.path is not None
    assert f.line is not None
    end = f.end_line if f.end_line and f.end_line >= f.line else f.line
    title = f"{stage.name}: {f.rule}" if f.rule else stage.name
    if f.kind == "test" and f.test_id:
        title = f"{stage.name}: {f.test_id}"
    ann: dict[str, Any] = {
        "path": f.path,
        "start_line": f.line,
        "end_line": end,
        "annotation_level": _LEVEL[f.severity],
        "message": _truncate_message(f.message or "(no message)"),
        "title": _truncate_chars(title, MAX_TITLE),
    }
    if f.column and end == f.line:
        ann["start_column"] = ann["end_column"] = f.column
    if f.details:
        ann["raw_details"] = _truncate_message(f.details)
    return ann


def _truncate_message(text: str) -> str:
    return truncate_bytes(text, MAX_MESSAGE_BYTES - 1)


def check_run_payload(
    result: Result,
    *,
    name: str,
    external_id: str,
    note: Mapping[str, Any] | None = None,
    signer: str | None = None,
    uncovered: bool = False,
    details_url: str | None = None,
) -> CheckRunPayload:
    """The Check Run for ``result``; ``external_id`` is the result digest (de-duplication)."""
    return CheckRunPayload(
        name=name,
        head_sha=result.git.commit,
        external_id=external_id,
        conclusion=_CHECK_CONCLUSION[result.conclusion],
        started_at=result.started_at,
        completed_at=result.finished_at,
        title=title_for(result),
        summary=summary_for(result, signer=signer),
        text=text_for(result, note),
        annotations=annotations_for(result, uncovered=uncovered),
        details_url=details_url,
    )


def status_payload(result: Result, *, context: str, target_url: str | None = None) -> StatusPayload:
    """The commit status for ``result``; the description fits in 140 characters."""
    bits = [f"{result.conclusion}: {_counts(result)}"]
    for s in result.stages:
        if s.status in ("failed", "error", "timed_out"):
            bits.append(f"{s.name} {s.status}")
        elif s.metrics.coverage is not None:
            bits.append(f"coverage {s.metrics.coverage.percent:.1f}%")
        elif s.metrics.tests is not None:
            bits.append(f"{s.metrics.tests.total} tests")
    return StatusPayload(
        sha=result.git.commit,
        state=_STATUS_STATE[result.conclusion],
        context=context,
        description=_truncate_chars(" · ".join(bits), MAX_DESCRIPTION),
        target_url=target_url,
    )
