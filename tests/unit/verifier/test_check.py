"""The verifier's checks, one branch at a time, with a fake ``verify_bundle``.

No Sigstore here: :func:`localci.verifier.check.verify_result` takes ``verify_bundle=``, and the
fake returns a :class:`~localci.attest.signing.VerifiedStatement` for a statement the test builds
(or raises the :class:`~localci.errors.VerificationError` a bad bundle would). The clock is
injected (``now=``). The end-to-end cases with real signatures are in
``tests/integration/test_verify_tamper.py``.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import localci
from localci.attest.signing import (
    DSSE_PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    VerifiedStatement,
)
from localci.attest.statements import subjects_for
from localci.attest.test_result import TEST_RESULT_PREDICATE_TYPE, in_toto_test_result
from localci.config.loader import Config, ConfigSource, parse_config
from localci.errors import UsageError, VerificationError
from localci.result.codec import result_from_dict, result_to_dict
from localci.result.digest import canonical_json
from localci.result.model import (
    RESULT_SCHEMA_VERSION,
    GitInfo,
    Metrics,
    RunnerInfo,
    StageResult,
    ThresholdOutcome,
)
from localci.verifier.check import CLOCK_SKEW, INTEGRITY_CHECKS, Check, Verdict, verify_result
from tests.factories import VERIFIER_CHECKS, covered, linted, make_result, make_stage, ran_tests

# `from localci import verify` would give the public function in localci/__init__.py.
verify_module = importlib.import_module("localci.verifier.check")
policy_module = importlib.import_module("localci.verifier.policy")

NOW = datetime(2026, 11, 21, 4, 0, 0, tzinfo=timezone.utc)
SHA = "a" * 40
TREE = "b" * 40
ISSUER = "https://issuer.example"
DEV = "dev@example.com"
BUNDLE = '{"a bundle": "the fake does not read it"}'
COMMIT_CONFIG = "c" * 64  # the factory's config digest: the commit's own configuration
TESTS_BUNDLE = '{"the test-result bundle": "the fake answers with the matching statement"}'
ALL_CHECKS = VERIFIER_CHECKS

POLICY = f"""\
stages:
  - name: tests
    kind: tests
    run: [pytest]
    report: {{format: junit, path: junit.xml}}
  - name: coverage
    kind: coverage
    run: [coverage, json]
    report: {{format: coverage-json, path: coverage.json}}
    min_percent: 80
  - name: lint
    kind: lint
    run: [ruff, check]
    report: {{format: ruff-json, path: ruff.json}}
  - name: build
    run: [make]
verify:
  signers:
    - {{identity: {DEV}, issuer: "{ISSUER}"}}
  max_age: 1h
"""


def stamp(moment: datetime) -> str:
    """``moment`` as a result timestamp (RFC 3339, microseconds, ``Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stage(name: str, kind: str, **fields: Any) -> StageResult:
    """A passed stage called ``name``; ``fields`` override."""
    return make_stage(name, kind, **{"duration": 0.5, **fields})


def good_stages() -> tuple[StageResult, ...]:
    """Stages that satisfy :data:`POLICY`."""
    return (
        stage("tests", "tests", metrics=ran_tests(3, 3)),
        stage(
            "coverage", "coverage", metrics=covered(91.5, statements=200, covered_statements=183)
        ),
        stage("lint", "lint", metrics=linted(2, notes=2)),
        stage("build", "command"),
    )


def make_doc(*, stages: tuple[StageResult, ...] | None = None, **fields: Any) -> dict[str, Any]:
    """A schema-valid result document for :data:`SHA`, finished an hour before :data:`NOW`."""
    defaults: dict[str, Any] = {
        "run_id": "20261121T030000Z-abcdef",
        "started_at": stamp(NOW - timedelta(hours=1, seconds=10)),
        "finished_at": stamp(NOW - timedelta(minutes=59)),
        "duration": 10.0,
        "git": GitInfo(commit=SHA, tree=TREE),
        "runner": RunnerInfo(os="Linux", python="3.12.0", localci_version="0.1.0"),
    }
    chosen = good_stages() if stages is None else stages
    return result_to_dict(make_result(*chosen, **(defaults | fields)))


def policy(text: str = POLICY) -> Config:
    """A policy parsed from YAML ``text``."""
    return parse_config(ConfigSource(kind="yaml", display="policy.yml", text=text))


def with_verify(extra: str) -> Config:
    """:data:`POLICY` with its ``verify:`` section replaced by ``extra`` (YAML lines)."""
    return policy(POLICY.split("verify:")[0] + "verify:\n" + extra)


def statement_for(doc: Any, *, commit: str = SHA, **fields: Any) -> dict[str, Any]:
    """The in-toto statement localci signs for ``doc``; ``fields`` override its keys."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects_for(doc, repo_url=None, commit=commit),
        "predicateType": PREDICATE_TYPE,
        "predicate": copy.deepcopy(doc),
    } | fields


def signed_tests_for(statement: dict[str, Any]) -> dict[str, Any]:
    """The test-result statement signed beside ``statement`` (same subjects)."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": statement["subject"],
        "predicateType": TEST_RESULT_PREDICATE_TYPE,
        "predicate": in_toto_test_result(result_from_dict(statement["predicate"])),
    }


class FakeBundles:
    """A ``verify_bundle`` double: returns ``statement`` as signed by ``identity`` via
    ``issuer``, or raises ``error``; records the keyword arguments of each call. For
    :data:`TESTS_BUNDLE` it returns ``tests`` (default: the matching test-result
    statement) under the same certificate."""

    def __init__(
        self,
        statement: dict[str, Any] | None,
        *,
        identity: str = DEV,
        issuer: str = ISSUER,
        error: Exception | None = None,
        tests: dict[str, Any] | None = None,
    ) -> None:
        self.statement, self.identity, self.issuer, self.error = statement, identity, issuer, error
        self.tests = tests
        self.calls: list[dict[str, Any]] = []

    def __call__(self, bundle_json: str, **kwargs: Any) -> VerifiedStatement:
        if bundle_json == TESTS_BUNDLE:
            assert self.statement is not None
            tests = self.tests or signed_tests_for(self.statement)
            return self._verified(tests)
        self.calls.append({"bundle_json": bundle_json, **kwargs})
        if self.error is not None:
            raise self.error
        assert self.statement is not None
        return self._verified(self.statement)

    def _verified(self, statement: dict[str, Any]) -> VerifiedStatement:
        return VerifiedStatement(
            payload_type=DSSE_PAYLOAD_TYPE,
            statement=statement,
            identity=self.identity,
            issuer=self.issuer,
            certificate_sha256="ce" * 32,
        )


def arguments(doc: Any, **overrides: Any) -> dict[str, Any]:
    """``verify_result``'s keyword arguments for ``doc``: both bundles, :data:`POLICY`,
    :data:`SHA` and :data:`TREE`, the commit's configuration digest, :data:`NOW`, and a
    fake whose bundle signs exactly ``doc``; ``overrides`` replace any of them."""
    defaults: dict[str, Any] = {
        "result_doc": doc,
        "bundle_json": BUNDLE,
        "policy": policy(),
        "sha": SHA,
        "tree": TREE,
        "commit_config_sha256": COMMIT_CONFIG,
        "now": NOW,
        "test_result_bundle_json": TESTS_BUNDLE,
    }
    if "verify_bundle" not in overrides:
        defaults["verify_bundle"] = FakeBundles(statement_for(doc))
    return defaults | overrides


def check(
    doc: Any,
    *,
    fake: FakeBundles | None = None,
    bundle: str | None = BUNDLE,
    rules: Config | None = None,
    sha: str = SHA,
    tree: str | None = TREE,
    now: datetime = NOW,
) -> Verdict:
    """Run the verifier on ``doc``; by default its bundle signs exactly ``doc``."""
    chosen = {"verify_bundle": fake} if fake is not None else {}
    return verify_result(
        **arguments(
            doc,
            bundle_json=bundle,
            policy=rules or policy(),
            sha=sha,
            tree=tree,
            now=now,
            test_result_bundle_json=TESTS_BUNDLE if bundle is not None else None,
            **chosen,
        )
    )


def by_name(verdict: Verdict) -> dict[str, Check]:
    """The checks of ``verdict`` by name."""
    return {c.name: c for c in verdict.checks}


def only_failure(verdict: Verdict) -> Check:
    """The single failed check of ``verdict`` (asserting there is exactly one)."""
    assert len(verdict.failed) == 1, verdict.failed
    return verdict.failed[0]


# -- the whole verdict -----------------------------------------------------------------


def test_a_good_signed_result_passes_every_check_in_order() -> None:
    doc = make_doc()
    fake = FakeBundles(statement_for(doc))
    verdict = check(doc, fake=fake)
    assert [c.name for c in verdict.checks] == ALL_CHECKS
    assert verdict.accepted
    assert verdict.exit_code == 0
    assert verdict.failed == ()
    assert (verdict.signer, verdict.issuer) == (DEV, ISSUER)
    assert verdict.result is not None
    assert verdict.result.git.commit == SHA
    assert fake.calls == [
        {"bundle_json": BUNDLE, "trust_config": None, "staging": False, "offline": True}
    ]


def test_trust_arguments_reach_verify_bundle(tmp_path: Path) -> None:
    doc = make_doc()
    fake = FakeBundles(statement_for(doc))
    trust = tmp_path / "trust.json"
    verify_result(
        **arguments(
            doc,
            tree=None,
            test_result_bundle_json=None,
            trust_config=trust,
            staging=True,
            offline=False,
            verify_bundle=fake,
        )
    )
    assert fake.calls == [
        {
            "bundle_json": BUNDLE,
            "trust_config": trust,
            "staging": True,
            "offline": False,
        }
    ]


def test_verdict_to_dict_is_the_json_form() -> None:
    doc = make_doc()
    verdict = check(doc, sha="f" * 40)
    out = verdict.to_dict()
    assert out == json.loads(json.dumps(out))  # plain JSON
    assert list(out) == ["sha", "accepted", "exit_code", "signer", "issuer", "checks", "warnings"]
    assert out["sha"] == "f" * 40
    assert out["accepted"] is False
    assert out["exit_code"] == 4
    assert (out["signer"], out["issuer"]) == (DEV, ISSUER)
    assert out["checks"][0] == {
        "name": "schema",
        "passed": True,
        "reason": f"valid against urn:localci:schema:result:v1 (version {RESULT_SCHEMA_VERSION})",
    }
    assert [c["name"] for c in out["checks"]] == ALL_CHECKS
    assert "result" not in out


@pytest.mark.parametrize(
    ("failed", "code"),
    [
        ((), 0),
        (("age",), 1),
        (("thresholds", "stages", "complete"), 1),
        *[((name,), 4) for name in INTEGRITY_CHECKS],
        (("age", "thresholds", "commit"), 4),  # integrity beats policy
        (("signature", "signer"), 4),
    ],
)
def test_exit_code_classification(failed: tuple[str, ...], code: int) -> None:
    checks = tuple(Check(name=n, passed=n not in failed, reason="r") for n in ALL_CHECKS)
    verdict = Verdict(sha=SHA, checks=checks)
    assert verdict.exit_code == code
    assert verdict.accepted is (code == 0)
    assert [c.name for c in verdict.failed] == [n for n in ALL_CHECKS if n in failed]


def test_verdict_equality_ignores_the_parsed_result() -> None:
    checks = (Check(name="schema", passed=True, reason="ok"),)
    parsed = check(make_doc()).result
    assert Verdict(sha=SHA, checks=checks, result=parsed) == Verdict(sha=SHA, checks=checks)


def test_default_clock_is_now() -> None:
    fresh = make_doc(finished_at=stamp(datetime.now(timezone.utc) - timedelta(minutes=1)))
    verdict = verify_result(**arguments(fresh, now=None))
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["age"].reason.endswith("old (max_age 1.0h)")


def test_public_api_is_callable_in_every_import_order() -> None:
    """`localci.verify(...)` works although importing the submodule `localci.verifier.check`
    rebinds the package attribute to the module (it forwards to verify_result)."""
    package: Any = localci
    assert package.verifier.check is verify_module  # the submodule is imported by now
    verdict = localci.verify(**arguments(make_doc(), tree=None))
    assert isinstance(verdict, Verdict)
    assert verdict.accepted


# -- schema ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "phrase"),
    [
        ("not an object", "'not an object' is not of type 'object'"),
        ([], "[] is not of type 'object'"),
        ({"schema": "urn:localci:schema:result:v1"}, "is a required property"),
    ],
    ids=["string", "list", "incomplete"],
)
def test_schema_failure_skips_the_checks_that_need_a_parsed_result(doc: Any, phrase: str) -> None:
    """An invalid document fails `schema` (exit 4); binding and policy checks need a
    parsed result and are not run; the signature is still checked, and a signed copy of
    something else does not match the stored junk."""
    verdict = check(doc, fake=FakeBundles(statement_for(make_doc())))
    checks = by_name(verdict)
    assert list(checks) == ["schema", "signature", "signer", "subject"]
    assert not checks["schema"].passed
    assert checks["schema"].reason.startswith("not a valid localci result v1: ")
    assert phrase in checks["schema"].reason
    assert not checks["subject"].passed
    assert "differs from the signed one" in checks["subject"].reason
    assert verdict.exit_code == 4
    assert verdict.result is None


def test_schema_failure_with_a_matching_signed_predicate_does_not_crash() -> None:
    """Anyone with a certificate can sign a statement whose predicate is junk; the
    verifier reports it (exit 4) instead of crashing on its shape."""
    junk = {"git": "not an object"}
    verdict = check(junk)
    checks = by_name(verdict)
    assert not checks["schema"].passed
    assert not checks["subject"].passed
    assert checks["subject"].reason == (
        f"the statement names ['git+local@{SHA}', 'gitCommit:{SHA}'], not commit None"
    )
    assert verdict.exit_code == 4


# -- signature -------------------------------------------------------------------------


def test_unsigned_when_a_signature_is_required() -> None:
    verdict = check(make_doc(), bundle=None, fake=FakeBundles(None, error=AssertionError()))
    failed = only_failure(verdict)
    assert failed.name == "signature"
    assert failed.reason.startswith("the result is unsigned and the policy requires a signature")
    assert "signer" not in by_name(verdict)
    assert "subject" not in by_name(verdict)
    assert verdict.exit_code == 4
    assert verdict.signer is None


def test_unsigned_when_the_policy_allows_it() -> None:
    rules = with_verify("  require_signature: false\n")
    fake = FakeBundles(None, error=AssertionError("must not be called"))
    verdict = check(make_doc(), bundle=None, rules=rules, fake=fake)
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["signature"].reason == "unsigned, allowed by require_signature: false"
    assert [c.name for c in verdict.checks] == [
        n for n in ALL_CHECKS if n not in ("signer", "subject", "test_result")
    ]
    assert fake.calls == []


def test_bundle_that_does_not_verify() -> None:
    fake = FakeBundles(None, error=VerificationError("the signature does not verify: DSSE: bad"))
    verdict = check(make_doc(), fake=fake)
    failed = only_failure(verdict)
    assert (failed.name, failed.reason) == ("signature", "the signature does not verify: DSSE: bad")
    assert "signer" not in by_name(verdict)
    assert verdict.exit_code == 4
    assert (verdict.signer, verdict.issuer) == (None, None)


def test_unusable_trust_root_is_raised_not_a_failed_check() -> None:
    """A bad trust config is a usage error (exit 2), not a bundle that failed (exit 4)."""
    fake = FakeBundles(None, error=UsageError("trust.json is not a usable trust config"))
    with pytest.raises(UsageError, match="not a usable trust config"):
        check(make_doc(), fake=fake)


def test_real_verify_bundle_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``verify_bundle=`` the verifier calls ``localci.attest.signing.verify_bundle``."""
    doc = make_doc()
    fake = FakeBundles(statement_for(doc))
    monkeypatch.setattr("localci.attest.signing.verify_bundle", fake)
    verdict = verify_result(**arguments(doc, tree=None, verify_bundle=None))
    assert verdict.accepted, verdict.failed
    assert len(fake.calls) == 1


# -- signer ----------------------------------------------------------------------------


def test_signer_matches_the_second_allowlist_entry() -> None:
    rules = with_verify(
        f'  signers:\n    - {{identity: ci@example.com, issuer: "{ISSUER}"}}\n'
        f'    - {{identity_regex: "dev@example\\\\.(com|org)", issuer: "{ISSUER}"}}\n'
    )
    verdict = check(make_doc(), rules=rules)
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["signer"].reason == f"{DEV} (issuer {ISSUER}) is on the allowlist"


def test_regex_must_match_the_whole_identity() -> None:
    rules = with_verify(
        f'  signers:\n    - {{identity_regex: "dev@example", issuer: "{ISSUER}"}}\n'
    )
    failed = only_failure(check(make_doc(), rules=rules))
    assert failed.name == "signer"
    assert failed.reason.endswith("who is not on the allowlist")


def test_signer_not_on_the_allowlist() -> None:
    doc = make_doc()
    verdict = check(doc, fake=FakeBundles(statement_for(doc), identity="eve@example.com"))
    failed = only_failure(verdict)
    assert failed.name == "signer"
    assert (
        failed.reason == f"signed by eve@example.com (issuer {ISSUER}), who is not on the allowlist"
    )
    assert verdict.signer == "eve@example.com"
    assert verdict.exit_code == 4


def test_allowed_identity_from_another_issuer() -> None:
    doc = make_doc()
    other = "https://accounts.google.com"
    failed = only_failure(check(doc, fake=FakeBundles(statement_for(doc), issuer=other)))
    assert failed.name == "signer"
    assert failed.reason == (
        f"signed by {DEV} but through issuer {other}; the policy allows that identity only "
        f"from {ISSUER}"
    )


def test_no_signers_allowlisted() -> None:
    failed = only_failure(check(make_doc(), rules=with_verify("  max_age: 1h\n")))
    assert failed.name == "signer"
    assert failed.reason.endswith("but the policy allowlists no signers (verify.signers)")


# -- subject ---------------------------------------------------------------------------


def test_wrong_predicate_type() -> None:
    doc = make_doc()
    statement = statement_for(doc, predicateType="https://slsa.dev/provenance/v1")
    failed = only_failure(check(doc, fake=FakeBundles(statement)))
    assert failed.name == "subject"
    assert failed.reason == (
        f"predicate type 'https://slsa.dev/provenance/v1' is not {PREDICATE_TYPE}"
    )


@pytest.mark.parametrize(
    "subject",
    [
        [{"name": f"git+local@{SHA}", "digest": {"sha256": "0" * 64}}],
        [],
        "not a list",
    ],
    ids=["other-digest", "no-subject", "malformed"],
)
def test_subject_digest_must_match_the_payload(subject: Any) -> None:
    doc = make_doc()
    failed = only_failure(check(doc, fake=FakeBundles(statement_for(doc, subject=subject))))
    assert failed.name == "subject"
    assert failed.reason == "the statement's subject digest does not match its payload"


def test_stored_result_edited_after_signing() -> None:
    signed = make_doc()
    edited = copy.deepcopy(signed)
    edited["stages"][1]["metrics"]["coverage"]["percent"] = 99.9
    failed = only_failure(check(edited, fake=FakeBundles(statement_for(signed))))
    assert failed.name == "subject"
    assert failed.reason == "the stored result differs from the signed one (edited after signing)"


def test_stored_result_jcs_cannot_encode_differs() -> None:
    """NaN passes ``json.loads`` and the schema's ``number``; it must not crash JCS."""
    signed = make_doc()
    edited = dict(signed, duration=float("nan"))
    checks = by_name(check(edited, fake=FakeBundles(statement_for(signed))))
    assert checks["schema"].passed
    assert not checks["subject"].passed
    assert "differs from the signed one" in checks["subject"].reason


def test_statement_names_another_commit() -> None:
    doc = make_doc()
    failed = only_failure(check(doc, fake=FakeBundles(statement_for(doc, commit="c" * 40))))
    assert failed.name == "subject"
    assert failed.reason.startswith(f"the statement names ['git+local@{'c' * 40}', ")
    assert failed.reason.endswith(f"not commit {SHA}")


# -- commit and clean ------------------------------------------------------------------


def test_result_for_another_commit() -> None:
    other = "d" * 40
    failed = only_failure(check(make_doc(), sha=other, tree="e" * 40))
    assert failed.name == "commit"
    assert failed.reason == f"the result is for commit {SHA}, not {other}"


def test_same_tree_without_accept_same_tree() -> None:
    other = "d" * 40
    failed = only_failure(check(make_doc(), sha=other, tree=TREE))
    assert failed.name == "commit"
    assert failed.reason.endswith(
        "the trees are equal but the policy does not set accept_same_tree"
    )


def test_same_tree_with_accept_same_tree() -> None:
    rules = policy(POLICY + "  accept_same_tree: true\n")
    verdict = check(make_doc(), sha="d" * 40, tree=TREE, rules=rules)
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["commit"].reason == (
        f"the result is for commit {SHA}, whose tree {TREE} equals the gated commit's "
        "(accept_same_tree)"
    )


@pytest.mark.parametrize("tree", [None, "e" * 40])
def test_accept_same_tree_needs_the_same_tree(tree: str | None) -> None:
    rules = policy(POLICY + "  accept_same_tree: true\n")
    failed = only_failure(check(make_doc(), sha="d" * 40, tree=tree, rules=rules))
    assert failed.name == "commit"
    assert failed.reason == f"the result is for commit {SHA}, not {'d' * 40}"


def test_dirty_result() -> None:
    doc = make_doc(git=GitInfo(commit=SHA, tree=TREE, dirty=True, diff_sha256="f" * 64))
    verdict = check(doc)
    failed = only_failure(verdict)
    assert failed.name == "clean"
    assert failed.reason == "the result was produced from uncommitted changes (dirty: true)"
    assert verdict.exit_code == 4


# -- complete, age ---------------------------------------------------------------------


def test_partial_run() -> None:
    verdict = check(make_doc(partial=True))
    failed = only_failure(verdict)
    assert failed.name == "complete"
    assert failed.reason == "a partial run (--stage/--skip) never satisfies the gate"
    assert verdict.exit_code == 1


@pytest.mark.parametrize(
    ("age", "reason"),
    [
        (timedelta(seconds=42), "42s old (max_age 1.0h)"),
        (timedelta(minutes=59, seconds=59), "60.0m old (max_age 1.0h)"),
        (timedelta(hours=1), "1.0h old (max_age 1.0h)"),  # the limit itself is allowed
        (-CLOCK_SKEW, "0s old (max_age 1.0h)"),  # ahead, but within the skew
    ],
)
def test_age_within_limits(age: timedelta, reason: str) -> None:
    verdict = check(make_doc(finished_at=stamp(NOW - age)))
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["age"].reason == reason


@pytest.mark.parametrize(
    ("age", "reason"),
    [
        (timedelta(hours=1, seconds=1), "1.0h old; the policy allows at most 1.0h"),
        (timedelta(days=3, hours=12), "3.5d old; the policy allows at most 1.0h"),
    ],
)
def test_too_old(age: timedelta, reason: str) -> None:
    verdict = check(make_doc(finished_at=stamp(NOW - age)))
    failed = only_failure(verdict)
    assert (failed.name, failed.reason) == ("age", reason)
    assert verdict.exit_code == 1


def test_from_the_future_beyond_the_clock_skew() -> None:
    finished = stamp(NOW + CLOCK_SKEW + timedelta(seconds=1))
    failed = only_failure(check(make_doc(finished_at=finished)))
    assert failed.name == "age"
    assert failed.reason == (
        f"finished at {finished}, in the future by 5.0m (clock skew allowed: 5.0m)"
    )


def test_future_is_refused_even_without_max_age() -> None:
    rules = with_verify(f'  signers:\n    - {{identity: {DEV}, issuer: "{ISSUER}"}}\n')
    failed = only_failure(check(make_doc(finished_at=stamp(NOW + timedelta(hours=2))), rules=rules))
    assert failed.name == "age"
    assert "in the future by 2.0h" in failed.reason


def test_without_max_age_any_past_age_passes() -> None:
    rules = with_verify(f'  signers:\n    - {{identity: {DEV}, issuer: "{ISSUER}"}}\n')
    verdict = check(make_doc(finished_at=stamp(NOW - timedelta(days=400))), rules=rules)
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["age"].reason == "400.0d old"


@pytest.mark.parametrize(
    ("finished_at", "expected"),
    [
        ("2026-11-21T03:00:00Z", datetime(2026, 11, 21, 3, tzinfo=timezone.utc)),
        ("2026-11-21T03:00:00.5Z", datetime(2026, 11, 21, 3, 0, 0, 500000, timezone.utc)),
        # Go's RFC3339Nano: more digits than strptime's %f takes; cut to microseconds.
        ("2026-11-21T03:00:00.123456789Z", datetime(2026, 11, 21, 3, 0, 0, 123456, timezone.utc)),
    ],
)
def test_timestamps_the_schema_allows(finished_at: str, expected: datetime) -> None:
    verdict = check(make_doc(finished_at=finished_at))
    assert verdict.accepted, verdict.failed
    assert policy_module.parse_time(finished_at) == expected


@pytest.mark.parametrize("finished_at", ["2026-13-01T00:00:00Z", "2026-02-30T25:61:00.1Z"])
def test_impossible_time_fails_age_instead_of_crashing(finished_at: str) -> None:
    """The pattern allows month 13; jsonschema checks ``format: date-time`` only when a
    date-time checker is installed, so the verifier must cope."""
    failed = only_failure(check(make_doc(finished_at=finished_at)))
    assert (failed.name, failed.reason) == (
        "age",
        f"finished_at {finished_at!r} is not a valid UTC time",
    )


def test_parse_time_rejects_other_shapes() -> None:
    assert policy_module.parse_time("2026-11-21 03:00:00") is None
    assert policy_module.parse_time("2026-11-21T03:00:00+00:00") is None


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(seconds=60), "1.0m"),
        (timedelta(minutes=90), "1.5h"),
        (timedelta(hours=23, minutes=59), "24.0h"),
        (timedelta(days=1), "1.0d"),
        (timedelta(days=7, hours=12), "7.5d"),
    ],
)
def test_human_durations(delta: timedelta, text: str) -> None:
    assert policy_module.human(delta) == text


# -- stages ----------------------------------------------------------------------------


def test_required_stage_missing_and_skipped() -> None:
    tests, coverage, _lint, _build = good_stages()
    skipped = stage(
        "lint",
        "lint",
        status="skipped",
        reason="ruff is not installed",
        exit_code=None,
        metrics=Metrics(),
    )
    verdict = check(make_doc(stages=(tests, coverage, skipped)))
    failed = only_failure(verdict)
    assert failed.name == "stages"
    assert failed.reason == (
        "required stage 'lint' was skipped (ruff is not installed); "
        "required stage 'build' is missing"
    )
    assert verdict.exit_code == 1
    assert by_name(verdict)["thresholds"].passed  # absent or skipped: the `stages` check's


def test_required_stages_from_the_policy() -> None:
    rules = policy(POLICY + "  required_stages: [tests]\n")
    tests = good_stages()[0]
    verdict = check(make_doc(stages=(tests,)), rules=rules)
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["stages"].reason == "required stages present: tests"


def test_no_required_stages() -> None:
    rules = policy(POLICY + "  required_stages: []\n")
    verdict = check(make_doc(stages=()), rules=rules)
    assert verdict.accepted, verdict.failed
    assert by_name(verdict)["stages"].reason == "required stages present: none"


# -- thresholds ------------------------------------------------------------------------


def _replace_stage(name: str, **fields: Any) -> tuple[StageResult, ...]:
    return tuple(replace(s, **fields) if s.name == name else s for s in good_stages())


def test_thresholds_recomputed_under_the_policy_not_the_document() -> None:
    """The document says coverage 70% passed its own min_percent 50; the policy says 80."""
    stages = _replace_stage(
        "coverage",
        metrics=covered(70.0, statements=10, covered_statements=7),
        thresholds=(ThresholdOutcome(name="min_percent", limit=50, actual=70.0, passed=True),),
    )
    verdict = check(make_doc(stages=stages))
    failed = only_failure(verdict)
    assert failed.name == "thresholds"
    assert failed.reason == "coverage: coverage 70.00% is below min_percent 80"
    assert verdict.exit_code == 1


def test_every_threshold_problem_is_listed() -> None:
    stages = (
        replace(
            good_stages()[0],
            metrics=ran_tests(4, 2, failed=1, errors=1),
            status="failed",
        ),
        good_stages()[1],
        replace(
            good_stages()[2],
            metrics=linted(3, errors=1, warnings=1, notes=1),
        ),
        replace(good_stages()[3], exit_code=2, status="failed"),
    )
    failed = only_failure(check(make_doc(stages=stages, conclusion="failure")))
    assert failed.name == "thresholds"
    assert failed.reason == (
        "tests: 2 failed or errored tests exceed max_failures 0; "
        "lint: 2 findings at severity warning or above exceed max_findings 0; "
        "build: exited with 2"
    )


def test_stage_of_another_kind() -> None:
    stages = _replace_stage(
        "build",
        kind="tests",
        metrics=ran_tests(1, 1),
    )
    failed = only_failure(check(make_doc(stages=stages)))
    assert failed.reason == "build: is a tests stage, the policy expects command"


def test_missing_metrics_for_a_threshold() -> None:
    stages = _replace_stage(
        "tests", status="error", metrics=Metrics(), reason="junit.xml: no such report"
    )
    failed = only_failure(check(make_doc(stages=stages, conclusion="error")))
    assert failed.reason == "tests: no tests metrics to check (junit.xml: no such report)"
    stages = _replace_stage("lint", status="error", metrics=Metrics())
    failed = only_failure(check(make_doc(stages=stages, conclusion="error")))
    assert failed.reason == "lint: no lint metrics to check (error)"


def test_a_report_stage_without_metrics_fails_even_without_a_threshold() -> None:
    """A coverage stage that produced no report is no evidence, even when the policy
    sets no min_percent: an errored stage must not slip through the gate."""
    rules = policy(POLICY.replace("    min_percent: 80\n", ""))
    stages = _replace_stage("coverage", status="error", metrics=Metrics(), reason="no data")
    failed = only_failure(check(make_doc(stages=stages, conclusion="error"), rules=rules))
    assert failed.reason == "coverage: no coverage metrics to check (no data)"


def test_stages_the_result_has_but_the_policy_lacks_are_ignored() -> None:
    extra = stage("docs", "command", exit_code=1, status="failed")
    verdict = check(make_doc(stages=(*good_stages(), extra), conclusion="failure"))
    assert verdict.accepted, verdict.failed


def test_fake_sanity() -> None:
    """The fake returns what it was given (guards the helpers the tests rely on)."""
    doc = make_doc()
    fake: Callable[..., VerifiedStatement] = FakeBundles(statement_for(doc))
    verified = fake(BUNDLE, trust_config=None, staging=False, offline=True)
    assert verified.subject_matches_predicate()
    assert verified.statement["predicate"] == doc


# -- test_result: the in-toto test-result Statement signed with the result ---------------


def _tests_failure(doc: dict[str, Any], **changes: Any) -> Check:
    statement = statement_for(doc)
    tests = signed_tests_for(statement) | changes
    return only_failure(check(doc, fake=FakeBundles(statement, tests=tests)))


def test_test_result_that_claims_passed_for_a_failed_run_is_rejected() -> None:
    doc = make_doc(conclusion="failure")
    predicate = {**signed_tests_for(statement_for(doc))["predicate"], "result": "PASSED"}
    failed = [
        c
        for c in check(
            doc,
            fake=FakeBundles(
                statement_for(doc),
                tests={**signed_tests_for(statement_for(doc)), "predicate": predicate},
            ),
        ).failed
        if c.name == "test_result"
    ]
    assert failed
    assert "'PASSED'" in failed[0].reason
    assert "'FAILED'" in failed[0].reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"predicateType": PREDICATE_TYPE}, "is not https://in-toto.io/attestation/test-result"),
        ({"subject": []}, "other subjects"),
    ],
)
def test_test_result_must_match_type_and_subjects(changes: dict[str, Any], reason: str) -> None:
    failed = _tests_failure(make_doc(), **changes)
    assert failed.name == "test_result"
    assert reason in failed.reason


def test_test_result_edited_test_ids_are_rejected() -> None:
    doc = make_doc()
    tests = signed_tests_for(statement_for(doc))
    tests["predicate"] = {**tests["predicate"], "failedTests": ["tests::test_x"]}
    failed = _tests_failure(doc, predicate=tests["predicate"])
    assert failed.name == "test_result"
    assert "differs" in failed.reason


def test_test_result_from_another_signing_session_is_rejected() -> None:
    doc = make_doc()

    class OtherCertificate(FakeBundles):
        def __call__(self, bundle_json: str, **kwargs: Any) -> VerifiedStatement:
            verified = super().__call__(bundle_json, **kwargs)
            if bundle_json == TESTS_BUNDLE:
                return replace(verified, certificate_sha256="0f" * 32)
            return verified

    failed = only_failure(check(doc, fake=OtherCertificate(statement_for(doc))))
    assert failed.name == "test_result"
    assert "another certificate" in failed.reason


def test_missing_or_unverifiable_test_result_fails() -> None:
    doc = make_doc()
    missing = verify_result(**arguments(doc, test_result_bundle_json=None))
    assert only_failure(missing).name == "test_result"
    assert missing.exit_code == 4

    class BadTests(FakeBundles):
        def __call__(self, bundle_json: str, **kwargs: Any) -> VerifiedStatement:
            if bundle_json == TESTS_BUNDLE:
                raise VerificationError("the signature does not verify: DSSE: invalid signature")
            return super().__call__(bundle_json, **kwargs)

    failed = only_failure(check(doc, fake=BadTests(statement_for(doc))))
    assert failed.name == "test_result"
    assert "invalid signature" in failed.reason


def test_result_file_bytes_must_be_the_signed_bytes() -> None:
    doc = make_doc()
    common = arguments(doc)
    assert verify_result(**common, result_bytes=canonical_json(doc)).accepted
    pretty = json.dumps(doc, indent=2).encode()
    failed = only_failure(verify_result(**common, result_bytes=pretty))
    assert failed.name == "subject"
    assert "not the signed bytes" in failed.reason
