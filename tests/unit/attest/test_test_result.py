"""localci.attest.test_result: the in-toto test-result predicate of a result."""

from __future__ import annotations

import json

import pytest

from localci.attest.statements import subjects_for
from localci.attest.test_result import (
    MAX_NAME_CHARS,
    MAX_TESTS,
    OMITTED_FIELD,
    TEST_RESULT_PREDICATE_TYPE,
    build_test_result_statement,
    in_toto_test_result,
)
from localci.result.codec import result_to_dict
from localci.result.model import Finding
from tests.factories import SHA, linted, make_result, make_stage


def _failing_test(test_id: str) -> Finding:
    return Finding(kind="test", message="assert 1 == 2", test_id=test_id)


def test_a_clean_pass_is_passed_with_every_stage() -> None:
    predicate = in_toto_test_result(make_result(make_stage("tests", "tests"), make_stage("build")))
    assert predicate["result"] == "PASSED"
    assert predicate["passedTests"] == ["tests", "build"]
    assert predicate["warnedTests"] == predicate["failedTests"] == []
    assert predicate["configuration"][0] == {
        "name": ".localci.yml",
        "digest": {"sha256": "c" * 64},
        "mediaType": "application/json",
        "annotations": {"digestOf": "RFC 8785 canonical JSON of the effective configuration"},
    }
    assert predicate["configuration"][1] == {"name": "localci", "annotations": {"version": "0.1.0"}}
    assert OMITTED_FIELD not in predicate


def test_skipped_stages_and_tolerated_lint_findings_warn() -> None:
    lint = make_stage("lint", "lint", metrics=linted(2, warnings=2))
    skipped = make_stage("docs", status="skipped", reason="sphinx is not installed", exit_code=None)
    predicate = in_toto_test_result(make_result(make_stage("tests", "tests"), lint, skipped))
    assert predicate["result"] == "WARNED"
    assert predicate["passedTests"] == ["tests"]
    assert predicate["warnedTests"] == ["lint", "docs"]


@pytest.mark.parametrize("status", ["failed", "error", "timed_out"])
def test_a_failed_run_names_its_stage_and_failing_tests(status: str) -> None:
    tests = make_stage(
        "tests",
        "tests",
        status=status,
        exit_code=1,
        findings=(_failing_test("tests/test_a.py::test_b"), Finding(kind="lint", message="x")),
        findings_total=2,
    )
    predicate = in_toto_test_result(make_result(tests, make_stage("build"), conclusion="failure"))
    assert predicate["result"] == "FAILED"
    assert predicate["failedTests"] == ["tests", "tests::tests/test_a.py::test_b"]
    assert predicate["passedTests"] == ["build"]


def test_the_lists_are_bounded_and_the_cut_is_counted() -> None:
    many = tuple(
        _failing_test(f"t.py::test_{i}_" + "x" * MAX_NAME_CHARS) for i in range(MAX_TESTS + 5)
    )
    tests = make_stage("tests", "tests", status="failed", exit_code=1, findings=many)
    predicate = in_toto_test_result(make_result(tests, conclusion="failure"))
    assert len(predicate["failedTests"]) == MAX_TESTS
    assert max(len(name) for name in predicate["failedTests"]) == MAX_NAME_CHARS
    assert predicate[OMITTED_FIELD] == {"failedTests": 6}  # the stage name came first
    assert len(json.dumps(predicate)) < (MAX_TESTS + 1) * (MAX_NAME_CHARS + 8)


def test_the_statement_names_the_result_file_and_the_commit() -> None:
    result = make_result(make_stage("build"))
    doc = result_to_dict(result)
    statement = json.loads(
        build_test_result_statement(result, doc, repo_url=None, commit=SHA)._contents
    )
    assert statement["predicateType"] == TEST_RESULT_PREDICATE_TYPE
    assert statement["subject"] == subjects_for(doc, repo_url=None, commit=SHA)
    assert statement["predicate"] == in_toto_test_result(result)
