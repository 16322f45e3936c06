"""Annotations where the change is: keep only findings on the lines or files a pull
request changed (``publish.annotations``).

Modes, as code-review tools name them (e.g. reviewdog's ``filter-mode``):

- ``changed-lines``: the finding's line range overlaps a line the diff added or changed;
- ``changed-files``: the finding's file is one the diff touched;
- ``all``: every finding.

Defaults (:data:`DEFAULT_MODES`): ``changed-files`` for lint findings, ``all`` for failing
tests (a test can fail because of a change elsewhere), ``changed-lines`` for uncovered
ranges. Only annotations are filtered: summaries and thresholds count everything.
The diff is ``git diff --unified=0 <base>...<head>`` (changes on the head side since the
merge base), parsed by :func:`parse_diff`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from localci.result.model import Finding, Result

__all__ = ["DEFAULT_MODES", "ChangedLines", "Mode", "filter_findings", "parse_diff"]

Mode = Literal["changed-lines", "changed-files", "all"]
DEFAULT_MODES: Mapping[str, Mode] = {
    "lint": "changed-files",
    "test": "all",
    "coverage": "changed-lines",
    "stage": "all",
}
_FILE = re.compile(r"^\+\+\+ (?:b/)?(?P<path>.+?)\s*$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


@dataclass(frozen=True, kw_only=True)
class ChangedLines:
    """Per file (POSIX path from the repository root), the added or changed line ranges
    ``(first, last)`` on the head side, 1-based and inclusive. A file with no ranges was
    touched only by deletions."""

    files: Mapping[str, tuple[tuple[int, int], ...]]

    def touches(self, path: str, first: int | None, last: int | None, mode: Mode) -> bool:
        """Whether a finding at ``path`` lines ``first``..``last`` passes ``mode``."""
        if mode == "all":
            return True
        if path not in self.files:
            return False
        if mode == "changed-files":
            return True
        if first is None:
            return False
        end = last if last is not None and last >= first else first
        return any(a <= end and first <= b for a, b in self.files[path])


def parse_diff(text: str) -> ChangedLines:
    """The changed lines of a unified diff (``git diff --unified=0``): ``+++ b/<path>``
    names the file (``/dev/null``: deleted, ignored); each ``@@ -a,b +c,d @@`` adds lines
    ``c``..``c+d-1`` (``d`` defaults to 1; 0 means a pure deletion)."""
    files: dict[str, list[tuple[int, int]]] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _FILE.match(line)
        if match:
            path = match.group("path")
            current = None if path == "/dev/null" else path
            if current is not None:
                files.setdefault(current, [])
            continue
        hunk = _HUNK.match(line)
        if hunk and current is not None:
            start, count = int(hunk.group("start")), int(hunk.group("count") or 1)
            if count:
                files[current].append((start, start + count - 1))
    return ChangedLines(files={k: tuple(v) for k, v in files.items()})


def _keep(f: Finding, changed: ChangedLines, modes: Mapping[str, Mode]) -> bool:
    mode = modes.get(f.kind, "all")
    if mode == "all":
        return True
    if f.path is None:
        return False
    return changed.touches(f.path, f.line, f.end_line, mode)


def filter_findings(result: Result, changed: ChangedLines, modes: Mapping[str, Mode]) -> Result:
    """A copy of ``result`` whose stages keep only the findings ``modes`` let through
    (per finding kind: ``lint``, ``test``, ``coverage``, ``stage``); counts, metrics and
    ``findings_total`` are untouched, so summaries still count everything."""
    stages = tuple(
        replace(s, findings=tuple(f for f in s.findings if _keep(f, changed, modes)))
        for s in result.stages
    )
    return replace(result, stages=stages)
