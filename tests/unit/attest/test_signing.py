"""localci.attest.signing: building, signing and verifying statements (Sigstore double)."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore import oidc
from sigstore._internal.fulcio.client import ExpiredCertificate, FulcioClientError
from sigstore.errors import Error as SigstoreError
from sigstore.errors import NetworkError
from sigstore.verify import Verifier

from localci.attest import signing as attest
from localci.attest.signing import (
    PREDICATE_TYPE,
    SigningOptions,
    VerifiedStatement,
    build_statement,
    result_digest,
    sign_statement,
    signer_matches,
    verify_bundle,
)
from localci.attest.statements import commit_key
from localci.errors import (
    DeliveryError,
    InternalError,
    LocalciError,
    UsageError,
    VerificationError,
)
from localci.result.codec import result_to_dict
from localci.result.digest import canonical_json
from localci.result.model import (
    Finding,
    GitInfo,
    RunnerInfo,
    ThresholdOutcome,
)
from tests.factories import covered, linted, make_result, make_stage, ran_tests
from tests.sigstore_double import GITHUB_ISSUER

if TYPE_CHECKING:
    from tests.sigstore_double import SigstoreDouble

REPO_ROOT = Path(__file__).resolve().parents[3]
REAL_ASSETS = REPO_ROOT / "tests" / "assets" / "sigstore-real"
EMAIL = "dev@example.com"
WORKFLOW = "https://github.com/octo/app/.github/workflows/localci-sign.yml@refs/heads/main"
REPO_URL = "https://github.com/octo/app.git"
COMMIT = "3f" * 20


def _result_doc() -> dict[str, Any]:
    coverage = covered(
        91.5,
        line_percent=92.0,
        branch_percent=88.25,
        statements=200,
        covered_statements=184,
        branches=40,
        covered_branches=35,
    )
    tests = make_stage(
        "tests",
        "tests",
        command=("pytest", "-q"),
        duration=10.25,
        started_at="2026-11-21T04:00:00Z",
        finished_at="2026-11-21T04:00:10.25Z",
        metrics=replace(coverage, tests=ran_tests(10, 9, skipped=1).tests),
        thresholds=(ThresholdOutcome(name="min_percent", limit=80, actual=91.5, passed=True),),
    )
    lint = make_stage(
        "lint",
        "lint",
        status="failed",
        command=("ruff", "check", "."),
        duration=0.5,
        exit_code=1,
        reason="1 lint finding at or above error",
        metrics=linted(1, errors=1),
        findings=(
            Finding(kind="lint", message="`os` imported but unused — ü", path="src/app.py", line=3),
        ),
        findings_total=1,
        log_tail="src/app.py:3:8: F401 `os` imported but unused\n",
    )
    result = make_result(
        tests,
        lint,
        run_id="20261121T040000Z-1a2b3c",
        started_at="2026-11-21T04:00:00Z",
        finished_at="2026-11-21T04:00:11Z",
        duration=11.0,
        conclusion="failure",
        git=GitInfo(commit=COMMIT, tree="9e" * 20, repository=REPO_URL, branch="main"),
        runner=RunnerInfo(os="Linux-6.1-x86_64", python="3.11.7", localci_version="0.1.0"),
        config_sha256="c0" * 32,
    )
    doc = result_to_dict(result)
    schema = json.loads((REPO_ROOT / "schemas" / "result.v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    return doc


RESULT = _result_doc()


@pytest.fixture(scope="module")
def signed(sigstore_double: SigstoreDouble) -> attest.SignedBundle:
    """One signature of RESULT by EMAIL, shared by the verification tests."""
    options = SigningOptions(
        identity_token=sigstore_double.mint_token(EMAIL),
        trust_config=sigstore_double.trust_config_path,
    )
    return sign_statement(build_statement(RESULT, repo_url=REPO_URL, commit=COMMIT), options)


def _verify(bundle_json: str, double: SigstoreDouble) -> VerifiedStatement:
    return verify_bundle(bundle_json, trust_config=double.trust_config_path, staging=False)


# -- canonical form and statement --------------------------------------------------------


def test_canonical_json_follows_rfc8785() -> None:
    doc = {"b": [1.0, "é", None], "a": {"z": True, "y": 1e21}, "c": 0.1}
    expected = '{"a":{"y":1e+21,"z":true},"b":[1,"é",null],"c":0.1}'.encode()
    assert canonical_json(doc) == expected
    assert result_digest(doc) == hashlib.sha256(expected).hexdigest()
    assert result_digest(dict(reversed(list(doc.items())))) == result_digest(doc)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 2**60, {1: "x"}, object()])
def test_canonical_json_rejects_what_jcs_cannot_encode(bad: object) -> None:
    with pytest.raises(InternalError, match="RFC 8785"):
        canonical_json({"value": bad})


@pytest.mark.parametrize(
    ("repo_url", "name"),
    [(REPO_URL, f"git+{REPO_URL}@{COMMIT}"), (None, f"git+local@{COMMIT}")],
)
def test_build_statement(repo_url: str | None, name: str) -> None:
    statement = json.loads(build_statement(RESULT, repo_url=repo_url, commit=COMMIT)._contents)
    assert statement == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": name, "digest": {"sha256": result_digest(RESULT)}},
            {"name": f"gitCommit:{COMMIT}", "digest": {"sha256": commit_key(COMMIT)}},
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": RESULT,
    }


# -- signing and verifying ---------------------------------------------------------------


def test_sign_then_verify_round_trip(
    signed: attest.SignedBundle, sigstore_double: SigstoreDouble
) -> None:
    assert (signed.identity, signed.issuer) == (EMAIL, sigstore_double.issuer_url)
    assert json.loads(signed.bundle_json)["mediaType"] == (
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    )
    verified = _verify(signed.bundle_json, sigstore_double)
    assert verified.payload_type == "application/vnd.in-toto+json"
    assert (verified.identity, verified.issuer) == (EMAIL, sigstore_double.issuer_url)
    assert verified.statement["predicateType"] == PREDICATE_TYPE
    assert verified.statement["predicate"] == RESULT
    assert verified.statement["subject"][0] == {
        "name": f"git+{REPO_URL}@{COMMIT}",
        "digest": {"sha256": result_digest(RESULT)},
    }
    assert verified.statement["subject"][1]["digest"]["sha256"] == (
        hashlib.sha256(COMMIT.encode()).hexdigest()
    )
    assert verified.subject_matches_predicate()


def test_subject_must_match_predicate(signed: attest.SignedBundle) -> None:
    good = json.loads(base64.b64decode(json.loads(signed.bundle_json)["dsseEnvelope"]["payload"]))
    edited = {**good, "predicate": {**good["predicate"], "conclusion": "success"}}
    two = {**good, "subject": good["subject"] * 2}
    one = {**good, "subject": good["subject"][:1]}
    other_commit = {**good, "subject": [good["subject"][0], {**good["subject"][1], "name": "x"}]}

    def check(statement: dict[str, Any]) -> bool:
        return VerifiedStatement(
            payload_type="application/vnd.in-toto+json", statement=statement, identity="", issuer=""
        ).subject_matches_predicate()

    assert check(good)
    assert not check(edited)
    assert not check(two)
    assert not check(one)
    assert not check(other_commit)
    assert not check({**good, "subject": "nope"})


@pytest.mark.usefixtures("sigstore_home")
def test_token_from_environment_and_workflow_identity(
    sigstore_double: SigstoreDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", sigstore_double.mint_token(WORKFLOW, algorithm="ES256"))
    options = SigningOptions(trust_config=sigstore_double.trust_config_path)
    signed = sign_statement(build_statement(RESULT, repo_url=None, commit=COMMIT), options)
    assert (signed.identity, signed.issuer) == (WORKFLOW, GITHUB_ISSUER)
    verified = _verify(signed.bundle_json, sigstore_double)
    assert (verified.identity, verified.issuer) == (WORKFLOW, GITHUB_ISSUER)


@pytest.mark.usefixtures("sigstore_home")
def test_explicit_token_wins_over_environment(
    sigstore_double: SigstoreDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", sigstore_double.mint_token(WORKFLOW))
    explicit = sigstore_double.mint_token(EMAIL)
    assert str(attest.resolve_identity_token(SigningOptions(identity_token=explicit))) == explicit


@pytest.mark.usefixtures("sigstore_home")
def test_ambient_github_actions_token(
    sigstore_double: SigstoreDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sigstore_double.actions_env(WORKFLOW).items():
        monkeypatch.setenv(name, value)
    token = attest.resolve_identity_token(SigningOptions())
    assert (token.identity, token.issuer) == ("repo:octo/app:ref:refs/heads/main", GITHUB_ISSUER)
    signed = sign_statement(
        build_statement(RESULT, repo_url=REPO_URL, commit=COMMIT),
        SigningOptions(trust_config=sigstore_double.trust_config_path),
    )
    assert (signed.identity, signed.issuer) == (WORKFLOW, GITHUB_ISSUER)


@pytest.mark.usefixtures("sigstore_home")
def test_no_token_is_a_usage_error_before_any_network_access() -> None:
    # No trust config: reaching for production's TUF repository would fail differently.
    with pytest.raises(UsageError, match="no identity token") as info:
        sign_statement(build_statement(RESULT, repo_url=None, commit=COMMIT), SigningOptions())
    assert "SIGSTORE_ID_TOKEN" in info.value.diagnostics()


@pytest.mark.usefixtures("sigstore_home")
def test_interactive_sign_in_uses_the_instance_oidc_url(
    sigstore_double: SigstoreDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, bool]] = []

    class FakeIssuer:
        def __init__(self, url: str) -> None:
            self.url = url

        def identity_token(self, *, force_oob: bool = False) -> oidc.IdentityToken:
            calls.append((self.url, force_oob))
            return oidc.IdentityToken(sigstore_double.mint_token(EMAIL))

    monkeypatch.setattr(oidc, "Issuer", FakeIssuer)
    options = SigningOptions(
        trust_config=sigstore_double.trust_config_path, interactive=True, oauth_force_oob=True
    )
    signed = sign_statement(build_statement(RESULT, repo_url=None, commit=COMMIT), options)
    assert calls == [(sigstore_double.issuer_url, True)]
    assert signed.identity == EMAIL


# -- failures ----------------------------------------------------------------------------


def _error_texts(error: BaseException) -> list[str]:
    """Every text of ``error`` and of every exception chained to it, shown or not."""
    texts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), repr(seen.args)]
        if isinstance(seen, LocalciError):
            texts.append(seen.diagnostics())
        seen = seen.__cause__ or seen.__context__
    return texts


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config_with(double: SigstoreDouble, path: Path, **urls: str) -> Path:
    config = double.trust_config()
    for key, url in urls.items():
        config["signingConfig"][key][0]["url"] = url
    path.write_text(json.dumps(config))
    return path


def _foreign_token(double: SigstoreDouble) -> str:
    claims = jwt.decode(double.mint_token(EMAIL), options={"verify_signature": False})
    return jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), "ES256")


@pytest.mark.parametrize(
    ("case", "error", "reason"),
    [
        ("malformed", UsageError, "malformed"),
        ("expired", UsageError, "token from --identity-token is not usable"),
        ("foreign-key", UsageError, r"Fulcio refused the request \(HTTP 401\)"),
        ("fulcio-down", DeliveryError, "cannot reach Sigstore"),
        ("rekor-404", InternalError, r"Rekor refused the request \(HTTP 404\)"),
    ],
)
@pytest.mark.usefixtures("sigstore_home")
def test_signing_failures_never_reveal_the_token(
    sigstore_double: SigstoreDouble,
    tmp_path: Path,
    case: str,
    error: type[LocalciError],
    reason: str,
) -> None:
    config = sigstore_double.trust_config_path
    token = sigstore_double.mint_token(EMAIL)
    if case == "malformed":
        token = "eyJhbGciOiJub25lIn0.c2VjcmV0LXBheWxvYWQ.secret-signature-part"
    elif case == "expired":
        token = sigstore_double.mint_token(EMAIL, lifetime=-60)
    elif case == "foreign-key":
        token = _foreign_token(sigstore_double)
    elif case == "fulcio-down":
        config = _config_with(
            sigstore_double, tmp_path / "c.json", caUrls=f"http://127.0.0.1:{_closed_port()}"
        )
    else:
        config = _config_with(
            sigstore_double, tmp_path / "c.json", rekorTlogUrls=f"{sigstore_double.url}/nope"
        )
    options = SigningOptions(identity_token=token, trust_config=config)
    with pytest.raises(error, match=reason) as info:
        sign_statement(build_statement(RESULT, repo_url=None, commit=COMMIT), options)
    for text in _error_texts(info.value):
        assert token not in text
        assert token.rsplit(".", 1)[1] not in text


def test_instance_with_an_untrusted_ct_log_is_a_verification_error(
    sigstore_double: SigstoreDouble, tmp_path: Path
) -> None:
    config = sigstore_double.trust_config()
    config["trustedRoot"]["ctlogs"] = [
        {**config["trustedRoot"]["tlogs"][0], "baseUrl": "http://ct.invalid"}
    ]
    path = tmp_path / "bad-ct.json"
    path.write_text(json.dumps(config))
    options = SigningOptions(identity_token=sigstore_double.mint_token(EMAIL), trust_config=path)
    with pytest.raises(VerificationError, match="SCT"):
        sign_statement(build_statement(RESULT, repo_url=None, commit=COMMIT), options)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "cannot read the trust config"), ("{}", "not a usable Sigstore client trust config")],
)
def test_unusable_trust_config_is_a_usage_error(
    tmp_path: Path, sigstore_double: SigstoreDouble, content: str | None, reason: str
) -> None:
    path = tmp_path / "trust.json"
    if content is not None:
        path.write_text(content)
    options = SigningOptions(identity_token=sigstore_double.mint_token(EMAIL), trust_config=path)
    with pytest.raises(UsageError, match=reason):
        sign_statement(build_statement(RESULT, repo_url=None, commit=COMMIT), options)
    with pytest.raises(UsageError, match=reason):
        verify_bundle("{}", trust_config=path, staging=False)


def _flip_payload(bundle_json: str) -> str:
    doc = json.loads(bundle_json)
    payload = bytearray(base64.b64decode(doc["dsseEnvelope"]["payload"]))
    payload[-5] ^= 0x01
    doc["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    return json.dumps(doc)


def test_tampered_bundle_fails_with_sigstores_reason(
    signed: attest.SignedBundle, sigstore_double: SigstoreDouble
) -> None:
    with pytest.raises(VerificationError, match="DSSE: invalid signature"):
        _verify(_flip_payload(signed.bundle_json), sigstore_double)


@pytest.mark.parametrize("bundle_json", ["", "{}", "[1]", '{"mediaType": "x"}'])
def test_malformed_bundle_fails_verification(
    bundle_json: str, sigstore_double: SigstoreDouble
) -> None:
    with pytest.raises(VerificationError, match="does not verify"):
        _verify(bundle_json, sigstore_double)


@pytest.mark.parametrize("staging", [True, False], ids=["staging", "production"])
@pytest.mark.usefixtures("sigstore_home")
def test_double_bundle_fails_against_the_real_roots(
    signed: attest.SignedBundle, staging: bool
) -> None:
    with pytest.raises(VerificationError, match="certificate chain"):
        verify_bundle(signed.bundle_json, trust_config=None, staging=staging)


@pytest.mark.parametrize(
    ("payload_type", "payload", "reason"),
    [
        ("text/plain", b"{}", "not an in-toto Statement"),
        ("application/vnd.in-toto+json", b"not json", "not JSON"),
        ("application/vnd.in-toto+json", b"[1]", "not an https://in-toto.io/Statement/v1"),
        (
            "application/vnd.in-toto+json",
            b'{"_type": "x"}',
            "not an https://in-toto.io/Statement/v1",
        ),
    ],
)
def test_verified_payload_must_be_an_in_toto_statement(
    signed: attest.SignedBundle,
    sigstore_double: SigstoreDouble,
    monkeypatch: pytest.MonkeyPatch,
    payload_type: str,
    payload: bytes,
    reason: str,
) -> None:
    monkeypatch.setattr(Verifier, "verify_dsse", lambda *_: (payload_type, payload))
    with pytest.raises(VerificationError, match=reason):
        _verify(signed.bundle_json, sigstore_double)


@pytest.mark.usefixtures("sigstore_home")
def test_staging_without_network_is_a_delivery_error(sigstore_double: SigstoreDouble) -> None:
    options = SigningOptions(identity_token=sigstore_double.mint_token(EMAIL), staging=True)
    with pytest.raises(DeliveryError, match="trust root"):
        sign_statement(build_statement(RESULT, repo_url=None, commit=COMMIT), options)


@pytest.mark.usefixtures("sigstore_home")
def test_ambient_detection_failure_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # but no id-token permission
    with pytest.raises(UsageError, match="ambient credential detection failed") as info:
        attest.resolve_identity_token(SigningOptions())
    assert "id-token: write" in info.value.diagnostics()


@pytest.mark.parametrize(
    ("oidc_url", "error"),
    [("closed-port", DeliveryError), ("/nope", UsageError)],
)
@pytest.mark.usefixtures("sigstore_home")
def test_interactive_sign_in_failures(
    sigstore_double: SigstoreDouble, tmp_path: Path, oidc_url: str, error: type[LocalciError]
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}" if oidc_url == "closed-port" else sigstore_double.url
    config = _config_with(sigstore_double, tmp_path / "c.json", oidcUrls=url + "/nope")
    options = SigningOptions(trust_config=config, interactive=True)
    with pytest.raises(error):
        attest.resolve_identity_token(options)


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (oidc.ExpiredIdentity(), UsageError),
        (ExpiredCertificate(), UsageError),
        (NetworkError(), DeliveryError),
        (FulcioClientError("Fulcio response missing certificate chain"), InternalError),
        (SigstoreError("something else"), InternalError),
    ],
)
def test_signing_error_mapping(exc: Exception, error: type[LocalciError]) -> None:
    assert type(attest._signing_error(exc)) is error


def test_options_never_print_the_token() -> None:
    assert "tok.en.x" not in repr(SigningOptions(identity_token="tok.en.x"))


def test_redaction_is_a_last_line_of_defence() -> None:
    error = attest._redacted(UsageError("got tok.en.x back", hint="tok.en.x"), "tok.en.x")
    assert "tok.en.x" not in error.diagnostics()
    assert "tok.en.x" not in str(error)


@pytest.mark.usefixtures("sigstore_home")
def test_real_staging_dsse_bundle_reports_its_signer() -> None:
    bundle_json = (REAL_ASSETS / "a.dsse.staging-rekor-v2.txt.sigstore.json").read_text()
    verified = verify_bundle(bundle_json, trust_config=None, staging=True)
    assert verified.identity == (
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
        ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    )
    assert verified.issuer == GITHUB_ISSUER
    assert verified.statement["subject"][0]["name"] == "a.txt"
    assert not verified.subject_matches_predicate()  # not a localci statement


@pytest.mark.usefixtures("sigstore_home")
def test_real_artifact_bundle_is_not_a_statement() -> None:
    bundle_json = (REAL_ASSETS / "bundle_v3.txt.sigstore").read_text()
    with pytest.raises(VerificationError, match="without a DSSE envelope"):
        verify_bundle(bundle_json, trust_config=None, staging=True)


# -- signer allowlist --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "identity", "issuer", "expected"),
    [
        ({"identity_exact": EMAIL}, EMAIL, "https://issuer", True),
        ({"identity_exact": EMAIL}, "x" + EMAIL, "https://issuer", False),
        ({"identity_exact": EMAIL}, EMAIL, "https://other", False),
        ({"identity_regex": r".*@example\.com"}, EMAIL, "https://issuer", True),
        ({"identity_regex": r"dev@example"}, EMAIL, "https://issuer", False),  # whole SAN
        ({"identity_regex": r".*@example\.com"}, EMAIL + ".evil", "https://issuer", False),
    ],
)
def test_signer_matches(rule: dict[str, str], identity: str, issuer: str, expected: bool) -> None:
    assert signer_matches(identity, issuer, expected_issuer="https://issuer", **rule) is expected


@pytest.mark.parametrize(
    "rule",
    [{}, {"identity_exact": "a", "identity_regex": "a"}, {"identity_regex": "("}],
)
def test_signer_matches_rejects_bad_rules(rule: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        signer_matches("a", "i", expected_issuer="i", **rule)
