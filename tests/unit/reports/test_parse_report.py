from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localci.errors import ReportError
from localci.reports import PARSERS, ReportData, parse_report
from localci.result.codec import result_to_dict
from localci.result.model import GitInfo, Metrics, Result, RunnerInfo, StageResult
from localci.schemas import RESULT_SCHEMA, schema_errors

FORMATS = ["junit", "coverage-json", "cobertura", "sarif", "ruff-json"]
XML_FORMATS = ["junit", "cobertura"]
JSON_FORMATS = ["coverage-json", "sarif", "ruff-json"]
COMMANDS = {
    "junit": "pytest --junitxml=<path>",
    "coverage-json": "coverage json -o <path>",
    "cobertura": "coverage xml -o <path>",
    "sarif": "ruff check --output-format=sarif -o <path>",
    "ruff-json": "ruff check --output-format=json --output-file=<path>",
}

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<{root}><testsuite name="&lol9;"/></{root}>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<{root}><testsuite name="&xxe;"/></{root}>
"""

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<{root}/>
"""

ROOT_TAG = {"junit": "testsuites", "cobertura": "coverage"}
STAGE_KINDS: dict[str, Any] = {
    "junit": "tests",
    "coverage-json": "coverage",
    "cobertura": "coverage",
    "sarif": "lint",
    "ruff-json": "lint",
}


@pytest.fixture
def real_reports(
    junit_runs: dict[str, tuple[Path, dict[str, int]]],
    coverage_runs: dict[str, tuple[Path, Path, float, str]],
    ruff_runs: tuple[dict[str, Path], int],
) -> dict[str, Path]:
    """One real report per format."""
    return {
        "junit": junit_runs["xunit2"][0],
        "coverage-json": coverage_runs["branch"][0],
        "cobertura": coverage_runs["branch"][1],
        "sarif": ruff_runs[0]["sarif"],
        "ruff-json": ruff_runs[0]["json"],
    }


def refused(fmt: str, path: Path, root: Path) -> str:
    with pytest.raises(ReportError) as caught:
        parse_report(fmt, path, root=root)
    message = caught.value.message
    assert str(path) in message
    assert "\n" not in message
    return message


def test_registry_has_one_parser_per_format() -> None:
    assert sorted(PARSERS) == sorted(FORMATS)
    assert all(parser.format == name for name, parser in PARSERS.items())


def test_parse_report_dispatches_on_format(real_reports: dict[str, Path], tmp_path: Path) -> None:
    for fmt, path in real_reports.items():
        assert isinstance(parse_report(fmt, path, root=tmp_path), ReportData)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_paused_only_while_a_report_is_read(
    real_reports: dict[str, Path], tmp_path: Path, enabled: bool
) -> None:
    """A report is read with the collector off (speed), which is restored after a parse
    and after a refused file alike, and never switched on when the caller had it off."""
    seen: list[bool] = []
    parser = PARSERS["junit"]
    original = parser.parse

    def spy(*args: Any, **kwargs: Any) -> ReportData:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(parser, "parse", spy)
            parse_report("junit", real_reports["junit"], root=tmp_path)
            assert gc.isenabled() is enabled
            with pytest.raises(ReportError):
                parse_report("junit", tmp_path / "missing.xml", root=tmp_path)
            assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert seen == [False, False]


def _stage(fmt: str, data: ReportData) -> StageResult:
    return StageResult(
        name=fmt,
        kind=STAGE_KINDS[fmt],
        status="failed",
        command=("tool",),
        duration=1.0,
        exit_code=1,
        metrics=Metrics(tests=data.tests, coverage=data.coverage, lint=data.lint),
        findings=data.findings,
        findings_total=len(data.findings),
        report_format=fmt,
    )


def test_every_format_gives_a_schema_valid_result(
    real_reports: dict[str, Path],
    tested_project: Path,
    coverage_project: Path,
    ruff_project: Path,
) -> None:
    roots = {"junit": tested_project, "sarif": ruff_project, "ruff-json": ruff_project}
    stages = [
        _stage(fmt, parse_report(fmt, path, root=roots.get(fmt, coverage_project)))
        for fmt, path in real_reports.items()
    ]
    assert all(stage.findings for stage in stages)
    result = Result(
        run_id="r1",
        localci_version="0.1.0",
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
        duration=1.0,
        conclusion="failure",
        git=GitInfo(commit="0" * 40, tree="1" * 40),
        runner=RunnerInfo(os="linux", python="3.11", localci_version="0.1.0"),
        config_path="<default>",
        config_sha256="2" * 64,
        stages=tuple(stages),
    )
    assert schema_errors(RESULT_SCHEMA, result_to_dict(result)) == []


def test_unknown_format_suggests_the_nearest(tmp_path: Path) -> None:
    message = refused("junti", tmp_path / "r.xml", tmp_path)
    assert "unknown format 'junti'" in message
    assert "Did you mean 'junit'?" in message
    assert "cobertura, coverage-json, junit, ruff-json, sarif" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_file(fmt: str, tmp_path: Path) -> None:
    message = refused(fmt, tmp_path / "nowhere" / "report", tmp_path)
    assert "does not exist" in message
    assert COMMANDS[fmt] in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_directory(fmt: str, tmp_path: Path) -> None:
    assert "is a directory, not a file" in refused(fmt, tmp_path, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unusable_path(fmt: str, tmp_path: Path) -> None:
    assert "cannot be read (embedded null byte)" in refused(fmt, tmp_path / "a\0b", tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_empty_file(fmt: str, content: bytes, tmp_path: Path) -> None:
    report = tmp_path / "report"
    report.write_bytes(content)
    assert "is empty" in refused(fmt, report, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fraction", [0.01, 0.3, 0.5, 0.9])
def test_truncated_real_report(
    fmt: str, fraction: float, real_reports: dict[str, Path], tmp_path: Path
) -> None:
    data = real_reports[fmt].read_bytes().rstrip()
    report = tmp_path / "report"
    report.write_bytes(data[: max(1, int(len(data) * fraction))])
    message = refused(fmt, report, tmp_path)
    assert "probably truncated" in message
    assert "re-run the stage" in message


@pytest.mark.parametrize(
    ("fmt", "other"), [(fmt, other) for fmt in FORMATS for other in FORMATS if fmt != other]
)
def test_another_formats_report_is_refused(
    fmt: str, other: str, real_reports: dict[str, Path], tmp_path: Path
) -> None:
    message = refused(fmt, real_reports[other], tmp_path)
    assert "is not" in message
    assert COMMANDS[fmt] in message


@pytest.mark.parametrize("fmt", XML_FORMATS)
@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, PARAMETER_ENTITY])
def test_entities_are_refused_not_expanded(fmt: str, payload: str, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(payload.format(root=ROOT_TAG[fmt]), encoding="utf-8")
    assert "refuses to expand" in refused(fmt, report, tmp_path)


@pytest.mark.parametrize("fmt", JSON_FORMATS)
@pytest.mark.parametrize(
    "content",
    [b"NaN", b'{"totals": Infinity}', b"\xff\xfe\x00garbage", b"[" * 100_000, b"{'single': 1}"],
)
def test_not_json(fmt: str, content: bytes, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_bytes(content)
    refused(fmt, report, tmp_path)


WRONG_SHAPES: list[object] = [{}, "text", 3, None, {"runs": "x", "files": 1}]


@pytest.mark.parametrize(
    ("fmt", "doc"),
    [(fmt, doc) for fmt in JSON_FORMATS for doc in WRONG_SHAPES]
    + [("coverage-json", []), ("sarif", [])],  # [] is ruff's output for a clean tree
)
def test_json_of_the_wrong_shape(fmt: str, doc: object, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(doc), encoding="utf-8")
    assert "Check that the stage's report format matches the file" in refused(fmt, report, tmp_path)


# --- robustness: a damaged real report gives data or ReportError, never another exception ---

HUGE = "__1e400__"  # written as the number 1e400, which Python reads as infinity
WRONG_VALUES: list[Any] = [None, "x", -1, 0, 1.5, [], {"a": None}, 10**30, HUGE, "a" * 300]


def _json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _json_paths(child, (*prefix, key))


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(doc))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copy


def _survives(fmt: str, report: Path, root: Path) -> None:
    with contextlib.suppress(ReportError):
        parse_report(fmt, report, root=root)


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_damaged_json_gives_data_or_report_error(
    fmt: str, real_reports: dict[str, Path], tmp_path: Path
) -> None:
    doc = json.loads(real_reports[fmt].read_text(encoding="utf-8"))
    paths = list(_json_paths(doc))
    report = tmp_path / "report.json"
    for path in paths[:: max(1, len(paths) // 24)]:
        for value in WRONG_VALUES:
            text = json.dumps(_replaced(doc, path, value)).replace(f'"{HUGE}"', "1e400")
            report.write_text(text, encoding="utf-8")
            _survives(fmt, report, tmp_path)


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_damaged_xml_gives_data_or_report_error(
    fmt: str, real_reports: dict[str, Path], tmp_path: Path
) -> None:
    text = real_reports[fmt].read_text(encoding="utf-8")
    report = tmp_path / "report.xml"
    quotes = [i for i, c in enumerate(text) if c == '"']
    for start in quotes[::2][:: max(1, len(quotes) // 160)]:
        end = text.index('"', start + 1)
        for value in ["", "x", "-1", "0", "1e9", "9" * 40, "\u0663", "../../etc/passwd", "a" * 300]:
            report.write_text(text[: start + 1] + value + text[end:], encoding="utf-8")
            _survives(fmt, report, tmp_path)
