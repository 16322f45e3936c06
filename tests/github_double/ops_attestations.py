"""Artifact attestation operations (REST docs, "REST API endpoints for artifact attestations").

https://docs.github.com/rest/repos/attestations

GitHub stores a Sigstore bundle whose DSSE payload is an in-toto Statement and finds it
again by any subject's sha256 (``sha256:HEX``). Creating one needs write access: for an
app token (a workflow's ``GITHUB_TOKEN``) the ``attestations: write`` permission
(``permissions: attestations: write`` in the workflow). The double keeps the bundle as
given and answers with it under API version 2022-11-28; later versions drop ``bundle``
from the list (the description's ``x-github-breaking-changes``), which localci does not
request.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .call import Call, Reply, principal_of, repo_of
from .errors import forbidden, validation_failed
from .state import Attestation

__all__ = ["create_attestation", "list_attestations"]

_DSSE_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def _subject_digests(call: Call, bundle: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """``(sha256 digest, predicate type)`` pairs of the bundle's statement, or 422."""
    envelope = bundle.get("dsseEnvelope")
    try:
        assert isinstance(envelope, dict)
        assert envelope.get("payloadType") == _DSSE_PAYLOAD_TYPE
        statement = json.loads(base64.b64decode(envelope["payload"], validate=True))
        kind = str(statement["predicateType"])
        digests = [s["digest"]["sha256"] for s in statement["subject"]]
    except (AssertionError, KeyError, TypeError, ValueError, binascii.Error):
        raise validation_failed(
            call.op.doc_url,
            resource="Attestation",
            field="bundle",
            message="The bundle must hold a DSSE envelope of an in-toto statement.",
        ) from None
    if not digests:
        raise validation_failed(
            call.op.doc_url, resource="Attestation", field="bundle", message="No subjects."
        )
    return tuple((f"sha256:{d}", kind) for d in digests)


def create_attestation(call: Call) -> Reply:
    """REST "Create an attestation": store the bundle under its subjects' digests."""
    principal = principal_of(call)
    if not principal.may_write("attestations"):
        raise forbidden("Resource not accessible by integration", call.op.doc_url)
    repo = repo_of(call)
    bundle = call.body["bundle"]
    pairs = _subject_digests(call, bundle)
    item = Attestation(
        id=call.state.next_id(),
        repo=repo,
        bundle=bundle,
        digests=frozenset(d for d, _ in pairs),
        predicate_type=pairs[0][1],
        initiator=principal.login,
    )
    call.state.attestations.append(item)
    return Reply(201, {"id": item.id})


def list_attestations(call: Call) -> Reply:
    """REST "List attestations" for a subject digest, newest first; ``predicate_type``
    filters by the statement's exact type; ``per_page`` (default 30) caps the list."""
    repo = repo_of(call)
    digest = call.params["subject_digest"].lower()
    wanted = call.arg("predicate_type")
    found = [
        a
        for a in reversed(call.state.attestations)
        if a.repo is repo and digest in a.digests and wanted in (None, a.predicate_type)
    ]
    per_page = int(call.arg("per_page") or 30)
    body = {
        "attestations": [
            {
                "bundle": a.bundle,
                "repository_id": repo.id,
                "bundle_url": f"{call.base}/attestations/{a.id}/bundle",
                "initiator": a.initiator,
            }
            for a in found[:per_page]
        ]
    }
    return Reply(200, body)
