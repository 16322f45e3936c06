"""JUnit XML from any test runner, read with junitparser, into test counts and findings.

The XML is loaded by :func:`~localci.reports._base.load_xml` (defusedxml rules) and read
through junitparser's :class:`~junitparser.TestCase`. A report pytest wrote (its suite is
named ``pytest``, pytest's default ``junit_suite_name``) goes to the pytest layer in
:mod:`localci.reports.pytest_junit`; every other producer is read as the format's common
core says (the ``testcase`` element of the JUnit XSD that Ant, Maven Surefire, Jenkins
and GitLab read):

- One ``<testcase>`` is one test, counted once: its first ``<failure>``, ``<error>`` or
  ``<skipped>`` child decides (``failed``, ``errors``, ``skipped``); several such children
  (mocha retries, jest's ``failureMessages``) still make one failed test.
- A case without such a child passed, unless its ``status`` says it never ran
  (``disabled``, ``notrun``, ``skipped``: GoogleTest, Catch2) or its ``result`` is
  ``skipped`` or ``suppressed`` (GoogleTest 1.10+): then ``skipped``.
- Cases with the same name are separate tests (``it("adds")`` twice, parametrised runs).
- ``file`` (on the case or its suite) is relative to the directory the runner ran in, or
  absolute; ``line`` is 1-based. No file is invented: a Java, Go, JavaScript or C++ test
  without a ``file`` attribute has no path.
- The test id is ``classname.name`` (``com.example.CalcTest.adds``, GoogleTest's
  ``MathTest.Add``; the suite's name when ``classname`` is empty), or only ``name`` when
  it already contains the class name (jest and mocha repeat the suite title in both).

A 62,000-case file is read in a fraction of a second (``benchmarks/bench_junit.py``):
cases without children, nearly all of a large report, are counted without building
junitparser objects.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from junitparser import Error, Failure, Skipped, TestCase
from junitparser.junitparser import Result

from localci.reports._base import (
    MAX_DETAILS,
    MAX_MESSAGE,
    ReportData,
    ReportSource,
    clip,
    clip_tail,
    load_xml,
    positive,
)
from localci.reports.paths import relative_path
from localci.result.model import Finding, TestCounts

__all__ = ["JunitParser", "case_id", "case_results"]

_NOT_RUN_STATUS = frozenset({"disabled", "notrun", "skipped"})
_NOT_RUN_RESULT = frozenset({"skipped", "suppressed"})


class JunitParser:
    """The ``junit`` format: JUnit XML (``<testsuites>`` or a bare ``<testsuite>``)."""

    format = "junit"

    def parse(
        self, path: Path, *, root: Path, base: Path | None = None, log: Path | None = None
    ) -> ReportData:
        """Counts every test once and makes one ``test`` finding per failure and error.

        ``log`` (pytest's console output) completes a pytest report with subtests.

        :raises ReportError: when the file is missing, empty, truncated, declares
            entities, or is not JUnit XML.
        """
        src = ReportSource(
            path=path,
            label="JUnit XML",
            produce="pytest --junitxml=<path>",
        )
        tree = load_xml(src, roots=("testsuites", "testsuite"))
        where = base if base is not None else root
        from localci.reports.pytest_junit import is_pytest_report, parse_pytest

        if is_pytest_report(tree):
            return parse_pytest(tree, root=root, base=where, log=log)
        return _parse_generic(tree, root=root, base=where)


def case_results(element: Element) -> list[Result]:
    """The ``<failure>``, ``<error>`` and ``<skipped>`` children, as junitparser reads them."""
    if len(element) == 0:  # the common case, without building junitparser objects
        return []
    results: list[Result] = TestCase.fromelem(element).result  # type: ignore[no-untyped-call]
    return results


def _suites_and_cases(tree: Element) -> Iterator[tuple[Element, Element]]:
    """Every ``<testcase>`` with its innermost ``<testsuite>``, nested suites included."""
    for suite in tree.iter("testsuite"):
        for case in suite.iterfind("testcase"):
            yield suite, case


def _parse_generic(tree: Element, *, root: Path, base: Path) -> ReportData:
    counts: Counter[str] = Counter()
    findings: list[Finding] = []
    for suite, case in _suites_and_cases(tree):
        if len(case) == 0 and "status" not in case.attrib and "result" not in case.attrib:
            counts["passed"] += 1  # nearly every case of a large report
            continue
        results = case_results(case)
        counts[_outcome(case, results)] += 1
        if any(isinstance(r, (Failure, Error)) for r in results):
            findings.extend(_findings(suite, case, results, root=root, base=base))
    return ReportData(
        tests=TestCounts(
            total=sum(counts.values()),
            passed=counts["passed"],
            failed=counts["failed"],
            errors=counts["errors"],
            skipped=counts["skipped"],
        ),
        findings=tuple(findings),
    )


def _outcome(case: Element, results: list[Result]) -> str:
    for result in results:
        if isinstance(result, Failure):
            return "failed"
        if isinstance(result, Error):
            return "errors"
        if isinstance(result, Skipped):
            return "skipped"
    status, result_attr = case.get("status"), case.get("result")
    if status in _NOT_RUN_STATUS or result_attr in _NOT_RUN_RESULT:
        return "skipped"
    return "passed"


def case_id(classname: str, name: str) -> str:
    """``classname.name``, or ``name`` alone when it already names the class."""
    if not classname or classname in name:
        return name
    return f"{classname}.{name}" if name else classname


def _findings(
    suite: Element, case: Element, results: list[Result], *, root: Path, base: Path
) -> Iterator[Finding]:
    file_attr = case.get("file") or suite.get("file")
    path = relative_path(file_attr, root, base=base) if file_attr else None
    line_attr = positive(_int(case.get("line")))
    classname = case.get("classname") or suite.get("name") or ""
    ident = case_id(classname, case.get("name") or "")
    for result in results:
        if not isinstance(result, (Failure, Error)):
            continue
        text = result.text or ""
        rule = "error" if isinstance(result, Error) else "failure"
        message = str(result.message or "") or text.strip().partition("\n")[0] or rule
        yield Finding(
            kind="test",
            rule=rule,
            message=clip(message.strip(), MAX_MESSAGE),
            details=clip_tail(text, MAX_DETAILS) if text else None,
            test_id=ident or None,
            path=path,
            line=line_attr or _stack_line(text, path),
        )


def _int(raw: str | None) -> int | None:
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return int(raw)
    return None


def _stack_line(text: str, path: str | None) -> int | None:
    """The line of the first stack frame in ``path`` (``at f (dir/x.test.js:9:12)``)."""
    if not path or not text:
        return None
    match = re.search(r"(?:^|[\s(/\\])" + re.escape(path) + r":(\d{1,9})", text)
    return positive(int(match.group(1))) if match else None
