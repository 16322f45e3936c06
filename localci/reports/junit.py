"""JUnit XML as pytest writes it (``pytest --junitxml=PATH``), into test counts and findings.

What pytest 9 writes per outcome, and how it is counted here (so that the counts equal
pytest's own summary line, ``5 failed, 3 passed, ...``):

- passed: a ``<testcase>`` with no child; counted ``passed``.
- failed: a ``<failure message=...>`` child, the traceback as its text; ``failed``.
- set-up error: ``<error message='failed on setup with "..."'>``; ``errors`` (no call ran).
- tear-down error: ``<error message='failed on teardown with "..."'>`` added to the test's
  element when the call passed or was skipped (pytest then counts the call too), or in a
  second element with the same name after a failed call; one ``errors`` each.
- collection error: ``<error message="collection failure">`` in an element whose
  ``classname`` is empty and whose ``name`` is the dotted module path; ``errors``.
- skipped: ``<skipped type="pytest.skip" message=...>``; a module skipped while collected
  writes ``<skipped message="collection skipped">`` with no type; ``skipped``.
- xfailed: ``<skipped type="pytest.xfail" message=reason>``; ``xfailed``.
- xpassed, strict: ``<failure message="[XPASS(strict)] reason">``; ``failed`` (as pytest
  counts it), with finding rule ``xpass``.
- xpassed, non-strict: no child at all, indistinguishable from a pass; counted
  ``passed``, so ``xpassed`` is always 0 (pytest's summary says ``xpassed``).

``classname`` is the node id's path with ``/`` turned into ``.`` and ``.py`` dropped,
then the class names; ``name`` is the function name with its parameters. Only
``junit_family=xunit1`` adds ``file`` and ``line`` (0-based) attributes, so the file is
found by trying the longest dotted prefix that exists as a ``.py`` file under ``root``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element

from localci.reports._base import (
    MAX_DETAILS,
    MAX_MESSAGE,
    ReportData,
    ReportSource,
    clip,
    clip_tail,
    is_dir,
    is_file,
    load_xml,
    positive,
    relative_path,
)
from localci.result.model import Finding, TestCounts

__all__ = ["JunitParser"]

_OUTCOME_TAGS = ("failure", "error", "skipped")
_TEARDOWN = "failed on teardown"
_STRICT_XPASS = "[XPASS(strict)]"
# ``tests/test_a.py:17: AssertionError`` (long, short and line styles) and
# ``File "tests/test_a.py", line 17, in test_b`` (native style).
_LOCATION = re.compile(
    r'^(?:(.+?):(\d{1,9}):(?: |$)|\s*File "(.+?)", line (\d{1,9}))', re.MULTILINE
)


class JunitParser:
    """The ``junit`` format: pytest's JUnit XML (``<testsuites>`` or a bare ``<testsuite>``)."""

    format = "junit"

    def parse(self, path: Path, *, root: Path) -> ReportData:
        """Counts every outcome and makes one ``test`` finding per failure and error.

        :raises ReportError: when the file is missing, empty, truncated, declares
            entities, or is not JUnit XML.
        """
        src = ReportSource(path=path, label="JUnit XML", produce="pytest --junitxml=<path>")
        tree = load_xml(src, roots=("testsuites", "testsuite"))
        counts: Counter[str] = Counter()
        findings: list[Finding] = []
        seen: set[tuple[str, str]] = set()
        for element in tree.iter("testcase"):
            case = _Case.of(element, root)
            counts.update(case.outcomes(seen))
            findings.extend(case.findings())
        return ReportData(tests=_test_counts(counts), findings=tuple(findings))


def _test_counts(counts: Counter[str]) -> TestCounts:
    return TestCounts(
        total=sum(counts.values()),
        passed=counts["passed"],
        failed=counts["failed"],
        errors=counts["errors"],
        skipped=counts["skipped"],
        xfailed=counts["xfailed"],
    )


@dataclass(frozen=True, kw_only=True)
class _Case:
    """One ``<testcase>`` element, located in the repository."""

    key: tuple[str, str]
    children: tuple[Element, ...]
    test_id: str | None
    path: str | None
    line_attr: int | None

    @classmethod
    def of(cls, element: Element, root: Path) -> _Case:
        classname, name = element.get("classname", ""), element.get("name", "")
        file_attr = element.get("file")
        test_id, path = _locate(classname, name, file_attr, root)
        line = element.get("line", "")
        return cls(
            key=(classname, name),
            children=tuple(c for c in element if c.tag in _OUTCOME_TAGS),
            test_id=test_id,
            path=path,
            line_attr=_zero_based(line),
        )

    def outcomes(self, seen: set[tuple[str, str]]) -> Counter[str]:
        """This element's contribution to the counts; ``seen`` holds earlier elements' keys.

        An element whose only children are tear-down errors also stands for its call,
        which passed, unless an earlier element with the same name already counted it
        (pytest's second element after a failed call).
        """
        out = Counter(_category(child) for child in self.children)
        teardown_only = all(_is_teardown(c) for c in self.children)
        if teardown_only and self.key not in seen:
            out["passed"] += 1
        seen.add(self.key)
        return out

    def findings(self) -> list[Finding]:
        """One finding per ``<failure>`` or ``<error>`` child."""
        return [self._finding(c) for c in self.children if c.tag != "skipped"]

    def _finding(self, child: Element) -> Finding:
        text = child.text or ""
        message = child.get("message") or text.strip().partition("\n")[0] or child.tag
        rule = "error" if child.tag == "error" else "failure"
        if message.startswith(_STRICT_XPASS):
            rule = "xpass"
        return Finding(
            kind="test",
            rule=rule,
            message=clip(message, MAX_MESSAGE),
            details=clip_tail(text, MAX_DETAILS) if text else None,
            test_id=self.test_id,
            path=self.path,
            line=_traceback_line(text, self.path) or self.line_attr,
        )


def _zero_based(line: str) -> int | None:
    """xunit1's ``line`` attribute (0-based) as a 1-based line number."""
    if line.isascii() and line.isdigit() and len(line) <= 9:
        return int(line) + 1
    return None


def _category(child: Element) -> str:
    if child.tag == "failure":
        return "failed"
    if child.tag == "error":
        return "errors"
    return "xfailed" if child.get("type") == "pytest.xfail" else "skipped"


def _is_teardown(child: Element) -> bool:
    return child.tag == "error" and child.get("message", "").startswith(_TEARDOWN)


def _locate(
    classname: str, name: str, file_attr: str | None, root: Path
) -> tuple[str | None, str | None]:
    """The pytest node id and the test file (relative to ``root``, if it exists there).

    A collection error has an empty ``classname`` and the dotted module (or directory)
    as ``name``; its node id is the file (or directory) alone.
    """
    segments = classname.split(".") if classname else name.split(".") if name else []
    leaf = [name] if classname else []
    if file_attr:  # xunit1: relative to pytest's rootdir, with the OS's separators
        module = file_attr.replace("\\", "/")
        rest = segments[len(PurePosixPath(module).with_suffix("").parts) :]
    else:
        module, rest = _split_module(segments, root, collection=not classname)
    if not module:
        return None, None
    test_id = "::".join([module, *rest, *leaf])
    path = relative_path(root / module, root) if is_file(root / module) else None
    return test_id, path


def _split_module(segments: list[str], root: Path, *, collection: bool) -> tuple[str, list[str]]:
    """Split dotted ``segments`` into a module file and the class names after it.

    The longest prefix naming a ``.py`` file under ``root`` wins; a collection error may
    also name a directory. When nothing exists (pytest's rootdir is not ``root``), the
    classes are taken to start at the first capitalised segment (``TestX``).
    """
    for end in range(len(segments), 0, -1):
        stem = "/".join(segments[:end])
        if is_file(root / f"{stem}.py"):
            return f"{stem}.py", segments[end:]
        if collection and end == len(segments) and is_dir(root / stem):
            return stem, []
    end = next((i for i, s in enumerate(segments) if s[:1].isupper()), len(segments))
    stem = "/".join(segments[:end])
    return (f"{stem}.py" if stem else ""), segments[end:]


def _traceback_line(text: str, path: str | None) -> int | None:
    """The line of the innermost traceback frame in ``path``, or ``None``.

    pytest prints frame locations relative to its working directory (``../tests/x.py``)
    or absolute, so a location matches when it ends with ``path``.
    """
    if not path or not text:
        return None
    found = None
    for match in _LOCATION.finditer(text):
        where = (match.group(1) or match.group(3)).replace("\\", "/")
        if where == path or where.endswith("/" + path):
            found = match.group(2) or match.group(4)
    return positive(int(found)) if found else None
