"""GitHub's artifact attestation store as a publish and fetch channel.

REST docs, "REST API endpoints for artifact attestations": ``POST
/repos/{owner}/{repo}/attestations`` stores a Sigstore bundle (``{"bundle": {...}}`` ->
``201 {"id": n}``; a workflow token needs ``permissions: attestations: write``, a
fine-grained token the ``attestations`` write permission) and ``GET
/repos/{owner}/{repo}/attestations/sha256:<hex>`` lists the bundles one of whose subjects
has that digest (``{"attestations": [{"bundle": {...}, ...}]}``, newest first). localci
asks with API version 2022-11-28, whose answers carry the bundle itself.

Every Statement localci signs has the commit's lookup key as a subject
(:func:`localci.attest.statements.commit_key`), so a result is found by commit; the gate's
VSA names the result file's digest, so ``gh attestation verify <sha>.json`` finds it.
What comes back is untrusted until ``localci verify`` checked it: this module only reads
the statement inside each bundle to pick the right ones.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from localci.attest.signed import SignedResult
from localci.attest.statements import PREDICATE_TYPE, commit_key
from localci.attest.test_result import TEST_RESULT_PREDICATE_TYPE
from localci.publish.channel import NotFound, PublishOptions

__all__ = [
    "AttestationStore",
    "find_note",
    "note_from_bundles",
    "statement_of",
    "store_bundles",
]

PER_PAGE = 30
"""Attestations read per look-up (GitHub's default page size)."""


def store_bundles(client: Any, bundles: Iterable[Mapping[str, Any]]) -> list[int]:
    """POST each bundle to the repository's attestation store; their new ids.

    ``client`` is a :class:`~localci.publish.github.GitHubClient`.

    :raises UsageError: the token may not write attestations (403) or GitHub refused one.
    :raises DeliveryError: GitHub stayed unreachable.
    """
    ids = []
    for bundle in bundles:
        answer = client.rest(
            "store an attestation", "POST", "/attestations", body={"bundle": dict(bundle)}
        )
        ids.append(int(answer["id"]))
    return ids


def list_bundles(
    client: Any, digest: str, predicate_type: str | None = None
) -> list[dict[str, Any]]:
    """The bundles stored for subject digest ``digest`` (64 hex), newest first.

    :raises UsageError, DeliveryError: as :func:`store_bundles`.
    """
    query: dict[str, Any] = {"per_page": PER_PAGE}
    if predicate_type is not None:
        query["predicate_type"] = predicate_type
    answer = client.rest("list attestations", "GET", f"/attestations/sha256:{digest}", query=query)
    found = answer.get("attestations") if isinstance(answer, dict) else None
    return [
        a["bundle"]
        for a in found or []
        if isinstance(a, dict) and isinstance(a.get("bundle"), dict)
    ]


def statement_of(bundle: Mapping[str, Any]) -> dict[str, Any] | None:
    """The in-toto Statement inside a bundle's DSSE envelope (unverified), or ``None``."""
    envelope = bundle.get("dsseEnvelope")
    if not isinstance(envelope, dict):
        return None
    try:
        statement = json.loads(base64.b64decode(str(envelope.get("payload")), validate=True))
    except (ValueError, binascii.Error):
        return None
    return statement if isinstance(statement, dict) else None


def note_from_bundles(commit: str, bundles: Iterable[Mapping[str, Any]]) -> SignedResult | None:
    """The newest localci result for ``commit`` among ``bundles``, with the test-result
    bundle that names the same subjects; ``None`` when there is no result."""
    pairs = [(b, statement_of(b)) for b in bundles]
    for bundle, statement in pairs:
        if statement is None or statement.get("predicateType") != PREDICATE_TYPE:
            continue
        result = statement.get("predicate")
        git = result.get("git") if isinstance(result, dict) else None
        if not isinstance(git, dict) or git.get("commit") != commit:
            continue
        tests = next(
            (
                b
                for b, s in pairs
                if s is not None
                and s.get("predicateType") == TEST_RESULT_PREDICATE_TYPE
                and s.get("subject") == statement.get("subject")
            ),
            None,
        )
        assert isinstance(result, dict)
        return SignedResult(
            document=result, bundle=dict(bundle), test_result_bundle=tests, origin="attestations"
        )
    return None


def find_note(client: Any, commit: str) -> SignedResult | None:
    """The result for ``commit`` from the attestation store, found by its lookup key.

    :raises UsageError, DeliveryError: as :func:`store_bundles`.
    """
    return note_from_bundles(commit, list_bundles(client, commit_key(commit)))


class AttestationStore:
    """The attestation store as a fetch source (``localci.publish.fetch``): the gate
    stores bundles there (:mod:`localci.verifier.evidence`); nothing publishes a result
    through it, so it is not a :class:`~localci.publish.channel.Channel`."""

    name = "attestations"

    def fetch(self, root: Path, sha: str, options: PublishOptions) -> SignedResult:
        """The result stored for ``sha``.

        :raises NotFound: without a repository or credentials, or when none is stored;
        :raises UsageError, DeliveryError: as :func:`store_bundles`.
        """
        from localci.publish.checks import github_settings
        from localci.publish.github import GitHubClient

        c = options.credentials
        if options.repo is None or (not c.token and c.app_id is None):
            raise NotFound("no GitHub repository or credentials")
        with GitHubClient(github_settings(options)) as client:
            found = find_note(client, sha)
        if found is None:
            raise NotFound(f"no localci result stored for {sha[:12]}")
        return found
