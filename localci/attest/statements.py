"""The in-toto Statements localci signs, and their subjects (in-toto attestation, spec/v1).

Every localci Statement is about one result file and one commit, named by two subjects::

    [{"name": "git+<repo-url>@<commit>", "digest": {"sha256": sha256(result file bytes)}},
     {"name": "gitCommit:<commit>",      "digest": {"sha256": sha256(<commit> as ASCII)}}]

The first binds the statement to the stored result: ``.localci/results/<sha>.json`` holds
the RFC 8785 canonical bytes of the document, so ``sigstore verify identity --bundle …
<sha>.json`` and ``gh attestation verify <sha>.json`` find their digest. The second is a
lookup key: GitHub's attestation store is searched by a subject's sha256, and a verifier
that knows only the commit can compute it (``printf %s <commit> | sha256sum``). The commit
id itself cannot be a digest here: sigstore's DigestSet accepts only sha2/sha3 names, not
``gitCommit``. The predicate types are documented in ``docs/predicates/``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from localci.errors import InternalError
from localci.result.digest import sha256_hex

if TYPE_CHECKING:
    from sigstore import dsse

__all__ = [
    "COMMIT_SUBJECT_PREFIX",
    "LEGACY_PREDICATE_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "build_statement",
    "commit_key",
    "result_digest",
    "statement_for",
    "subject_name",
    "subjects_for",
]

PREDICATE_TYPE = "https://github.com/localci/localci/blob/main/docs/predicates/result-v1.md"
"""``predicateType`` of a signed localci result: version 1 of the result schema
(``schemas/result.v1.schema.json``); the URI is its documentation page."""

LEGACY_PREDICATE_TYPE = "urn:localci:predicate:result:v1"
"""The type localci 0.1.0 signed; no longer accepted (it documents nothing)."""

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
COMMIT_SUBJECT_PREFIX = "gitCommit:"

result_digest = sha256_hex
"""Lower-case hex sha256 of the RFC 8785 canonical JSON of a document: the sha256 of the
stored result file, which holds exactly those bytes."""


def subject_name(repo_url: str | None, commit: str) -> str:
    """``git+<repo-url>@<commit>``; ``repo-url`` is ``local`` for a repository without one."""
    return f"git+{repo_url or 'local'}@{commit}"


def commit_key(commit: str) -> str:
    """The lookup digest of a commit: sha256 of its hex id as ASCII (64 hex characters)."""
    return hashlib.sha256(commit.lower().encode("ascii")).hexdigest()


def subjects_for(
    result_doc: Mapping[str, Any], *, repo_url: str | None, commit: str
) -> list[dict[str, Any]]:
    """The two subjects of every localci Statement about ``result_doc`` (module docstring).

    :raises InternalError: ``result_doc`` is not canonicalizable JSON.
    """
    return [
        {"name": subject_name(repo_url, commit), "digest": {"sha256": result_digest(result_doc)}},
        {"name": f"{COMMIT_SUBJECT_PREFIX}{commit}", "digest": {"sha256": commit_key(commit)}},
    ]


def statement_for(
    subjects: Sequence[Mapping[str, Any]], predicate_type: str, predicate: Mapping[str, Any]
) -> dsse.Statement:
    """A :class:`sigstore.dsse.Statement` from plain JSON parts.

    :raises InternalError: sigstore rejects the statement (a bug in the caller).
    """
    from sigstore import dsse  # imported late: reading statements needs no sigstore

    built = [
        dsse.Subject(name=s["name"], digest=dsse.DigestSet(dict(s["digest"]))) for s in subjects
    ]
    try:
        return dsse.StatementBuilder(built, predicate_type, dict(predicate)).build()
    except Exception as exc:  # sigstore raises its own Error or pydantic's
        raise InternalError(f"cannot build the in-toto statement: {exc}") from exc


def build_statement(
    result_doc: Mapping[str, Any], *, repo_url: str | None, commit: str
) -> dsse.Statement:
    """The in-toto Statement v1 whose predicate is the result document itself.

    :raises InternalError: ``result_doc`` is not canonicalizable JSON.
    """
    subjects = subjects_for(result_doc, repo_url=repo_url, commit=commit)
    return statement_for(subjects, PREDICATE_TYPE, result_doc)
