"""Credentials: token minting, ``Authorization`` parsing and GitHub App JWT checks.

GitHub accepts ``Authorization: token <t>`` and ``Authorization: Bearer <t>`` for tokens;
an App JWT must be RS256, signed with one of the app's private keys, with ``iss`` the app
id, ``iat`` not in the future and ``exp`` at most 10 minutes ahead (REST docs,
"Generating a JSON Web Token (JWT) for a GitHub App"). The 401 messages are GitHub's.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import ApiError, bad_credentials
from .state import App, Principal, State, TokenKind

__all__ = [
    "Credential",
    "generate_app_key",
    "identify",
    "mint_token",
]

#: Token prefixes by kind ("Behind GitHub's new authentication token formats", GitHub
#: blog, 2021-04-05; fine-grained tokens: ``github_pat_``).
PREFIXES = {
    TokenKind.CLASSIC: "ghp_",
    TokenKind.FINE_GRAINED: "github_pat_",
    TokenKind.ACTIONS: "ghs_",
    TokenKind.INSTALLATION: "ghs_",
}
_JWT_MAX_LIFETIME = 600
_CLOCK_SKEW = 60
_UNDECODABLE = "A JSON web token could not be decoded"


@dataclass(frozen=True)
class Credential:
    """The outcome of reading a request's ``Authorization`` header."""

    kind: TokenKind | None
    """``None`` when the request carried no credential."""
    principal: Principal | None
    error: ApiError | None
    """A 401 to answer instead of serving the request."""


def mint_token(kind: TokenKind) -> str:
    """A fresh random token with the prefix GitHub uses for *kind*."""
    alphabet = string.ascii_letters + string.digits
    length = 82 if kind is TokenKind.FINE_GRAINED else 36
    return PREFIXES[kind] + "".join(secrets.choice(alphabet) for _ in range(length))


def generate_app_key() -> tuple[str, str]:
    """A new RSA-2048 key pair for a test GitHub App: ``(private_pem, public_pem)``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode("ascii"), public.decode("ascii")


def identify(state: State, header: str | None) -> Credential:
    """Who sent a request with this ``Authorization`` *header*."""
    if not header:
        return Credential(None, None, None)
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in ("token", "bearer") or not token:
        return Credential(TokenKind.INVALID, None, bad_credentials())
    principal = state.tokens.get(token)
    if principal is not None:
        return Credential(principal.kind, principal, None)
    if token.count(".") == 2 and scheme.lower() == "bearer":
        try:
            return Credential(TokenKind.APP_JWT, _verify_jwt(state, token), None)
        except ApiError as exc:
            return Credential(TokenKind.APP_JWT, None, exc)
    return Credential(TokenKind.INVALID, None, bad_credentials())


def _verify_jwt(state: State, token: str) -> Principal:
    """The app a JWT authenticates as; :class:`ApiError` 401 when it is not acceptable."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise bad_credentials(_UNDECODABLE) from exc
    app = _issuer(state, unverified)
    if header.get("alg") != "RS256" or app is None:
        raise bad_credentials(_UNDECODABLE)
    try:
        claims = jwt.decode(
            token,
            app.public_key_pem,
            algorithms=["RS256"],
            options={"require": ["iat", "exp", "iss"]},
            leeway=_CLOCK_SKEW,
        )
    except jwt.PyJWTError as exc:
        raise bad_credentials(_UNDECODABLE) from exc
    _check_lifetime(claims)
    return Principal(kind=TokenKind.APP_JWT, login=f"{app.slug}[bot]", app_id=app.id)


def _issuer(state: State, claims: dict[str, Any]) -> App | None:
    issuer = str(claims.get("iss", ""))
    return state.apps.get(int(issuer)) if issuer.isdigit() else None


def _check_lifetime(claims: dict[str, Any]) -> None:
    """GitHub refuses JWTs issued in the future or living longer than 10 minutes."""
    now = time.time()
    if claims["iat"] > now + _CLOCK_SKEW:
        raise bad_credentials(
            "'Issued at' claim ('iat') must be an Integer representing the time that the"
            " assertion was issued"
        )
    if claims["exp"] > now + _JWT_MAX_LIFETIME + _CLOCK_SKEW:
        raise bad_credentials("'Expiration time' claim ('exp') is too far in the future")
