"""Publishing to GitHub against the double: Check Runs, statuses, faults, spool, fetch.

``publish()`` / ``drain_spool()`` are driven directly where the injected clock matters
(``PublishOptions(sleep=...)`` records every wait instead of sleeping); the CLI where the
user-facing text and exit codes matter. The ``github_double`` fixture fails a test on any
request that breaks GitHub's OpenAPI description or one of its unwritten rules.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from localci.attest.signed import SignedResult
from localci.config.loader import PublishConfig
from localci.errors import EXIT_DELIVERY
from localci.publish.deliver import (
    Credentials,
    PublishOptions,
    PublishReport,
    drain_spool,
    publish,
)
from localci.publish.payloads import MAX_OUTPUT_BYTES, TRUNCATION_MARKER, embedded_note
from localci.publish.spool import SpoolTarget, list_entries, new_entry, spool
from localci.result.codec import result_to_dict
from localci.result.digest import sha256_hex
from localci.result.model import (
    Finding,
    GitInfo,
    Result,
    StageResult,
    ThresholdOutcome,
)
from localci.result.store import Store
from tests.conftest import commit_all, git
from tests.factories import covered, failed_test, lint_finding, linted, make_stage, ran_tests
from tests.factories import make_result as build_result
from tests.github_double import GitHubDouble, TokenKind, generate_app_key
from tests.github_double.state import CheckRun

from .conftest import CliResult

REPO = "octo/demo"
LIST = r"/repos/octo/demo/commits/[0-9a-f]{40}/check-runs"
CREATE = r"/repos/octo/demo/check-runs"
UPDATE = r"/repos/octo/demo/check-runs/\d+"
STATUS = r"/repos/octo/demo/statuses/[0-9a-f]{40}"
STARTED = "2026-01-01T00:00:00.250000Z"
FINISHED = "2026-01-01T00:00:09.750000Z"
CONFIG = "stages:\n  - {name: build, run: [echo, built]}\n"
Cli = Callable[..., CliResult]


# --- building results ------------------------------------------------------------------


def fake_sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id, not security


def stage(name: str, **kw: Any) -> StageResult:
    return make_stage(name, **{"command": ("true",), **kw})


def lint_stage(n: int, name: str = "lint") -> StageResult:
    findings = tuple(
        lint_finding(message=f"finding {i}", path="src/app.py", line=i + 1, column=1)
        for i in range(n)
    )
    return stage(
        name,
        kind="lint",
        status="failed" if n else "passed",
        exit_code=1 if n else 0,
        metrics=linted(n, errors=n),
        findings=findings,
        findings_total=n,
        log_tail="src/app.py:1:1: F401" if n else None,
    )


def make_result(
    sha: str,
    *stages: StageResult,
    conclusion: str = "failure",
    run_id: str = "20260101T000000Z-aaaaaa",
) -> Result:
    default = (stage("build"),) if conclusion == "success" else (lint_stage(3),)
    return build_result(
        *(stages or default),
        run_id=run_id,
        started_at=STARTED,
        finished_at=FINISHED,
        duration=9.5,
        conclusion=conclusion,
        git=GitInfo(commit=sha, tree="f" * 40),
    )


def rich_result(sha: str) -> Result:
    """Failing tests, coverage under its threshold, lint findings and a passing build."""
    tests = stage(
        "unit",
        kind="tests",
        status="failed",
        exit_code=1,
        reason="2 tests failed",
        metrics=ran_tests(20, 17, failed=2, skipped=1),
        findings=(
            failed_test(
                "tests/test_a.py::test_add", path="tests/test_a.py", line=12, details="Traceback"
            ),
            failed_test("tests/test_b.py::test_gone", message="no location"),
        ),
        findings_total=2,
        log_tail="FAILED tests/test_a.py::test_add - assert 1 == 2",
    )
    coverage = stage(
        "cov",
        kind="coverage",
        status="failed",
        reason="coverage 81.25% is below 90%",
        metrics=covered(
            81.25, line_percent=82.0, branch_percent=75.0, statements=160, covered_statements=130
        ),
        thresholds=(ThresholdOutcome(name="min_percent", limit=90, actual=81.25, passed=False),),
        findings=(
            Finding(
                kind="coverage",
                severity="note",
                message="lines 40-44 not covered",
                path="src/app.py",
                line=40,
                end_line=44,
            ),
        ),
        findings_total=1,
        log_tail="TOTAL 160 30 81%",
    )
    lint = stage(
        "lint",
        kind="lint",
        status="failed",
        exit_code=1,
        metrics=linted(2, errors=1, warnings=1),
        thresholds=(
            ThresholdOutcome(
                name="max_findings", limit=0, actual=2, passed=False, severity="warning"
            ),
        ),
        findings=(
            lint_finding(path="src/app.py", column=8),
            lint_finding(
                severity="warning",
                message="line too long",
                path="src/util.py",
                line=9,
                column=101,
                rule="E501",
            ),
        ),
        findings_total=2,
        log_tail="src/app.py:3:8: F401 unused import",
    )
    return make_result(sha, stage("build"), tests, coverage, lint)


def note_of(result: Result) -> SignedResult:
    return SignedResult(document=result_to_dict(result))


# --- the world a test posts into -------------------------------------------------------


@dataclass
class Hub:
    """The double with ``octo/demo`` registered, a repository root, an Actions token and
    the waits ``publish()`` asked for (recorded, never slept)."""

    double: GitHubDouble
    root: Path
    token: str
    slept: list[float] = field(default_factory=list)

    def options(
        self,
        *,
        token: str | None = None,
        credentials: Credentials | None = None,
        publish: PublishConfig | None = None,
        max_wait: float = 300.0,
        notes: bool = False,
    ) -> PublishOptions:
        return PublishOptions(
            publish=publish or PublishConfig(),
            notes=notes,
            repo=REPO,
            api_url=self.double.api_url,
            credentials=credentials or Credentials(token=token or self.token),
            max_wait=max_wait,
            sleep=self.slept.append,
        )

    def publish(self, result: Result, **kw: Any) -> PublishReport:
        """``publish()`` ``result`` (its commit pushed to GitHub first)."""
        self.push(result.git.commit)
        return publish(self.root, note_of(result), self.options(**kw))

    def push(self, sha: str) -> None:
        repo = self.double.state.repo("octo", "demo")
        assert repo is not None
        if sha not in repo.commits:
            self.double.add_commits(REPO, sha)

    def runs(self, sha: str) -> list[CheckRun]:
        return self.double.check_runs(REPO, sha)


@pytest.fixture
def hub(make_repo: Callable[..., Path], github_double: GitHubDouble) -> Hub:
    root = make_repo({"README.md": "demo\n"})
    github_double.add_repo(REPO, commits=[git(root, "rev-parse", "HEAD")])
    token = github_double.add_token(TokenKind.ACTIONS, repo=REPO)
    return Hub(double=github_double, root=root, token=token)


def env_for(double: GitHubDouble, token: str, *, repo: str | None = REPO) -> dict[str, str]:
    env = {"GITHUB_TOKEN": token, "GITHUB_API_URL": double.api_url}
    if repo:
        env["GITHUB_REPOSITORY"] = repo
    return env


def stored(repo: Path, result: Result) -> dict[str, Any]:
    """Write ``result`` into the repository's store (as `localci run` would); its doc."""
    return Store(repo).write_result(result)


def spool_files(root: Path) -> list[Path]:
    return sorted((root / ".localci" / "spool").glob("*.json"))


# --- Check Runs ------------------------------------------------------------------------


@pytest.mark.parametrize("uncovered", [False, True])
def test_check_run_with_an_actions_token_carries_the_result(hub: Hub, uncovered: bool) -> None:
    sha = fake_sha(f"rich-{uncovered}")
    result = rich_result(sha)
    report = hub.publish(result, publish=PublishConfig(annotate_uncovered=uncovered))
    assert [(o.channel, o.state) for o in report.outcomes] == [("check_run", "delivered")]
    assert report.outcomes[0].message == "Check Run 'localci' created"
    assert report.exit_code == 0
    [run] = hub.runs(sha)
    assert (run.name, run.head_sha, run.status, run.conclusion) == (
        "localci",
        sha,
        "completed",
        "failure",
    )
    assert run.external_id == sha256_hex(result_to_dict(result))
    assert (run.started_at, run.completed_at) == ("2026-01-01T00:00:00Z", "2026-01-01T00:00:09Z")
    assert run.app_id == 15368  # github-actions
    out = run.output
    assert out["title"] == "localci: failure in unit, cov, lint"
    summary = out["summary"] or ""
    assert "| Stage | Status | Time | Metrics | Thresholds |" in summary
    assert "| build | passed | 1.0 s | exit 0 |  |" in summary
    assert "| unit | failed | 1.0 s | 17 passed, 2 failed, 1 skipped |" in summary
    assert "| cov | failed | 1.0 s | 81.25% covered | ❌ min_percent >= 90 (actual 81.25) |" in (
        summary
    )
    assert "| lint | failed | 1.0 s | 2 findings | ❌ max_findings <= 0 (actual 2) |" in summary
    assert "- **cov**: coverage 81.25% is below 90%" in summary
    text = out["text"] or ""
    for tail in (
        "FAILED tests/test_a.py::test_add - assert 1 == 2",
        "TOTAL 160 30 81%",
        "src/app.py:3:8: F401 unused import",
    ):
        assert tail in text
    assert "### build" not in text
    assert embedded_note(text) == {"result": result_to_dict(result), "bundle": None}
    located = [
        (a["path"], a["start_line"], a["end_line"], a["annotation_level"], a["title"])
        for a in run.annotations
    ]
    expected = [
        ("tests/test_a.py", 12, 12, "failure", "unit: tests/test_a.py::test_add"),
        ("src/app.py", 3, 3, "failure", "lint: F401"),
        ("src/util.py", 9, 9, "warning", "lint: E501"),
    ]
    if uncovered:
        expected.insert(1, ("src/app.py", 40, 44, "notice", "cov"))
    assert located == expected
    assert run.annotations[0]["raw_details"] == "Traceback"
    assert {r.token_kind for r in hub.double.requests} == {TokenKind.ACTIONS}


@pytest.mark.parametrize("discover", [True, False])
def test_check_run_as_a_github_app(hub: Hub, discover: bool) -> None:
    private, public = generate_app_key()
    hub.double.add_app(4242, public, slug="localci-app")
    hub.double.add_installation(4242, 77, account="octo", repos=[REPO])
    creds = Credentials(
        app_id=4242, app_private_key=private, installation_id=None if discover else 77
    )
    sha = fake_sha("app")
    report = hub.publish(make_result(sha), credentials=creds)
    assert [(o.channel, o.state) for o in report.outcomes] == [("check_run", "delivered")]
    [run] = hub.runs(sha)
    assert run.app_id == 4242
    assert len(run.annotations) == 3
    seen = [(r.method, r.path, r.token_kind) for r in hub.double.requests]
    exchange = [
        ("GET", "/repos/octo/demo/installation", TokenKind.APP_JWT),  # discovered
        ("POST", "/app/installations/77/access_tokens", TokenKind.APP_JWT),
    ]
    assert seen[:-2] == (exchange if discover else exchange[1:])
    assert [(m, k) for m, _, k in seen[-2:]] == [
        ("GET", TokenKind.INSTALLATION),
        ("POST", TokenKind.INSTALLATION),
    ]
    minted = [t for t, p in hub.double.state.tokens.items() if p.kind is TokenKind.INSTALLATION]
    words = json.dumps([vars(o) for o in report.outcomes])
    for secret in (*minted, private.splitlines()[1]):
        assert secret not in words


@pytest.mark.parametrize(
    ("conclusion", "check", "state"),
    [
        ("success", "success", "success"),
        ("failure", "failure", "failure"),
        ("error", "failure", "error"),
        ("cancelled", "cancelled", "error"),
    ],
)
def test_conclusions_map_to_check_runs_and_statuses(
    hub: Hub, conclusion: str, check: str, state: str
) -> None:
    classic = hub.double.add_token(TokenKind.CLASSIC)
    sha = fake_sha(conclusion)
    hub.publish(make_result(sha, conclusion=conclusion))
    hub.publish(make_result(sha, conclusion=conclusion), token=classic)
    [run] = hub.runs(sha)
    assert run.conclusion == check
    [status] = hub.double.statuses(REPO, sha)
    assert status.state == state


def test_a_thousand_annotations_take_21_requests(hub: Hub) -> None:
    sha = fake_sha("thousand")
    report = hub.publish(make_result(sha, lint_stage(1000)))
    assert report.exit_code == 0
    calls = [(r.method, r.status) for r in hub.double.requests]
    assert calls == [("GET", 200), ("POST", 201)] + [("PATCH", 200)] * 19
    [run] = hub.runs(sha)
    assert [a["start_line"] for a in run.annotations] == list(range(1, 1001))
    assert [a["message"] for a in run.annotations] == [f"finding {i}" for i in range(1000)]
    assert all(
        len(r.body["output"]["annotations"]) == 50 for r in hub.double.requests if r.method != "GET"
    )
    assert hub.slept == []


def test_oversized_summary_and_text_are_cut_by_bytes(hub: Hub) -> None:
    sha = fake_sha("big")
    wordy = tuple(
        stage(
            f"s{i}",
            status="failed",
            reason="Größenüberschreitung " * 400,
            log_tail="日本語のログ" * 5000,
        )
        for i in range(8)
    )
    result = make_result(sha, *wordy)
    report = hub.publish(result)
    assert report.exit_code == 0, report
    [run] = hub.runs(sha)
    for key in ("summary", "text"):
        value = run.output[key] or ""
        assert len(value.encode("utf-8")) <= MAX_OUTPUT_BYTES
        assert len(value) < MAX_OUTPUT_BYTES  # so a character count would not do
        assert TRUNCATION_MARKER in value
    # The note rides behind the cut log tails, so `localci fetch` still finds it.
    assert embedded_note(run.output["text"]) == {"result": result_to_dict(result), "bundle": None}
    assert hub.double.take_violations() == []


def test_reposting_the_same_result_updates_the_same_check_run(hub: Hub) -> None:
    sha = fake_sha("repost")
    first = make_result(sha, lint_stage(120))
    assert hub.publish(first).outcomes[0].message == "Check Run 'localci' created"
    [run] = hub.runs(sha)
    again = hub.publish(first)
    assert again.outcomes[0].message == "Check Run 'localci' updated"
    assert again.outcomes[0].url == hub.publish(first).outcomes[0].url
    [same] = hub.runs(sha)
    assert same.id == run.id
    assert len(same.annotations) == 120
    # Another result for the same commit (another digest) is another Check Run...
    second = make_result(sha, lint_stage(2), run_id="20260101T000500Z-bbbbbb")
    assert hub.publish(second).outcomes[0].message == "Check Run 'localci' created"
    # ...and the first is still found once the second is GitHub's "latest" one.
    assert hub.publish(first).outcomes[0].message == "Check Run 'localci' updated"
    runs = hub.runs(sha)
    assert sorted(len(r.annotations) for r in runs) == [2, 120]
    assert {r.external_id for r in runs} == {sha256_hex(result_to_dict(r)) for r in (first, second)}


# --- which token posts what --------------------------------------------------------------


@pytest.mark.parametrize("kind", [TokenKind.CLASSIC, TokenKind.FINE_GRAINED])
def test_personal_tokens_post_a_status_without_trying_a_check_run(
    hub: Hub, kind: TokenKind
) -> None:
    token = hub.double.add_token(kind)
    sha = fake_sha(f"personal-{kind.value}")
    report = hub.publish(make_result(sha), token=token)
    assert [(o.channel, o.state) for o in report.outcomes] == [("status", "delivered")]
    assert hub.double.requests_to(path=".*/check-runs.*") == []
    assert [r.method for r in hub.double.requests] == ["POST"]
    assert hub.double.combined_state(REPO, sha) == "failure"


def test_a_token_of_unknown_form_falls_back_to_a_status_once(
    make_repo: Callable[..., Path], cli: Cli, github_double: GitHubDouble
) -> None:
    repo = make_repo({".localci.yml": CONFIG})
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[sha])
    token = github_double.add_token(TokenKind.CLASSIC, token="enterprise-token-0123456789abcdef")
    stored(repo, make_result(sha, conclusion="success"))
    result = cli("post", cwd=repo, env=env_for(github_double, token))
    assert result.code == 0, result.err
    forbidden = github_double.requests_to("POST", CREATE)
    assert [r.status for r in forbidden] == [403]
    assert result.err.count("posting a commit status instead") == 1
    assert "You must authenticate via a GitHub App." in result.err
    assert "status: delivered: commit status 'localci': success" in result.err
    assert github_double.combined_state(REPO, sha) == "success"


# --- commit statuses -------------------------------------------------------------------


def test_status_description_target_url_and_context(hub: Hub) -> None:
    classic = hub.double.add_token(TokenKind.CLASSIC)
    sha = fake_sha("status")
    long_names = tuple(stage(c * 64, status="failed") for c in "abcdefgh")
    config = PublishConfig(status_context="ci/localci", target_url="https://ci.example/runs/7")
    report = hub.publish(make_result(sha, *long_names), token=classic, publish=config)
    assert report.outcomes[0].message == "commit status 'ci/localci': failure"
    [status] = hub.double.statuses(REPO, sha)
    assert status.context == "ci/localci"
    assert status.target_url == "https://ci.example/runs/7"
    assert status.description is not None
    assert len(status.description) == 140
    assert status.description.startswith("failure: 0/8 stages passed · " + "a" * 64)
    plain = fake_sha("status-plain")
    hub.publish(make_result(plain, conclusion="success"), token=classic)
    [status] = hub.double.statuses(REPO, plain)
    assert (status.context, status.target_url, status.state) == ("localci", None, "success")
    assert status.description == "success: 1/1 stages passed"


# --- faults and the injected clock -----------------------------------------------------


def test_server_errors_are_retried_with_growing_waits(hub: Hub) -> None:
    hub.double.fail("POST", CREATE, times=2)
    sha = fake_sha("500")
    report = hub.publish(make_result(sha))
    assert report.outcomes[0].state == "delivered"
    assert hub.slept == [1.0, 2.0]
    assert [(r.method, r.status) for r in hub.double.requests] == [
        ("GET", 200),
        ("POST", 500),
        ("GET", 200),
        ("POST", 500),
        ("GET", 200),
        ("POST", 201),
    ]
    assert len(hub.runs(sha)) == 1


def test_a_create_that_failed_after_it_happened_is_not_repeated(hub: Hub) -> None:
    hub.double.fail_after_apply("POST", CREATE)
    sha = fake_sha("after-apply")
    report = hub.publish(make_result(sha, lint_stage(120)))
    assert report.outcomes[0].state == "delivered"
    assert hub.slept == [1.0]
    [run] = hub.runs(sha)
    assert [a["start_line"] for a in run.annotations] == list(range(1, 121))
    assert [r.method for r in hub.double.requests_to("POST")] == ["POST"]
    assert len(hub.double.requests_to("PATCH")) == 2  # 50 came with the create: 2 PATCHes


def test_an_annotation_batch_that_failed_after_it_happened_is_not_repeated(hub: Hub) -> None:
    hub.double.fail_after_apply("PATCH", UPDATE)
    sha = fake_sha("patch-after-apply")
    report = hub.publish(make_result(sha, lint_stage(120)))
    assert report.outcomes[0].state == "delivered"
    [run] = hub.runs(sha)
    assert [a["start_line"] for a in run.annotations] == list(range(1, 121))
    assert hub.slept == [1.0]


def test_dropped_connections_are_retried(hub: Hub) -> None:
    hub.double.drop_connection("GET", LIST)
    hub.double.drop_connection("POST", CREATE)

    def then_drop_the_lookup(seconds: float) -> None:
        hub.slept.append(seconds)
        if len(hub.slept) == 2:  # the look-up before re-creating fails too
            hub.double.drop_connection("GET", LIST)

    sha = fake_sha("drop")
    options = replace(hub.options(), sleep=then_drop_the_lookup)
    hub.push(sha)
    report = publish(hub.root, note_of(make_result(sha)), options)
    assert report.outcomes[0].state == "delivered", report
    assert hub.slept == [1.0, 1.0, 2.0]
    assert [r.fault for r in hub.double.requests].count("drop") == 3
    assert len(hub.runs(sha)) == 1


def test_secondary_rate_limit_honours_retry_after(hub: Hub) -> None:
    hub.double.secondary_rate_limit("POST", CREATE, retry_after=7)
    report = hub.publish(make_result(fake_sha("retry-after")))
    assert report.outcomes[0].state == "delivered"
    assert hub.slept == [7.0]


def test_secondary_rate_limit_without_retry_after_waits_a_minute_then_doubles(hub: Hub) -> None:
    hub.double.secondary_rate_limit("POST", CREATE, times=2)
    report = hub.publish(make_result(fake_sha("secondary")))
    assert report.outcomes[0].state == "delivered"
    assert hub.slept == [60.0, 120.0]


@pytest.mark.parametrize(("retry_after", "waits"), [(None, [60.0]), (3, [3.0])])
def test_too_many_requests(hub: Hub, retry_after: int | None, waits: list[float]) -> None:
    hub.double.too_many_requests("GET", LIST, retry_after=retry_after)
    report = hub.publish(make_result(fake_sha(f"429-{retry_after}")))
    assert report.outcomes[0].state == "delivered"
    assert hub.slept == waits


def test_primary_rate_limit_waits_for_the_reset(hub: Hub) -> None:
    reset = int(time.time()) + 30
    hub.double.fail(
        "GET",
        LIST,
        status=403,
        body={
            "message": "API rate limit exceeded for installation ID 77.",
            "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits",
        },
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    report = hub.publish(make_result(fake_sha("primary")))
    assert report.outcomes[0].state == "delivered"
    [waited] = hub.slept
    assert 25 <= waited <= 31


def test_a_small_budget_spools_with_the_reason(hub: Hub) -> None:
    hub.double.fail(None, r"/repos/.*", times=10)
    sha = fake_sha("budget")
    report = hub.publish(make_result(sha), max_wait=5)
    assert hub.slept == [1.0, 2.0]  # the next wait (4 s) would pass the 5 s budget
    [outcome] = report.outcomes
    assert (outcome.channel, outcome.state, outcome.exit_code) == ("github", "spooled", 5)
    assert report.exit_code == EXIT_DELIVERY
    assert "GitHub answered 500" in outcome.message
    assert "5 s budget" in outcome.message
    [entry] = list_entries(Store(hub.root))
    assert (entry.channel, entry.sha, entry.reason) == ("github", sha, "unreachable")
    assert "GitHub answered 500" in entry.last_error
    assert hub.runs(sha) == []


def test_budget_exhausted_via_cli_then_post_pending_drains_once(
    make_repo: Callable[..., Path],
    cli: Cli,
    github_double: GitHubDouble,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo({".localci.yml": CONFIG})
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[sha])
    env = env_for(github_double, github_double.add_token(TokenKind.ACTIONS, repo=REPO))
    stored(repo, make_result(sha, lint_stage(60)))
    github_double.fail(None, r"/repos/.*")
    result = cli("post", "--max-wait", "0", cwd=repo, env=env)
    assert result.code == 5, result.err
    [line] = [x for x in result.err.splitlines() if "github:" in x]
    assert line.strip().startswith("github: spooled: could not look for an existing Check Run")
    assert "GitHub answered 500" in line
    assert line.endswith("spooled for `localci post --pending`")
    [path] = spool_files(repo)
    entry = json.loads(path.read_text())
    assert (entry["reason"], entry["attempts"]) == ("unreachable", 1)
    # Still down: the entry stays, with one more attempt.
    github_double.fail(None, r"/repos/.*")
    again = cli("post", "--pending", "--max-wait", "0", cwd=repo, env=env)
    assert again.code == 5, again.err
    assert json.loads(path.read_text())["attempts"] == 2
    # The entry is removed only once GitHub holds the Check Run.
    from localci.publish.spool import remove_entry as real_remove

    seen_at_removal: list[int] = []

    def remove(store: Store, entry: Any) -> None:
        [run] = github_double.check_runs(REPO, sha)
        seen_at_removal.append(len(run.annotations))
        real_remove(store, entry)

    monkeypatch.setattr("localci.publish.deliver.remove_entry", remove)
    drained = cli("post", "--pending", cwd=repo, env=env)
    assert drained.code == 0, drained.err
    assert "check_run: delivered: Check Run 'localci' created" in drained.err
    assert seen_at_removal == [60]
    assert spool_files(repo) == []
    before = len(github_double.requests)
    twice = cli("post", "--pending", cwd=repo, env=env)
    assert twice.code == 0
    assert "nothing is spooled" in twice.err
    assert len(github_double.requests) == before


def test_drain_spool_is_idempotent(hub: Hub) -> None:
    sha = fake_sha("drain")
    hub.double.fail(None, r"/repos/.*", times=3)
    assert hub.publish(make_result(sha, lint_stage(70)), max_wait=2).exit_code == 5
    options = hub.options()
    outcomes = drain_spool(hub.root, options)
    assert [(o.channel, o.state) for o in outcomes] == [("check_run", "delivered")]
    assert list_entries(Store(hub.root)) == []
    count = len(hub.double.requests)
    assert drain_spool(hub.root, options) == []
    assert len(hub.double.requests) == count
    [run] = hub.runs(sha)
    assert len(run.annotations) == 70


# --- commits GitHub does not have yet --------------------------------------------------


def test_unknown_commit_during_run_keeps_the_note_and_the_exit_code(
    make_repo: Callable[..., Path],
    bare_remote: Callable[[Path], Path],
    cli: Cli,
    github_double: GitHubDouble,
) -> None:
    repo = make_repo({".localci.yml": CONFIG})
    remote = bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[])  # not pushed to GitHub yet
    env = env_for(github_double, github_double.add_token(TokenKind.ACTIONS, repo=REPO))
    result = cli("run", "--post-results", cwd=repo, env=env)
    assert result.code == 0, result.err  # so `localci run --post-results && git push` works
    assert "notes: delivered" in result.err
    assert f"commit {sha[:12]} is not on GitHub yet" in result.err
    assert git(remote, "ls-remote", str(remote), "refs/notes/localci") != ""
    assert git(remote, "notes", "--ref=localci", "list", sha) != ""
    [path] = spool_files(repo)
    entry = json.loads(path.read_text())
    assert (entry["channel"], entry["reason"]) == ("github", "not_on_github")
    assert github_double.check_runs(REPO) == []
    # The push reached GitHub: the next `localci post` drains the spool first.
    github_double.add_commits(REPO, sha)
    posted = cli("post", cwd=repo, env=env)
    assert posted.code == 0, posted.err
    assert spool_files(repo) == []
    [run] = github_double.check_runs(REPO, sha)
    assert run.conclusion == "success"
    assert "check_run: delivered: Check Run 'localci' created" in posted.err
    assert "check_run: delivered: Check Run 'localci' updated" in posted.err


# --- --dry-run -------------------------------------------------------------------------


def test_dry_run_prints_every_request_and_sends_none(
    make_repo: Callable[..., Path],
    bare_remote: Callable[[Path], Path],
    cli: Cli,
    github_double: GitHubDouble,
) -> None:
    repo = make_repo({".localci.yml": CONFIG + "publish: {target_url: 'https://ci.example/1'}\n"})
    remote = bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[sha])
    env = env_for(github_double, github_double.add_token(TokenKind.ACTIONS, repo=REPO))
    stored(repo, make_result(sha, lint_stage(120)))
    result = cli("post", "--dry-run", cwd=repo, env=env)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    base = "/repos/octo/demo"
    assert lines[:3] == [
        f"GIT notes --ref=refs/notes/localci add {sha}",
        "GIT push origin refs/notes/localci",
        f"GET {base}/commits/{sha}/check-runs?check_name=localci&filter=all",
    ]
    assert [x.split(" ", 2)[:2] for x in lines[3:]] == [
        ["POST", f"{base}/check-runs"],
        ["PATCH", f"{base}/check-runs/{{check_run_id}}"],
        ["PATCH", f"{base}/check-runs/{{check_run_id}}"],
    ]
    planned = [json.loads(x.split(" ", 2)[2]) for x in lines[3:]]
    assert github_double.requests == []
    assert git(remote, "ls-remote", str(remote), "refs/notes/localci") == ""
    assert not (repo / ".git" / "refs" / "notes" / "localci").exists()
    # What it printed is what a real post sends.
    assert cli("post", cwd=repo, env=env).code == 0
    sent = [r for r in github_double.requests if r.method != "GET"]
    assert [r.method for r in sent] == ["POST", "PATCH", "PATCH"]
    [listing] = github_double.requests_to("GET")
    assert listing.query == {"check_name": ["localci"], "filter": ["all"]}
    for plan, request in zip(planned, sent, strict=True):
        for key in ("started_at", "completed_at"):
            if key in plan:  # PyGithub sends whole seconds
                assert request.body.pop(key) == plan.pop(key)[:19] + "Z"
        assert request.body == plan


def test_dry_run_with_a_personal_token_shows_the_status(
    make_repo: Callable[..., Path], cli: Cli, github_double: GitHubDouble
) -> None:
    repo = make_repo({".localci.yml": CONFIG})
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[sha])
    stored(repo, make_result(sha, conclusion="success"))
    env = env_for(github_double, github_double.add_token(TokenKind.CLASSIC))
    result = cli("post", "--dry-run", "--no-notes", cwd=repo, env=env)
    assert result.code == 0, result.err
    [line] = result.out.splitlines()
    assert line.startswith(f"POST /repos/octo/demo/statuses/{sha} ")
    assert json.loads(line.split(" ", 2)[2]) == {
        "state": "success",
        "context": "localci",
        "description": "success: 1/1 stages passed",
    }
    assert github_double.requests == []


# --- secrets ---------------------------------------------------------------------------


def test_the_token_never_leaks(
    make_repo: Callable[..., Path], cli: Cli, github_double: GitHubDouble
) -> None:
    repo = make_repo({".localci.yml": CONFIG})
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[sha])
    token = github_double.add_token(TokenKind.ACTIONS, repo=REPO)
    # A remote URL carrying the token (as CI checkouts do); nothing listens on port 1.
    git(
        repo, "remote", "add", "origin", f"https://x-access-token:{token}@127.0.0.1:1/octo/demo.git"
    )
    env = env_for(github_double, token, repo=None)  # octo/demo comes from that URL
    github_double.fail(None, r"/repos/.*", times=2)
    outputs: list[CliResult] = [cli("run", "--post-results", "--max-wait", "0", cwd=repo, env=env)]
    assert outputs[0].code == 5, outputs[0].err
    assert {p.name for p in spool_files(repo)} == {f"github-{sha}.json", f"notes-{sha}.json"}
    outputs.append(cli("post", "--pending", "--max-wait", "0", cwd=repo, env=env))
    assert outputs[1].code == 5, outputs[1].err
    bogus = ["ghp_" + "Zq7" * 12, "sekrit-enterprise-token-42"]  # 401 Bad credentials
    for other in bogus:
        outputs.append(
            cli("post", "--token", other, "--no-notes", "--max-wait", "0", cwd=repo, env=env)
        )
        assert outputs[-1].code == 2, outputs[-1].err
        assert "401: Bad credentials" in outputs[-1].err
    outputs.append(cli("post", "--no-notes", cwd=repo, env=env))  # GitHub is back
    assert outputs[-1].code == 0, outputs[-1].err
    assert len(github_double.check_runs(REPO, sha)) == 1
    haystacks = [o.out + o.err for o in outputs]
    haystacks += [
        p.read_text(errors="replace") for p in (repo / ".localci").rglob("*") if p.is_file()
    ]
    haystacks.append(git(repo, "notes", "--ref=localci", "show", sha))
    haystacks += [json.dumps([r.body, r.query, r.path]) for r in github_double.requests]
    haystacks += [json.dumps(r.output) for r in github_double.check_runs(REPO)]
    for secret in (token, *bogus):
        leaks = [h[max(0, h.find(secret) - 80) :][:200] for h in haystacks if secret in h]
        assert leaks == [], f"{secret[:6]}... leaked: {leaks}"


# --- localci fetch: local -> notes -> attestation store -> Check Run --------------------


def test_fetch_falls_back_from_local_to_notes_to_the_check_run(
    make_repo: Callable[..., Path],
    bare_remote: Callable[[Path], Path],
    cli: Cli,
    github_double: GitHubDouble,
    tmp_path: Path,
) -> None:
    repo = make_repo({".localci.yml": CONFIG})
    remote = bare_remote(repo)
    with_note = git(repo, "rev-parse", "HEAD")
    (repo / "more.txt").write_text("more\n")
    without_note = commit_all(repo, "second")
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/main")
    github_double.add_repo(REPO, commits=[with_note, without_note])
    env = env_for(github_double, github_double.add_token(TokenKind.ACTIONS, repo=REPO))
    docs = {
        sha: stored(repo, make_result(sha, conclusion="success", run_id=f"run-{sha[:6]}"))
        for sha in (with_note, without_note)
    }
    assert cli("post", with_note, cwd=repo, env=env).code == 0
    assert cli("post", without_note, "--no-notes", cwd=repo, env=env).code == 0

    local = cli("fetch", with_note, "--json", cwd=repo, env=env)
    assert local.code == 0, local.err
    assert "fetched from: local" in local.err
    assert local.json()["result"] == docs[with_note]

    clone = tmp_path / "fresh-clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    assert not (clone / ".localci").exists()
    notes = cli("fetch", with_note, "--json", cwd=clone, env=env)
    assert notes.code == 0, notes.err
    assert "fetched from: notes" in notes.err
    assert notes.json()["channel"] == "notes"
    assert notes.json()["tried"] == ["local: no result in .localci/results", "notes"]
    assert notes.json()["result"] == docs[with_note]

    checked = cli("fetch", without_note, "--json", cwd=clone, env=env)
    assert checked.code == 0, checked.err
    assert "fetched from: check_run" in checked.err
    assert checked.json()["tried"] == [
        "local: no result in .localci/results",
        f"notes: no note on refs/notes/localci for {without_note[:12]}",
        f"attestations: no localci result stored for {without_note[:12]}",
        "check_run",
    ]
    assert checked.json()["result"] == docs[without_note]
    human = cli("fetch", without_note, cwd=clone, env=env)
    assert f"commit {without_note}" in human.out

    (clone / "new.txt").write_text("new\n")
    nowhere = commit_all(clone, "not published anywhere")
    missing = cli("fetch", nowhere, cwd=clone, env=env)
    assert missing.code == 2
    assert f"no result found for {nowhere}" in missing.err
    assert "- local: no result in .localci/results" in missing.err
    assert f"- notes: no note on refs/notes/localci for {nowhere[:12]}" in missing.err
    assert f"- attestations: no localci result stored for {nowhere[:12]}" in missing.err
    assert "- check_run: GitHub does not have the commit yet" in missing.err


# --- the spool is written atomically ---------------------------------------------------


@pytest.mark.parametrize("crash", ["replace", "fsync"])
def test_a_crash_while_spooling_leaves_no_half_written_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: str
) -> None:
    store = Store(tmp_path)
    sha = fake_sha("spool")
    note = SignedResult(document=result_to_dict(make_result(sha)))
    target = SpoolTarget(
        repo=REPO,
        api_url="https://api.github.com",
        remote="origin",
        notes_ref="refs/notes/localci",
        check_name="localci",
        status_context="localci",
    )
    first = new_entry("github", sha, "unreachable", "first error", target, note)
    path = spool(store, first)
    before = path.read_bytes()

    def power_cut(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, crash, power_cut)
    with pytest.raises(OSError, match="No space left"):
        spool(store, replace(first, last_error="second error"))
    with pytest.raises(OSError, match="No space left"):
        spool(store, new_entry("notes", sha, "unreachable", "x", target, note))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in store.spool.iterdir()] == [path.name]  # no temp file left over
    [entry] = list_entries(store)
    assert (entry.last_error, entry.attempts) == ("first error", 1)
