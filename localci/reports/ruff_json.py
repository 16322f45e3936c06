"""ruff's JSON output (``ruff check --output-format=json``) into lint findings.

The file is a JSON array with one object per diagnostic: ``filename`` (absolute),
``code`` (``F401``; ``invalid-syntax`` in ruff 0.17, ``null`` for syntax errors in older
releases), ``message``, ``location`` / ``end_location`` (``row``, ``column``, 1-based) and
``severity`` (``error`` in every ruff release so far).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localci.reports._base import (
    MAX_MESSAGE,
    ReportData,
    ReportSource,
    clip,
    lint_counts,
    load_json,
    positive,
)
from localci.reports.paths import relative_path
from localci.result.model import Finding, Severity

__all__ = ["RuffJsonParser"]

_POSITION = {
    "type": "object",
    "required": ["row", "column"],
    "properties": {"row": {"type": "integer"}, "column": {"type": "integer"}},
}
_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["filename", "code", "message", "location"],
        "properties": {
            "filename": {"type": "string"},
            "code": {"type": ["string", "null"]},
            "message": {"type": "string"},
            "location": {"anyOf": [_POSITION, {"type": "null"}]},
            "end_location": {"anyOf": [_POSITION, {"type": "null"}]},
        },
    },
}
_SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")
_SYNTAX_ERROR = "syntax-error"


class RuffJsonParser:
    """The ``ruff-json`` format: the file ``ruff check --output-format=json`` writes."""

    format = "ruff-json"

    def parse(
        self, path: Path, *, root: Path, base: Path | None = None, log: Path | None = None
    ) -> ReportData:
        """One ``lint`` finding per diagnostic, and the counts by severity.

        :raises ReportError: when the file is missing, empty, not JSON, or not ruff's
            JSON output.
        """
        src = ReportSource(
            path=path,
            label="ruff JSON",
            produce="ruff check --output-format=json --output-file=<path>",
        )
        doc = load_json(src, schema=_SCHEMA)
        where = base if base is not None else root
        findings = tuple(_finding(item, root, where) for item in doc)
        return ReportData(lint=lint_counts(findings), findings=findings)


def _finding(item: dict[str, Any], root: Path, base: Path) -> Finding:
    start = item["location"] or {}
    end = item.get("end_location") or {}
    severity = item.get("severity")
    return Finding(
        kind="lint",
        severity=severity if severity in _SEVERITIES else "error",
        message=clip(item["message"], MAX_MESSAGE),
        rule=item["code"] or _SYNTAX_ERROR,
        path=relative_path(item["filename"], root, base=base),
        line=positive(start.get("row")),
        column=positive(start.get("column")),
        end_line=positive(end.get("row")),
    )
