"""ghpayload: what a result looks like on GitHub, and GitHub's limits (pure, no network)."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import replace
from typing import Any

import pytest

from localci.publish.payloads import (
    ANNOTATIONS_PER_REQUEST,
    MAX_DESCRIPTION,
    MAX_OUTPUT_BYTES,
    MAX_TITLE,
    TRUNCATION_MARKER,
    annotations_for,
    check_run_payload,
    embedded_note,
    status_payload,
    summary_for,
    text_for,
    title_for,
    truncate_bytes,
)
from localci.result.codec import result_to_dict
from localci.result.model import Finding, Result, StageResult, ThresholdOutcome
from tests.factories import SHA, covered, failed_test, linted, make_result, make_stage, ran_tests
from tests.factories import lint_finding as finding

MARKER_BYTES = len(TRUNCATION_MARKER.encode())


def stage(name: str = "lint", **kw: Any) -> StageResult:
    return make_stage(name, **{"command": ("x",), "duration": 1.25, **kw})


def result(*stages: StageResult, conclusion: str = "success") -> Result:
    return make_result(
        *(stages or (stage(),)),
        conclusion=conclusion,
        started_at="2026-01-01T00:00:00.250000Z",
    )


def annotation(f: Finding, name: str = "lint") -> dict[str, Any]:
    [ann] = annotations_for(result(stage(name, findings=(f,))))
    return ann


# --- truncate_bytes --------------------------------------------------------------------


def test_text_within_the_limit_is_untouched() -> None:
    text = "é" * (MAX_OUTPUT_BYTES // 2)  # 65534 bytes
    assert truncate_bytes(text) is text
    exact = "a" * MAX_OUTPUT_BYTES
    assert truncate_bytes(exact) == exact


@pytest.mark.parametrize("char", ["é", "€", "😀"])  # 2, 3 and 4 bytes in UTF-8
@pytest.mark.parametrize("offset", [0, 1, 2, 3])
def test_truncation_never_splits_a_character(char: str, offset: int) -> None:
    text = "a" * offset + char * 40_000
    cut = truncate_bytes(text)
    raw = cut.encode("utf-8")  # would raise on a lone surrogate / split character
    assert len(raw) <= MAX_OUTPUT_BYTES
    assert cut.endswith(TRUNCATION_MARKER)
    kept = cut.removesuffix(TRUNCATION_MARKER)
    assert text.startswith(kept)
    # As much as fits is kept: less than one character is lost to the boundary.
    assert MAX_OUTPUT_BYTES - len(raw) < len(char.encode())


def test_truncation_honours_a_smaller_limit() -> None:
    cut = truncate_bytes("ü" * 1000, 501)
    assert len(cut.encode()) <= 501
    assert cut.endswith(TRUNCATION_MARKER)
    assert cut.removesuffix(TRUNCATION_MARKER) == "ü" * ((501 - MARKER_BYTES) // 2)


# --- title, summary, text --------------------------------------------------------------


def test_title_counts_stages_and_names_the_failing_ones() -> None:
    passing = result(stage("a"), stage("b"), stage("c", status="skipped"))
    assert title_for(passing) == "localci: success (2/2 stages passed)"
    failing = result(
        stage("a"),
        stage("unit", status="failed"),
        stage("t", status="timed_out"),
        conclusion="failure",
    )
    assert title_for(failing) == "localci: failure in unit, t"


def test_title_is_at_most_255_characters() -> None:
    stages = tuple(stage(f"stage-{i:02d}-" + "x" * 50, status="failed") for i in range(20))
    title = title_for(result(*stages, conclusion="failure"))
    assert len(title) == MAX_TITLE
    assert title.endswith("…")


def test_summary_has_the_stage_table_counts_coverage_and_findings() -> None:
    tests = stage(
        "unit",
        kind="tests",
        status="failed",
        exit_code=1,
        reason="1 test failed",
        metrics=ran_tests(12, 10, failed=1, skipped=1),
    )
    cov = stage(
        "cov",
        kind="coverage",
        status="failed",
        reason="coverage 87.50% < 90%",
        metrics=covered(
            87.5, line_percent=88.0, branch_percent=80.0, statements=80, covered_statements=70
        ),
        thresholds=(ThresholdOutcome(name="min_percent", limit=90, actual=87.5, passed=False),),
    )
    lint = stage(
        "lint",
        kind="lint",
        metrics=linted(3, errors=2, warnings=1),
        thresholds=(
            ThresholdOutcome(name="max_findings", limit=5, actual=3, passed=True, severity="error"),
        ),
    )
    summary = summary_for(result(tests, cov, lint, conclusion="failure"), signer="dev@x.org")
    assert summary.startswith("**localci: failure in unit, cov**")
    assert f"Commit `{SHA}`" in summary
    assert "Signed by `dev@x.org` with Sigstore." in summary
    assert "| Stage | Status | Time | Metrics | Thresholds |" in summary
    assert "| unit | failed | 1.2 s | 10 passed, 1 failed, 1 skipped |" in summary
    assert (
        "| cov | failed | 1.2 s | 87.50% covered | ❌ min_percent >= 90 (actual 87.5) |" in summary
    )
    assert "| lint | passed | 1.2 s | 3 findings | ✅ max_findings <= 5 (actual 3) |" in summary
    assert "- **unit**: 1 test failed" in summary
    assert "- **cov**: coverage 87.50% < 90%" in summary


def test_summary_over_the_limit_is_cut_by_bytes_with_the_marker() -> None:
    stages = tuple(stage(f"s{i}", status="failed", reason="ß" * 5000) for i in range(10))
    summary = summary_for(result(*stages, conclusion="failure"))
    assert len(summary.encode()) <= MAX_OUTPUT_BYTES
    assert summary.endswith(TRUNCATION_MARKER)


def test_text_holds_the_failed_stages_log_tails() -> None:
    r = result(
        stage("ok"),
        stage("unit", status="failed", log_tail="E   assert 1 == 2"),
        stage("lint", status="failed", log_tail="a.py:1:1 F401", log_tail_truncated=True),
        conclusion="failure",
    )
    text = text_for(r)
    assert "### unit: last lines of output\n\n```text\nE   assert 1 == 2\n```" in text
    assert "### lint: last lines of output (earlier output dropped)" in text
    assert "### ok" not in text
    assert text_for(result(stage("ok"))) == "All stages passed."


def test_text_over_the_limit_keeps_the_embedded_note() -> None:
    tails = tuple(stage(f"s{i}", status="failed", log_tail="日本" * 16_000) for i in range(3))
    r = result(*tails, conclusion="failure")
    note = {"result": result_to_dict(result()), "bundle": None}
    text = text_for(r, note)
    assert len(text.encode()) <= MAX_OUTPUT_BYTES
    assert TRUNCATION_MARKER in text
    assert embedded_note(text) == note


def test_a_note_too_big_to_embed_is_left_out() -> None:
    big = {"result": {"padding": [f"{i:08x}{i * 7919:08x}" for i in range(12_000)]}}
    text = text_for(result(stage("unit", status="failed", log_tail="boom")), big)
    assert embedded_note(text) is None
    assert "boom" in text
    assert len(text.encode()) <= MAX_OUTPUT_BYTES


# --- embedded note ---------------------------------------------------------------------


def test_embedded_note_round_trips() -> None:
    note = {"result": result_to_dict(result()), "bundle": {"mediaType": "x", "é": "ü"}}
    text = text_for(result(), note)
    assert text.startswith("All stages passed.")
    assert embedded_note(text) == note


def _marker(payload: bytes) -> str:
    return f"x\n<!-- localci-note:v1 {base64.b64encode(payload).decode()} -->"


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "no marker here",
        "<!-- localci-note:v1 !!! -->",  # not base64: the marker does not even match
        "<!-- localci-note:v1 abc -->",  # bad base64 padding
        _marker(b"not gzip at all"),
        _marker(gzip.compress(b"{not json", mtime=0)),
        _marker(gzip.compress(b"\xff\xfe\x00", mtime=0)),  # not UTF-8
        _marker(gzip.compress(b"[1, 2, 3]", mtime=0)),  # JSON, but not an object
        _marker(gzip.compress(json.dumps({"a": 1}).encode(), mtime=0)[:-6]),  # truncated stream
    ],
)
def test_embedded_note_ignores_garbage(text: str | None) -> None:
    assert embedded_note(text) is None


# --- annotations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "level"), [("error", "failure"), ("warning", "warning"), ("note", "notice")]
)
def test_annotation_levels(severity: str, level: str) -> None:
    assert annotation(finding(severity=severity))["annotation_level"] == level


def test_annotation_fields_for_a_lint_finding() -> None:
    ann = annotation(finding(column=8, details="longer text"))
    assert ann == {
        "path": "src/a.py",
        "start_line": 3,
        "end_line": 3,
        "start_column": 8,
        "end_column": 8,
        "annotation_level": "failure",
        "message": "unused import",
        "title": "lint: F401",
        "raw_details": "longer text",
    }


def test_columns_only_on_a_single_line() -> None:
    ann = annotation(finding(line=3, end_line=7, column=5))
    assert (ann["start_line"], ann["end_line"]) == (3, 7)
    assert "start_column" not in ann
    assert "end_column" not in ann


def test_end_line_is_never_before_start_line() -> None:
    ann = annotation(finding(line=9, end_line=2, column=4))
    assert (ann["start_line"], ann["end_line"]) == (9, 9)
    assert ann["start_column"] == ann["end_column"] == 4


def test_failing_test_annotation_is_titled_by_its_test_id() -> None:
    f = failed_test(
        "tests/test_a.py::test_b", path="tests/test_a.py", line=12, details="Traceback ..."
    )
    ann = annotation(f, name="unit")
    assert ann["title"] == "unit: tests/test_a.py::test_b"
    assert ann["raw_details"] == "Traceback ..."
    assert "raw_details" not in annotation(finding())


def test_annotation_title_is_at_most_255_characters() -> None:
    f = finding(kind="test", test_id="tests/test_a.py::test_" + "p" * 400, path="t.py")
    title = annotation(f)["title"]
    assert len(title) == MAX_TITLE
    assert title.endswith("…")


def test_annotation_message_and_details_fit_64_kb() -> None:
    ann = annotation(finding(message="€" * 30_000, details="€" * 30_000))
    for key in ("message", "raw_details"):
        assert len(ann[key].encode()) < 64 * 1024
        assert ann[key].endswith(TRUNCATION_MARKER)


def test_findings_without_a_location_are_not_annotations() -> None:
    findings = (
        finding(path=None),
        finding(line=None),
        finding(kind="stage", path=None),
        finding(message="kept"),
    )
    anns = annotations_for(result(stage(findings=findings)))
    assert [a["message"] for a in anns] == ["kept"]


def test_uncovered_lines_only_when_asked() -> None:
    cov = finding(
        kind="coverage",
        severity="note",
        message="lines 4-6 not covered",
        line=4,
        end_line=6,
        rule=None,
    )
    r = result(stage("cov", findings=(finding(), cov)))
    assert [a["start_line"] for a in annotations_for(r)] == [3]
    with_cov = annotations_for(r, uncovered=True)
    assert [(a["start_line"], a["end_line"]) for a in with_cov] == [(3, 3), (4, 6)]
    assert with_cov[1]["annotation_level"] == "notice"


# --- payloads --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conclusion", "check", "state"),
    [
        ("success", "success", "success"),
        ("failure", "failure", "failure"),
        ("error", "failure", "error"),
        ("cancelled", "cancelled", "error"),
    ],
)
def test_conclusion_mapping(conclusion: str, check: str, state: str) -> None:
    r = result(conclusion=conclusion)
    payload = check_run_payload(r, name="localci", external_id="d" * 64)
    assert payload.conclusion == check
    assert status_payload(r, context="localci").state == state


def test_check_run_payload_fields_and_batches() -> None:
    findings = tuple(finding(line=i + 1) for i in range(120))
    r = result(stage("lint", status="failed", findings=findings), conclusion="failure")
    payload = check_run_payload(
        r, name="ci", external_id="e" * 64, details_url="https://ci.example/1"
    )
    assert (payload.name, payload.head_sha, payload.external_id) == ("ci", SHA, "e" * 64)
    assert (payload.started_at, payload.completed_at) == (r.started_at, r.finished_at)
    assert payload.details_url == "https://ci.example/1"
    assert [len(b) for b in payload.batches()] == [50, 50, 20]
    assert ANNOTATIONS_PER_REQUEST == 50
    out = payload.output(payload.batches()[2])
    assert set(out) == {"title", "summary", "text", "annotations"}
    assert [a["start_line"] for a in out["annotations"]] == list(range(101, 121))
    assert "annotations" not in payload.output(())
    empty = check_run_payload(result(), name="ci", external_id="e")
    assert empty.batches() == [()]


def test_status_description_always_fits_140_characters() -> None:
    names = [f"{c}" * 64 for c in "abcdefgh"]
    r = result(*(stage(n, status="failed") for n in names), conclusion="failure")
    status = status_payload(r, context="ci/local", target_url="https://ci.example/7")
    assert len(status.description) == MAX_DESCRIPTION
    assert status.description.startswith("failure: 0/8 stages passed · " + "a" * 64)
    assert status.description.endswith("…")
    assert (status.context, status.target_url, status.sha) == (
        "ci/local",
        "https://ci.example/7",
        SHA,
    )


def test_status_description_mentions_coverage_and_test_counts() -> None:
    tests = stage("unit", metrics=ran_tests(7, 7))
    cov = stage(
        "cov", metrics=covered(91.234, line_percent=91.0, statements=10, covered_statements=9)
    )
    status = status_payload(result(tests, cov), context="localci")
    assert status.description == "success: 2/2 stages passed · 7 tests · coverage 91.2%"
    assert status.target_url is None


def test_payloads_are_frozen() -> None:
    payload = check_run_payload(result(), name="ci", external_id="e")
    with pytest.raises(AttributeError):
        payload.name = "other"  # type: ignore[misc]
    assert replace(payload, name="other").name == "other"
