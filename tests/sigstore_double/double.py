"""An in-process Sigstore instance (OIDC issuer, Fulcio, Rekor v1) on 127.0.0.1.

sigstore-python's real ``SigningContext`` and ``Verifier`` use it unchanged through the
``ClientTrustConfig`` it writes (``trust_config_path``). Endpoints:

- ``GET  /oauth2/.well-known/openid-configuration``, ``GET /oauth2/jwks``: the OIDC issuer.
- ``GET  /actions/token?audience=…``: GitHub Actions' ID-token endpoint, for ambient
  detection (see :meth:`SigstoreDouble.actions_env`).
- ``POST /api/v2/signingCert``: Fulcio, CSR form (what sigstore-python 4.5.1 sends).
- ``POST /api/v1/log/entries``: Rekor v1, dsse and hashedrekord 0.0.1.

Unlike Fulcio, which picks the identity claim by configured issuer, the double picks it by
claims (``email`` or ``job_workflow_ref``), so a test may put any issuer URL in a token,
e.g. the real GitHub one; only the double's own keys can sign a token it accepts.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ._pki import DoubleCA, key_id, spki_der
from ._rekor import RekorLog

__all__ = ["GITHUB_ISSUER", "SigstoreDouble"]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_GITHUB = "https://github.com/"
# Fulcio extensions for GitHub workflow tokens (docs/oid-info.md): OID suffix -> claim.
_GITHUB_EXTENSIONS = {
    "2": "event_name",
    "3": "sha",
    "4": "workflow",
    "5": "repository",
    "6": "ref",
    "11": "runner_environment",
    "14": "ref",
}


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class SigstoreDouble:
    """OIDC + Fulcio + Rekor on a random 127.0.0.1 port; ``start()`` before use."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ca = DoubleCA()
        self.log = RekorLog()
        self._jwt_keys: dict[str, Any] = {
            "double-rs256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "double-es256": ec.generate_private_key(ec.SECP256R1()),
        }
        self._actions_grants: dict[str, tuple[str, str]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.trust_config_path = workdir / "trust_config.json"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: Fulcio and Rekor base URL."""
        assert self._server is not None, "start() the double first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def issuer_url(self) -> str:
        """The double's own OIDC issuer URL (the default ``iss`` of email tokens)."""
        return f"{self.url}/oauth2"

    def start(self) -> SigstoreDouble:
        """Bind, serve in a daemon thread, and write ``trust_config_path``."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.double = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        self.write_trust_config(self.trust_config_path)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SigstoreDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- OIDC ---------------------------------------------------------------------------

    def mint_token(
        self,
        identity: str,
        *,
        issuer: str | None = None,
        algorithm: str = "RS256",
        lifetime: int = 600,
        audience: str = "sigstore",
        **claims: Any,
    ) -> str:
        """A signed ID token for ``identity``: an email, or a GitHub workflow URI
        ``https://github.com/OWNER/REPO/.github/workflows/F.yml@REF``.

        ``issuer`` defaults to :attr:`issuer_url` for emails and :data:`GITHUB_ISSUER`
        for workflows; ``algorithm`` is ``RS256`` or ``ES256``; ``lifetime`` in seconds
        (negative for an expired token); ``claims`` override or add claims.
        """
        now = int(time.time())
        base: dict[str, Any] = {"aud": audience, "iat": now, "nbf": now, "exp": now + lifetime}
        if identity.startswith(_GITHUB):
            workflow_ref = identity.removeprefix(_GITHUB)
            path, _, ref = workflow_ref.partition("@")
            repository = "/".join(path.split("/")[:2])
            base |= {
                "iss": issuer or GITHUB_ISSUER,
                "sub": f"repo:{repository}:ref:{ref}",
                "repository": repository,
                "repository_owner": repository.split("/")[0],
                "ref": ref,
                "sha": "0" * 40,
                "workflow": path.rsplit("/", 1)[-1],
                "event_name": "push",
                "job_workflow_ref": workflow_ref,
                "runner_environment": "github-hosted",
            }
        elif "@" in identity:
            base |= {"iss": issuer or self.issuer_url, "sub": f"user-{identity}"}
            base |= {"email": identity, "email_verified": True}
        else:
            raise ValueError(f"identity must be an email or a {_GITHUB} workflow URI")
        kid = f"double-{algorithm.lower()}"
        return jwt.encode(base | claims, self._jwt_keys[kid], algorithm, headers={"kid": kid})

    def actions_env(self, identity: str, *, issuer: str = GITHUB_ISSUER) -> dict[str, str]:
        """Environment variables that make ``id.detect_credential`` fetch a token for
        ``identity`` from this double, as a GitHub Actions job with ``id-token: write``."""
        grant = secrets.token_urlsafe(16)
        self._actions_grants[grant] = (identity, issuer)
        return {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": grant,
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}/actions/token?api-version=2.0",
        }

    def _jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self._jwt_keys.items():
            codec = RSAAlgorithm if kid.endswith("rs256") else ECAlgorithm
            jwk = codec.to_jwk(key.public_key(), as_dict=True)
            keys.append(jwk | {"kid": kid, "alg": kid.rsplit("-", 1)[1].upper(), "use": "sig"})
        return {"keys": keys}

    def _verify_token(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid", "")
            if kid not in self._jwt_keys:
                raise _HttpError(401, "identity token not signed by this issuer's keys")
            key = self._jwt_keys[kid].public_key()
            return jwt.decode(
                token, key, algorithms=[kid.rsplit("-", 1)[1].upper()], audience="sigstore"
            )
        except jwt.PyJWTError as exc:
            raise _HttpError(401, f"invalid identity token: {type(exc).__name__}") from None

    # -- Fulcio -------------------------------------------------------------------------

    def _signing_cert(self, token: str, request: dict[str, Any]) -> dict[str, Any]:
        claims = self._verify_token(token)
        try:
            pem = base64.b64decode(request["certificateSigningRequest"])
            csr = x509.load_pem_x509_csr(pem)
        except (KeyError, ValueError):
            raise _HttpError(400, "expected a PEM certificateSigningRequest") from None
        # With a CSR, its self-signature is the proof of possession of the private key.
        public_key = csr.public_key()
        if not csr.is_signature_valid or not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise _HttpError(400, "the CSR signature (proof of possession) is invalid")
        san, extra = self._identity(claims)
        leaf = self.ca.issue(public_key, san, claims["iss"], extra)
        chain = [leaf, self.ca.intermediate, self.ca.root]
        pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in chain]
        return {"signedCertificateEmbeddedSct": {"chain": {"certificates": pems}}}

    def _identity(self, claims: dict[str, Any]) -> tuple[x509.GeneralName, dict[str, str]]:
        """The SAN and extra extensions Fulcio derives from verified ``claims``."""
        if "email" in claims:
            if claims.get("email_verified") is not True:
                raise _HttpError(400, "email is not verified")
            return x509.RFC822Name(claims["email"]), {}
        if "job_workflow_ref" in claims:
            signer = _GITHUB + claims["job_workflow_ref"]
            extra = {
                f"1.3.6.1.4.1.57264.1.{n}": str(claims[claim])
                for n, claim in _GITHUB_EXTENSIONS.items()
                if claim in claims
            }
            extra["1.3.6.1.4.1.57264.1.9"] = signer  # build signer URI
            extra["1.3.6.1.4.1.57264.1.12"] = _GITHUB + str(claims.get("repository", ""))
            return x509.UniformResourceIdentifier(signer), dict(sorted(extra.items()))
        raise _HttpError(400, "token has neither an email nor a job_workflow_ref claim")

    # -- trust config ---------------------------------------------------------------------

    def trust_config(self) -> dict[str, Any]:
        """The ``ClientTrustConfig`` (v0.1) for this double, as a JSON-ready dict."""
        start = {"start": _iso(datetime.now(timezone.utc) - timedelta(days=1))}

        def log(url: str, key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
            public = key.public_key()
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(spki_der(public)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": start,
                },
                "logId": {"keyId": _b64(key_id(public))},
            }

        def service(url: str) -> dict[str, Any]:
            return {"url": url, "majorApiVersion": 1, "validFor": start, "operator": "double"}

        chain = [self.ca.intermediate, self.ca.root]
        return {
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": {
                "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                "tlogs": [log(self.url, self.log.key)],
                "certificateAuthorities": [
                    {
                        "subject": {"organization": "localci sigstore double", "commonName": "x"},
                        "uri": self.url,
                        "certChain": {
                            "certificates": [
                                {"rawBytes": _b64(c.public_bytes(serialization.Encoding.DER))}
                                for c in chain
                            ]
                        },
                        "validFor": start,
                    }
                ],
                "ctlogs": [log(f"{self.url}/ct", self.ca.ct_key)],
                "timestampAuthorities": [],
            },
            "signingConfig": {
                "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                "caUrls": [service(self.url)],
                "oidcUrls": [service(self.issuer_url)],
                "rekorTlogUrls": [service(self.url)],
                "tsaUrls": [],
                "rekorTlogConfig": {"selector": "ANY"},
                "tsaConfig": {"selector": "ANY"},
            },
        }

    def write_trust_config(self, path: Path) -> Path:
        """Write :meth:`trust_config` to ``path`` and return ``path``."""
        path.write_text(json.dumps(self.trust_config(), indent=2), encoding="utf-8")
        return path

    # -- HTTP dispatch ------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: Any, body: bytes) -> tuple[int, Any]:
        """Route one request; returns (status, JSON-ready response)."""
        route = urlsplit(url)
        if method == "GET" and route.path == "/oauth2/.well-known/openid-configuration":
            return 200, {
                "issuer": self.issuer_url,
                "authorization_endpoint": f"{self.issuer_url}/auth",
                "token_endpoint": f"{self.issuer_url}/token",
                "jwks_uri": f"{self.issuer_url}/jwks",
            }
        if method == "GET" and route.path == "/oauth2/jwks":
            return 200, self._jwks()
        if method == "GET" and route.path == "/actions/token":
            grant = headers.get("Authorization", "").partition(" ")[2]
            if grant not in self._actions_grants:
                raise _HttpError(403, "unknown ACTIONS_ID_TOKEN_REQUEST_TOKEN")
            identity, issuer = self._actions_grants[grant]
            audience = parse_qs(route.query).get("audience", ["sigstore"])[0]
            return 200, {"value": self.mint_token(identity, issuer=issuer, audience=audience)}
        if method == "POST" and route.path == "/api/v2/signingCert":
            scheme, _, token = headers.get("Authorization", "").partition(" ")
            if scheme != "Bearer":
                raise _HttpError(401, "missing bearer identity token")
            return 201, self._signing_cert(token, json.loads(body))
        if method == "POST" and route.path == "/api/v1/log/entries":
            try:
                return 201, self.log.add(json.loads(body))
            except (ValueError, KeyError, TypeError) as exc:
                raise _HttpError(400, f"invalid entry: {exc}") from None
        raise _HttpError(404, f"no route for {method} {route.path}")


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so client pools never hold idle sockets
    # that would surface as ResourceWarnings under ``filterwarnings = error``.
    protocol_version = "HTTP/1.0"

    def _dispatch(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        double: SigstoreDouble = self.server.double  # type: ignore[attr-defined]
        try:
            status, payload = double.handle(method, self.path, self.headers, body)
        except _HttpError as exc:
            status, payload = exc.status, {"code": exc.status, "message": str(exc)}
        except json.JSONDecodeError as exc:
            status, payload = 400, {"code": 400, "message": f"invalid JSON: {exc}"}
        except Exception as exc:  # a bug in the double: answer, so the client reports it
            status, payload = 500, {"code": 500, "message": f"{type(exc).__name__}: {exc}"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet; failures show up as HTTP errors in the client."""
