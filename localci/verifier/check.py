"""The verifier: does a (signed) result satisfy a policy for the commit being gated?

Every check is reported by name with pass/fail and a reason (docs/, "What the verifier
decides"). Integrity checks (``schema``, ``signature``, ``signer``, ``subject``,
``test_result``, ``commit``, ``clean``) fail with exit code 4; policy checks (``complete``, ``age``,
``stages``, ``thresholds``) with exit code 1. The document's own ``status`` and
``passed`` flags are never trusted: thresholds are recomputed from raw metrics under the
*policy's* stage configuration, which in a gate comes from the base branch.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from localci.config.loader import Config, StageConfig
from localci.config.thresholds import describe_failure, evaluate
from localci.errors import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_VERIFICATION,
)
from localci.result.model import Result, StageResult, result_from_dict
from localci.schemas import RESULT_SCHEMA, schema_errors
from localci.verifier.checklist import Check, Checklist
from localci.verifier.signed import check_signature, check_test_result, real_verify

__all__ = ["CLOCK_SKEW", "INTEGRITY_CHECKS", "Check", "Verdict", "verify_result"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a result's ``finished_at`` may lie (clocks differ)."""

INTEGRITY_CHECKS = ("schema", "signature", "signer", "subject", "test_result", "commit", "clean")
"""Checks whose failure means the result cannot be trusted at all (exit code 4)."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The verifier's answer.

    ``accepted`` is true only when every check passed. ``exit_code`` is 0, 1 (policy not
    met) or 4 (integrity). ``signer`` / ``issuer`` are the certificate's, when a
    signature verified. ``result`` is the parsed document when it was schema-valid.
    """

    sha: str
    checks: tuple[Check, ...]
    signer: str | None = None
    issuer: str | None = None
    result: Result | None = field(default=None, compare=False)

    @property
    def accepted(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def exit_code(self) -> int:
        failed = {c.name for c in self.checks if not c.passed}
        if failed & set(INTEGRITY_CHECKS):
            return EXIT_VERIFICATION
        return EXIT_CHECK_FAILED if failed else EXIT_OK

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``localci verify --json``."""
        return {
            "sha": self.sha,
            "accepted": self.accepted,
            "exit_code": self.exit_code,
            "signer": self.signer,
            "issuer": self.issuer,
            "checks": [vars(c) for c in self.checks],
        }


def verify_result(
    *,
    result_doc: Mapping[str, Any],
    bundle_json: str | None,
    policy: Config,
    sha: str,
    tree: str | None = None,
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
    :param trust_config: a ClientTrustConfig selecting a private Sigstore instance;
        ``staging`` selects Sigstore's staging instance; default: public-good.
    :param now: the current time (tests inject it).
    :param verify_bundle: override of :func:`localci.attest.signing.verify_bundle` (tests only).
    :param test_result_bundle_json: the bundle of the test-result Statement signed with it.
    :param result_bytes: the stored file's exact bytes, when the result came from a file:
        their sha256 must be the signed digest (as for ``sigstore verify``).
    :returns: a :class:`Verdict`; never raises for a bad result, only for bad arguments.
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
        _check_binding(run, result, policy, sha, tree)
        _check_policy(run, result, policy, now or datetime.now(timezone.utc))
    return Verdict(
        sha=sha, checks=tuple(run.checks), signer=run.signer, issuer=run.issuer, result=result
    )


def _check_schema(run: Checklist, doc: Mapping[str, Any]) -> Result | None:
    errors = schema_errors(RESULT_SCHEMA, doc)
    if errors:
        run.add("schema", False, f"not a valid localci result v1: {errors[0]}")
        return None
    run.add("schema", True, f"valid against {doc['schema']} (version {doc['schema_version']})")
    return result_from_dict(doc)


def _check_binding(
    run: Checklist, result: Result, policy: Config, sha: str, tree: str | None
) -> None:
    git = result.git
    if git.commit == sha:
        run.add("commit", True, f"the result is for commit {sha}")
    elif policy.verify.accept_same_tree and tree is not None and git.tree == tree:
        run.add(
            "commit",
            True,
            f"the result is for commit {git.commit}, whose tree {tree} "
            "equals the gated commit's (accept_same_tree)",
        )
    elif tree is not None and git.tree == tree:
        run.add(
            "commit",
            False,
            f"the result is for commit {git.commit}, not {sha}; the trees "
            "are equal but the policy does not set accept_same_tree",
        )
    else:
        run.add("commit", False, f"the result is for commit {git.commit}, not {sha}")
    if git.dirty:
        run.add("clean", False, "the result was produced from uncommitted changes (dirty: true)")
    else:
        run.add("clean", True, "the result was produced from the committed tree")


def _check_policy(run: Checklist, result: Result, policy: Config, now: datetime) -> None:
    if result.partial:
        run.add("complete", False, "a partial run (--stage/--skip) never satisfies the gate")
    else:
        run.add("complete", True, "every configured stage was selected")
    _check_age(run, result, policy, now)
    _check_stages(run, result, policy)
    _check_thresholds(run, result, policy)


_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z")


def _parse_time(text: str) -> datetime | None:
    """A result timestamp (``2026-11-21T04:00:00.123456Z``) as an aware UTC datetime.

    The schema allows any number of fraction digits (RFC 3339; Go writes nanoseconds), and
    its ``format: date-time`` is only enforced when jsonschema has a date-time checker
    installed, so a pattern-valid impossible time (month 13) can get here: ``None`` then.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    try:
        moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    micro = int((match.group(2) or "")[:6].ljust(6, "0"))
    return moment.replace(microsecond=micro, tzinfo=timezone.utc)


def _check_age(run: Checklist, result: Result, policy: Config, now: datetime) -> None:
    finished = _parse_time(result.finished_at)
    if finished is None:
        run.add("age", False, f"finished_at {result.finished_at!r} is not a valid UTC time")
        return
    age = now - finished
    if finished - now > CLOCK_SKEW:
        run.add(
            "age",
            False,
            f"finished at {result.finished_at}, in the future by "
            f"{_human(-age)} (clock skew allowed: {_human(CLOCK_SKEW)})",
        )
    elif policy.verify.max_age is not None and age > timedelta(seconds=policy.verify.max_age):
        run.add(
            "age",
            False,
            f"{_human(age)} old; the policy allows at most "
            f"{_human(timedelta(seconds=policy.verify.max_age))}",
        )
    else:
        limit = (
            f" (max_age {_human(timedelta(seconds=policy.verify.max_age))})"
            if policy.verify.max_age is not None
            else ""
        )
        run.add("age", True, f"{_human(max(age, timedelta(0)))} old{limit}")


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds}s"


def _check_stages(run: Checklist, result: Result, policy: Config) -> None:
    problems = []
    for name in policy.verify.required_stages:
        stage = result.stage(name)
        if stage is None:
            problems.append(f"required stage {name!r} is missing")
        elif stage.status == "skipped":
            problems.append(f"required stage {name!r} was skipped ({stage.reason})")
    if problems:
        run.add("stages", False, "; ".join(problems))
    else:
        names = ", ".join(policy.verify.required_stages) or "none"
        run.add("stages", True, f"required stages present: {names}")


def _check_thresholds(run: Checklist, result: Result, policy: Config) -> None:
    problems: list[str] = []
    for wanted in policy.stages:
        stage = result.stage(wanted.name)
        if stage is None or stage.status == "skipped":
            continue  # reported by the `stages` check when required
        problems += _stage_problems(wanted, stage)
    if problems:
        run.add("thresholds", False, "; ".join(problems))
    else:
        run.add("thresholds", True, "every threshold holds when recomputed under this policy")


def _stage_problems(wanted: StageConfig, stage: StageResult) -> list[str]:
    """Threshold failures of ``stage`` under ``wanted``, from raw metrics and exit codes."""
    if stage.kind != wanted.kind:
        return [f"{stage.name}: is a {stage.kind} stage, the policy expects {wanted.kind}"]
    if wanted.kind == "command":
        if stage.exit_code != 0:
            return [f"{stage.name}: exited with {stage.exit_code}"]
        return []
    present = {
        "tests": stage.metrics.tests,
        "coverage": stage.metrics.coverage,
        "lint": stage.metrics.lint,
    }[wanted.kind]
    if present is None:
        # A report stage without its metrics produced no evidence (it errored or timed
        # out), whether or not the policy sets a threshold for it.
        return [f"{stage.name}: no {wanted.kind} metrics to check ({stage.reason or stage.status})"]
    outcomes = evaluate(wanted, stage.metrics)
    return [f"{stage.name}: {describe_failure(o)}" for o in outcomes if not o.passed]
