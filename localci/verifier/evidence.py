"""The gate's signed evidence: a SLSA VSA of its verdict, stored in GitHub's attestation store.

After the gate verified a result, it signs a Verification Summary Attestation
(:mod:`localci.attest.vsa`) with the workflow's ambient identity (GitHub Actions OIDC,
``permissions: id-token: write``) and stores it, together with the result's two bundles,
through ``POST /repos/{owner}/{repo}/attestations`` (``permissions: attestations: write``).
Then anyone can check a merged commit's evidence without localci's notes ref:
``gh attestation verify <sha>.json --repo OWNER/REPO --predicate-type
https://slsa.dev/verification_summary/v1`` (docs/verify-evidence.md).

The evidence is an addition to the gating Check Run, never a condition of it: when it
cannot be signed or stored, the gate still posts its verdict and says why the VSA is
missing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localci.attest.signed import SignedResult
from localci.config.loader import Config
from localci.errors import LocalciError
from localci.result.store import utc_now
from localci.verifier.check import Verdict

__all__ = ["EvidenceRequest", "gate_identity", "store_evidence"]

_FALLBACK_VERIFIER = "https://github.com/localci/localci/blob/main/docs/predicates/vsa.md#gate"


@dataclass(frozen=True, kw_only=True)
class EvidenceRequest:
    """What the gate verified and how to sign: the repository (``owner/name``), the head
    and base commits, the base policy, the fetched note and the verdict, and the Sigstore
    instance (``trust_config`` / ``staging``; the identity token is ambient)."""

    repo: str
    head: str
    base: str
    policy: Config
    note: SignedResult
    verdict: Verdict
    trust_config: Path | None = None
    staging: bool = False
    verifier_id: str = _FALLBACK_VERIFIER


def gate_identity(environ: Mapping[str, str] | None = None) -> str:
    """The gate's identity URI: ``$GITHUB_SERVER_URL/$GITHUB_WORKFLOW_REF`` in GitHub
    Actions (the SAN of its Fulcio certificate), else a fixed URI naming localci's gate."""
    env = os.environ if environ is None else environ
    ref = env.get("GITHUB_WORKFLOW_REF")
    if not ref:
        return _FALLBACK_VERIFIER
    return f"{env.get('GITHUB_SERVER_URL', 'https://github.com').rstrip('/')}/{ref}"


def _bundles(note: SignedResult, head: str) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    if note.bundle is not None:
        found[f"{head}.sigstore.json"] = note.bundle
    if note.test_result_bundle is not None:
        found[f"{head}.test-result.sigstore.json"] = note.test_result_bundle
    return found


def store_evidence(client: Any, request: EvidenceRequest) -> str:
    """Sign the VSA of ``request.verdict`` and store it with the result's bundles.

    ``client`` is a :class:`~localci.publish.github.GitHubClient`. Never raises for a
    signing or storage failure: the returned sentence says what happened either way.
    """
    from localci.attest.signing import SigningOptions, sign_statement
    from localci.attest.vsa import VerifiedInput, vsa_statement
    from localci.publish.attestations import store_bundles

    verdict, bundles = request.verdict, _bundles(request.note, request.head)
    verified = VerifiedInput(
        result_doc=request.note.document,
        bundles=bundles,
        checks=[(c.name, c.passed, c.reason) for c in verdict.checks],
        accepted=verdict.accepted,
        policy_uri=f"git+https://github.com/{request.repo}@{request.base}#{request.policy.path}",
        policy_sha256=request.policy.sha256,
        verifier_id=request.verifier_id,
        verified_at=utc_now(),
    )
    options = SigningOptions(trust_config=request.trust_config, staging=request.staging)
    try:
        signed = sign_statement(vsa_statement(verified), options)
        store_bundles(client, [json.loads(signed.bundle_json)])
    except LocalciError as exc:
        return f"no VSA stored: {exc.message}"
    said = f"VSA signed by {signed.identity} and stored"
    # The result's own bundles make it findable by commit (`localci fetch`); the VSA
    # stands without them, so a refusal here is reported, not fatal.
    try:
        stored = len(store_bundles(client, bundles.values()))
    except LocalciError as exc:
        return f"{said}; the result's bundles were not: {exc.message}"
    return f"{said} with the result's {stored} bundles"
