"""`localci run --sign` then `localci verify`, through the CLI, against the Sigstore double."""

from __future__ import annotations

from tests.factories import VERIFIER_CHECKS

from .conftest import SignedRepo


def test_sign_then_verify(signed_repo: SignedRepo) -> None:
    signed = signed_repo.run
    assert f"signed by dev@example.com (issuer {signed_repo.issuer})" in signed.err
    assert signed_repo.token not in signed.err + signed.out
    verdict = signed_repo.verify()
    assert verdict.code == 0, verdict.out + verdict.err
    assert verdict.json()["accepted"] is True
    assert [c["name"] for c in verdict.json()["checks"]] == VERIFIER_CHECKS
