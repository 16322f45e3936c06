"""The Fulcio double's certificate authority and CT log.

A root and an intermediate CA (ECDSA P-384) issue 10-minute leaf certificates shaped like
Fulcio's: empty subject, one critical SAN, code-signing EKU, the OIDC issuer extensions
(``1.3.6.1.4.1.57264.1.1`` raw, ``.1.8`` DER UTF8String; Fulcio's docs/oid-info.md) and one
embedded SCT made with the RFC 6962 §3.1 precertificate flow, because sigstore's
``verify_sct`` rebuilds the precertificate TBS from the final certificate and checks the
SCT against the CT log key in the trusted root.
"""

from __future__ import annotations

import hashlib
import struct
import time
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["OIDC_ISSUER_OID", "OIDC_ISSUER_V2_OID", "DoubleCA", "key_id", "spki_der"]

OIDC_ISSUER_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_SCT_LIST_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
LEAF_LIFETIME = timedelta(minutes=10)


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of ``key`` (what trusted roots carry as ``rawBytes``)."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962 §3.2 log id: sha256 of the DER SubjectPublicKeyInfo (also Rekor's log id)."""
    return hashlib.sha256(spki_der(key)).digest()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "localci sigstore double"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*allowed: str) -> x509.KeyUsage:
    flags = "digital_signature content_commitment key_encipherment data_encipherment "
    flags += "key_agreement key_cert_sign crl_sign encipher_only decipher_only"
    return x509.KeyUsage(**{flag: flag in allowed for flag in flags.split()})


def _ca_certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    path_length: int,
    now: datetime,
) -> x509.Certificate:
    # cryptography's WebPKI profile (used by sigstore's chain check) wants a critical
    # BasicConstraints, a KeyUsage with keyCertSign, and key identifiers.
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage("key_cert_sign", "crl_sign"), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA384())
    )


class DoubleCA:
    """Root, intermediate and CT log keys, made fresh for each double."""

    def __init__(self) -> None:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.root = _ca_certificate(
            _name("double root"), self.root_key, _name("double root"), self.root_key, 1, now
        )
        self.intermediate_key = ec.generate_private_key(ec.SECP384R1())
        self.intermediate = _ca_certificate(
            _name("double intermediate"),
            self.intermediate_key,
            self.root.subject,
            self.root_key,
            0,
            now,
        )
        self.ct_key = ec.generate_private_key(ec.SECP256R1())

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        san: x509.GeneralName,
        issuer_url: str,
        extra: dict[str, str],
    ) -> x509.Certificate:
        """A leaf for ``public_key``: SAN ``san``, OIDC issuer ``issuer_url``, and ``extra``
        Fulcio extensions (dotted OID -> value; OIDs up to ``.1.6`` raw, later ones UTF8String)."""
        now = datetime.now(timezone.utc).replace(microsecond=0)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + LEAF_LIFETIME)
            .add_extension(_key_usage("digital_signature"), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate_key.public_key()
                ),
                False,
            )
            # The subject is empty, so RFC 5280 §4.2.1.6 makes the SAN critical.
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
        )
        fields = {OIDC_ISSUER_OID.dotted_string: issuer_url, **extra}
        for dotted, value in fields.items():
            legacy = int(dotted.rsplit(".", 1)[1]) <= 6  # .1.1-.1.6 predate DER encoding
            der = value.encode() if legacy else asn1.encode_der(value)
            ext = x509.UnrecognizedExtension(x509.ObjectIdentifier(dotted), der)
            builder = builder.add_extension(ext, critical=False)
        builder = builder.add_extension(
            x509.UnrecognizedExtension(OIDC_ISSUER_V2_OID, asn1.encode_der(issuer_url)), False
        )
        # RFC 6962 §3.1-3.2: the log signs the precertificate's TBS minus its poison
        # extension, which is the final certificate's TBS minus the SCT list: the TBS of
        # the same certificate built without either.
        tbs = builder.sign(self.intermediate_key, hashes.SHA384()).tbs_certificate_bytes
        sct_list = self._sct_list(tbs)
        leaf = builder.add_extension(
            x509.UnrecognizedExtension(_SCT_LIST_OID, asn1.encode_der(sct_list)), False
        ).sign(self.intermediate_key, hashes.SHA384())
        assert leaf.tbs_precertificate_bytes == tbs, "SCT would not verify"
        return leaf

    def _sct_list(self, tbs: bytes) -> bytes:
        """A TLS-encoded SignedCertificateTimestampList holding one v1 SCT (RFC 6962 §3.2-3.3)."""
        # Whole seconds: the verifier turns the timestamp into a float datetime and back to
        # milliseconds, which can round off by one for arbitrary milliseconds.
        timestamp = int(time.time()) * 1000
        issuer_key_hash = key_id(self.intermediate_key.public_key())
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp, 1)  # v1, certificate_timestamp, precert_entry
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack("!H", 0)  # no CtExtensions
        )
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            struct.pack("!B", 0)
            + key_id(self.ct_key.public_key())
            + struct.pack("!QH", timestamp, 0)
            + struct.pack("!BBH", 4, 3, len(signature))  # sha256, ecdsa
            + signature
        )
        return struct.pack("!HH", len(sct) + 2, len(sct)) + sct
