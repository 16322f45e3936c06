"""Who signed: the identity and OIDC issuer in a Fulcio certificate, and the allowlist test.

Fulcio writes the signer into the certificate's SAN (an email, a URI such as a workflow
ref, or its own OtherName 1.3.6.1.4.1.57264.1.7) and the OIDC issuer into extension
1.3.6.1.4.1.57264.1.8 (DER UTF8String; the deprecated .1.1 holds raw bytes)
(github.com/sigstore/fulcio, docs/oid-info.md).
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.hazmat import asn1

from localci.errors import UsageError, VerificationError

__all__ = ["cert_identity", "cert_issuer", "signer_matches"]

_SAN_OTHERNAME_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
_ISSUER_V2_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # DER UTF8String
_ISSUER_V1_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # raw bytes (deprecated)


def cert_identity(cert: x509.Certificate) -> str:
    """The first SAN of a Fulcio certificate: email, URI, or Sigstore OtherName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names: list[str] = [
            *san.get_values_for_type(x509.RFC822Name),
            *san.get_values_for_type(x509.UniformResourceIdentifier),
        ]
        names += [
            asn1.decode_der(str, other.value)
            for other in san.get_values_for_type(x509.OtherName)
            if other.type_id == _SAN_OTHERNAME_OID
        ]
    except (x509.ExtensionNotFound, ValueError) as exc:
        raise VerificationError(f"the signing certificate names no signer: {exc}") from exc
    if not names:
        raise VerificationError("the signing certificate names no signer")
    return names[0]


def cert_issuer(cert: x509.Certificate) -> str:
    """The OIDC issuer: extension .1.8 (DER UTF8String), else legacy .1.1 (raw UTF-8)."""
    for oid in (_ISSUER_V2_OID, _ISSUER_V1_OID):
        try:
            ext = cert.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        if isinstance(ext, x509.UnrecognizedExtension):
            try:
                return (
                    asn1.decode_der(str, ext.value) if oid == _ISSUER_V2_OID else ext.value.decode()
                )
            except ValueError as exc:
                raise VerificationError(f"malformed OIDC issuer extension: {exc}") from exc
    raise VerificationError("the signing certificate names no OIDC issuer")


def signer_matches(
    identity: str,
    issuer: str,
    *,
    identity_exact: str | None = None,
    identity_regex: str | None = None,
    expected_issuer: str,
) -> bool:
    """Whether a signer (certificate SAN ``identity``, OIDC ``issuer``) is the allowed one.

    The issuer must equal ``expected_issuer``; the identity must equal ``identity_exact``
    or match ``identity_regex`` as a whole (``re.fullmatch``). Give exactly one of the two.

    :raises UsageError: neither or both identity forms, or an invalid regex.
    """
    if (identity_exact is None) == (identity_regex is None):
        raise UsageError("give exactly one of identity_exact and identity_regex")
    if issuer != expected_issuer:
        return False
    if identity_exact is not None:
        return identity == identity_exact
    assert identity_regex is not None
    try:
        return re.fullmatch(identity_regex, identity) is not None
    except re.error as exc:
        raise UsageError(f"invalid identity regex {identity_regex!r}: {exc}") from exc
