"""`localci run --post-results` against the GitHub double and a bare remote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import git
from tests.github_double import GitHubDouble, TokenKind

from .conftest import CliResult

CONFIG = """\
stages:
  - name: lint
    kind: lint
    run: ["{python}", "-m", "ruff", "check", "--output-format=json",
          "--output-file={reports}/r.json", "."]
    report: {format: ruff-json, path: "{reports}/r.json"}
"""


def test_post_results_with_an_actions_token(
    make_repo: Callable[..., Path],
    bare_remote: Callable[[Path], Path],
    cli: Callable[..., CliResult],
    github_double: GitHubDouble,
) -> None:
    body = "".join(f"import os{i} as m{i}\n" for i in range(120))
    repo = make_repo({".localci.yml": CONFIG, "bad.py": body})
    bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo("octo/demo", commits=[sha])
    token = github_double.add_token(TokenKind.ACTIONS, repo="octo/demo")
    env = {
        "GITHUB_TOKEN": token,
        "GITHUB_API_URL": github_double.api_url,
        "GITHUB_REPOSITORY": "octo/demo",
    }
    result = cli("run", "--post-results", cwd=repo, env=env)
    assert result.code == 1, result.err  # lint failed; publishing worked
    assert "notes: delivered" in result.err
    assert "check_run: delivered" in result.err
    [run] = github_double.check_runs("octo/demo", sha)
    assert run.conclusion == "failure"
    assert len(run.annotations) == 120
    assert token not in result.err + result.out
    # Posting again resumes the same Check Run instead of creating another.
    again = cli("post", cwd=repo, env=env)
    assert again.code == 0, again.err
    assert len(github_double.check_runs("octo/demo", sha)) == 1
    fetched = cli("fetch", sha, "--no-local", "--json", cwd=repo, env=env)
    assert fetched.code == 0, fetched.err
    assert fetched.json()["channel"] == "notes"


Unpushed = tuple[Path, str, dict[str, str]]


@pytest.fixture
def unpushed(make_repo: Callable[..., Path], github_double: GitHubDouble) -> Unpushed:
    """A passing repository whose commit GitHub does not know yet, and the environment
    of a classic personal token for it: (repo, sha, env)."""
    repo = make_repo({".localci.yml": "stages:\n  - {name: a, run: [echo]}\n"})
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo("octo/demo", commits=[])
    token = github_double.add_token(TokenKind.CLASSIC, repo="octo/demo")
    env = {
        "GITHUB_TOKEN": token,
        "GITHUB_API_URL": github_double.api_url,
        "GITHUB_REPOSITORY": "octo/demo",
    }
    return repo, sha, env


def test_personal_token_posts_a_status_and_spools_unknown_commits(
    unpushed: Unpushed,
    cli: Callable[..., CliResult],
    github_double: GitHubDouble,
) -> None:
    repo, sha, env = unpushed
    result = cli("run", "--post-results", cwd=repo, env=env)
    assert result.code == 0, result.err
    assert "not on GitHub yet" in result.err
    assert len(list((repo / ".localci" / "spool").glob("*.json"))) == 1
    github_double.add_commits("octo/demo", sha)
    drained = cli("post", "--pending", cwd=repo, env=env)
    assert drained.code == 0, drained.err
    assert "status: delivered" in drained.err
    assert github_double.combined_state("octo/demo", sha) == "success"
    assert not list((repo / ".localci" / "spool").glob("*.json"))


def test_only_publishing_delivers_what_was_spooled(
    unpushed: Unpushed,
    cli: Callable[..., CliResult],
    github_double: GitHubDouble,
) -> None:
    repo, sha, env = unpushed
    assert cli("run", "--post-results", cwd=repo, env=env).code == 0
    github_double.add_commits("octo/demo", sha)
    requests = len(github_double.requests)
    later = cli("run", cwd=repo, env=env)  # a plain run never sends the spool
    assert later.code == 0, later.err
    assert "status: delivered" not in later.err
    assert len(github_double.requests) == requests
    assert len(list((repo / ".localci" / "spool").glob("*.json"))) == 1
    published = cli("run", "--post-results", cwd=repo, env=env)  # publishing does
    assert published.code == 0, published.err
    assert "status: delivered" in published.err
    assert github_double.combined_state("octo/demo", sha) == "success"
    assert not list((repo / ".localci" / "spool").glob("*.json"))
