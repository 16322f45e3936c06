"""The PR summary comment (updated in place), the job summary, and the fixer dispatch,
against the GitHub double (which validates every request against GitHub's OpenAPI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localci.context.share import (
    DISPATCH_EVENT,
    MAX_DISPATCH_BYTES,
    dispatch_payload,
    post_summary,
    write_step_summary,
)
from localci.context.summary import MARKER
from localci.errors import UsageError
from localci.publish.github import GitHubClient, GitHubSettings
from localci.result.model import Result
from tests.factories import SHA, failed_test, make_result, make_stage
from tests.github_double import GitHubDouble, TokenKind

REPO = "octo/hello"
BASE = "b" * 40
WRITE = {"checks": "write", "pull_requests": "write", "contents": "write", "metadata": "read"}


def _client(double: GitHubDouble, permissions: dict[str, str] | None = None) -> GitHubClient:
    double.add_repo(REPO, commits=[BASE, SHA])
    double.add_pull(REPO, number=7, head_sha=SHA, base_sha=BASE)
    token = double.add_token(TokenKind.ACTIONS, repo=REPO, permissions=permissions or WRITE)
    return GitHubClient(GitHubSettings(repo=REPO, api_url=double.api_url, token=token))


def _failing(message: str = "assert 1 == 2") -> Result:
    finding = failed_test("t.py::test_x", message=message)
    stage = make_stage(
        "tests", "tests", status="failed", findings=(finding,), findings_total=1, log_tail="E"
    )
    return make_result(stage, conclusion="failure")


def test_the_summary_comment_is_created_once_then_updated_in_place(
    github_double: GitHubDouble,
) -> None:
    github_double.add_repo("octo/other")
    with _client(github_double) as client:
        first, url = post_summary(client, 7, make_result(make_stage("tests")), None)
        second, url2 = post_summary(client, 7, _failing(), None)
    comments = github_double.comments(REPO, 7)
    assert len(comments) == 1
    assert comments[0].body == second
    assert comments[0].body.startswith(MARKER)
    assert "1 newly failing" not in first
    assert url == url2
    assert url is not None
    assert url.endswith(f"#issuecomment-{comments[0].id}")


def test_a_marked_comment_by_someone_else_is_left_alone(github_double: GitHubDouble) -> None:
    with _client(github_double) as client:
        other = github_double.add_token(TokenKind.CLASSIC, login="mallory")
        with GitHubClient(
            GitHubSettings(repo=REPO, api_url=github_double.api_url, token=other)
        ) as theirs:
            theirs.upsert_comment(7, MARKER + "\nforged", MARKER)
        post_summary(client, 7, make_result(make_stage("tests")), None)
    bodies = [c.body for c in github_double.comments(REPO, 7)]
    assert bodies[0] == MARKER + "\nforged"
    assert len(bodies) == 2
    assert "localci: success" in bodies[1]


def test_without_pull_request_write_the_comment_is_refused_with_advice(
    github_double: GitHubDouble,
) -> None:
    with _client(github_double, {"checks": "write"}) as client, pytest.raises(UsageError) as err:
        post_summary(client, 7, make_result(make_stage("tests")), None)
    assert "permissions" in (err.value.hint or "")


def test_the_job_summary_is_appended_when_the_variable_is_set(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("before\n", encoding="utf-8")
    assert write_step_summary("## hello", {}) is None
    assert write_step_summary("## hello", {"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text(encoding="utf-8") == "before\n## hello\n"


def test_the_dispatch_carries_a_bounded_secret_free_context(github_double: GitHubDouble) -> None:
    token = "ghs_" + "z" * 36
    secret = "hunter2-very-secret"
    result = _failing(f"assert {token} == {secret}" + "x" * 200_000)
    payload = dispatch_payload(
        result,
        pr=7,
        repository=REPO,
        failed_checks=("thresholds",),
        secrets=(secret,),
    )
    with _client(github_double) as client:
        client.dispatch(DISPATCH_EVENT, payload)
    (sent,) = github_double.dispatches(REPO)
    assert sent.event_type == DISPATCH_EVENT
    body = sent.client_payload
    assert body["sha"] == SHA
    assert body["pr"] == 7
    assert "t.py::test_x" in body["context"]
    raw = json.dumps(body)
    assert len(raw.encode()) <= MAX_DISPATCH_BYTES
    assert token not in raw
    assert secret not in raw
    assert len(body) <= 10
