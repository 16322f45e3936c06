"""The GitHub REST double, driven by the real PyGithub client.

Run with the plugin loaded: ``pytest -p tests.github_double.plugin`` (or register it in
``tests/conftest.py``).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import github
import pytest
import requests

from tests.github_double import (
    ACTIONS_APP_ID,
    DoubleError,
    GitHubDouble,
    TokenKind,
    generate_app_key,
)
from tests.github_double import handlers as double_handlers
from tests.github_double.spec import SPEC_FILE, load_spec, to_json_schema

ROOT = Path(__file__).resolve().parents[2]
REPO = "octo/hello"
SHA = "1" * 40
SHA2 = "2" * 40
UNPUSHED = "f" * 40
APP_ID = 4242
INSTALLATION_ID = 77


# --- helpers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    """One RSA key pair for the module (generating one costs ~50 ms)."""
    return generate_app_key()


@pytest.fixture
def double(github_double: GitHubDouble) -> GitHubDouble:
    """The fixture's double with ``octo/hello`` holding two pushed commits."""
    github_double.add_repo(REPO, commits=[SHA, SHA2])
    return github_double


def client(double: GitHubDouble, auth: github.Auth.Auth) -> github.Github:
    """A PyGithub client for the double: no retries, no throttling."""
    return github.Github(
        auth=auth,
        base_url=double.api_url,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


@pytest.fixture
def actions_gh(double: GitHubDouble) -> Iterator[github.Github]:
    """A client holding a GitHub Actions ``GITHUB_TOKEN`` for ``octo/hello``."""
    token = double.add_token(TokenKind.ACTIONS, repo=REPO)
    with client(double, github.Auth.Token(token)) as gh:
        yield gh


def annotation_list(count: int, start: int = 1) -> list[dict[str, Any]]:
    """*count* schema-valid annotations numbered from *start*."""
    return [
        {
            "path": "src/app.py",
            "start_line": n,
            "end_line": n,
            "annotation_level": "warning",
            "message": f"finding {n}",
            "title": f"rule {n}",
        }
        for n in range(start, start + count)
    ]


def raw(double: GitHubDouble, method: str, path: str, token: str | None, body: Any = None) -> Any:
    """One request outside PyGithub; returns the ``requests`` response."""
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(method, double.api_url + path, headers=headers, json=body, timeout=10)


def load_update_script() -> ModuleType:
    path = ROOT / "scripts" / "update_github_openapi.py"
    spec = importlib.util.spec_from_file_location("update_github_openapi", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the pinned, pruned description ----------------------------------------------------


def test_pruned_spec_records_the_pinned_version() -> None:
    script = load_update_script()
    document = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    source = document["x-localci-source"]
    assert source["package"] == script.PACKAGE == "@octokit/openapi"
    assert source["version"] == script.PINNED_VERSION == document["info"]["version"]
    assert source["integrity"] == script.PINNED_INTEGRITY
    readme = (SPEC_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert f"version **{script.PINNED_VERSION}**" in readme
    assert script.main(["--check", "--out", str(SPEC_FILE.parent)]) == 0


def test_pruned_spec_holds_exactly_the_pinned_operations() -> None:
    script = load_update_script()
    spec = load_spec()
    kept = {(op.method.lower(), op.template) for op in spec.operations}
    assert kept == set(script.OPERATIONS)
    assert set(double_handlers.HANDLERS) == {op.operation_id for op in spec.operations}
    assert SPEC_FILE.stat().st_size < 300_000


def test_nullable_enums_accept_null() -> None:
    schema = {"type": "string", "enum": ["success", "failure"], "nullable": True}
    assert to_json_schema(schema) == {
        "type": ["string", "null"],
        "enum": ["success", "failure", None],
    }
    assert to_json_schema({"nullable": True, "oneOf": [{"type": "string"}]}) == {
        "anyOf": [{"type": "null"}, {"oneOf": [{"type": "string"}]}]
    }


# --- check runs ------------------------------------------------------------------------


def test_check_run_create_then_patch_appends_annotation_batches(
    double: GitHubDouble, actions_gh: github.Github
) -> None:
    repo = actions_gh.get_repo(REPO)
    run = repo.create_check_run(
        name="localci",
        head_sha=SHA,
        status="in_progress",
        external_id="run-1",
        output={
            "title": "Running",
            "summary": "s",
            "text": "kept",
            "annotations": annotation_list(50),
        },
    )
    assert (run.status, run.output.annotations_count) == ("in_progress", 50)
    assert run.conclusion is None
    run.edit(output={"title": "Done", "summary": "s2", "annotations": annotation_list(50, 51)})
    run.edit(
        conclusion="failure",
        output={"title": "Done", "summary": "s3", "annotations": annotation_list(20, 101)},
    )

    assert (run.status, run.conclusion, run.output.annotations_count) == (
        "completed",
        "failure",
        120,
    )
    assert (run.output.title, run.output.summary, run.output.text) == ("Done", "s3", "kept")
    listed = list(run.get_annotations())  # 30 per page: PyGithub follows the Link header
    assert [a.message for a in listed] == [f"finding {n}" for n in range(1, 121)]
    assert run.url.startswith(double.api_url)
    assert run.html_url.startswith(double.api_url)
    assert run.app.id == ACTIONS_APP_ID
    assert len(double.requests_to("GET", r"/repos/octo/hello/check-runs/\d+/annotations")) == 4


def test_list_check_runs_by_name(double: GitHubDouble, actions_gh: github.Github) -> None:
    repo = actions_gh.get_repo(REPO)
    repo.create_check_run(name="localci", head_sha=SHA, conclusion="success")
    repo.create_check_run(name="other", head_sha=SHA)
    runs = repo.get_commit(SHA).get_check_runs(check_name="localci")
    assert [(r.name, r.conclusion) for r in runs] == [("localci", "success")]
    assert runs.totalCount == 1


def test_more_than_50_annotations_is_422_and_a_violation(
    double: GitHubDouble, actions_gh: github.Github
) -> None:
    repo = actions_gh.get_repo(REPO)
    with pytest.raises(github.GithubException) as info:
        repo.create_check_run(
            name="localci",
            head_sha=SHA,
            output={"title": "t", "summary": "s", "annotations": annotation_list(51)},
        )
    assert info.value.status == 422
    assert info.value.data["message"] == (
        "Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."
    )
    assert [v.kind for v in double.take_violations()] == ["schema"]
    assert double.check_runs(REPO) == []


def test_output_summary_limit_counts_utf8_bytes(
    double: GitHubDouble, actions_gh: github.Github
) -> None:
    repo = actions_gh.get_repo(REPO)
    summary = "é" * 40_000  # 40 000 characters (under the spec's maxLength), 80 000 bytes
    with pytest.raises(github.GithubException) as info:
        repo.create_check_run(
            name="localci", head_sha=SHA, output={"title": "t", "summary": summary}
        )
    assert info.value.status == 422
    assert info.value.data["errors"][0]["message"] == "summary exceeds a maximum bytesize of 65535"
    assert [v.kind for v in double.take_violations()] == ["rule"]


def test_annotation_title_over_255_characters_is_422(
    double: GitHubDouble, actions_gh: github.Github
) -> None:
    run = actions_gh.get_repo(REPO).create_check_run(name="localci", head_sha=SHA)
    bad = annotation_list(1)
    bad[0]["title"] = "t" * 256
    with pytest.raises(github.GithubException) as info:
        run.edit(output={"title": "t", "summary": "s", "annotations": bad})
    assert info.value.status == 422
    assert [v.kind for v in double.take_violations()] == ["rule"]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (TokenKind.CLASSIC, "You must authenticate via a GitHub App."),
        (TokenKind.FINE_GRAINED, "Resource not accessible by personal access token"),
    ],
)
def test_personal_tokens_cannot_write_check_runs(
    double: GitHubDouble, kind: TokenKind, message: str
) -> None:
    token = double.add_token(kind)
    assert token.startswith("ghp_" if kind is TokenKind.CLASSIC else "github_pat_")
    with client(double, github.Auth.Token(token)) as gh:
        repo = gh.get_repo(REPO)
        with pytest.raises(github.GithubException) as info:
            repo.create_check_run(name="localci", head_sha=SHA)
        assert (info.value.status, info.value.data["message"]) == (403, message)
        repo.get_commit(SHA).create_status("success", description="ok", context="localci")
    assert double.combined_state(REPO, SHA) == "success"
    assert {r.token_kind for r in double.requests} == {kind}


def test_only_the_creating_app_can_update_a_check_run(
    double: GitHubDouble, actions_gh: github.Github, app_key: tuple[str, str]
) -> None:
    run = actions_gh.get_repo(REPO).create_check_run(name="localci", head_sha=SHA)
    double.add_app(APP_ID, app_key[1])
    double.add_installation(APP_ID, INSTALLATION_ID, account="octo")
    token = double.installation_token(INSTALLATION_ID)
    with client(double, github.Auth.Token(token)) as gh:
        theirs = gh.get_repo(REPO).get_check_run(run.id)
        with pytest.raises(github.GithubException) as info:
            theirs.edit(conclusion="success")
    assert info.value.status == 403
    assert info.value.data["message"] == (
        f"Invalid app_id `{APP_ID}` - check run can only be modified by the GitHub App that"
        " created it."
    )
    assert double.check_runs(REPO)[0].conclusion is None


def test_app_token_without_checks_write_is_403(double: GitHubDouble) -> None:
    token = double.add_token(TokenKind.ACTIONS, permissions={"checks": "read", "statuses": "write"})
    response = raw(
        double, "POST", f"/repos/{REPO}/check-runs", token, {"name": "c", "head_sha": SHA}
    )
    assert response.status_code == 403
    assert response.json()["message"] == "Resource not accessible by integration"
    status = {"state": "success", "context": "localci"}
    assert raw(double, "POST", f"/repos/{REPO}/statuses/{SHA}", token, status).status_code == 201


def test_unpushed_commit_is_422(double: GitHubDouble, actions_gh: github.Github) -> None:
    repo = actions_gh.get_repo(REPO)
    with pytest.raises(github.GithubException) as info:
        repo.create_check_run(name="localci", head_sha=UNPUSHED)
    assert (info.value.status, info.value.data["message"]) == (
        422,
        f"No commit found for SHA: {UNPUSHED}",
    )
    response = raw(
        double,
        "POST",
        f"/repos/{REPO}/statuses/{UNPUSHED}",
        double.add_token(TokenKind.CLASSIC),
        {"state": "success"},
    )
    assert response.status_code == 422
    assert response.json()["message"] == f"No commit found for SHA: {UNPUSHED}"
    assert double.violations == []  # a commit not yet pushed is a fact of life, not a bug


# --- commit statuses -------------------------------------------------------------------


def test_status_description_over_140_characters_is_422(double: GitHubDouble) -> None:
    with client(double, github.Auth.Token(double.add_token(TokenKind.CLASSIC))) as gh:
        commit = gh.get_repo(REPO).get_commit(SHA)
        commit.create_status("success", description="d" * 140, context="ok")
        with pytest.raises(github.GithubException) as info:
            commit.create_status("success", description="d" * 141, context="too-long")
    assert info.value.status == 422
    assert info.value.data["errors"] == [
        {
            "resource": "Status",
            "code": "custom",
            "field": "description",
            "message": "description is too long (maximum is 140 characters)",
        }
    ]
    assert [v.kind for v in double.take_violations()] == ["rule"]
    assert [s.context for s in double.statuses(REPO, SHA)] == ["ok"]


def test_combined_status(double: GitHubDouble) -> None:
    with client(double, github.Auth.Token(double.add_token(TokenKind.CLASSIC))) as gh:
        commit = gh.get_repo(REPO).get_commit(SHA)
        assert commit.get_combined_status().state == "pending"  # no statuses yet
        commit.create_status("success", context="lint")
        commit.create_status("pending", context="tests")
        assert commit.get_combined_status().state == "pending"  # pending beats success
        commit.create_status("error", context="Tests")  # contexts are case-insensitive
        assert commit.get_combined_status().state == "failure"  # error counts as failure
        commit.create_status("success", context="tests")  # the latest per context wins
        combined = commit.get_combined_status()
    assert (combined.state, combined.total_count) == ("success", 2)
    assert sorted(s.context for s in combined.statuses) == ["lint", "tests"]
    assert len(double.statuses(REPO, SHA)) == 4


def test_list_statuses_for_ref_newest_first(double: GitHubDouble) -> None:
    token = double.add_token(TokenKind.FINE_GRAINED)
    for state in ("pending", "failure"):
        raw(
            double, "POST", f"/repos/{REPO}/statuses/{SHA}", token, {"state": state, "context": "c"}
        )
    response = raw(double, "GET", f"/repos/{REPO}/commits/{SHA}/statuses", token)
    assert [s["state"] for s in response.json()] == ["failure", "pending"]


# --- pull requests ---------------------------------------------------------------------


def test_pull_requests_for_a_commit(double: GitHubDouble, actions_gh: github.Github) -> None:
    double.add_pull(REPO, number=7, head_sha=SHA2, commits=[SHA, SHA2], head_ref="topic")
    double.add_pull(REPO, number=3, head_sha=SHA, state="closed", merged=True)
    repo = actions_gh.get_repo(REPO)
    assert sorted(p.number for p in repo.get_commit(SHA).get_pulls()) == [3, 7]
    assert [p.number for p in repo.get_pulls(state="open")] == [7]
    assert [p.number for p in repo.get_pulls(state="all", head="octo:topic")] == [7]
    run = repo.create_check_run(name="localci", head_sha=SHA2)
    assert [p.number for p in run.pull_requests] == [7]


# --- authentication --------------------------------------------------------------------


def test_app_installation_auth_end_to_end(double: GitHubDouble, app_key: tuple[str, str]) -> None:
    private_pem, public_pem = app_key
    double.add_app(APP_ID, public_pem, slug="localci-test")
    double.add_installation(APP_ID, INSTALLATION_ID, account="octo", repos=[REPO])
    auth = github.Auth.AppAuth(APP_ID, private_pem).get_installation_auth(INSTALLATION_ID)
    with client(double, auth) as gh:
        run = gh.get_repo(REPO).create_check_run(name="localci", head_sha=SHA, conclusion="success")
    assert (run.app.id, run.app.slug) == (APP_ID, "localci-test")
    kinds = [(r.operation_id, r.token_kind) for r in double.requests]
    assert kinds == [
        ("apps/create-installation-access-token", TokenKind.APP_JWT),
        ("repos/get", TokenKind.INSTALLATION),
        ("checks/create", TokenKind.INSTALLATION),
    ]
    app_auth = github.Auth.AppAuth(APP_ID, private_pem)
    with github.GithubIntegration(
        auth=app_auth, base_url=double.api_url, retry=None, seconds_between_requests=0
    ) as gi:
        assert gi.get_repo_installation("octo", "hello").id == INSTALLATION_ID
        assert gi.get_app().slug == "localci-test"


def test_installation_token_is_limited_to_its_repositories(
    double: GitHubDouble, app_key: tuple[str, str]
) -> None:
    double.add_repo("octo/other", commits=[SHA])
    double.add_app(APP_ID, app_key[1])
    double.add_installation(APP_ID, INSTALLATION_ID, account="octo", repos=[REPO])
    token = double.installation_token(INSTALLATION_ID)
    assert token.startswith("ghs_")
    assert raw(double, "GET", "/repos/octo/other", token).status_code == 404
    assert raw(double, "GET", "/repos/octo/hello", token).status_code == 200


def test_installation_token_cannot_exceed_installation_permissions(
    double: GitHubDouble, app_key: tuple[str, str]
) -> None:
    double.add_app(APP_ID, app_key[1])
    double.add_installation(APP_ID, INSTALLATION_ID, account="octo", permissions={"checks": "read"})
    jwt = github.Auth.AppAuth(APP_ID, app_key[0]).create_jwt()
    response = requests.post(
        f"{double.api_url}/app/installations/{INSTALLATION_ID}/access_tokens",
        headers={"Authorization": f"Bearer {jwt}"},
        json={"permissions": {"checks": "write"}},
        timeout=10,
    )
    assert response.status_code == 422


def test_jwt_signed_with_an_unregistered_key_is_401(
    double: GitHubDouble, app_key: tuple[str, str]
) -> None:
    double.add_app(APP_ID, generate_app_key()[1])  # registered key != signing key
    double.add_installation(APP_ID, INSTALLATION_ID, account="octo")
    jwt = github.Auth.AppAuth(APP_ID, app_key[0]).create_jwt()
    response = requests.post(
        f"{double.api_url}/app/installations/{INSTALLATION_ID}/access_tokens",
        headers={"Authorization": f"Bearer {jwt}"},
        json={},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["message"] == "A JSON web token could not be decoded"


def test_missing_or_unknown_token_is_401(double: GitHubDouble) -> None:
    assert raw(double, "GET", f"/repos/{REPO}", None).status_code == 401
    unknown = raw(double, "GET", f"/repos/{REPO}", "ghp_" + "x" * 36)
    assert (unknown.status_code, unknown.json()["message"]) == (401, "Bad credentials")
    assert [r.token_kind for r in double.requests] == [None, TokenKind.INVALID]


def test_request_log_never_holds_a_token(double: GitHubDouble, actions_gh: github.Github) -> None:
    token = double.add_token(TokenKind.CLASSIC)
    raw(double, "GET", f"/repos/{REPO}", token)
    assert token not in repr(double.requests)


# --- faults ----------------------------------------------------------------------------


def test_fault_500_for_the_next_n_matching_requests(
    double: GitHubDouble, actions_gh: github.Github
) -> None:
    repo = actions_gh.get_repo(REPO)
    double.fail("POST", r"/repos/octo/hello/check-runs", times=2)
    for _ in range(2):
        with pytest.raises(github.GithubException) as info:
            repo.create_check_run(name="localci", head_sha=SHA)
        assert info.value.status == 500
    repo.create_check_run(name="localci", head_sha=SHA)
    statuses = [r.status for r in double.requests_to("POST", r".*/check-runs")]
    assert statuses == [500, 500, 201]
    assert len(double.check_runs(REPO)) == 1


@pytest.mark.parametrize("retry_after", [7, None])
def test_fault_secondary_rate_limit(
    double: GitHubDouble, actions_gh: github.Github, retry_after: int | None
) -> None:
    double.secondary_rate_limit("POST", r".*/check-runs", retry_after=retry_after)
    with pytest.raises(github.RateLimitExceededException) as info:
        actions_gh.get_repo(REPO).create_check_run(name="localci", head_sha=SHA)
    assert info.value.status == 403
    assert info.value.data["message"].startswith("You have exceeded a secondary rate limit")
    headers = {k.lower(): v for k, v in (info.value.headers or {}).items()}
    assert headers.get("retry-after") == (None if retry_after is None else str(retry_after))


def test_fault_429(double: GitHubDouble, actions_gh: github.Github) -> None:
    double.too_many_requests(None, r".*/statuses/.*", retry_after=1)
    commit = actions_gh.get_repo(REPO).get_commit(SHA)
    with pytest.raises(github.GithubException) as info:
        commit.create_status("success", context="localci")
    assert info.value.status == 429
    commit.create_status("success", context="localci")
    assert double.combined_state(REPO, SHA) == "success"


def test_fault_dropped_connection(double: GitHubDouble, actions_gh: github.Github) -> None:
    repo = actions_gh.get_repo(REPO)
    double.drop_connection("POST", r".*/check-runs")
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_check_run(name="localci", head_sha=SHA)
    assert double.requests[-1].status is None
    assert double.requests[-1].fault == "drop"
    assert double.check_runs(REPO) == []


def test_fault_created_then_500_allows_dedup_by_external_id(
    double: GitHubDouble, actions_gh: github.Github
) -> None:
    repo = actions_gh.get_repo(REPO)
    double.fail_after_apply("POST", r".*/check-runs")
    with pytest.raises(github.GithubException) as info:
        repo.create_check_run(name="localci", head_sha=SHA, external_id="result-abc")
    assert info.value.status == 500
    # The run exists anyway: a client retrying blindly would make a duplicate.
    existing = [
        r
        for r in repo.get_commit(SHA).get_check_runs(check_name="localci")
        if r.external_id == "result-abc"
    ]
    assert len(existing) == 1
    assert [r.external_id for r in double.check_runs(REPO, SHA)] == ["result-abc"]


def test_fault_unknown_sha(double: GitHubDouble, actions_gh: github.Github) -> None:
    commit = actions_gh.get_repo(REPO).get_commit(SHA)  # resolves before the fault
    double.unknown_sha(SHA)
    with pytest.raises(github.GithubException) as info:
        commit.create_status("pending", context="localci")
    assert (info.value.status, info.value.data["message"]) == (
        422,
        f"No commit found for SHA: {SHA}",
    )
    commit.create_status("pending", context="localci")  # the commit is visible again


# --- the double polices itself -----------------------------------------------------------


def test_spec_violating_request_body_is_caught(double: GitHubDouble) -> None:
    token = double.add_token(TokenKind.ACTIONS)
    body = {"name": 5, "head_sha": SHA, "status": "done"}
    response = raw(double, "POST", f"/repos/{REPO}/check-runs", token, body)
    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("Invalid request.\n\n")
    assert "For 'properties/name', 5 is not a string." in message
    assert "For 'properties/status', \"done\" is not a member of" in message
    with pytest.raises(DoubleError, match="checks/create"):
        double.verify()  # what the fixture does at teardown
    (violation,) = double.take_violations()
    assert (violation.kind, violation.operation_id) == ("schema", "checks/create")
    assert double.check_runs(REPO) == []


def test_calls_outside_the_pruned_spec_are_violations(
    double: GitHubDouble, actions_gh: github.Github
) -> None:
    commit = actions_gh.get_repo(REPO).get_commit(SHA)
    with pytest.raises(github.UnknownObjectException):
        list(commit.get_statuses())  # PyGithub uses the legacy GET /repos/{o}/{r}/statuses/{sha}
    (violation,) = double.take_violations()
    assert violation.kind == "unknown-operation"
    assert violation.path == f"/repos/{REPO}/statuses/{SHA}"


def test_an_invalid_answer_is_a_bug_in_the_double(
    double: GitHubDouble, actions_gh: github.Github, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(call: double_handlers.Call) -> double_handlers.Reply:
        return double_handlers.Reply(200, {"full_name": 42})

    monkeypatch.setitem(double_handlers.HANDLERS, "repos/get", broken)
    with pytest.raises(github.GithubException) as info:
        actions_gh.get_repo(REPO)
    assert info.value.status == 500
    with pytest.raises(DoubleError, match="violating the OpenAPI description"):
        double.verify()
    double.errors.clear()  # provoked on purpose; the fixture would fail the test otherwise


PROBE = """
import requests
from tests.github_double import TokenKind

def test_sends_a_body_that_breaks_the_spec(github_double):
    github_double.add_repo("octo/hello", commits=["1" * 40])
    token = github_double.add_token(TokenKind.ACTIONS)
    response = requests.post(
        github_double.api_url + "/repos/octo/hello/check-runs",
        headers={"Authorization": "token " + token},
        json={"name": "localci"},
        timeout=10,
    )
    assert response.status_code == 422  # the test itself passes...
"""


def test_fixture_fails_a_test_whose_requests_broke_the_spec(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent(PROBE), encoding="utf-8")
    args = ["-m", "pytest", str(probe), "-q", "-c", str(ROOT / "pyproject.toml")]
    args += ["-p", "tests.github_double.plugin"]
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    # ...but the fixture's teardown reports the violation as an error.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout
    assert '"head_sha" wasn\'t supplied.' in result.stdout
