"""``localci post --comment``: the PR summary from a developer's machine, against the
GitHub double, found by the head sha and updated in place on a second post."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from localci.context.summary import MARKER
from tests.conftest import git
from tests.github_double import GitHubDouble, TokenKind

from .conftest import CliResult

REPO = "octo/hello"
CONFIG = "stages:\n  - {name: ok, run: [git, --version]}\n"


def test_post_comment_finds_the_pull_request_and_updates_in_place(
    make_repo: Callable[..., Path],
    cli: Callable[..., CliResult],
    github_double: GitHubDouble,
    tmp_path: Path,
) -> None:
    repo = make_repo({".localci.yml": CONFIG})
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[sha])
    github_double.add_pull(REPO, number=3, head_sha=sha, base_sha=sha)
    token = github_double.add_token(
        TokenKind.ACTIONS, repo=REPO, permissions={"pull_requests": "write", "metadata": "read"}
    )
    summary = tmp_path / "step-summary.md"
    env = {
        "GITHUB_TOKEN": token,
        "GITHUB_API_URL": github_double.api_url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    assert cli("run", cwd=repo).code == 0
    for _ in range(2):
        posted = cli("post", "--comment", cwd=repo, env=env)
        assert posted.code == 0, posted.err
        assert "summary comment on #3" in posted.err
    (comment,) = github_double.comments(REPO, 3)
    assert comment.body.startswith(MARKER)
    assert "localci: success" in comment.body
    assert summary.read_text(encoding="utf-8").count(MARKER) == 2
