"""The verifier's signature checks: ``signature``, ``signer``, ``subject``, ``test_result``.

Whether a Sigstore bundle verifies under the trust root, whether its signer is on the
policy's allowlist, whether its Statement is about exactly the stored result (the
subjects :func:`localci.attest.statements.subjects_for` writes, the signed predicate equal
to the stored document, and, for a file, the file's own bytes), and whether the
test-result Statement signed in the same session agrees (:mod:`localci.attest.agreement`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from localci.config.loader import Config
from localci.errors import InternalError, VerificationError
from localci.result.digest import canonical_json
from localci.result.model import Result
from localci.verifier.checklist import Checklist

__all__ = ["check_signature", "check_test_result", "real_verify"]


def real_verify(bundle_json: str, **kwargs: Any) -> Any:
    from localci.attest.signing import verify_bundle

    return verify_bundle(bundle_json, **kwargs)


def check_signature(
    run: Checklist,
    doc: Mapping[str, Any],
    bundle_json: str | None,
    policy: Config,
    verify: Callable[[str], Any],
    result_bytes: bytes | None,
) -> Any:
    """The signature, signer and subject checks; the verified statement when the
    signature verified and its subject is the stored result, else ``None``."""
    rules = policy.verify
    if bundle_json is None:
        if rules.require_signature:
            run.add(
                "signature",
                False,
                "the result is unsigned and the policy requires a "
                "signature (run `localci sign`, or `localci run --sign`)",
            )
        else:
            run.add("signature", True, "unsigned, allowed by require_signature: false")
        return None
    try:
        verified = verify(bundle_json)
    except VerificationError as exc:
        # Only a bundle that does not verify fails the check; an unusable trust config or
        # an unreachable TUF repository is the caller's problem (exit 2 / 5, not 4).
        run.add("signature", False, exc.message)
        return None
    run.signer, run.issuer = verified.identity, verified.issuer
    run.add("signature", True, "the Sigstore bundle verifies under the trust root")
    _check_signer(run, policy, verified.identity, verified.issuer)
    # The test-result Statement is compared with the signed result only once that is
    # known to be the stored one.
    return verified if _check_subject(run, doc, verified, result_bytes) else None


def check_test_result(
    run: Checklist,
    result: Result,
    signed: Any,
    bundle_json: str | None,
    verify: Callable[[str], Any],
) -> None:
    from localci.attest.agreement import disagreement

    if bundle_json is None:
        run.add("test_result", False, "no test-result attestation was signed with the result")
        return
    try:
        tests = verify(bundle_json)
    except VerificationError as exc:
        run.add("test_result", False, f"the test-result attestation: {exc.message}")
        return
    problem = disagreement(result, signed, tests)
    if problem is not None:
        run.add("test_result", False, problem)
        return
    verdict = tests.statement["predicate"]["result"]
    run.add("test_result", True, f"the signed test-result Statement agrees ({verdict})")


def _check_signer(run: Checklist, policy: Config, identity: str, issuer: str) -> None:
    from localci.attest.certs import signer_matches

    who = f"{identity} (issuer {issuer})"
    for allowed in policy.verify.signers:
        if signer_matches(
            identity,
            issuer,
            identity_exact=allowed.identity,
            identity_regex=allowed.identity_regex,
            expected_issuer=allowed.issuer,
        ):
            run.add("signer", True, f"{who} is on the allowlist")
            return
    if not policy.verify.signers:
        run.add(
            "signer",
            False,
            f"signed by {who}, but the policy allowlists no signers (verify.signers)",
        )
        return
    same_identity = [s for s in policy.verify.signers if s.identity == identity]
    if same_identity:
        expected = ", ".join(s.issuer for s in same_identity)
        run.add(
            "signer",
            False,
            f"signed by {identity} but through issuer {issuer}; the "
            f"policy allows that identity only from {expected}",
        )
        return
    run.add("signer", False, f"signed by {who}, who is not on the allowlist")


def _check_subject(
    run: Checklist, doc: Mapping[str, Any], verified: Any, result_bytes: bytes | None
) -> bool:
    from localci.attest.statements import PREDICATE_TYPE, result_digest

    statement = verified.statement
    if statement.get("predicateType") != PREDICATE_TYPE:
        return run.add(
            "subject",
            False,
            f"predicate type {statement.get('predicateType')!r} is not {PREDICATE_TYPE}",
        )
    predicate = statement.get("predicate")
    if _first_digest(statement) != _digest_or_none(predicate):
        return run.add(
            "subject", False, "the statement's subject digest does not match its payload"
        )
    if not _same_json(predicate, doc):
        return run.add(
            "subject", False, "the stored result differs from the signed one (edited after signing)"
        )
    digest = statement["subject"][0]["digest"]["sha256"]
    if result_bytes is not None and hashlib.sha256(result_bytes).hexdigest() != digest:
        return run.add(
            "subject",
            False,
            "the result file's bytes are not the signed bytes (reformatted after signing?); "
            "its sha256 is not the subject's",
        )
    if not verified.subject_matches_predicate():
        names = [s.get("name") for s in statement["subject"] if isinstance(s, dict)]
        git = doc.get("git")
        commit = git.get("commit") if isinstance(git, Mapping) else None
        return run.add("subject", False, f"the statement names {names}, not commit {commit}")
    return run.add(
        "subject",
        True,
        f"subject sha256 {result_digest(predicate)[:16]}... matches the signed result",
    )


def _first_digest(statement: Mapping[str, Any]) -> Any:
    subjects = statement.get("subject")
    first = subjects[0] if isinstance(subjects, list) and subjects else None
    digest = first.get("digest") if isinstance(first, dict) else None
    return digest.get("sha256") if isinstance(digest, dict) else None


def _digest_or_none(doc: Any) -> str | None:
    from localci.attest.statements import result_digest

    try:
        return result_digest(doc)
    except InternalError:
        return None


def _same_json(signed: Any, stored: Any) -> bool:
    """Whether ``stored`` is a JSON object equal to ``signed`` as RFC 8785 JSON.

    A stored document JCS cannot encode (NaN, an integer beyond 2**53, a lone surrogate:
    all of which ``json.loads`` accepts) equals nothing, rather than crashing the verifier.
    """
    if not isinstance(stored, Mapping):
        return False
    try:
        return canonical_json(signed) == canonical_json(dict(stored))
    except InternalError:  # JCS cannot encode it
        return False
