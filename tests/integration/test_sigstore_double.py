"""The Sigstore double against sigstore-python's real signing and verification code."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore import dsse, oidc
from sigstore._internal.fulcio.client import FulcioClientError
from sigstore._internal.merkle import _chain_border_right, _chain_inner, _decomp_inclusion_proof
from sigstore.errors import VerificationError
from sigstore.models import Bundle, ClientTrustConfig
from sigstore.sign import SigningContext
from sigstore.verify import Verifier
from sigstore.verify.policy import AllOf, Identity, OIDCIssuerV2

from tests.sigstore_double import GITHUB_ISSUER
from tests.sigstore_double._rekor import inclusion_path, leaf_hash, tree_root

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.sigstore_double import SigstoreDouble

EMAIL = "alice@example.com"
WORKFLOW = "https://github.com/octo/app/.github/workflows/localci.yml@refs/heads/main"
STATEMENT = (
    dsse.StatementBuilder()
    .subjects([dsse.Subject(name="a.txt", digest=dsse.DigestSet({"sha256": "ab" * 32}))])
    .predicate_type("urn:example:test")
    .predicate({"answer": 42})
    .build()
)


def _context(double: SigstoreDouble) -> SigningContext:
    config = ClientTrustConfig.from_json(double.trust_config_path.read_text())
    return SigningContext.from_trust_config(config)


def _sign(double: SigstoreDouble, token: str) -> Bundle:
    with _context(double).signer(oidc.IdentityToken(token)) as signer:
        bundle = signer.sign_dsse(STATEMENT)
    return Bundle.from_json(bundle.to_json())  # what a reader of the stored file sees


@pytest.fixture(scope="module")
def verifier(sigstore_double: SigstoreDouble) -> Verifier:
    config = ClientTrustConfig.from_json(sigstore_double.trust_config_path.read_text())
    return Verifier(trusted_root=config.trusted_root)


@pytest.fixture(scope="module")
def email_bundle(sigstore_double: SigstoreDouble) -> Bundle:
    return _sign(sigstore_double, sigstore_double.mint_token(EMAIL))


@pytest.fixture(scope="module")
def workflow_bundle(sigstore_double: SigstoreDouble) -> Bundle:
    return _sign(sigstore_double, sigstore_double.mint_token(WORKFLOW, algorithm="ES256"))


def test_email_identity_verifies(
    verifier: Verifier, email_bundle: Bundle, sigstore_double: SigstoreDouble
) -> None:
    policy = Identity(identity=EMAIL, issuer=sigstore_double.issuer_url)
    payload_type, payload = verifier.verify_dsse(email_bundle, policy)
    assert payload_type == "application/vnd.in-toto+json"
    assert json.loads(payload)["predicate"] == {"answer": 42}


def test_workflow_identity_verifies_with_both_issuer_extensions(
    verifier: Verifier, workflow_bundle: Bundle
) -> None:
    policy = AllOf([Identity(identity=WORKFLOW, issuer=GITHUB_ISSUER), OIDCIssuerV2(GITHUB_ISSUER)])
    verifier.verify_dsse(workflow_bundle, policy)


@pytest.mark.parametrize(
    ("identity", "issuer", "reason"),
    [
        ("mallory@example.com", None, "SANs do not match"),
        (EMAIL, GITHUB_ISSUER, "OIDCIssuer does not match"),
    ],
    ids=["wrong-identity", "wrong-issuer"],
)
def test_wrong_signer_rejects(
    verifier: Verifier,
    email_bundle: Bundle,
    sigstore_double: SigstoreDouble,
    identity: str,
    issuer: str | None,
    reason: str,
) -> None:
    policy = Identity(identity=identity, issuer=issuer or sigstore_double.issuer_url)
    with pytest.raises(VerificationError, match=reason):
        verifier.verify_dsse(email_bundle, policy)


def _tampered(bundle: Bundle, edit: str) -> Bundle:
    doc = json.loads(bundle.to_json())
    if edit == "payload":
        payload = bytearray(base64.b64decode(doc["dsseEnvelope"]["payload"]))
        payload[-3] ^= 0x01
        doc["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    else:  # the logged entry: its leaf hash no longer fits the inclusion proof
        entry = doc["verificationMaterial"]["tlogEntries"][0]
        body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
        body["spec"]["envelopeHash"]["value"] = "00" * 32
        entry["canonicalizedBody"] = base64.b64encode(json.dumps(body).encode()).decode()
    return Bundle.from_json(json.dumps(doc))


@pytest.mark.parametrize(
    ("edit", "reason"),
    [("payload", "DSSE: invalid signature"), ("log-entry", "inclusion proof")],
)
def test_tampered_bundle_rejects(
    verifier: Verifier,
    email_bundle: Bundle,
    sigstore_double: SigstoreDouble,
    edit: str,
    reason: str,
) -> None:
    policy = Identity(identity=EMAIL, issuer=sigstore_double.issuer_url)
    with pytest.raises(VerificationError, match=reason):
        verifier.verify_dsse(_tampered(email_bundle, edit), policy)


@pytest.mark.parametrize("instance", ["staging", "production"])
@pytest.mark.usefixtures("sigstore_home")
def test_real_trust_roots_reject_the_double(
    email_bundle: Bundle, sigstore_double: SigstoreDouble, instance: str
) -> None:
    real = getattr(Verifier, instance)(offline=True)
    policy = Identity(identity=EMAIL, issuer=sigstore_double.issuer_url)
    with pytest.raises(VerificationError, match="certificate chain"):
        real.verify_dsse(email_bundle, policy)


def test_hashedrekord_artifact_verifies(
    sigstore_double: SigstoreDouble, verifier: Verifier
) -> None:
    with _context(sigstore_double).signer(
        oidc.IdentityToken(sigstore_double.mint_token(EMAIL))
    ) as s:
        bundle = Bundle.from_json(s.sign_artifact(b"artifact").to_json())
    policy = Identity(identity=EMAIL, issuer=sigstore_double.issuer_url)
    verifier.verify_artifact(b"artifact", bundle, policy)
    with pytest.raises(VerificationError):
        verifier.verify_artifact(b"artifacT", bundle, policy)


def test_fulcio_rejects_token_signed_by_another_key(sigstore_double: SigstoreDouble) -> None:
    claims = jwt.decode(sigstore_double.mint_token(EMAIL), options={"verify_signature": False})
    forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), "ES256")
    with (
        pytest.raises(FulcioClientError),
        _context(sigstore_double).signer(oidc.IdentityToken(forged)),
    ):
        pass


def test_fulcio_rejects_unverified_email(sigstore_double: SigstoreDouble) -> None:
    token = oidc.IdentityToken(sigstore_double.mint_token(EMAIL, email_verified=False))
    with pytest.raises(FulcioClientError), _context(sigstore_double).signer(token):
        pass


@pytest.mark.parametrize("size", range(1, 20))
def test_inclusion_paths_verify_with_sigstores_merkle_code(size: int) -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(size)]
    root = tree_root(leaves)
    for index in range(size):
        path = inclusion_path(index, leaves)
        inner, border = _decomp_inclusion_proof(index, size)
        assert len(path) == inner + border
        assert (
            _chain_border_right(_chain_inner(leaves[index], path[:inner], index), path[inner:])
            == root
        )


def test_trust_config_fixture_points_at_the_double(
    sigstore_trust_config: Path, sigstore_double: SigstoreDouble
) -> None:
    config = ClientTrustConfig.from_json(sigstore_trust_config.read_text())
    assert config.signing_config.get_oidc_url() == sigstore_double.issuer_url
    assert oidc.Issuer(sigstore_double.issuer_url).oidc_config.token_endpoint.startswith(
        sigstore_double.issuer_url
    )


def test_jwks_publishes_the_token_keys(
    sigstore_double: SigstoreDouble, mint_identity_token: Callable[..., str]
) -> None:
    with requests.Session() as session:
        keys = session.get(f"{sigstore_double.issuer_url}/jwks", timeout=5).json()["keys"]
    token = mint_identity_token(EMAIL, algorithm="ES256")
    jwk = jwt.PyJWK(next(k for k in keys if k["kid"] == jwt.get_unverified_header(token)["kid"]))
    assert jwt.decode(token, jwk.key, algorithms=["ES256"], audience="sigstore")["email"] == EMAIL
