"""The pull request summary: the head's result with deltas against the base's.

One Markdown text, used three ways: the gate's PR comment (updated in place, found by
:data:`MARKER`), ``$GITHUB_STEP_SUMMARY``, and ``localci post --comment``. It fits
GitHub's limit on an issue comment body, :data:`MAX_COMMENT_CHARS` characters (REST
"Create an issue comment": ``body`` "maximum length 65536"; we stay one below).

The counts are always complete. When the lists do not fit, they are cut in this order,
each only as far as needed, and the cut is stated at the end:

1. removed tests, 2. added tests, 3. per-file coverage rows, 4. resolved lint findings,
5. fixed tests, 6. new lint findings, 7. newly failing tests;

then, if the text still does not fit, it is cut at the limit with a marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from localci.context.delta import Delta, compute_delta
from localci.result.model import Finding, Result
from localci.result.render import metrics_summary

__all__ = ["MARKER", "MAX_COMMENT_CHARS", "TRUNCATION_ORDER", "summary_markdown"]

MARKER = "<!-- localci:pr-summary -->"
"""Hidden first line of the comment: how the gate finds its own comment to update."""

MAX_COMMENT_CHARS = 65535
TRUNCATION_ORDER = (
    "removed tests",
    "added tests",
    "per-file coverage",
    "resolved lint findings",
    "fixed tests",
    "new lint findings",
    "newly failing tests",
)
_ICON = {"success": "✅", "failure": "❌", "error": "❌", "cancelled": "⚪"}
_STATUS_ICON = {"passed": "✅", "failed": "❌", "error": "❌", "timed_out": "⏱", "skipped": "⏭"}


@dataclass(frozen=True)
class _Lists:
    """The seven cuttable lists, in :data:`TRUNCATION_ORDER`; ``None``: not known."""

    items: tuple[tuple[str, ...] | None, ...]


def _lines(delta: Delta) -> _Lists:
    t, c, lint = delta.tests, delta.coverage, delta.lint
    rows = None if c.files is None else tuple(_coverage_row(r) for r in c.files)
    return _Lists(
        items=(
            None if t.removed is None else tuple(f"- `{x}`" for x in t.removed),
            None if t.added is None else tuple(f"- `{x}`" for x in t.added),
            rows,
            tuple(_finding_line(f) for f in lint.resolved),
            tuple(f"- `{x}`" for x in t.fixed),
            tuple(_finding_line(f) for f in lint.new),
            tuple(f"- `{x}`" for x in t.newly_failing),
        )
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _coverage_row(row: tuple[str, float | None, float | None]) -> str:
    path, base, head = row
    change = None if base is None or head is None else head - base
    return f"| `{path}` | {_pct(base)} | {_pct(head)} | {_signed(change)} |"


def _finding_line(f: Finding) -> str:
    where = f.path or "-"
    if f.line:
        where += f":{f.line}" + (f":{f.column}" if f.column else "")
    first = f.message.splitlines()[0] if f.message else ""
    return f"- `{where}` **{f.rule or 'finding'}** {first}"


def _section(title: str, lines: tuple[str, ...] | None, total: int | None) -> list[str]:
    if not lines and not total:
        return []
    shown = "" if lines is None or len(lines) == total else f", {len(lines)} shown"
    out = [f"<details><summary>{title} ({total}{shown})</summary>", ""]
    if title == "Per-file coverage" and lines:
        out += ["| File | Base | Head | Δ |", "|---|---:|---:|---:|"]
    return [*out, *(lines or ()), "", "</details>", ""]


def _header(head: Result, delta: Delta, signer: str | None) -> list[str]:
    icon = _ICON.get(head.conclusion, "")
    base = f"`{delta.base_commit[:12]}`" if delta.base_commit else "no base result"
    lines = [
        MARKER,
        f"## {icon} localci: {head.conclusion} for `{head.git.commit[:12]}` (against {base})",
        "",
    ]
    if signer:
        lines += [f"Signed by `{signer}`.", ""]
    lines += ["| Stage | Status | Metrics |", "|---|---|---|"]
    lines += [
        f"| {s.name} | {_STATUS_ICON.get(s.status, '')} {s.status} | {metrics_summary(s)} |"
        for s in head.stages
    ]
    return [*lines, ""]


def _counts(delta: Delta) -> list[str]:
    t, c, lint = delta.tests, delta.coverage, delta.lint

    def n(items: Sequence[str] | None) -> str:
        return "?" if items is None else str(len(items))

    lines = [
        f"**Tests:** {len(t.newly_failing)} newly failing, {len(t.fixed)} fixed, "
        f"{n(t.added)} added, {n(t.removed)} removed"
        + (f", {len(t.flaky)} flaky" if t.flaky else ""),
        f"**Coverage:** {_pct(c.head)} ({_signed(c.total)} against {_pct(c.base)})",
        f"**Lint:** {len(lint.new)} new, {len(lint.resolved)} resolved",
    ]
    if t.flaky:
        lines.append(
            "**Flaky** (failed, then passed on a re-run): "
            + ", ".join(f"`{x}`" for x in t.flaky[:20])
        )
    return [*(f"- {x}" for x in lines), ""]


_TITLES = (
    "Removed tests",
    "Added tests",
    "Per-file coverage",
    "Resolved lint findings",
    "Fixed tests",
    "New lint findings",
    "Newly failing tests",
)
_SHOW_ORDER = (6, 4, 5, 3, 2, 1, 0)  # most useful first on the page


@dataclass(frozen=True)
class _Page:
    """What stays fixed while the lists are cut."""

    head: Result
    delta: Delta
    signer: str | None
    totals: tuple[int | None, ...]

    def render(self, lists: _Lists, cut: Sequence[str]) -> str:
        lines = _header(self.head, self.delta, self.signer) + _counts(self.delta)
        for i in _SHOW_ORDER:
            lines += _section(_TITLES[i], lists.items[i], self.totals[i])
        if cut:
            lines.append(
                "_Cut to fit GitHub's 65,535-character comment limit: " + "; ".join(cut) + "._"
            )
        return "\n".join(lines) + "\n"

    def largest_fitting(self, lists: _Lists, cut: Sequence[str], i: int, limit: int) -> int:
        """The most items of list ``i`` that fit (binary search; 0 when none do)."""
        items = lists.items[i] or ()
        low, high = 0, len(items)
        while low < high:
            mid = (low + high + 1) // 2
            note = [*cut, _cut_note(i, mid, len(items))]
            if len(self.render(_keep(lists, i, mid), note)) <= limit:
                low = mid
            else:
                high = mid - 1
        return low


def _cut_note(i: int, kept: int, total: int) -> str:
    return f"{TRUNCATION_ORDER[i]} to {kept} of {total}"


def _keep(lists: _Lists, i: int, count: int) -> _Lists:
    items = lists.items
    return replace(lists, items=(*items[:i], (items[i] or ())[:count], *items[i + 1 :]))


def summary_markdown(
    head: Result,
    base: Result | None,
    *,
    signer: str | None = None,
    limit: int = MAX_COMMENT_CHARS,
) -> str:
    """The summary of ``head`` against ``base`` (``None``: no base result), within
    ``limit`` characters, starting with :data:`MARKER`. Cut order: module doc."""
    delta = compute_delta(head, base)
    lists = _lines(delta)
    page = _Page(head, delta, signer, tuple(None if x is None else len(x) for x in lists.items))
    cut: list[str] = []
    text = page.render(lists, cut)
    for i in range(len(TRUNCATION_ORDER)):
        if len(text) <= limit:
            return text
        total = len(lists.items[i] or ())
        if not total:
            continue
        kept = page.largest_fitting(lists, cut, i, limit)
        lists = _keep(lists, i, kept)
        cut.append(_cut_note(i, kept, total))
        text = page.render(lists, cut)
    if len(text) <= limit:
        return text
    mark = "\n\n… (cut at GitHub's comment limit)\n"
    return text[: max(0, limit - len(mark))] + mark
