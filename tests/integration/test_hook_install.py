"""`localci hook install/uninstall`, as pre-commit's install behaves, and the hook's input."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from localci.errors import UsageError
from localci.hooks.prepush import MARKER, hook_path, install, parse_push_lines, uninstall
from tests.conftest import REPO_ROOT, git

from .conftest import CliResult

FOREIGN = "#!/bin/sh\necho foreign hook ran >&2\nexit 0\n"


def test_install_writes_an_executable_marked_hook(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "x"})
    path = install(repo)
    assert path == repo / ".git" / "hooks" / "pre-push"
    assert MARKER in path.read_text()
    assert path.stat().st_mode & 0o111
    assert install(repo) == path  # idempotent
    assert not path.with_name("pre-push.legacy").exists()


def test_foreign_hook_is_kept_as_legacy_and_restored(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "x"})
    path = hook_path(repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FOREIGN)
    install(repo)
    assert path.with_name("pre-push.legacy").read_text() == FOREIGN
    assert uninstall(repo) is True
    assert path.read_text() == FOREIGN
    assert uninstall(repo) is False


def test_force_replaces_a_foreign_hook(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "x"})
    path = hook_path(repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FOREIGN)
    path.with_name("pre-push.legacy").write_text(FOREIGN)
    with pytest.raises(UsageError, match=r"pre-push\.legacy already exists"):
        install(repo)
    install(repo, force=True)
    assert MARKER in path.read_text()


def test_core_hooks_path_is_respected(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "x"})
    git(repo, "config", "core.hooksPath", "githooks")
    assert install(repo) == repo / "githooks" / "pre-push"


def test_legacy_hook_runs_first_and_skip_bypasses(
    make_repo: Callable[..., Path], bare_remote: Callable[[Path], Path]
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: check, run: ['false']}\n"})
    bare_remote(repo)
    path = hook_path(repo)
    path.write_text(FOREIGN)
    path.chmod(0o755)
    install(repo)
    (repo / "b.txt").write_text("y")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "b")
    blocked = subprocess.run(
        ["git", "push", "origin", "HEAD:refs/heads/main"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert blocked.returncode != 0
    assert "foreign hook ran" in blocked.stderr
    assert "push blocked: check did not pass" in blocked.stderr
    skipped = subprocess.run(
        ["git", "push", "origin", "HEAD:refs/heads/main"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "LOCALCI_SKIP": "1"},
    )
    assert skipped.returncode == 0, skipped.stderr


def test_deletions_and_tags_are_skipped(
    make_repo: Callable[..., Path],
    bare_remote: Callable[[Path], Path],
    cli: Callable[..., CliResult],
) -> None:
    repo = make_repo({".localci.yml": "stages:\n  - {name: check, run: ['false']}\n"})
    bare_remote(repo)
    install(repo)
    git(repo, "tag", "v1")
    tag = subprocess.run(
        ["git", "push", "origin", "v1"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert tag.returncode == 0, tag.stderr
    git(repo, "update-ref", "refs/remotes/origin/tmp", "HEAD")
    subprocess.run(
        ["git", "push", "origin", "HEAD:refs/heads/tmp"],
        cwd=repo,
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "LOCALCI_SKIP": "1"},
    )
    delete = subprocess.run(
        ["git", "push", "origin", ":refs/heads/tmp"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert delete.returncode == 0, delete.stderr


def test_cli_install_and_uninstall(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({"a.txt": "x"})
    assert "installed" in cli("hook", "install", cwd=repo).out
    assert "removed" in cli("hook", "uninstall", cwd=repo).out


def test_parse_push_lines() -> None:
    zero = "0" * 40
    refs = parse_push_lines(
        [
            f"refs/heads/main {'a' * 40} refs/heads/main {'b' * 40}",
            "",
            f"(delete) {zero} refs/heads/old {'c' * 40}",
            f"refs/tags/v1 {'d' * 40} refs/tags/v1 {zero}",
        ]
    )
    assert [r.is_deletion for r in refs] == [False, True, False]
    assert [r.is_tag for r in refs] == [False, False, True]
    with pytest.raises(UsageError, match="unexpected pre-push input"):
        parse_push_lines(["garbage"])


def test_pre_commit_manifest() -> None:
    [entry] = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    assert entry["id"] == "localci"
    assert entry["stages"] == ["pre-push"]
    assert entry["entry"] == "localci hook run pre-push"
    assert entry["pass_filenames"] is False
