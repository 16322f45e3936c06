"""Do the two Statements of one signing session agree? (``localci verify``'s ``test_result``)

localci signs the result Statement and the in-toto test-result Statement together
(:mod:`localci.attest.document`). A verifier that accepts the result should know that a
consumer reading only the standard test-result Statement sees the same verdict, so the
second must: be signed under the very same certificate, name the same subjects, have the
test-result predicate type, and carry exactly the predicate localci derives from the
signed result (:func:`~localci.attest.test_result.in_toto_test_result`).
"""

from __future__ import annotations

from localci.attest.signing import VerifiedStatement
from localci.attest.test_result import TEST_RESULT_PREDICATE_TYPE, in_toto_test_result
from localci.result.model import Result

__all__ = ["disagreement"]


def disagreement(
    result: Result, signed_result: VerifiedStatement, signed_tests: VerifiedStatement
) -> str | None:
    """Why ``signed_tests`` does not agree with ``signed_result`` (whose predicate is
    ``result``), or ``None`` when it does. Both signatures must already have verified."""
    if signed_tests.certificate_sha256 != signed_result.certificate_sha256:
        return (
            f"the test-result Statement was signed by {signed_tests.identity} under another "
            "certificate than the result (not one signing session)"
        )
    statement = signed_tests.statement
    if statement.get("predicateType") != TEST_RESULT_PREDICATE_TYPE:
        return (
            f"predicate type {statement.get('predicateType')!r} is not {TEST_RESULT_PREDICATE_TYPE}"
        )
    if statement.get("subject") != signed_result.statement.get("subject"):
        return "the test-result Statement names other subjects than the result Statement"
    expected = in_toto_test_result(result)
    predicate = statement.get("predicate")
    if predicate != expected:
        said = predicate.get("result") if isinstance(predicate, dict) else None
        return (
            f"the test-result predicate ({said!r}) differs from the one the signed result "
            f"implies ({expected['result']!r})"
        )
    return None
