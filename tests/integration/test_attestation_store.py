"""GitHub's attestation store, through the GitHub double, with real Sigstore bundles.

The gate's evidence (:func:`localci.verifier.evidence.store_evidence`): a SLSA VSA signed
with the workflow's identity, stored with the result's two bundles, read back by subject
digest from the double's ``GET /repos/{owner}/{repo}/attestations/{subject_digest}`` and
verified offline against the test trust root; and a result found again by commit.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from localci.attest.signed import SignedResult
from localci.attest.signing import SigningOptions, sign_statements, verify_bundle
from localci.attest.statements import build_statement, commit_key
from localci.attest.test_result import build_test_result_statement
from localci.attest.vsa import CHECKS_FIELD, VSA_PREDICATE_TYPE
from localci.config.loader import ConfigSource, parse_config
from localci.errors import VerificationError
from localci.publish.attestations import find_note, list_bundles
from localci.publish.github import GitHubClient, GitHubSettings
from localci.result.codec import result_to_dict
from localci.result.digest import canonical_json
from localci.result.model import GitInfo
from localci.verifier.check import verify_result
from localci.verifier.evidence import EvidenceRequest, gate_identity, store_evidence
from tests.factories import make_result, make_stage
from tests.github_double import GitHubDouble, TokenKind
from tests.sigstore_double import GITHUB_ISSUER, SigstoreDouble

from .conftest import CliResult, HostedRepo

pytestmark = pytest.mark.usefixtures("sigstore_home")

REPO = "octo/demo"
HEAD, BASE = "1" * 40, "2" * 40
WORKFLOW = f"https://github.com/{REPO}/.github/workflows/localci-gate.yml@refs/heads/main"
POLICY = """\
stages:
  - {name: hello, run: [echo, hi]}
verify:
  signers:
    - {identity: dev@example.com, issuer: ISSUER}
"""


def _note(double: SigstoreDouble) -> SignedResult:
    """A signed result for HEAD, as the developer's `localci run --sign` makes it."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = make_result(
        make_stage("hello"),
        git=GitInfo(commit=HEAD, tree="3" * 40, repository=f"https://github.com/{REPO}"),
        finished_at=now,
    )
    doc = result_to_dict(result)
    repo_url = result.git.repository
    statements = [
        build_statement(doc, repo_url=repo_url, commit=HEAD),
        build_test_result_statement(result, doc, repo_url=repo_url, commit=HEAD),
    ]
    options = SigningOptions(
        identity_token=double.mint_token("dev@example.com"), trust_config=double.trust_config_path
    )
    signed, tests = sign_statements(statements, options)
    return SignedResult(
        document=doc,
        bundle=json.loads(signed.bundle_json),
        test_result_bundle=json.loads(tests.bundle_json),
    )


@pytest.fixture
def client(github_double: GitHubDouble) -> Iterator[GitHubClient]:
    github_double.add_repo(REPO, commits=[BASE, HEAD])
    permissions = {"checks": "write", "attestations": "write", "contents": "read"}
    token = github_double.add_token(TokenKind.ACTIONS, repo=REPO, permissions=permissions)
    settings = GitHubSettings(repo=REPO, api_url=github_double.api_url, token=token)
    with GitHubClient(settings) as connected:
        yield connected


@pytest.fixture
def as_workflow(
    sigstore_double: SigstoreDouble, monkeypatch: pytest.MonkeyPatch, sigstore_home: Path
) -> None:
    """The gate's workflow identity token in ``SIGSTORE_ID_TOKEN`` (to sign the VSA), set
    after ``sigstore_home`` cleared the ambient credentials."""
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", sigstore_double.mint_token(WORKFLOW))


def _evidence(double: SigstoreDouble, note: SignedResult, **changes: Any) -> EvidenceRequest:
    text = POLICY.replace("ISSUER", double.issuer_url)
    policy = parse_config(ConfigSource(kind="yaml", display=".localci.yml", text=text))
    verdict = verify_result(
        result_doc=note.document,
        bundle_json=note.bundle_json(),
        test_result_bundle_json=note.test_result_bundle_json(),
        policy=policy,
        sha=HEAD,
        commit_config_sha256=note.document["config"]["sha256"],  # as if read from HEAD
        trust_config=double.trust_config_path,
    )
    base: dict[str, Any] = {
        "repo": REPO,
        "head": HEAD,
        "base": BASE,
        "policy": policy,
        "note": note,
        "verdict": verdict,
        "trust_config": double.trust_config_path,
        "verifier_id": WORKFLOW,
    }
    return EvidenceRequest(**(base | changes))


def _statement(bundle: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    return statement


@pytest.mark.usefixtures("as_workflow")
def test_the_vsa_reads_back_by_result_digest_and_verifies_offline(
    client: GitHubClient, sigstore_double: SigstoreDouble
) -> None:
    note = _note(sigstore_double)
    request = _evidence(sigstore_double, note)
    assert request.verdict.accepted, request.verdict.failed
    said = store_evidence(client, request)
    assert said == f"VSA signed by {WORKFLOW} and stored with the result's 2 bundles"

    file_digest = hashlib.sha256(canonical_json(note.document)).hexdigest()
    (vsa,) = list_bundles(client, file_digest, VSA_PREDICATE_TYPE)
    verified = verify_bundle(
        json.dumps(vsa), trust_config=sigstore_double.trust_config_path, staging=False
    )
    assert (verified.identity, verified.issuer) == (WORKFLOW, GITHUB_ISSUER)
    statement = verified.statement
    assert statement["predicateType"] == VSA_PREDICATE_TYPE
    assert statement["subject"][0]["digest"] == {"sha256": file_digest}
    assert statement["subject"][1]["digest"] == {"sha256": commit_key(HEAD)}
    predicate = statement["predicate"]
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["verifier"]["id"] == WORKFLOW
    assert predicate["resourceUri"] == f"git+https://github.com/{REPO}@{HEAD}"
    assert predicate["policy"] == {
        "uri": f"git+https://github.com/{REPO}@{BASE}#.localci.yml",
        "digest": {"sha256": request.policy.sha256},
    }
    names = [c.name for c in request.verdict.checks]
    assert predicate["verifiedLevels"] == [f"LOCALCI_{n.upper()}" for n in names]
    assert [c["name"] for c in predicate[CHECKS_FIELD]] == names
    assert [a["uri"] for a in predicate["inputAttestations"]] == [
        f"{HEAD}.sigstore.json",
        f"{HEAD}.test-result.sigstore.json",
    ]


@pytest.mark.usefixtures("as_workflow")
def test_an_edited_vsa_from_the_store_does_not_verify(
    client: GitHubClient, sigstore_double: SigstoreDouble
) -> None:
    note = _note(sigstore_double)
    store_evidence(client, _evidence(sigstore_double, note))
    (vsa,) = list_bundles(client, commit_key(HEAD), VSA_PREDICATE_TYPE)
    statement = _statement(vsa)
    statement["predicate"]["verificationResult"] = "PASSED "
    vsa["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    trust = sigstore_double.trust_config_path
    with pytest.raises(VerificationError, match="does not verify"):
        verify_bundle(json.dumps(vsa), trust_config=trust, staging=False)


@pytest.mark.usefixtures("as_workflow")
def test_a_rejected_result_gets_a_failed_vsa(
    client: GitHubClient, sigstore_double: SigstoreDouble
) -> None:
    note = _note(sigstore_double)
    request = _evidence(sigstore_double, note)
    other = verify_result(
        result_doc=note.document,
        bundle_json=None,
        policy=request.policy,
        sha=BASE,
        commit_config_sha256=note.document["config"]["sha256"],
    )
    store_evidence(client, _evidence(sigstore_double, note, verdict=other))
    (vsa,) = list_bundles(client, commit_key(HEAD), VSA_PREDICATE_TYPE)
    predicate = _statement(vsa)["predicate"]
    assert predicate["verificationResult"] == "FAILED"
    assert predicate["verifiedLevels"] == ["FAILED"]
    failed = {c["name"] for c in predicate[CHECKS_FIELD] if not c["passed"]}
    assert failed == {"signature", "commit"}


@pytest.mark.usefixtures("as_workflow")
def test_a_result_is_found_again_by_commit(
    client: GitHubClient, sigstore_double: SigstoreDouble
) -> None:
    note = _note(sigstore_double)
    assert find_note(client, HEAD) is None
    store_evidence(client, _evidence(sigstore_double, note))
    found = find_note(client, HEAD)
    assert found == note
    assert find_note(client, BASE) is None


@pytest.mark.usefixtures("as_workflow")
def test_without_attestations_write_no_vsa_is_stored(
    github_double: GitHubDouble, sigstore_double: SigstoreDouble
) -> None:
    github_double.add_repo(REPO, commits=[BASE, HEAD])
    token = github_double.add_token(TokenKind.ACTIONS, repo=REPO)  # checks, statuses only
    settings = GitHubSettings(repo=REPO, api_url=github_double.api_url, token=token)
    with GitHubClient(settings) as client:
        said = store_evidence(client, _evidence(sigstore_double, _note(sigstore_double)))
    assert said.startswith("no VSA stored: GitHub refused to store an attestation")
    assert github_double.attestations(REPO) == []


@pytest.mark.usefixtures("as_workflow")
def test_a_refused_result_bundle_still_leaves_the_vsa(
    client: GitHubClient, sigstore_double: SigstoreDouble, github_double: GitHubDouble
) -> None:
    """The VSA goes first; GitHub refusing the developer's bundles afterwards is reported."""

    class RefuseSecondPost:
        posts = 0

        def rest(self, what: str, verb: str, path: str, **kwargs: Any) -> Any:
            if verb == "POST":
                self.posts += 1
                if self.posts == 2:
                    body = {"message": "Validation Failed", "documentation_url": ""}
                    github_double.fail(
                        "POST", r"/repos/octo/demo/attestations", status=422, body=body
                    )
            return client.rest(what, verb, path, **kwargs)

    said = store_evidence(RefuseSecondPost(), _evidence(sigstore_double, _note(sigstore_double)))
    assert said.startswith(f"VSA signed by {WORKFLOW} and stored; the result's bundles were not: ")
    assert "Validation Failed" in said
    (stored,) = github_double.attestations(REPO)
    assert stored.predicate_type == VSA_PREDICATE_TYPE


def test_without_an_identity_token_no_vsa_is_signed(
    client: GitHubClient, sigstore_double: SigstoreDouble, github_double: GitHubDouble
) -> None:
    said = store_evidence(client, _evidence(sigstore_double, _note(sigstore_double)))
    assert said.startswith("no VSA stored: no identity token")
    assert github_double.attestations(REPO) == []


def test_gate_identity_is_the_workflow_ref() -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKFLOW_REF": WORKFLOW[19:]}
    assert gate_identity(env) == WORKFLOW
    assert gate_identity({}).startswith("https://github.com/localci/localci/")


def test_localci_gate_attest_stores_a_vsa_github_can_serve(
    host_repo: Callable[[str], HostedRepo],
    cli: Callable[..., CliResult],
    github_double: GitHubDouble,
    sigstore_double: SigstoreDouble,
    sigstore_trust_config: Path,
) -> None:
    """`localci gate --attest` as the verifier workflow runs it: the VSA signed with the
    workflow's identity is read back by the result file's digest and verifies offline."""
    hosted = host_repo(POLICY.replace("ISSUER", sigstore_double.issuer_url))
    repo, sha, token, env = hosted.repo, hosted.sha, hosted.token, hosted.env
    assert hosted.name == REPO
    developer = {"SIGSTORE_ID_TOKEN": sigstore_double.mint_token("dev@example.com")}
    trust = ["--trust-config", str(sigstore_trust_config)]
    signed = cli("run", "--sign", *trust, "--post-results", "--no-github", cwd=repo, env=developer)
    assert signed.code == 0, signed.err
    result_file = repo / ".localci" / "results" / f"{sha}.json"
    result_bytes = result_file.read_bytes()
    result_file.unlink()  # the gate reads the notes ref, never local files

    workflow = {"SIGSTORE_ID_TOKEN": sigstore_double.mint_token(WORKFLOW)}
    workflow["GITHUB_WORKFLOW_REF"] = WORKFLOW.removeprefix("https://github.com/")
    gated = cli(
        "gate", "--sha", sha, "--base-sha", sha, *trust, "--attest", cwd=repo, env=env | workflow
    )
    assert gated.code == 0, gated.err
    assert f"VSA signed by {WORKFLOW} and stored with the result's 2 bundles" in gated.err
    (run,) = github_double.check_runs(REPO, sha)
    assert run.conclusion == "success"
    assert "VSA signed by" in (run.output["summary"] or "")

    (vsa,) = list_bundles_for(github_double, token, hashlib.sha256(result_bytes).hexdigest())
    verified = verify_bundle(json.dumps(vsa), trust_config=sigstore_trust_config, staging=False)
    assert (verified.identity, verified.issuer) == (WORKFLOW, GITHUB_ISSUER)
    assert verified.statement["predicate"]["verifier"]["id"] == WORKFLOW
    assert verified.statement["predicate"]["verificationResult"] == "PASSED"


def list_bundles_for(double: GitHubDouble, token: str, digest: str) -> list[dict[str, Any]]:
    settings = GitHubSettings(repo=REPO, api_url=double.api_url, token=token)
    with GitHubClient(settings) as client:
        return list_bundles(client, digest, VSA_PREDICATE_TYPE)
