"""The fast path of XML loading (no DTD, UTF-8) never lets an entity through."""

from __future__ import annotations

from pathlib import Path

import pytest

from localci.errors import ReportError
from localci.reports import parse_report

HOSTILE = (
    '<!DOCTYPE testsuite [<!ENTITY x "expanded">]>'
    '<testsuite name="s"><testcase classname="c" name="&x;"/></testsuite>'
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "latin-1"])
def test_entities_are_refused_in_every_encoding(encoding: str, tmp_path: Path) -> None:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    report = tmp_path / "j.xml"
    body = (declaration + HOSTILE).encode(encoding)
    report.write_bytes(body if encoding != "utf-16-le" else b"\xff\xfe" + body)
    with pytest.raises(ReportError, match=r"refuses to expand|unusable encoding"):
        parse_report("junit", report, root=tmp_path)


def test_utf16_report_without_dtd_is_read(tmp_path: Path) -> None:
    report = tmp_path / "j.xml"
    text = '<?xml version="1.0" encoding="utf-16"?>'
    text += '<testsuite name="s"><testcase name="é"/></testsuite>'
    report.write_bytes(text.encode("utf-16"))
    tests = parse_report("junit", report, root=tmp_path).tests
    assert tests is not None
    assert tests.passed == 1


def test_an_undeclared_entity_is_an_error_not_an_expansion(tmp_path: Path) -> None:
    report = tmp_path / "j.xml"
    report.write_text('<testsuite name="s"><testcase name="&x;"/></testsuite>', "utf-8")
    with pytest.raises(ReportError, match="not valid XML"):
        parse_report("junit", report, root=tmp_path)
