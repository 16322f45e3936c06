"""Canary: bundles signed by Sigstore's real staging instance verify offline, and only
under the right signer. Keeps the real verification path honest next to the double.

Assets and their origin: tests/assets/sigstore-real/PROVENANCE.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import NamedTuple

import pytest
from sigstore.errors import VerificationError
from sigstore.models import Bundle
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "sigstore-real"
GITHUB_OAUTH = "https://github.com/login/oauth"
GITHUB_ACTIONS = "https://token.actions.githubusercontent.com"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)


class Case(NamedTuple):
    artifact: str
    bundle: str
    identity: str
    issuer: str

    def load(self) -> tuple[bytes, Bundle]:
        artifact = (ASSETS / self.artifact).read_bytes()
        return artifact, Bundle.from_json((ASSETS / self.bundle).read_text())


ARTIFACTS = [
    Case("bundle.txt", "bundle.txt.sigstore", "a@tny.town", GITHUB_OAUTH),
    Case("bundle_v3.txt", "bundle_v3.txt.sigstore", "william@yossarian.net", GITHUB_OAUTH),
    Case("staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json", "jku@goto.fi", GITHUB_OAUTH),
]
DSSE = Case(
    "a.dsse.staging-rekor-v2.txt",
    "a.dsse.staging-rekor-v2.txt.sigstore.json",
    BEACON,
    GITHUB_ACTIONS,
)
DSSE_SUBJECT = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"


@pytest.fixture
def staging(sigstore_home: Path) -> Verifier:
    """The staging trust root shipped in the sigstore wheel; no network."""
    return Verifier.staging(offline=True)


def _flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.mark.parametrize("case", ARTIFACTS, ids=lambda c: c.bundle)
def test_artifact_bundle_verifies(staging: Verifier, case: Case) -> None:
    artifact, bundle = case.load()
    staging.verify_artifact(artifact, bundle, Identity(identity=case.identity, issuer=case.issuer))


@pytest.mark.parametrize("case", ARTIFACTS, ids=lambda c: c.bundle)
@pytest.mark.parametrize(
    ("identity", "issuer", "reason"),
    [
        ("someone@example.com", None, "SANs do not match"),
        (None, GITHUB_ACTIONS, "OIDCIssuer does not match"),
    ],
    ids=["wrong-identity", "wrong-issuer"],
)
def test_artifact_bundle_rejects_wrong_signer(
    staging: Verifier, case: Case, identity: str | None, issuer: str | None, reason: str
) -> None:
    artifact, bundle = case.load()
    policy = Identity(identity=identity or case.identity, issuer=issuer or case.issuer)
    with pytest.raises(VerificationError, match=reason):
        staging.verify_artifact(artifact, bundle, policy)


@pytest.mark.parametrize("case", ARTIFACTS, ids=lambda c: c.bundle)
def test_artifact_bundle_rejects_flipped_byte(staging: Verifier, case: Case) -> None:
    artifact, bundle = case.load()
    with pytest.raises(VerificationError):
        staging.verify_artifact(
            _flip(artifact), bundle, Identity(identity=case.identity, issuer=case.issuer)
        )


def test_dsse_bundle_verifies(staging: Verifier) -> None:
    _, bundle = DSSE.load()
    payload_type, payload = staging.verify_dsse(
        bundle, Identity(identity=DSSE.identity, issuer=DSSE.issuer)
    )
    assert payload_type == "application/vnd.in-toto+json"
    statement = json.loads(payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    # verify_dsse never looks at subjects (the caller must). This vector's subject is not
    # the sha256 of the artifact file shipped beside it, so only the envelope is tested.
    assert statement["subject"] == [{"name": "a.txt", "digest": {"sha256": DSSE_SUBJECT}}]
    artifact, _ = DSSE.load()
    assert hashlib.sha256(artifact).hexdigest() != DSSE_SUBJECT


@pytest.mark.parametrize(
    ("identity", "issuer", "reason"),
    [
        ("https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main", None, "SANs"),
        (None, GITHUB_OAUTH, "OIDCIssuer does not match"),
    ],
    ids=["wrong-identity", "wrong-issuer"],
)
def test_dsse_bundle_rejects_wrong_signer(
    staging: Verifier, identity: str | None, issuer: str | None, reason: str
) -> None:
    _, bundle = DSSE.load()
    policy = Identity(identity=identity or DSSE.identity, issuer=issuer or DSSE.issuer)
    with pytest.raises(VerificationError, match=reason):
        staging.verify_dsse(bundle, policy)


def test_dsse_bundle_rejects_flipped_payload_byte(staging: Verifier) -> None:
    doc = json.loads((ASSETS / DSSE.bundle).read_text())
    payload = base64.b64decode(doc["dsseEnvelope"]["payload"])
    doc["dsseEnvelope"]["payload"] = base64.b64encode(_flip(payload, 40)).decode()
    with pytest.raises(VerificationError, match="invalid signature"):
        staging.verify_dsse(
            Bundle.from_json(json.dumps(doc)), Identity(identity=DSSE.identity, issuer=DSSE.issuer)
        )
