"""Remote URLs, token kinds and where the GitHub token comes from (no network)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from localci.publish.credentials import resolve_token
from localci.publish.github import parse_repo_url, token_kind


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo/hello.git", "octo/hello"),
        ("https://github.com/octo/hello", "octo/hello"),
        ("https://github.com/octo/hello/", "octo/hello"),
        ("https://github.com/octo/hello.git/", "octo/hello"),
        ("http://github.com/octo/hello.git", "octo/hello"),
        ("https://dev@github.com/octo/hello.git", "octo/hello"),
        ("https://dev:s3cret@github.com/octo/hello.git", "octo/hello"),
        ("https://x-access-token:ghs_abc123@github.com/octo/hello", "octo/hello"),
        ("ssh://git@github.com/octo/hello.git", "octo/hello"),
        ("ssh://git@github.com:2222/octo/hello.git", "octo/hello"),
        ("ssh://github.com/octo/hello", "octo/hello"),
        ("git://github.com/octo/hello.git", "octo/hello"),
        ("git@github.com:octo/hello.git", "octo/hello"),
        ("git@github.com:octo/hello", "octo/hello"),
        ("github.com:octo/hello.git", "octo/hello"),
        ("org-123@github.com:octo/hello.git", "octo/hello"),
        # GitHub Enterprise Server: any host.
        ("https://ghe.corp.example/team/tool.git", "team/tool"),
        ("git@ghe.corp.example:team/tool.git", "team/tool"),
        ("ssh://git@ghe.corp.example:7999/team/tool.git", "team/tool"),
        ("https://ghe.corp.example/team.name/my-tool_2.git", "team.name/my-tool_2"),
    ],
)
def test_github_remote_urls(url: str, expected: str) -> None:
    assert parse_repo_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/srv/git/hello.git",
        "/srv/git/octo/hello.git",
        "../hello.git",
        "./octo/hello.git",
        "octo/hello",
        "~/src/octo/hello.git",
        "file:///srv/git/octo/hello.git",
        "C:/repos/octo/hello.git",
        "C:\\repos\\octo\\hello",
        "https://github.com/octo",
        "https://github.com/",
        "git@github.com:hello.git",
        "",
    ],
)
def test_local_paths_and_incomplete_urls_are_not_github(url: str) -> None:
    assert parse_repo_url(url) is None


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("ghp_" + "a" * 36, "personal"),  # classic personal access token
        ("github_pat_" + "b" * 82, "personal"),  # fine-grained personal access token
        ("gho_" + "c" * 36, "personal"),  # OAuth app user token
        ("ghu_" + "d" * 36, "personal"),  # GitHub App user-to-server token
        ("ghs_" + "e" * 36, "app"),  # installation or Actions GITHUB_TOKEN
        ("ghr_" + "f" * 36, "unknown"),  # refresh token: not for API calls
        ("0123456789abcdef0123456789abcdef01234567", "unknown"),  # legacy 40-hex token
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_token_kind(token: str | None, kind: str) -> None:
    assert token_kind(token) == kind


@pytest.fixture
def fake_gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``gh`` on PATH (and only it) that prints a token for ``gh auth token``."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "gh"
    script.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "${0%/*}/calls"\n'  # builtins only: PATH holds nothing else
        'if [ "$1 $2" = "auth token" ]; then echo "  gho_from_gh_cli  "; exit 0; fi\n'
        "exit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bindir))
    return bindir


def test_explicit_token_wins(fake_gh: Path) -> None:
    env = {"GITHUB_TOKEN": "ghs_env", "GH_TOKEN": "ghp_env"}
    assert resolve_token("ghp_explicit", env) == "ghp_explicit"
    assert not (fake_gh / "calls").exists()  # `gh` is never started when not needed


def test_github_token_then_gh_token(fake_gh: Path) -> None:
    assert resolve_token(None, {"GITHUB_TOKEN": "ghs_env", "GH_TOKEN": "ghp_env"}) == "ghs_env"
    assert resolve_token(None, {"GH_TOKEN": "ghp_env"}) == "ghp_env"
    assert resolve_token("", {"GITHUB_TOKEN": "", "GH_TOKEN": "ghp_env"}) == "ghp_env"
    assert not (fake_gh / "calls").exists()


def test_gh_auth_token_is_the_last_resort(fake_gh: Path) -> None:
    assert resolve_token(None, {}) == "gho_from_gh_cli"
    assert (fake_gh / "calls").read_text() == "auth token\n"


def test_environment_defaults_to_os_environ(fake_gh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GH_TOKEN", "ghp_from_environ")
    assert resolve_token(None) == "ghp_from_environ"


def test_no_token_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `gh` at all
    assert resolve_token(None, {}) is None


def test_a_failing_gh_gives_no_token(fake_gh: Path) -> None:
    (fake_gh / "gh").write_text("#!/bin/sh\necho 'not logged in' >&2\nexit 1\n")
    assert resolve_token(None, {}) is None
    (fake_gh / "gh").write_text("#!/bin/sh\necho\nexit 0\n")  # logged out: empty output
    assert resolve_token(None, {}) is None
    assert os.access(fake_gh / "gh", os.X_OK)
