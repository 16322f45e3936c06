"""Cobertura XML as coverage.py writes it (``coverage xml``) into metrics and findings.

The percentages are computed from the counts on ``<coverage>`` (``lines-valid``,
``lines-covered``, ``branches-valid``, ``branches-covered``), not from ``line-rate``,
which coverage.py rounds to four digits. ``percent`` combines them as coverage.py does:
``(covered lines + covered branches) / (lines + branches)``. coverage.py writes
``branch-rate="0"`` with no branches when branch coverage was not measured, and ``"1"``
when it was measured and there were none (``coverage/xmlreport.py``, ``rate``).

A ``<class filename=...>`` is relative to one of the ``<source>`` directories: the first
under which the file exists wins, else the first source (else ``root``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from xml.etree.ElementTree import Element

from localci.reports._base import (
    ReportData,
    ReportSource,
    is_file,
    load_xml,
    percent,
    relative_path,
    uncovered_findings,
)
from localci.result.model import CoverageMetrics, Finding

__all__ = ["CoberturaParser"]


class CoberturaParser:
    """The ``cobertura`` format: the file ``coverage xml -o PATH`` writes."""

    format = "cobertura"

    def parse(self, path: Path, *, root: Path) -> ReportData:
        """Totals as :class:`CoverageMetrics`; each uncovered range as a ``coverage`` note.

        :raises ReportError: when the file is missing, empty, truncated, declares
            entities, is not Cobertura XML, or has non-numeric counts.
        """
        src = ReportSource(path=path, label="Cobertura XML", produce="coverage xml -o <path>")
        tree = load_xml(src, roots=("coverage",))
        return ReportData(
            coverage=_metrics(tree, src),
            findings=tuple(_findings(tree, src, root)),
        )


def _count(element: Element, name: str, src: ReportSource, default: int | None = None) -> int:
    raw = element.get(name)
    if raw is None and default is not None:
        return default
    if raw is None or not raw.isascii() or not raw.strip().isdigit() or len(raw) > 18:
        shown = "missing" if raw is None else f"{raw[:40]!r}"
        raise src.wrong_shape(f"<{element.tag}> attribute {name} is {shown}, not a count")
    return int(raw)


def _branches_measured(tree: Element, branches: int) -> bool:
    try:
        return branches > 0 or float(tree.get("branch-rate", "0")) > 0
    except ValueError:
        return False


def _metrics(tree: Element, src: ReportSource) -> CoverageMetrics:
    lines, covered = _count(tree, "lines-valid", src), _count(tree, "lines-covered", src)
    branches = _count(tree, "branches-valid", src, 0)
    covered_branches = _count(tree, "branches-covered", src, 0)
    line_percent = percent(covered, lines, src, "lines")
    if not _branches_measured(tree, branches):
        return CoverageMetrics(
            percent=line_percent,
            line_percent=line_percent,
            branch_percent=None,
            statements=lines,
            covered_statements=covered,
        )
    return CoverageMetrics(
        percent=percent(covered + covered_branches, lines + branches, src, "lines and branches"),
        line_percent=line_percent,
        branch_percent=percent(covered_branches, branches, src, "branches"),
        statements=lines,
        covered_statements=covered,
        branches=branches,
        covered_branches=covered_branches,
    )


def _findings(tree: Element, src: ReportSource, root: Path) -> list[Finding]:
    missing: dict[str, set[int]] = defaultdict(set)
    executed: dict[str, set[int]] = defaultdict(set)
    for cls in tree.iter("class"):
        filename = cls.get("filename")
        if not filename:
            raise src.wrong_shape("a <class> element has no filename attribute")
        for line in cls.findall("lines/line"):
            number = _count(line, "number", src)
            hit = _count(line, "hits", src) > 0
            (executed if hit else missing)[filename].add(number)
    sources = [s.text.strip() for s in tree.findall("sources/source") if s.text and s.text.strip()]
    findings: list[Finding] = []
    for filename, lines in missing.items():
        rel = _relative(filename, sources, root)
        if rel is not None:  # a line hit in any class is covered
            findings += uncovered_findings(rel, lines - executed[filename], executed[filename])
    return findings


def _relative(filename: str, sources: list[str], root: Path) -> str | None:
    candidates = [root / source / filename for source in sources] or [root / filename]
    found = next((c for c in candidates if is_file(c)), candidates[0])
    return relative_path(found, root)
