"""localci.attest.vsa: the gate's verdict as a SLSA VSA predicate."""

from __future__ import annotations

import json
from typing import Any

from localci.attest.statements import subjects_for
from localci.attest.vsa import CHECKS_FIELD, VSA_PREDICATE_TYPE, VerifiedInput, vsa_statement
from localci.result.codec import result_to_dict
from localci.result.digest import sha256_hex
from localci.result.model import GitInfo
from tests.factories import SHA, TREE, make_result, make_stage

DOC = result_to_dict(
    make_result(make_stage("build"), git=GitInfo(commit=SHA, tree=TREE, repository="https://x/r"))
)
BUNDLE = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "dsseEnvelope": {}}


def _verified(**changes: Any) -> VerifiedInput:
    base: dict[str, Any] = {
        "result_doc": DOC,
        "bundles": {f"{SHA}.sigstore.json": BUNDLE},
        "checks": [("signature", True, "verifies"), ("thresholds", True, "hold")],
        "accepted": True,
        "policy_uri": "git+https://github.com/o/r@base#.localci.yml",
        "policy_sha256": "d" * 64,
        "verifier_id": "https://github.com/o/r/.github/workflows/gate.yml@refs/heads/main",
        "verified_at": "2026-11-29T14:00:00.000000Z",
    }
    return VerifiedInput(**(base | changes))


def _statement(verified: VerifiedInput) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(vsa_statement(verified)._contents)
    return loaded


def test_a_passed_verdict() -> None:
    statement = _statement(_verified())
    assert statement["predicateType"] == VSA_PREDICATE_TYPE
    assert statement["subject"] == subjects_for(DOC, repo_url="https://x/r", commit=SHA)
    predicate = statement["predicate"]
    assert predicate["verifier"] == {
        "id": "https://github.com/o/r/.github/workflows/gate.yml@refs/heads/main",
        "version": {"localci": "0.1.0"},
    }
    assert predicate["resourceUri"] == f"git+https://x/r@{SHA}"
    assert predicate["policy"] == {
        "uri": "git+https://github.com/o/r@base#.localci.yml",
        "digest": {"sha256": "d" * 64},
    }
    assert predicate["inputAttestations"] == [
        {"uri": f"{SHA}.sigstore.json", "digest": {"sha256": sha256_hex(BUNDLE)}}
    ]
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["verifiedLevels"] == ["LOCALCI_SIGNATURE", "LOCALCI_THRESHOLDS"]
    assert predicate["slsaVersion"] == "1.0"
    assert predicate[CHECKS_FIELD][0] == {"name": "signature", "passed": True, "reason": "verifies"}


def test_a_failed_verdict_claims_no_level() -> None:
    checks = [("signature", True, "verifies"), ("thresholds", False, "coverage 50 < 80")]
    predicate = _statement(_verified(checks=checks, accepted=False))["predicate"]
    assert predicate["verificationResult"] == "FAILED"
    assert predicate["verifiedLevels"] == ["FAILED"]
    assert predicate[CHECKS_FIELD][1]["reason"] == "coverage 50 < 80"
