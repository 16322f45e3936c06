"""What every report parser shares: the result type, the interface, safe loading, paths.

Parsers read their file only through :func:`load_xml` or :func:`load_json`, which turn
every way a file can be unusable (missing, empty, truncated, hostile, wrong shape) into a
:class:`~localci.errors.ReportError` whose message names the file, the problem and the fix.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

from localci.errors import ReportError
from localci.result.model import CoverageMetrics, Finding, Inventory, LintCounts, TestCounts

__all__ = [
    "MAX_DETAILS",
    "MAX_MESSAGE",
    "ReportData",
    "ReportParser",
    "ReportSource",
    "clip",
    "clip_tail",
    "lint_counts",
    "load_json",
    "load_xml",
    "percent",
    "positive",
    "uncovered_findings",
]

MAX_MESSAGE = 4096
"""``Finding.message`` limit, in characters (``schemas/result.v1.schema.json``)."""

MAX_DETAILS = 16384
"""``Finding.details`` limit, in characters (``schemas/result.v1.schema.json``)."""

_PREVIEW = 200  # characters of a schema violation quoted in an error message


@dataclass(frozen=True, kw_only=True)
class ReportData:
    """What one report says; a parser fills the fields its format carries."""

    tests: TestCounts | None = None
    """Test outcome counts (JUnit); ``None`` for other formats."""

    coverage: CoverageMetrics | None = None
    """Coverage totals (coverage.py JSON, Cobertura); ``None`` for other formats."""

    lint: LintCounts | None = None
    """Lint finding counts by severity (SARIF, ruff JSON); ``None`` for other formats."""

    findings: tuple[Finding, ...] = ()
    """Every finding in the report, in report order, uncapped (the runner caps them)."""

    inventory: Inventory | None = None
    """Every test's outcome (JUnit) or file's coverage (coverage.py JSON), for deltas."""


class ReportParser(Protocol):
    """One report format: a name for the configuration and a function from file to data."""

    format: str
    """The ``report.format`` value in ``.localci.yml`` (``junit``, ``sarif``, ...)."""

    def parse(
        self, path: Path, *, root: Path, base: Path | None = None, log: Path | None = None
    ) -> ReportData:
        """Read the report at ``path``; finding paths come out relative to ``root`` (POSIX).

        ``root`` is the repository root (a worktree or the work tree); ``base`` is the
        directory the producer ran in (a stage's ``cwd``; default ``root``), against which
        relative paths in the report are resolved. ``log`` is the producer's console
        output, for formats whose report lacks something the console says (pytest's
        subtests); ``None`` when there is none.

        :raises ReportError: when the file is missing, empty, truncated, not of this format,
            or otherwise unusable.
        """
        ...


@dataclass(frozen=True, kw_only=True)
class ReportSource:
    """A report file being read, and the words to explain a problem with it.

    ``label`` names the format in prose (``JUnit XML``); ``produce`` is the command that
    writes such a file (``pytest --junitxml=<path>``), quoted in advice.
    """

    path: Path
    label: str
    produce: str

    def error(self, problem: str, advice: str) -> ReportError:
        """A :class:`ReportError`: ``The <label> report <path> <problem>. <advice>``."""
        return ReportError(f"The {self.label} report {self.path} {problem}. {advice}")

    def wrong_shape(self, detail: str) -> ReportError:
        """The error for a well-formed file whose content is not this format."""
        return self.error(
            f"is not a {self.label} report: {detail}",
            "Check that the stage's report format matches the file, which should be written "
            f"by `{self.produce}`.",
        )


def _read(src: ReportSource) -> bytes:
    try:
        data = src.path.read_bytes()
    except FileNotFoundError:
        raise src.error(
            "does not exist",
            f"The stage's command did not write it: check that it runs `{src.produce}` with "
            "this path, and look in the stage log for a crash before the report was written.",
        ) from None
    except IsADirectoryError:
        raise src.error(
            "is a directory, not a file",
            f"Set the stage's report path to the file that `{src.produce}` writes.",
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise src.error(
            f"cannot be read ({getattr(exc, 'strerror', None) or exc})",
            "Check the path and the file's permissions, and re-run the stage.",
        ) from None
    if not data or data.isspace():  # no copy of a large file
        raise src.error(
            "is empty",
            "The command most likely crashed or was killed before writing it; check the "
            "stage log and re-run the stage.",
        )
    return data


def _truncated(src: ReportSource, kind: str, detail: str) -> ReportError:
    return src.error(
        f"is not valid {kind} ({detail})",
        "It is probably truncated because the command was killed while writing it, or it is "
        f"not a {src.label} file; re-run the stage and check that the file is written by "
        f"`{src.produce}`.",
    )


_PLAIN_ENCODINGS = (b"utf-8", b"utf8", b"us-ascii", b"ascii")


def _without_dtd(data: bytes) -> bool:
    """Whether ``data`` is plainly an ASCII-compatible XML document with no DTD.

    True only when the bytes can be read as UTF-8 or ASCII (no byte-order mark, no NUL in
    the first bytes, a declared encoding, if any, of UTF-8 or ASCII) and contain no
    ``<!DOCTYPE``. Such a document can declare no entity, so the C parser reads it
    exactly as defusedxml would, about twice as fast; anything else goes to defusedxml.
    """
    head = data[:256]
    if b"\x00" in head[:4] or head.startswith((b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")):
        return False
    if head.startswith(b"<?xml"):
        declaration = head[: head.find(b"?>") + 1].lower()
        if b"encoding" in declaration and not any(e in declaration for e in _PLAIN_ENCODINGS):
            return False
    return b"<!DOCTYPE" not in data


def _parse_xml(data: bytes) -> Element:
    from defusedxml.ElementTree import (  # type: ignore[import-untyped,unused-ignore]
        fromstring,
    )

    if _without_dtd(data):
        # No DTD, so no entity can be declared: nothing for defusedxml to refuse.
        parser = XMLParser(target=TreeBuilder())  # noqa: S314
        parser.feed(data)
        root: Element = parser.close()
        return root
    defused: Element = fromstring(data, forbid_dtd=False, forbid_entities=True)
    return defused


def load_xml(src: ReportSource, *, roots: Iterable[str]) -> Element:
    """The root element of the XML file ``src``, whose tag must be one of ``roots``.

    Parsed with defusedxml: a file declaring entities is refused, never expanded (XXE and
    "billion laughs" attacks); an external DTD is never fetched. A UTF-8 file without a
    DTD, which cannot declare entities, is read by the C parser directly (the pure-Python
    parser defusedxml builds on takes twice as long for a 60,000-test JUnit file).

    :raises ReportError: missing, unreadable, empty, not well-formed, hostile, or with
        another root element.
    """
    from defusedxml import DefusedXmlException  # type: ignore[import-untyped,unused-ignore]

    data = _read(src)
    try:
        root = _parse_xml(data)
    except DefusedXmlException:
        raise src.error(
            "declares XML entities or external references, which localci refuses to expand "
            "(a defence against XXE and entity-expansion attacks)",
            f"Reports written by `{src.produce}` never contain them; regenerate the report.",
        ) from None
    except ParseError as exc:
        raise _truncated(src, "XML", str(exc)) from None
    except (LookupError, ValueError) as exc:  # an encoding expat cannot read
        raise src.wrong_shape(f"its XML declaration names an unusable encoding ({exc})") from None
    expected = tuple(roots)
    if root.tag not in expected:
        wanted = " or ".join(f"<{tag}>" for tag in expected)
        raise src.wrong_shape(f"its root element is <{root.tag}>, not {wanted}")
    return root


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def load_json(src: ReportSource, *, schema: Mapping[str, Any]) -> Any:
    """The parsed JSON file ``src``, checked against ``schema`` (JSON Schema 2020-12).

    ``schema`` describes only what the parser reads, so the parser may index the result
    without further checks. ``NaN`` and ``Infinity`` are refused (RFC 8259 has no such
    numbers, and the result document could not carry them); ``1e400`` still parses as
    infinity, which the schema or :func:`positive` then rejects.

    :raises ReportError: missing, unreadable, empty, not JSON, or not matching ``schema``.
    """
    data = _read(src)
    try:
        doc = json.loads(data, parse_constant=_no_constants)
    except RecursionError:
        raise src.wrong_shape("it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN
        raise _truncated(src, "JSON", str(exc)) from None
    problem = _schema_problem(doc, schema)
    if problem is not None:
        raise src.wrong_shape(problem)
    return doc


def _schema_problem(doc: Any, schema: Mapping[str, Any]) -> str | None:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
    from jsonschema.exceptions import (  # type: ignore[import-untyped,unused-ignore]
        best_match,
    )

    try:
        error = best_match(Draft202012Validator(schema).iter_errors(doc))
    except RecursionError:
        return "it is nested too deeply"
    if error is None:
        return None
    return f"{error.json_path}: {_describe(error)}"


def _describe(error: Any) -> str:
    """A schema violation in words, without quoting a possibly huge value."""
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"expected {wanted}, found {_json_type(error.instance)}"
    return clip(str(error.message), _PREVIEW)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_tail(text: str, limit: int) -> str:
    """``text`` cut to its last ``limit`` characters, starting with ``…`` when cut.

    For tracebacks, whose end (the exception and where it was raised) matters most.
    """
    return text if len(text) <= limit else "…" + text[len(text) - limit + 1 :]


def positive(value: object) -> int | None:
    """``value`` as a 1-based position, or ``None`` when absent, not an int, or below 1.

    Line and column numbers in the result schema are at least 1; a ``0`` some tools
    write for "the whole file" is dropped rather than invented.
    """
    if type(value) is int:  # nearly every call (a coverage report's line numbers): fast
        return value if value >= 1 else None
    if not isinstance(value, float) or not math.isfinite(value):  # bool, str, None, NaN
        return None
    number = int(value)
    return number if number >= 1 and number == value else None


def percent(part: int, whole: int, src: ReportSource, what: str) -> float:
    """``part / whole`` in percent (0-100); 100 when ``whole`` is 0 (nothing to cover).

    :raises ReportError: when ``part`` exceeds ``whole`` (an inconsistent report).
    """
    if part > whole:
        raise src.error(
            f"is inconsistent: it counts {part} covered {what} out of {whole}",
            f"Regenerate it with `{src.produce}` rather than editing or merging it by hand.",
        )
    return 100.0 if whole == 0 else 100.0 * part / whole  # the order coverage.py uses


def _lines(numbers: Iterable[object]) -> set[int]:
    return {n for n in map(positive, numbers) if n is not None}


def _missing_ranges(missing: Iterable[object], executed: Iterable[object]) -> list[tuple[int, int]]:
    missed = _lines(missing)
    statements = sorted(missed | _lines(executed))
    ranges = []
    for is_missing, group in itertools.groupby(statements, key=missed.__contains__):
        if is_missing:
            lines = list(group)
            ranges.append((lines[0], lines[-1]))
    return ranges


def uncovered_findings(
    path: str, missing: Iterable[object], executed: Iterable[object]
) -> list[Finding]:
    """One ``coverage`` note per range of uncovered statements in the file ``path``.

    Missing lines with no executed statement between them form one range, as in
    coverage.py's "Missing" column (``8-11`` even when line 9 is blank). Numbers that
    are not positive integers are ignored.
    """
    findings = []
    for start, end in _missing_ranges(missing, executed):
        single = start == end
        message = f"Line {start} is" if single else f"Lines {start}-{end} are"
        findings.append(
            Finding(
                kind="coverage",
                severity="note",
                message=f"{message} not covered",
                path=path,
                line=start,
                end_line=end,
            )
        )
    return findings


def lint_counts(findings: Iterable[Finding]) -> LintCounts:
    """Findings counted by severity."""
    severities = [f.severity for f in findings]
    return LintCounts(
        total=len(severities),
        errors=severities.count("error"),
        warnings=severities.count("warning"),
        notes=severities.count("note"),
    )
