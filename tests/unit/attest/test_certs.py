"""localci.attest.certs: who signed, read from a Fulcio certificate."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from localci.attest.certs import cert_identity, cert_issuer
from localci.errors import VerificationError

EMAIL = "dev@example.com"


def _certificate(san: x509.GeneralName | None, extensions: dict[str, bytes]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(minutes=1))
    )
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    for oid, value in extensions.items():
        ext = x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value)
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(key, hashes.SHA256())


def test_signer_from_othername_and_legacy_issuer() -> None:
    san = x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7"), asn1.encode_der("u:42"))
    cert = _certificate(san, {"1.3.6.1.4.1.57264.1.1": b"https://legacy.example"})
    assert cert_identity(cert) == "u:42"
    assert cert_issuer(cert) == "https://legacy.example"


@pytest.mark.parametrize(
    ("san", "extensions", "reason"),
    [
        (None, {}, "names no signer"),
        (x509.RFC822Name(EMAIL), {}, "names no OIDC issuer"),
        (x509.RFC822Name(EMAIL), {"1.3.6.1.4.1.57264.1.8": b"\xff"}, "malformed OIDC issuer"),
    ],
)
def test_certificate_without_a_usable_signer_fails(
    san: x509.GeneralName | None, extensions: dict[str, bytes], reason: str
) -> None:
    cert = _certificate(san, extensions)
    with pytest.raises(VerificationError, match=reason):
        _signer_of(cert)


def _signer_of(cert: x509.Certificate) -> tuple[str, str]:
    return cert_identity(cert), cert_issuer(cert)
