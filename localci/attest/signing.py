"""Sign a result as an in-toto Statement with Sigstore, and verify such a signature.

The only module that imports sigstore (DESIGN.md, "What is signed"). A result document
becomes an in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md)::

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": "git+<repo-url>@<commit>",
                  "digest": {"sha256": sha256(RFC 8785 canonical result JSON)}}],
     "predicateType": "urn:localci:predicate:result:v1",
     "predicate": <the result document>}

sigstore signs it as a DSSE envelope and returns a v0.3 bundle. Verification here checks
the signature, certificate chain, SCT and transparency-log proofs against a trust root and
reports who signed (certificate SAN and OIDC issuer); deciding whether that signer is
allowed, and whether the subject matches, is the caller's job (:func:`signer_matches`,
:meth:`VerifiedStatement.subject_matches_predicate`), so a rejected signer can be named.

Every failure is a :class:`~localci.errors.LocalciError`; no message ever contains the
identity token.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat import asn1
from sigstore import dsse, oidc

# sigstore 4.x raises these from its public signing API but only defines them privately.
from sigstore._internal.fulcio.client import ExpiredCertificate, FulcioClientError
from sigstore._internal.rekor import RekorClientError
from sigstore.errors import Error as SigstoreError
from sigstore.errors import NetworkError, TUFError
from sigstore.errors import VerificationError as SigstoreVerificationError
from sigstore.models import Bundle, ClientTrustConfig
from sigstore.sign import SigningContext
from sigstore.verify import Verifier

from localci.errors import (
    DeliveryError,
    InternalError,
    LocalciError,
    UsageError,
    VerificationError,
)
from localci.result.digest import canonical_json, sha256_hex

__all__ = [
    "DSSE_PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "SignedBundle",
    "SigningOptions",
    "VerifiedStatement",
    "build_statement",
    "canonical_json",
    "resolve_identity_token",
    "result_digest",
    "sign_statement",
    "signer_matches",
    "subject_name",
    "verify_bundle",
]

PREDICATE_TYPE = "urn:localci:predicate:result:v1"
"""``predicateType`` of a signed localci result, version 1 of the result schema."""

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
DSSE_PAYLOAD_TYPE = "application/vnd.in-toto+json"
"""The DSSE ``payloadType`` of an in-toto Statement (in-toto attestation, envelope.md)."""

_SAN_OTHERNAME_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
_ISSUER_V2_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # DER UTF8String
_ISSUER_V1_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # raw bytes (deprecated)
_HOW_TO_AUTHENTICATE = (
    "Pass --identity-token or set SIGSTORE_ID_TOKEN; in GitHub Actions grant "
    "`permissions: id-token: write`; on a laptop use the interactive browser sign-in."
)


result_digest = sha256_hex
"""Lower-case hex sha256 of the RFC 8785 canonical JSON of a document (the subject digest)."""


def subject_name(repo_url: str | None, commit: str) -> str:
    """``git+<repo-url>@<commit>``; ``repo-url`` is ``local`` for a repository without one."""
    return f"git+{repo_url or 'local'}@{commit}"


def build_statement(
    result_doc: Mapping[str, Any], *, repo_url: str | None, commit: str
) -> dsse.Statement:
    """The in-toto Statement v1 for ``result_doc`` (shape in the module docstring).

    The commit is in the subject name, not the digest set: sigstore's DigestSet accepts
    only sha256/384/512 and sha3, not ``gitCommit``.

    :raises InternalError: ``result_doc`` is not canonicalizable JSON.
    """
    subject = dsse.Subject(
        name=subject_name(repo_url, commit),
        digest=dsse.DigestSet({"sha256": result_digest(result_doc)}),
    )
    return dsse.StatementBuilder([subject], PREDICATE_TYPE, dict(result_doc)).build()


@dataclass(frozen=True, kw_only=True)
class SigningOptions:
    """How to sign: which identity token and which Sigstore instance."""

    identity_token: str | None = field(default=None, repr=False)  # a secret: never printed
    """An OIDC ID token (audience ``sigstore``); ``None`` looks elsewhere."""
    trust_config: Path | None = None
    """A ``ClientTrustConfig`` JSON selecting a private instance; wins over ``staging``."""
    staging: bool = False
    """Use Sigstore's staging instance instead of production."""
    oauth_force_oob: bool = False
    """Interactive sign-in: print a URL and read the code instead of opening a browser."""
    interactive: bool = False
    """Allow the interactive browser sign-in when no other token is found."""


@dataclass(frozen=True, kw_only=True)
class SignedBundle:
    """The outcome of :func:`sign_statement`."""

    bundle_json: str
    """The Sigstore bundle, v0.3 JSON (``application/vnd.dev.sigstore.bundle.v0.3+json``)."""
    identity: str
    """The signing certificate's SAN: an email or a workflow URI."""
    issuer: str
    """The OIDC issuer recorded in the certificate."""


@dataclass(frozen=True, kw_only=True)
class VerifiedStatement:
    """A statement whose signature verified, and who signed it (not yet allowlisted)."""

    payload_type: str
    """The DSSE ``payloadType`` (always :data:`DSSE_PAYLOAD_TYPE`)."""
    statement: dict[str, Any]
    """The parsed in-toto Statement: ``_type``, ``subject``, ``predicateType``, ``predicate``."""
    identity: str
    """The signing certificate's SAN."""
    issuer: str
    """The OIDC issuer from extension 1.3.6.1.4.1.57264.1.8 (else .1.1)."""

    def subject_matches_predicate(self) -> bool:
        """True when the statement has exactly one subject and its sha256 digest is
        :func:`result_digest` of the predicate (sigstore's ``verify_dsse`` leaves this
        to the caller)."""
        subjects = self.statement.get("subject")
        if not isinstance(subjects, list) or len(subjects) != 1:
            return False
        digest = subjects[0].get("digest") if isinstance(subjects[0], dict) else None
        try:
            expected = result_digest(self.statement.get("predicate"))
        except InternalError:
            return False
        return isinstance(digest, dict) and digest.get("sha256") == expected


def _diagnostics(exc: BaseException) -> str:
    text = exc.diagnostics() if isinstance(exc, SigstoreError) else str(exc)
    return textwrap.dedent(text).strip() or type(exc).__name__


def _load_trust_config(path: Path | None, *, staging: bool, offline: bool) -> ClientTrustConfig:
    """The trust config from ``path``, else staging's or production's (TUF, maybe cached).

    :raises UsageError: ``path`` is unreadable or not a usable trust config.
    :raises DeliveryError: the TUF repository could not be reached.
    """
    if path is None:
        try:
            return (
                ClientTrustConfig.staging(offline)
                if staging
                else ClientTrustConfig.production(offline)
            )
        except (TUFError, NetworkError) as exc:
            raise DeliveryError(
                f"cannot load the Sigstore trust root: {_diagnostics(exc)}"
            ) from exc
        except SigstoreError as exc:
            raise InternalError(
                f"cannot load the Sigstore trust root: {_diagnostics(exc)}"
            ) from exc
    try:
        config = ClientTrustConfig.from_json(path.read_text(encoding="utf-8"))
        _ = (config.trusted_root, config.signing_config)  # both validate when accessed
    except OSError as exc:
        raise UsageError(f"cannot read the trust config {path}: {exc.strerror}") from exc
    except (ValueError, SigstoreError) as exc:
        raise UsageError(
            f"{path} is not a usable Sigstore client trust config: {_diagnostics(exc)}",
            hint="Write it as `sigstore --trust-config` expects (ClientTrustConfig v0.1 JSON).",
        ) from exc
    return config


def _signing_trust_config(options: SigningOptions) -> ClientTrustConfig:
    """The instance to sign with (fresh from TUF unless it comes from a file)."""
    return _load_trust_config(options.trust_config, staging=options.staging, offline=False)


def _parse_token(raw: str, source: str) -> oidc.IdentityToken:
    try:
        return oidc.IdentityToken(raw)
    except SigstoreError as exc:
        # `from None`: the cause (a PyJWT error) may quote parts of the token.
        raise UsageError(
            f"the identity token from {source} is not usable: {exc}", hint=_HOW_TO_AUTHENTICATE
        ) from None


def resolve_identity_token(
    options: SigningOptions, trust: ClientTrustConfig | None = None
) -> oidc.IdentityToken:
    """The first identity token available: ``options.identity_token``, then
    ``$SIGSTORE_ID_TOKEN``, then an ambient CI credential (``id.detect_credential``:
    GitHub Actions, GitLab, Buildkite, CircleCI, GCP), then, only when
    ``options.interactive``, the browser sign-in at the instance's OIDC URL (read from
    ``trust``, or from the instance ``options`` select).

    :raises UsageError: no token, or a malformed, expired or refused one.
    :raises DeliveryError: the OIDC issuer could not be reached.
    """
    if options.identity_token:
        return _parse_token(options.identity_token, "--identity-token")
    if os.environ.get("SIGSTORE_ID_TOKEN"):
        return _parse_token(os.environ["SIGSTORE_ID_TOKEN"], "SIGSTORE_ID_TOKEN")
    try:
        ambient = oidc.detect_credential()
    except SigstoreError as exc:
        raise UsageError(f"ambient credential detection failed: {_diagnostics(exc)}") from exc
    if ambient:
        return _parse_token(ambient, "the CI environment")
    if not options.interactive:
        raise UsageError("no identity token to sign with", hint=_HOW_TO_AUTHENTICATE)
    trust = trust or _signing_trust_config(options)
    try:
        issuer = oidc.Issuer(trust.signing_config.get_oidc_url())
        return issuer.identity_token(force_oob=options.oauth_force_oob)
    except NetworkError as exc:
        raise DeliveryError(f"cannot reach the OIDC issuer: {_diagnostics(exc)}") from exc
    except (SigstoreError, oidc.IssuerError) as exc:
        raise UsageError(f"interactive sign-in failed: {_diagnostics(exc)}") from exc


def _http_status(exc: BaseException) -> tuple[int | None, str]:
    """HTTP status and server message behind a sigstore client error, when there is one."""
    http = exc.__cause__ or exc.__context__
    response = getattr(http, "response", None)
    if not isinstance(response, requests.Response):
        return None, _diagnostics(exc)
    try:
        message = str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        message = response.text[:200]
    return response.status_code, message or _diagnostics(exc)


def _signing_error(exc: Exception) -> LocalciError:
    """The localci error for an exception out of sigstore's signing flow."""
    if isinstance(exc, oidc.ExpiredIdentity):
        return UsageError("the identity token expired before signing", hint=_HOW_TO_AUTHENTICATE)
    if isinstance(exc, ExpiredCertificate):
        return UsageError("the signing certificate expired during signing; sign again")
    if isinstance(exc, requests.RequestException | NetworkError | TUFError):
        return DeliveryError(
            f"cannot reach Sigstore: {_diagnostics(exc)}",
            hint="Check network access to the Sigstore instance, then sign again.",
        )
    if isinstance(exc, FulcioClientError | RekorClientError):
        service = "Fulcio" if isinstance(exc, FulcioClientError) else "Rekor"
        status, message = _http_status(exc)
        text = f"{service} refused the request (HTTP {status}): {message}"
        if status is not None and status >= 500:
            return DeliveryError(text)
        if service == "Fulcio" and status is not None:
            return UsageError(
                text,
                hint="The identity token must be a fresh OIDC ID token "
                "with audience `sigstore` from an issuer the instance trusts.",
            )
        return InternalError(text)
    if isinstance(exc, SigstoreVerificationError):
        return VerificationError(f"Sigstore returned unverifiable material: {_diagnostics(exc)}")
    return InternalError(f"signing failed: {_diagnostics(exc)}")


def _redacted(error: LocalciError, token: str) -> LocalciError:
    """``error`` with any copy of ``token`` in its text replaced (belt and braces)."""
    if token in error.message or token in (error.hint or ""):
        error.message = error.message.replace(token, "<redacted>")
        error.hint = error.hint.replace(token, "<redacted>") if error.hint else None
        error.args = (error.message,)
    return error


def sign_statement(statement: dsse.Statement, options: SigningOptions) -> SignedBundle:
    """Sign ``statement`` as a DSSE envelope with a short-lived Fulcio certificate and log
    it in Rekor, on the instance ``options`` select (trust config file, else staging,
    else production).

    :raises UsageError: no usable identity token or trust config; the token was refused.
    :raises DeliveryError: Sigstore could not be reached.
    :raises VerificationError: the instance returned material its trust root rejects.
    :raises InternalError: any other failure inside sigstore.
    """
    # The token comes first, so a missing one is reported before any network access;
    # only the interactive sign-in needs the instance's OIDC URL from the trust config.
    trust = _signing_trust_config(options) if options.interactive else None
    token = resolve_identity_token(options, trust)
    trust = trust or _signing_trust_config(options)
    try:
        context = SigningContext.from_trust_config(trust)
        # Keep cache=True: in sigstore 4.5.1 cache=False makes a new key per access and
        # yields bundles whose signature does not match the certificate.
        with context.signer(token) as signer:
            bundle = signer.sign_dsse(statement)
    except (
        SigstoreError,
        FulcioClientError,
        RekorClientError,
        ExpiredCertificate,
        oidc.ExpiredIdentity,
        requests.RequestException,
        ValueError,
    ) as exc:
        raise _redacted(_signing_error(exc), str(token)) from exc
    cert = bundle.signing_certificate
    return SignedBundle(
        bundle_json=bundle.to_json(), identity=_cert_identity(cert), issuer=_cert_issuer(cert)
    )


class _AnyIdentity:
    """A sigstore verification policy that accepts every signer.

    Same effect as ``sigstore.verify.policy.UnsafeNoOp`` without its log warning ("no
    verification performed!"), which would mislead users: localci checks the signer right
    after, with :func:`signer_matches`, so that it can name a signer it rejects.
    """

    def verify(self, cert: x509.Certificate) -> None:
        """Accept ``cert``'s identity; chain, SCT and log checks are sigstore's."""


def verify_bundle(
    bundle_json: str, *, trust_config: Path | None, staging: bool, offline: bool = True
) -> VerifiedStatement:
    """Verify a DSSE bundle against a trust root and return the signed statement.

    Checks the certificate chain at the logged time, the SCT, the Rekor inclusion proof,
    checkpoint and promise, and the DSSE signature. Not checked: who signed (see
    :func:`signer_matches`) and the statement's subject (see
    :meth:`VerifiedStatement.subject_matches_predicate`).

    :param offline: use the cached or bundled TUF trust root instead of refreshing it.
    :raises VerificationError: the bundle is malformed or does not verify (sigstore's
        reason is in the message), or its payload is not an in-toto Statement.
    :raises UsageError, DeliveryError, InternalError: the trust root cannot be loaded.
    """
    trust = _load_trust_config(trust_config, staging=staging, offline=offline)
    try:
        verifier = Verifier(trusted_root=trust.trusted_root)
    except SigstoreError as exc:
        raise UsageError(f"the Sigstore trusted root is unusable: {_diagnostics(exc)}") from exc
    try:
        bundle = Bundle.from_json(bundle_json)
        payload_type, payload = verifier.verify_dsse(bundle, _AnyIdentity())
    except (SigstoreError, ValueError, x509.ExtensionNotFound) as exc:
        # str(), not diagnostics(): the reason alone, without sigstore's CLI boilerplate.
        reason = str(exc).strip() or type(exc).__name__
        raise VerificationError(f"the signature does not verify: {reason}") from exc
    if payload_type != DSSE_PAYLOAD_TYPE:
        raise VerificationError(f"the signed payload is {payload_type!r}, not an in-toto Statement")
    try:
        statement = json.loads(payload)
    except ValueError as exc:
        raise VerificationError(f"the signed payload is not JSON: {exc}") from exc
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise VerificationError(f"the signed payload is not an {STATEMENT_TYPE} statement")
    cert = bundle.signing_certificate
    return VerifiedStatement(
        payload_type=payload_type,
        statement=statement,
        identity=_cert_identity(cert),
        issuer=_cert_issuer(cert),
    )


def _cert_identity(cert: x509.Certificate) -> str:
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


def _cert_issuer(cert: x509.Certificate) -> str:
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
