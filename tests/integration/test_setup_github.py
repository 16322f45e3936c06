"""``localci setup github`` against the GitHub double (rulesets and environments from
GitHub's OpenAPI description): a dry run by default, idempotent with ``--apply``, and an
existing ruleset is replaced only with ``--replace``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.github_double import GitHubDouble, TokenKind

REPO = "octo/demo"
APP_ID = 4242


@pytest.fixture
def admin(github_double: GitHubDouble) -> str:
    github_double.add_repo(REPO, commits=["a" * 40], default_branch="trunk")
    return github_double.add_token(TokenKind.CLASSIC, login="octo")


def setup_github(
    double: GitHubDouble, token: str, *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")},
        "GITHUB_TOKEN": token,
        "GITHUB_API_URL": double.api_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "localci", "setup", "github", "--repo", REPO, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_default_is_a_dry_run(github_double: GitHubDouble, admin: str, tmp_path: Path) -> None:
    out = setup_github(github_double, admin, "--app-id", str(APP_ID), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (
        "create  environment 'localci-gate': PUT /repos/octo/demo/environments/localci-gate"
        in out.stdout
    )
    assert "create  deployment branch policy 'trunk'" in out.stdout
    assert '"integration_id": 4242' in out.stdout
    assert "dry run: nothing changed" in out.stderr
    assert "gh secret set LOCALCI_APP_PRIVATE_KEY --env localci-gate" in out.stderr
    assert github_double.environment(REPO, "localci-gate") is None
    assert github_double.rulesets(REPO) == []
    assert not github_double.requests_to("PUT")
    assert not github_double.requests_to("POST")


def test_apply_makes_the_environment_and_the_ruleset_once(
    github_double: GitHubDouble, admin: str, tmp_path: Path
) -> None:
    args = ("--app-id", str(APP_ID), "--branch", "main", "--merge-queue", "--apply")
    out = setup_github(github_double, admin, *args, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    env = github_double.environment(REPO, "localci-gate")
    assert env is not None
    assert env.branch_policy == {"protected_branches": False, "custom_branch_policies": True}
    assert [p["name"] for p in env.branch_policies] == ["main", "gh-readonly-queue/main/*"]
    [ruleset] = github_double.rulesets(REPO)
    assert ruleset["enforcement"] == "active"
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/heads/main"]
    [rule] = ruleset["rules"]
    assert rule["parameters"]["required_status_checks"] == [
        {"context": "localci / verify", "integration_id": APP_ID}
    ]
    writes = len(github_double.requests_to("PUT")) + len(github_double.requests_to("POST"))
    again = setup_github(github_double, admin, *args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert all(line.startswith(("keep", " ")) for line in again.stdout.splitlines())
    assert len(github_double.requests_to("PUT")) + len(github_double.requests_to("POST")) == writes


def test_an_existing_ruleset_is_replaced_only_when_told(
    github_double: GitHubDouble, admin: str, tmp_path: Path
) -> None:
    first = setup_github(github_double, admin, "--app-id", "1", "--apply", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    refused = setup_github(github_double, admin, "--app-id", str(APP_ID), "--apply", cwd=tmp_path)
    assert refused.returncode == 2
    assert "already exists and differs; nothing was changed" in refused.stderr
    [ruleset] = github_double.rulesets(REPO)
    checks = ruleset["rules"][0]["parameters"]["required_status_checks"]
    assert checks[0]["integration_id"] == 1
    replaced = setup_github(
        github_double, admin, "--app-id", str(APP_ID), "--apply", "--replace", cwd=tmp_path
    )
    assert replaced.returncode == 0, replaced.stderr
    [ruleset] = github_double.rulesets(REPO)
    checks = ruleset["rules"][0]["parameters"]["required_status_checks"]
    assert checks[0]["integration_id"] == APP_ID


def test_a_token_without_admin_rights_is_a_usage_error(
    github_double: GitHubDouble, admin: str, tmp_path: Path
) -> None:
    workflow = github_double.add_token(TokenKind.ACTIONS, repo=REPO)
    out = setup_github(github_double, workflow, "--app-id", str(APP_ID), cwd=tmp_path)
    assert out.returncode == 2
    assert "GitHub refused GET /repos/octo/demo/environments/localci-gate (403" in out.stderr
    assert "admin" in out.stderr
