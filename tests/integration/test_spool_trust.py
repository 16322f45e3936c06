"""The spool and `.localci/` are not trusted: a committed `.localci/` is refused, spool
entries are schema-checked and go only to the configured destination, notes refs stay
under refs/notes/, and only publishing sends the spool (issue: "the spool is trusted")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localci.attest.signed import SignedResult
from localci.errors import UsageError
from localci.publish.notes import publish_note
from localci.publish.spool import SpoolTarget, list_entries, new_entry, spool
from localci.result.codec import result_to_dict
from localci.result.model import GitInfo
from localci.result.store import Store
from tests.conftest import commit_all, git
from tests.factories import TREE, make_result
from tests.github_double import GitHubDouble, TokenKind

from .conftest import CliResult

Cli = Callable[..., CliResult]
REPO = "octo/demo"
CONFIG = "stages:\n  - {name: a, run: [echo]}\n"


def _env(double: GitHubDouble, token: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": token, "GITHUB_API_URL": double.api_url, "GITHUB_REPOSITORY": REPO}


def _target(double: GitHubDouble, **changes: str) -> SpoolTarget:
    fields: dict[str, Any] = {
        "repo": REPO,
        "api_url": double.api_url,
        "remote": "origin",
        "notes_ref": "refs/notes/localci",
        "check_name": "localci",
        "status_context": "localci",
        **changes,
    }
    return SpoolTarget(**fields)


def _spool_for(repo: Path, sha: str, target: SpoolTarget, channel: str = "github") -> Path:
    signed = SignedResult(document=result_to_dict(make_result(git=GitInfo(commit=sha, tree=TREE))))
    entry = new_entry(channel, sha, "unreachable", "down", target, signed)  # type: ignore[arg-type]
    return spool(Store(repo), entry)


@pytest.fixture
def world(
    make_repo: Callable[..., Path], bare_remote: Callable[[Path], Path], github_double: GitHubDouble
) -> tuple[Path, Path, str, dict[str, str]]:
    repo = make_repo({".localci.yml": CONFIG})
    remote = bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    github_double.add_repo(REPO, commits=[sha])
    env = _env(github_double, github_double.add_token(TokenKind.ACTIONS, repo=REPO))
    return repo, remote, sha, env


def test_a_committed_localci_folder_is_refused(
    world: tuple[Path, Path, str, dict[str, str]], cli: Cli, github_double: GitHubDouble
) -> None:
    repo, _, sha, env = world
    path = _spool_for(repo, sha, _target(github_double))
    path.parent.parent.joinpath(".gitignore").unlink()
    commit_all(repo, "ship a spool")
    for args in (("run",), ("post", "--pending"), ("run", "--post-results")):
        result = cli(*args, cwd=repo, env=env)
        assert result.code == 2, (args, result.err)
        assert "refuses a committed .localci/" in result.err
        assert "git rm -r --cached .localci" in result.err
    assert github_double.requests == []


def test_an_entry_for_another_api_url_or_repository_is_not_sent(
    world: tuple[Path, Path, str, dict[str, str]], cli: Cli, github_double: GitHubDouble
) -> None:
    repo, _, sha, env = world
    other = git(repo, "commit", "--allow-empty", "-qm", "x") or git(repo, "rev-parse", "HEAD")
    github_double.add_commits(REPO, other)
    _spool_for(repo, sha, _target(github_double, api_url="https://evil.example/api"))
    _spool_for(repo, other, _target(github_double, repo="evil/loot"))
    result = cli("post", "--pending", cwd=repo, env=env)
    assert result.code == 0, result.err
    assert result.err.count("github: skipped: spooled post") == 2
    assert "https://evil.example/api" in result.err
    assert github_double.requests == []
    assert len(list_entries(Store(repo))) == 2  # left for a human, never sent


def test_an_invalid_entry_is_never_sent(
    world: tuple[Path, Path, str, dict[str, str]], cli: Cli, github_double: GitHubDouble
) -> None:
    repo, remote, sha, env = world
    path = _spool_for(repo, sha, _target(github_double), channel="notes")
    doc = json.loads(path.read_text())
    doc["target"]["notes_ref"] = "refs/heads/main"  # push a branch through the notes channel
    path.write_text(json.dumps(doc))
    before = git(remote, "rev-parse", "refs/heads/main")
    result = cli("post", "--pending", cwd=repo, env=env)
    assert result.code == 0, result.err
    assert "nothing is spooled" in result.err
    assert git(remote, "rev-parse", "refs/heads/main") == before
    assert path.exists()
    assert github_double.requests == []


def test_a_spooled_result_for_another_commit_is_invalid(
    world: tuple[Path, Path, str, dict[str, str]], github_double: GitHubDouble
) -> None:
    repo, _, sha, _ = world
    path = _spool_for(repo, sha, _target(github_double))
    doc = json.loads(path.read_text())
    doc["sha"] = "0" * 40
    path.write_text(json.dumps(doc))
    assert list_entries(Store(repo)) == []


def test_notes_refs_stay_under_refs_notes(
    make_repo: Callable[..., Path], bare_remote: Callable[[Path], Path]
) -> None:
    repo = make_repo({"a.txt": "1"})
    remote = bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    before = git(remote, "rev-parse", "refs/heads/main")
    signed = SignedResult(document={"n": 1})
    for ref in ("refs/heads/main", "refs/notes/../heads/main", "refs/tags/v1"):
        with pytest.raises(UsageError, match="not under refs/notes/"):
            publish_note(repo, sha, signed, remote="origin", ref=ref)
    assert git(remote, "rev-parse", "refs/heads/main") == before
    assert git(repo, "for-each-ref", "refs/tags") == ""


def test_the_pre_push_hook_refuses_a_committed_localci_folder(
    make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from localci.hooks.prepush import run_pre_push
    from localci.run.console import ConsoleReporter

    repo = make_repo({".localci.yml": CONFIG, ".localci/cache/x.json": "{}"})
    sha = git(repo, "rev-parse", "HEAD")
    line = f"refs/heads/main {sha} refs/heads/main {'0' * 40}"
    code = run_pre_push(repo, "origin", [line], reporter=ConsoleReporter(), env={})
    assert code == 1
    assert "refuses a committed .localci/" in capsys.readouterr().err
    assert not (repo / ".localci" / "results").exists()  # nothing ran
