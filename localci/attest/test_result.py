"""The in-toto test-result predicate for a localci result (docs/predicates/test-result.md).

Predicate type ``https://in-toto.io/attestation/test-result/v0.1`` (in-toto attestation,
spec/predicates/test-result.md): ``result`` is ``PASSED``, ``WARNED`` or ``FAILED``;
``configuration`` lists ResourceDescriptors; ``passedTests``, ``warnedTests`` and
``failedTests`` list test names whose meaning producer and consumer agree on. localci's
names are:

- ``<stage>`` for every stage: passed -> passed; passed with lint findings under its
  threshold, or skipped -> warned; failed, error or timed out -> failed;
- ``<stage>::<test id>`` for every failing or erroring test the stage's report named.

The predicate is a pure function of the result document, so a verifier recomputes it and
compares (``localci verify``'s ``test_result`` check). It is bounded in size: each list
keeps at most :data:`MAX_TESTS` names of at most :data:`MAX_NAME_CHARS` characters, and
the number left out of each list is recorded under the extension field
:data:`OMITTED_FIELD` (the framework's parsing rules let producers add URI-named fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from localci.attest.statements import statement_for, subjects_for
from localci.result.model import Result, StageResult

if TYPE_CHECKING:
    from sigstore import dsse

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_TESTS",
    "OMITTED_FIELD",
    "TEST_RESULT_PREDICATE_TYPE",
    "build_test_result_statement",
    "in_toto_test_result",
]

TEST_RESULT_PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
MAX_TESTS = 1000
"""Names kept per list (localci also caps the findings of a stage at 1000)."""
MAX_NAME_CHARS = 512
OMITTED_FIELD = (
    "https://github.com/localci/localci/blob/main/docs/predicates/test-result.md#omitted"
)
"""Extension field: ``{"passedTests": n, ...}`` names left out to bound the size."""

_Bucket = Literal["passedTests", "warnedTests", "failedTests"]
_BUCKETS: tuple[_Bucket, ...] = ("passedTests", "warnedTests", "failedTests")


def _stage_bucket(stage: StageResult) -> _Bucket:
    if stage.status in ("failed", "error", "timed_out"):
        return "failedTests"
    lint = stage.metrics.lint
    if stage.status == "skipped" or (lint is not None and lint.total > 0):
        return "warnedTests"
    return "passedTests"


def _names(stage: StageResult) -> dict[_Bucket, list[str]]:
    """The names one stage contributes, per list."""
    names: dict[_Bucket, list[str]] = {b: [] for b in _BUCKETS}
    names[_stage_bucket(stage)].append(stage.name)
    for finding in stage.findings:
        if finding.kind == "test" and finding.test_id and finding.severity == "error":
            names["failedTests"].append(f"{stage.name}::{finding.test_id}")
    return names


def _configuration(result: Result) -> list[dict[str, Any]]:
    """ResourceDescriptors: the effective configuration and the localci that ran it."""
    return [
        {
            "name": result.config_path,
            "digest": {"sha256": result.config_sha256},
            "mediaType": "application/json",
            "annotations": {"digestOf": "RFC 8785 canonical JSON of the effective configuration"},
        },
        {"name": "localci", "annotations": {"version": result.localci_version}},
    ]


def in_toto_test_result(result: Result) -> dict[str, Any]:
    """The test-result v0.1 predicate of ``result`` (shape in the module docstring).

    ``result`` is ``FAILED`` unless the run concluded ``success``; then ``WARNED`` when any
    name landed in ``warnedTests``, else ``PASSED``.
    """
    lists: dict[_Bucket, list[str]] = {b: [] for b in _BUCKETS}
    for stage in result.stages:
        for bucket, names in _names(stage).items():
            lists[bucket] += [n[:MAX_NAME_CHARS] for n in names]
    if result.conclusion != "success":
        verdict = "FAILED"
    else:
        verdict = "WARNED" if lists["warnedTests"] else "PASSED"
    predicate: dict[str, Any] = {"result": verdict, "configuration": _configuration(result)}
    omitted = {b: len(lists[b]) - MAX_TESTS for b in _BUCKETS if len(lists[b]) > MAX_TESTS}
    for bucket in _BUCKETS:
        predicate[bucket] = lists[bucket][:MAX_TESTS]
    if omitted:
        predicate[OMITTED_FIELD] = omitted
    return predicate


def build_test_result_statement(
    result: Result, result_doc: Mapping[str, Any], *, repo_url: str | None, commit: str
) -> dsse.Statement:
    """The test-result Statement for ``result`` (whose JSON form is ``result_doc``), with
    the same subjects as the localci result Statement.

    :raises InternalError: ``result_doc`` is not canonicalizable JSON.
    """
    subjects = subjects_for(result_doc, repo_url=repo_url, commit=commit)
    return statement_for(subjects, TEST_RESULT_PREDICATE_TYPE, in_toto_test_result(result))
