"""Report parsers: one module per format, all behind :class:`ReportParser`.

=================  ======================================================  =============
format             written by                                              fills
=================  ======================================================  =============
``junit``          ``pytest --junitxml=PATH``, jest-junit, Surefire, ...     tests
``coverage-json``  ``coverage json -o PATH``                               coverage
``cobertura``      ``coverage xml``, Istanbul/nyc, JaCoCo converters        coverage
``sarif``          ``ruff check --output-format=sarif`` and other linters  lint
``ruff-json``      ``ruff check --output-format=json``                     lint
=================  ======================================================  =============

Every parser turns a bad file into a :class:`~localci.errors.ReportError` and never
expands XML entities. A new format is one new module and one line in :data:`PARSERS`.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
from collections.abc import Iterator
from pathlib import Path

from localci.errors import ReportError
from localci.reports._base import ReportData, ReportParser
from localci.reports.cobertura import CoberturaParser
from localci.reports.coverage_json import CoverageJsonParser
from localci.reports.junit import JunitParser
from localci.reports.ruff_json import RuffJsonParser
from localci.reports.sarif import SarifParser

__all__ = ["PARSERS", "ReportData", "ReportParser", "parse_report"]

_ALL: tuple[ReportParser, ...] = (
    JunitParser(),
    CoverageJsonParser(),
    CoberturaParser(),
    SarifParser(),
    RuffJsonParser(),
)

PARSERS: dict[str, ReportParser] = {parser.format: parser for parser in _ALL}
"""Every parser, keyed by its format name."""


def parse_report(
    fmt: str, path: Path, *, root: Path, base: Path | None = None, log: Path | None = None
) -> ReportData:
    """Parse the report at ``path`` in format ``fmt``; finding paths relative to ``root``.

    ``root`` is the checkout the stage ran in (a worktree or the work tree): every path
    in the result is relative to it. ``base`` is the directory the stage's command ran in
    (its ``cwd``; default ``root``), against which the report's relative paths are read.
    ``log`` is the stage's console log (pytest's summary line completes its JUnit XML).

    :raises ReportError: for an unknown format (with a "did you mean" suggestion), or a
        report that is missing, empty, truncated, not of that format, or hostile XML.
    """
    parser = PARSERS.get(fmt)
    if parser is None:
        raise ReportError(_unknown_format(fmt, path))
    with _collector_paused():
        return parser.parse(path, root=root, base=base, log=log)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a report is read.

    A large report allocates hundreds of thousands of objects that all stay alive (a
    62,000-case JUnit tree, its attribute dicts, the test ids), and each allocation burst
    triggers collections that walk them all again: about a third of the parse time, for
    no garbage. Reference counting still frees everything; the collector is switched
    back on afterwards if it was on (it is process-wide, so a parse on another thread
    may find it off and leave it alone).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _unknown_format(fmt: str, path: Path) -> str:
    known = sorted(PARSERS)
    close = difflib.get_close_matches(fmt, known, n=1)
    suggestion = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"The report {path} has the unknown format {fmt!r}; localci reads "
        f"{', '.join(known)}.{suggestion} Fix the stage's report format in the configuration."
    )
