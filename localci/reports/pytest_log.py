"""What pytest's console output says that its JUnit XML does not.

Two parts of pytest's terminal report (``_pytest/terminal.py``), both stable since pytest 6:

- the final summary line, ``==== 5 failed, 3 passed, 7 subtests passed in 0.13s ====``
  (without the ``=`` rule under ``-q``): comma-separated ``<count> <category>`` pairs,
  then ``in <seconds>s``;
- the short test summary's ``SUBFAILED`` lines (pytest 9, and the pytest-subtests
  plugin before it): ``SUBFAILED(i=3) tests/test_a.py::test_b - AssertionError: ...``,
  printed by default (``-r fE``).

The last summary line in the output wins (a test that runs pytest in a subprocess may
print one earlier). Colour codes are removed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PytestLog", "parse_pytest_log", "read_pytest_log"]

_MAX_LOG = 4 * 1024 * 1024  # bytes read from the end of a log
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SUMMARY = re.compile(
    r"^=* ?(?P<parts>(?:\d+ [a-z ]+?)(?:, \d+ [a-z ]+?)*) in [\d.]+s(?: \([\d:]+\))? ?=*$"
)
_PART = re.compile(r"^(\d+) ([a-z ]+)$")
_PLURAL = {"error": "errors", "warning": "warnings"}
_SUBFAILED = "SUBFAILED"


@dataclass(frozen=True, kw_only=True)
class PytestLog:
    """pytest's own figures: ``summary`` maps a category (``passed``, ``failed``,
    ``errors``, ``subtests passed``, ...) to its count, ``None`` when no summary line was
    found; ``subfailed`` holds each ``SUBFAILED`` line without that word."""

    summary: dict[str, int] | None
    subfailed: tuple[str, ...]


def read_pytest_log(path: Path) -> PytestLog | None:
    """:func:`parse_pytest_log` of the end of the file ``path``; ``None`` if unreadable."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - _MAX_LOG))
            data = handle.read()
    except (OSError, ValueError):
        return None
    return parse_pytest_log(data.decode("utf-8", errors="replace"))


def parse_pytest_log(text: str) -> PytestLog:
    """The summary line and ``SUBFAILED`` lines in pytest's console output ``text``."""
    summary: dict[str, int] | None = None
    subfailed: list[str] = []
    for raw in _ANSI.sub("", text).splitlines():
        line = raw.strip()
        if line.startswith(_SUBFAILED):
            subfailed.append(line[len(_SUBFAILED) :])
            continue
        match = _SUMMARY.match(line)
        if match:
            summary = _categories(match.group("parts"))
    return PytestLog(summary=summary, subfailed=tuple(subfailed))


def _categories(parts: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts.split(", "):
        match = _PART.match(part)
        if match:
            name = _PLURAL.get(match.group(2), match.group(2))
            out[name] = out.get(name, 0) + int(match.group(1))
    return out
