"""The pytest layer over JUnit XML: node ids, pytest's outcomes, subtests.

What pytest 9 writes per outcome, and how it is counted here (so that the counts equal
pytest's own summary line, ``5 failed, 3 passed, 7 subtests passed``):

- passed: a ``<testcase>`` with no child; counted ``passed``.
- failed: a ``<failure message=...>`` child, the traceback as its text; ``failed``.
- set-up error: ``<error message='failed on setup with "..."'>``; ``errors`` (no call ran).
- tear-down error: ``<error message='failed on teardown with "..."'>`` added to the test's
  element when the call passed or was skipped (pytest then counts the call too), or in a
  second element with the same name after a failed call; one ``errors`` each.
- collection error: ``<error message="collection failure">`` in an element whose
  ``classname`` is empty and whose ``name`` is the dotted module path; ``errors``, with the
  exception pytest printed (the last ``E`` line) as the finding's message.
- skipped: ``<skipped type="pytest.skip" message=...>``; a module skipped while collected
  writes ``<skipped message="collection skipped">`` with no type; ``skipped``.
- xfailed: ``<skipped type="pytest.xfail" message=reason>``; ``xfailed``.
- xpassed, strict: ``<failure message="[XPASS(strict)] reason">``; ``failed`` (as pytest
  counts it), with finding rule ``xpass``.
- xpassed, non-strict: no child at all, indistinguishable from a pass in the XML.
- subtests (pytest's ``subtests`` fixture, ``unittest``'s ``subTest``): every failed
  subtest adds a ``<failure>`` to its test's element, without its parameters; a passed
  one adds nothing. pytest counts each failed subtest as one ``failed``, so each
  ``<failure>`` is counted, and a ``unittest`` test whose only failures were subtests is
  ``passed``.

The XML alone cannot give non-strict xpasses, passed subtests, or which failures were
subtests. pytest's console output can: when ``log`` holds pytest's final summary line
and that line agrees with the XML on failures, errors and skips, its ``passed``,
``xpassed`` and ``subtests passed`` are taken, and its short test summary
(``SUBFAILED(i=3) tests/test_a.py::test_b - ...``, printed by default) gives each failed
subtest's parameters, added to the finding's test id (``tests/test_a.py::test_b (i=3)``).

``classname`` is the node id's path with ``/`` turned into ``.`` and ``.py`` dropped,
then the class names; ``name`` is the function name with its parameters. Only
``junit_family=xunit1`` adds ``file`` and ``line`` (0-based) attributes, so the file is
found by trying the longest dotted prefix that exists as a ``.py`` file under ``base``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from junitparser import Error, Failure, Skipped
from junitparser.junitparser import Result

from localci.reports._base import (
    MAX_DETAILS,
    MAX_MESSAGE,
    ReportData,
    clip,
    clip_tail,
    positive,
)
from localci.reports.pytest_ids import Modules, Where, locate, node_prefix
from localci.reports.pytest_log import PytestLog, read_pytest_log
from localci.result.model import MAX_INVENTORY, Finding, Inventory, TestCounts, TestOutcome

__all__ = ["is_pytest_report", "parse_pytest"]

_TEARDOWN = "failed on teardown"
_COLLECTION = "collection failure"
_STRICT_XPASS = "[XPASS(strict)]"
_CONTAINS = re.compile(r"^contains (\d+) failed subtests?$")
# ``tests/test_a.py:17: AssertionError`` (long, short and line styles) and
# ``File "tests/test_a.py", line 17, in test_b`` (native style, and a SyntaxError's
# location quoted after ``E``).
_LOCATION = re.compile(
    r'^(?:(.+?):(\d{1,9}):(?: |$)|E?\s*File "(.+?)", line (\d{1,9}))', re.MULTILINE
)
_EXCEPTION = re.compile(r"^E {3}(\S.*)$", re.MULTILINE)


def is_pytest_report(tree: Element) -> bool:
    """Whether pytest wrote ``tree``: its (first) suite has pytest's default name."""
    suite = tree if tree.tag == "testsuite" else tree.find("testsuite")
    if suite is not None and suite.get("name") == "pytest":
        return True
    return tree.tag == "testsuites" and tree.get("name") == "pytest tests"


def parse_pytest(tree: Element, *, root: Path, base: Path, log: Path | None) -> ReportData:
    """Counts and findings of a pytest JUnit report; see the module docstring."""
    from localci.reports.junit import case_results

    counts: Counter[str] = Counter()
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    cases: list[_Case] = []
    passed = 0
    modules: Modules = {}
    where = Where(root=root, base=base, modules=modules)
    prefixes: dict[str, str | None] = {}
    outcomes: dict[str, TestOutcome] = {}
    for element in tree.iter("testcase"):
        results = case_results(element) if len(element) else None
        if results:
            case = _Case.of(element, results, root=root, base=base, modules=modules)
            counts.update(case.outcomes(seen))
            cases.append(case)
            _record(outcomes, case.test_id, case.outcome)
            continue
        passed += 1  # nearly every case of a large report: counted without objects
        attrib = element.attrib
        classname = attrib.get("classname")
        if classname and not attrib.get("file"):  # the node id's module::Class part, once
            try:
                prefix = prefixes[classname]
            except KeyError:
                prefix = prefixes[classname] = node_prefix(classname, where)
            if prefix is not None:  # the best outcome: an earlier one stays
                outcomes.setdefault(f"{prefix}::{attrib.get('name', '')}", "passed")
            continue
        test_id = locate(classname or "", attrib.get("name", ""), attrib.get("file"), where)[0]
        if test_id is not None:
            outcomes.setdefault(test_id, "passed")
    counts["passed"] += passed
    console = read_pytest_log(log) if log is not None else None
    subfailed = _subtest_descriptions(cases, console)
    for case in cases:
        findings.extend(case.findings(subfailed.get(case.test_id or "", [])))
    return ReportData(
        tests=_counts(counts, cases, console, subfailed),
        findings=tuple(findings),
        inventory=Inventory(tests=tuple(sorted(outcomes.items()))[:MAX_INVENTORY]),
    )


_WORST: tuple[TestOutcome, ...] = ("passed", "skipped", "flaky", "failed", "error")


def _record(outcomes: dict[str, TestOutcome], test_id: str | None, outcome: TestOutcome) -> None:
    """Keep the worst outcome per node id (pytest writes a second element for a
    tear-down error after a failed call)."""
    if test_id is not None:
        outcomes[test_id] = max(outcome, outcomes.get(test_id, "passed"), key=_WORST.index)


def _counts(
    counts: Counter[str],
    cases: list[_Case],
    console: PytestLog | None,
    subfailed: dict[str, list[str]],
) -> TestCounts:
    subtests_failed = sum(map(len, subfailed.values())) or sum(c.subtest_failures for c in cases)
    passed, xpassed, subtests_passed = counts["passed"], 0, 0
    summary = console.summary if console is not None else None
    if summary is not None and (
        summary.get("failed", 0) == counts["failed"]
        and summary.get("errors", 0) == counts["errors"]
        and summary.get("skipped", 0) + summary.get("xfailed", 0)
        == counts["skipped"] + counts["xfailed"]
    ):
        passed, xpassed = summary.get("passed", 0), summary.get("xpassed", 0)
        subtests_passed = summary.get("subtests passed", 0)
    return TestCounts(
        total=passed + xpassed + sum(counts[k] for k in ("failed", "errors", "skipped", "xfailed")),
        passed=passed,
        failed=counts["failed"],
        errors=counts["errors"],
        skipped=counts["skipped"],
        xfailed=counts["xfailed"],
        xpassed=xpassed,
        subtests_passed=subtests_passed,
        subtests_failed=min(subtests_failed, counts["failed"]),
    )


def _subtest_descriptions(cases: list[_Case], console: PytestLog | None) -> dict[str, list[str]]:
    """Failed subtests' descriptions (``(i=3)``) per node id, in the order pytest ran them."""
    out: dict[str, list[str]] = defaultdict(list)
    if console is None or not console.subfailed:
        return out
    ids = sorted({c.test_id for c in cases if c.test_id}, key=len, reverse=True)
    for line in console.subfailed:
        for node_id in ids:
            cut = line.find(f" {node_id} - ")
            if cut < 0 and line.endswith(f" {node_id}"):
                cut = len(line) - len(node_id) - 1
            if cut >= 0:
                out[node_id].append(line[:cut].strip())
                break
    return out


@dataclass(frozen=True, kw_only=True)
class _Case:
    """One ``<testcase>`` element with an outcome child, located in the repository."""

    key: tuple[str, str]
    results: tuple[Result, ...]
    test_id: str | None
    path: str | None
    line_attr: int | None

    @classmethod
    def of(
        cls, element: Element, results: list[Result], *, root: Path, base: Path, modules: Modules
    ) -> _Case:
        classname, name = element.get("classname", ""), element.get("name", "")
        where = Where(root=root, base=base, modules=modules)
        test_id, path = locate(classname, name, element.get("file"), where)
        return cls(
            key=(classname, name),
            results=tuple(results),
            test_id=test_id,
            path=path,
            line_attr=_zero_based(element.get("line", "")),
        )

    @property
    def outcome(self) -> TestOutcome:
        """For the inventory: ``error``, ``failed``, ``skipped`` (xfail too) or ``passed``."""
        categories = {_category(r) for r in self.results if not _is_teardown(r)}
        if any(_is_teardown(r) for r in self.results) or "errors" in categories:
            return "error"
        if "failed" in categories:
            return "failed"
        return "skipped" if categories else "passed"

    @property
    def subtest_failures(self) -> int:
        """Failed subtests the XML shows: ``contains N failed subtests``, or extra failures."""
        failures = [r for r in self.results if isinstance(r, Failure)]
        if failures:
            match = _CONTAINS.match(failures[-1].message or "")
            if match:
                return int(match.group(1))
        return len(failures) if len(failures) > 1 else 0

    def outcomes(self, seen: set[tuple[str, str]]) -> Counter[str]:
        """This element's contribution to the counts; ``seen`` holds the keys of earlier
        elements with an outcome child.

        An element whose only children are tear-down errors also stands for its call,
        which passed, unless an earlier element with the same name already counted it
        (pytest's second element after a failed call, whose first element holds the
        ``<failure>``; after a passed call the error goes into the test's own element).
        """
        out = Counter(_category(result) for result in self.results)
        teardown_only = all(_is_teardown(r) for r in self.results)
        if teardown_only and self.key not in seen:
            out["passed"] += 1
        seen.add(self.key)
        return out

    def findings(self, subtests: list[str]) -> list[Finding]:
        """One finding per ``<failure>`` or ``<error>``; the first ones get ``subtests``."""
        out = []
        pending = list(subtests)
        for result in self.results:
            if isinstance(result, Skipped):
                continue
            suffix = pending.pop(0) if pending and isinstance(result, Failure) else None
            out.append(self._finding(result, suffix))
        return out

    def _files(self) -> tuple[str, ...]:
        """The test file as the repository and as pytest (the node id) name it."""
        if self.path is None:
            return ()
        module = (self.test_id or "").partition("::")[0]
        return (self.path, module) if module and module != self.path else (self.path,)

    def _finding(self, result: Result, subtest: str | None) -> Finding:
        text = result.text or ""
        rule = "error" if isinstance(result, Error) else "failure"
        message = str(result.message or "") or text.strip().partition("\n")[0] or rule
        if message.startswith(_STRICT_XPASS):
            rule = "xpass"
        if message == _COLLECTION:
            message = _collection_message(text)
        test_id = f"{self.test_id} {subtest}" if self.test_id and subtest else self.test_id
        return Finding(
            kind="test",
            rule=rule,
            message=clip(message, MAX_MESSAGE),
            details=clip_tail(text, MAX_DETAILS) if text else None,
            test_id=test_id,
            path=self.path,
            line=_traceback_line(text, self._files()) or self.line_attr,
        )


def _collection_message(text: str) -> str:
    """``Collection error: <the exception pytest printed>`` (its last ``E`` line)."""
    raised = _EXCEPTION.findall(text)
    if raised:
        return f"Collection error: {raised[-1].strip()}"
    first = text.strip().partition("\n")[0]
    return f"Collection error: {first}" if first else "Collection error"


def _zero_based(line: str) -> int | None:
    """xunit1's ``line`` attribute (0-based, pytest's item location) as a 1-based line."""
    if line.isascii() and line.isdigit() and len(line) <= 9:
        return int(line) + 1
    return None


def _category(result: Result) -> str:
    if isinstance(result, Failure):
        return "failed"
    if isinstance(result, Error):
        return "errors"
    return "xfailed" if result.type == "pytest.xfail" else "skipped"


def _is_teardown(result: Result) -> bool:
    return isinstance(result, Error) and (result.message or "").startswith(_TEARDOWN)


def _traceback_line(text: str, files: tuple[str, ...]) -> int | None:
    """The line of the innermost traceback frame in the test file, or ``None``.

    ``files`` are the file's names relative to the repository and to pytest's rootdir.
    pytest prints frame locations relative to its working directory (``../tests/x.py``)
    or absolute, so a location matches when it ends with one of them.
    """
    if not files or not text:
        return None
    found = None
    for match in _LOCATION.finditer(text):
        where = (match.group(1) or match.group(3)).replace("\\", "/")
        if any(where == f or where.endswith("/" + f) for f in files):
            found = match.group(2) or match.group(4)
    return positive(int(found)) if found else None
