"""Sign in-toto Statements with Sigstore, and verify such signatures.

The only module that talks to Sigstore (what is signed: :mod:`localci.attest.statements`).
:func:`sign_statements` signs several Statements in one session: one identity token, one
short-lived Fulcio certificate, one Rekor entry per DSSE envelope; each comes back as a
v0.3 bundle. :func:`verify_bundle` checks the signature, certificate chain, SCT and
transparency-log proofs against a trust root and reports who signed (certificate SAN and
OIDC issuer); deciding whether that signer is allowed, and whether the subject matches, is
the caller's job (:func:`~localci.attest.certs.signer_matches`,
:meth:`VerifiedStatement.subject_matches_predicate`), so a rejected signer can be named.

Every failure is a :class:`~localci.errors.LocalciError`; no message ever contains the
identity token.
"""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
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

from localci.attest.certs import cert_identity, cert_issuer, signer_matches
from localci.attest.options import SigningOptions
from localci.attest.statements import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    build_statement,
    result_digest,
    subject_name,
    subjects_for,
)
from localci.errors import (
    DeliveryError,
    InternalError,
    LocalciError,
    UsageError,
    VerificationError,
)

__all__ = [
    "DSSE_PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "SignedBundle",
    "SigningOptions",
    "VerifiedStatement",
    "build_statement",
    "resolve_identity_token",
    "result_digest",
    "sign_statement",
    "sign_statements",
    "signer_matches",
    "subject_name",
    "verify_bundle",
]

DSSE_PAYLOAD_TYPE = "application/vnd.in-toto+json"
"""The DSSE ``payloadType`` of an in-toto Statement (in-toto attestation, envelope.md)."""

_HOW_TO_AUTHENTICATE = (
    "Pass --identity-token or set SIGSTORE_ID_TOKEN; in GitHub Actions grant "
    "`permissions: id-token: write`; on a laptop use the interactive browser sign-in."
)


@dataclass(frozen=True, kw_only=True)
class SignedBundle:
    """The outcome of :func:`sign_statement`, one per statement."""

    bundle_json: str
    """The Sigstore bundle, v0.3 JSON (``application/vnd.dev.sigstore.bundle.v0.3+json``)."""
    identity: str
    """The signing certificate's SAN: an email or a workflow URI."""
    issuer: str
    """The OIDC issuer recorded in the certificate."""
    certificate_sha256: str = ""
    """Hex sha256 of the signing certificate (DER): equal for one signing session."""


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
    certificate_sha256: str = ""
    """Hex sha256 of the signing certificate (DER)."""

    def subject_matches_predicate(self) -> bool:
        """True when the subjects are exactly those localci writes for the predicate, a
        result document: its sha256 (RFC 8785) under ``git+<repo>@<commit>`` and the
        commit's lookup key (:func:`~localci.attest.statements.subjects_for`).
        sigstore's ``verify_dsse`` leaves the subject to the caller."""
        predicate = self.statement.get("predicate")
        if not isinstance(predicate, dict):
            return False
        git = predicate.get("git")
        if not isinstance(git, dict) or not isinstance(git.get("commit"), str):
            return False
        try:
            expected = subjects_for(predicate, repo_url=git.get("repository"), commit=git["commit"])
        except (InternalError, UnicodeError):
            return False
        return self.statement.get("subject") == expected


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
    """Sign one statement; see :func:`sign_statements`."""
    return sign_statements([statement], options)[0]


def sign_statements(
    statements: Sequence[dsse.Statement], options: SigningOptions
) -> list[SignedBundle]:
    """Sign each statement as a DSSE envelope in one session: one identity token and one
    short-lived Fulcio certificate for all, one Rekor entry each, on the instance
    ``options`` select (trust config file, else staging, else production).

    :returns: one bundle per statement, in order.
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
        # yields bundles whose signature does not match the certificate. With the cache,
        # every statement here is signed under the same certificate.
        with context.signer(token) as signer:
            bundles = [signer.sign_dsse(statement) for statement in statements]
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
    return [_signed(bundle) for bundle in bundles]


def _signed(bundle: Bundle) -> SignedBundle:
    cert = bundle.signing_certificate
    return SignedBundle(
        bundle_json=bundle.to_json(),
        identity=cert_identity(cert),
        issuer=cert_issuer(cert),
        certificate_sha256=_fingerprint(cert),
    )


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


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
    :func:`~localci.attest.certs.signer_matches`) and the statement's subject (see
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
        identity=cert_identity(cert),
        issuer=cert_issuer(cert),
        certificate_sha256=_fingerprint(cert),
    )
