"""coverage.py's JSON report (``coverage json``, format 2 or 3) into metrics and findings.

``totals.percent_covered`` is coverage.py's own combined figure (statements and, when
measured, branches); the line and branch figures are recomputed from the counts. Branch
coverage was measured exactly when ``totals`` carries ``num_branches``. File names are
relative to the directory ``coverage json`` ran in (the stage's ``cwd``); they come out
relative to the repository root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localci.reports._base import ReportData, ReportSource, load_json, percent, uncovered_findings
from localci.reports.paths import relative_path
from localci.result.model import MAX_INVENTORY, CoverageMetrics, Finding, Inventory

__all__ = ["CoverageJsonParser"]

_COUNT = {"type": "integer", "minimum": 0}
_LINES = {"type": "array"}
"""Line numbers: only the array is checked here (each item by :func:`positive` as it is
read, dropping what is not a positive integer): a schema walk over every line of every
file of a large project costs more than the rest of the parse."""
_SCHEMA = {
    "type": "object",
    "required": ["files", "totals"],
    "properties": {
        "totals": {
            "type": "object",
            "required": ["covered_lines", "num_statements", "percent_covered"],
            "properties": {
                "covered_lines": _COUNT,
                "num_statements": _COUNT,
                "percent_covered": {"type": "number", "minimum": 0, "maximum": 100},
                "num_branches": _COUNT,
                "covered_branches": _COUNT,
            },
        },
        "files": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["executed_lines", "missing_lines"],
                "properties": {"executed_lines": _LINES, "missing_lines": _LINES},
            },
        },
    },
}


class CoverageJsonParser:
    """The ``coverage-json`` format: the file ``coverage json -o PATH`` writes."""

    format = "coverage-json"

    def parse(
        self, path: Path, *, root: Path, base: Path | None = None, log: Path | None = None
    ) -> ReportData:
        """Totals as :class:`CoverageMetrics`; each uncovered range as a ``coverage`` note.

        Files outside ``root`` (an installed library measured by accident) give no
        findings but stay in the totals, as coverage.py counted them.

        :raises ReportError: when the file is missing, empty, not JSON, not a coverage.py
            JSON report, or counts more covered lines than lines.
        """
        src = ReportSource(path=path, label="coverage.py JSON", produce="coverage json -o <path>")
        doc = load_json(src, schema=_SCHEMA)
        where = base if base is not None else root
        files = {  # each file's path relative to the repository, resolved once
            rel: data
            for name, data in doc["files"].items()
            if (rel := relative_path(name, root, base=where)) is not None
        }
        return ReportData(
            coverage=_metrics(doc["totals"], src),
            findings=tuple(_findings(files)),
            inventory=Inventory(files=_file_percents(files)),
        )


def _metrics(totals: dict[str, Any], src: ReportSource) -> CoverageMetrics:
    statements, covered = int(totals["num_statements"]), int(totals["covered_lines"])
    branches = covered_branches = branch_percent = None
    if "num_branches" in totals:
        branches = int(totals["num_branches"])
        covered_branches = int(totals.get("covered_branches", 0))
        branch_percent = percent(covered_branches, branches, src, "branches")
    return CoverageMetrics(
        percent=float(totals["percent_covered"]),
        line_percent=percent(covered, statements, src, "lines"),
        branch_percent=branch_percent,
        statements=statements,
        covered_statements=covered,
        branches=branches,
        covered_branches=covered_branches,
    )


def _file_percents(files: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """Percent covered per repository-relative path (``files``' keys)."""
    out: dict[str, float] = {}
    for rel, data in files.items():
        summary = data.get("summary")
        value = summary.get("percent_covered") if isinstance(summary, dict) else None
        if isinstance(value, (int, float)) and 0 <= value <= 100:
            out[rel] = float(value)
    return tuple(sorted(out.items()))[:MAX_INVENTORY]


def _findings(files: dict[str, Any]) -> list[Finding]:
    """The uncovered ranges of each file (``files``: repository-relative path -> data)."""
    findings: list[Finding] = []
    for rel, data in files.items():
        findings += uncovered_findings(rel, data["missing_lines"], data["executed_lines"])
    return findings
