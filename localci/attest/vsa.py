"""The gate's verdict as a SLSA Verification Summary Attestation (docs/predicates/vsa.md).

Predicate type ``https://slsa.dev/verification_summary/v1`` (SLSA v1.0, "Verification
Summary Attestation"): a ``verifier`` checked the ``subject`` against a ``policy`` using
``inputAttestations`` and reached ``verificationResult`` ``PASSED`` or ``FAILED``. For
localci:

- ``subject``: the verified result, with the same two subjects as the result Statement
  (:func:`~localci.attest.statements.subjects_for`): the result file's sha256, so
  ``gh attestation verify <sha>.json`` finds the VSA, and the commit's lookup key;
- ``verifier.id``: the identity the gate runs as (its workflow ref, e.g.
  ``https://github.com/OWNER/REPO/.github/workflows/localci-gate.yml@refs/heads/main``),
  ``verifier.version``: ``{"localci": <version>}``;
- ``resourceUri``: ``git+<repo-url>@<commit>``;
- ``policy``: the base commit's configuration, ``uri`` ``git+<repo-url>@<base>#<path>``
  and ``digest.sha256`` the RFC 8785 digest of the effective configuration;
- ``inputAttestations``: the result bundle and the test-result bundle, each by the
  sha256 of its RFC 8785 JSON;
- ``verifiedLevels``: ``LOCALCI_<CHECK>`` for every check when all passed, else
  ``["FAILED"]`` (SLSA allows custom values that do not start with ``SLSA_``); every check
  with its reason is under the extension field :data:`CHECKS_FIELD`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localci import __version__
from localci.attest.statements import statement_for, subjects_for
from localci.result.digest import sha256_hex

if TYPE_CHECKING:
    from sigstore import dsse

__all__ = ["CHECKS_FIELD", "VSA_PREDICATE_TYPE", "VerifiedInput", "vsa_predicate", "vsa_statement"]

VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"
CHECKS_FIELD = "https://github.com/localci/localci/blob/main/docs/predicates/vsa.md#checks"
"""Extension field: ``[{"name", "passed", "reason"}, ...]``, every check in order."""


@dataclass(frozen=True, kw_only=True)
class VerifiedInput:
    """What the gate verified, as plain data.

    ``result_doc``: the result document; ``bundles``: ``{"<file name>": bundle JSON
    object}`` of the attestations used; ``checks``: ``(name, passed, reason)`` in order;
    ``accepted``: every check passed; ``policy_uri`` / ``policy_sha256``: where the policy
    came from and its digest; ``verifier_id``: the gate's identity URI; ``verified_at``:
    RFC 3339 UTC time.
    """

    result_doc: Mapping[str, Any]
    bundles: Mapping[str, Mapping[str, Any]]
    checks: Sequence[tuple[str, bool, str]]
    accepted: bool
    policy_uri: str
    policy_sha256: str
    verifier_id: str
    verified_at: str


def vsa_predicate(verified: VerifiedInput) -> dict[str, Any]:
    """The VSA predicate for ``verified`` (fields in the module docstring).

    :raises InternalError: a bundle is not canonicalizable JSON.
    """
    git = verified.result_doc["git"]
    levels = (
        [f"LOCALCI_{name.upper()}" for name, _, _ in verified.checks]
        if verified.accepted
        else ["FAILED"]
    )
    return {
        "verifier": {"id": verified.verifier_id, "version": {"localci": __version__}},
        "timeVerified": verified.verified_at,
        "resourceUri": f"git+{git.get('repository') or 'local'}@{git['commit']}",
        "policy": {"uri": verified.policy_uri, "digest": {"sha256": verified.policy_sha256}},
        "inputAttestations": [
            {"uri": name, "digest": {"sha256": sha256_hex(dict(bundle))}}
            for name, bundle in verified.bundles.items()
        ],
        "verificationResult": "PASSED" if verified.accepted else "FAILED",
        "verifiedLevels": levels,
        "slsaVersion": "1.0",
        CHECKS_FIELD: [
            {"name": name, "passed": passed, "reason": reason}
            for name, passed, reason in verified.checks
        ],
    }


def vsa_statement(verified: VerifiedInput) -> dsse.Statement:
    """The in-toto Statement of the VSA, about the verified result.

    :raises InternalError: the result or a bundle is not canonicalizable JSON.
    """
    git = verified.result_doc["git"]
    subjects = subjects_for(
        verified.result_doc, repo_url=git.get("repository"), commit=git["commit"]
    )
    return statement_for(subjects, VSA_PREDICATE_TYPE, vsa_predicate(verified))
