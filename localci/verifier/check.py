"""The verifier: does a (signed) result satisfy a policy for the commit being gated?

Every check is reported by name with pass/fail and a reason (docs/threat-model.md, "What
a green check proves"), in this order:

1. ``schema`` (here);
2. ``signature``, ``signer``, ``subject``, ``test_result`` (:mod:`localci.verifier.signed`);
3. ``commit``, ``clean``, ``config`` (:mod:`localci.verifier.binding`);
4. ``complete``, ``age``, ``stages``, ``thresholds`` (:mod:`localci.verifier.policy`).

Integrity checks fail with exit code 4, policy checks with exit code 1
(:mod:`localci.verifier.verdict`). The document's own ``status``, ``conclusion`` and
``passed`` flags are never trusted: every stage's verdict is recomputed from its raw facts
under the *policy's* stage configuration, which in a gate comes from the base branch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from localci.config.identity import identity_regex_warnings
from localci.config.loader import Config
from localci.result.codec import result_from_dict
from localci.result.model import Result
from localci.schemas import RESULT_SCHEMA, schema_errors
from localci.verifier.binding import check_binding
from localci.verifier.checklist import Check, Checklist
from localci.verifier.policy import CLOCK_SKEW, check_policy
from localci.verifier.signed import check_signature, check_test_result, real_verify
from localci.verifier.verdict import INTEGRITY_CHECKS, Verdict

__all__ = ["CLOCK_SKEW", "INTEGRITY_CHECKS", "Check", "Verdict", "verify_result"]


def verify_result(
    *,
    result_doc: Mapping[str, Any],
    bundle_json: str | None,
    policy: Config,
    sha: str,
    tree: str | None = None,
    commit_config_sha256: str | None = None,
    trust_config: Path | None = None,
    staging: bool = False,
    offline: bool = True,
    now: datetime | None = None,
    verify_bundle: Callable[..., Any] | None = None,
    test_result_bundle_json: str | None = None,
    result_bytes: bytes | None = None,
) -> Verdict:
    """Check ``result_doc`` (and ``bundle_json``, its Sigstore bundle) for commit ``sha``.

    :param policy: the configuration whose ``verify:`` section and stage thresholds apply
        (in a gate: the base branch's).
    :param tree: the tree of ``sha``; needed for ``accept_same_tree``.
    :param commit_config_sha256: the digest of the configuration committed in ``sha``
        (:attr:`Config.sha256 <localci.config.loader.Config.sha256>` of
        :func:`localci.verifier.sources.config_at`); without it the ``config`` check
        fails, since nothing shows the result was made under the commit's configuration.
    :param trust_config: a ClientTrustConfig selecting a private Sigstore instance;
        ``staging`` selects Sigstore's staging instance; default: public-good.
    :param now: the current time (tests inject it).
    :param verify_bundle: override of :func:`localci.attest.signing.verify_bundle` (tests only).
    :param test_result_bundle_json: the bundle of the test-result Statement signed with it.
    :param result_bytes: the stored file's exact bytes, when the result came from a file:
        their sha256 must be the signed digest (as for ``sigstore verify``).
    :returns: a :class:`Verdict`; never raises for a bad result, only for bad arguments.
    :raises UsageError, DeliveryError: when the trust root cannot be loaded or fetched.
    """
    run = Checklist()
    result = _check_schema(run, result_doc)
    verify = functools.partial(
        verify_bundle or real_verify, trust_config=trust_config, staging=staging, offline=offline
    )
    signed = check_signature(run, result_doc, bundle_json, policy, verify, result_bytes)
    if signed is not None and result is not None:
        check_test_result(run, result, signed, test_result_bundle_json, verify)
    if result is not None:
        check_binding(run, result, policy, sha, tree, commit_config_sha256)
        check_policy(run, result, policy, now or datetime.now(timezone.utc))
    return Verdict(
        sha=sha,
        checks=tuple(run.checks),
        signer=run.signer,
        issuer=run.issuer,
        result=result,
        warnings=tuple(identity_regex_warnings(policy)),
    )


def _check_schema(run: Checklist, doc: Mapping[str, Any]) -> Result | None:
    errors = schema_errors(RESULT_SCHEMA, doc)
    if errors:
        run.add("schema", False, f"not a valid localci result v1: {errors[0]}")
        return None
    run.add("schema", True, f"valid against {doc['schema']} (version {doc['schema_version']})")
    return result_from_dict(doc)
