"""Shared test harness.

- The network guard: any socket connection or name lookup that leaves this machine
  raises :class:`InternetAccessError`, so a test that tries the internet fails.
- git runs with a private global config (identity, default branch ``main``).
- Sigstore's caches (XDG folders) point into the session's temp folder.
- Fixtures make real git repositories and bare remotes.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"

pytest_plugins = ["tests.sigstore_double.plugin", "tests.github_double.plugin"]


class InternetAccessError(RuntimeError):
    """A test tried to reach an address outside this machine."""


def _is_local_host(host: object) -> bool:
    if host in (None, "", "localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guard_address(sock: socket.socket, address: object) -> None:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
    if inet and not _is_local_host(address[0]):  # type: ignore[index]
        raise InternetAccessError(f"test tried to reach {address[0]}:{address[1]}")  # type: ignore[index]


def _guarded_connect(self: socket.socket, address: object) -> None:
    _guard_address(self, address)
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _guard_address(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    if not _is_local_host(host):
        raise InternetAccessError(f"test tried to look up {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Developer\n\temail = dev@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    saved = dict(os.environ)
    os.environ.update(
        {
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "NO_COLOR": "1",
            # Kept checkouts (localci.run.reuse) go to the session's temp folder.
            "LOCALCI_WORKTREE_DIR": str(home / "worktrees"),
        }
    )
    (home / "worktrees").mkdir(exist_ok=True)
    for name in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "SIGSTORE_ID_TOKEN",
        "GITHUB_ACTIONS",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "LOCALCI_SKIP",
        "PYTHONPATH",
    ):
        os.environ.pop(name, None)
    yield
    os.environ.clear()
    os.environ.update(saved)


def process_running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie does not count), allowing up to 2.5 s for a
    signal to land."""
    for _ in range(50):
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split()[2] == "Z":
                    return False
        except (ProcessLookupError, FileNotFoundError):
            return False
        time.sleep(0.05)
    return True


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` for a test; its stdout."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def commit_all(repo: Path, message: str = "commit") -> str:
    """Stage everything, commit, and return the new commit's sha."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Make a git repository with ``files`` ({relative path: text}) committed.

    ``example=NAME`` copies ``examples/NAME`` in first. ``commit=False`` leaves it
    without commits.
    """
    counter = {"n": 0}

    def make(
        files: dict[str, str] | None = None, *, example: str | None = None, commit: bool = True
    ) -> Path:
        counter["n"] += 1
        repo = tmp_path / f"repo{counter['n']}"
        if example:
            shutil.copytree(EXAMPLES / example, repo)
        repo.mkdir(exist_ok=True)
        for rel, text in (files or {}).items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
        git(repo, "init", "-q")
        if commit:
            commit_all(repo, "initial")
        return repo

    return make


@pytest.fixture
def bare_remote(tmp_path: Path) -> Callable[[Path], Path]:
    """Make a bare repository, add it as ``origin`` of ``repo``, push ``main`` to it."""

    def make(repo: Path) -> Path:
        remote = tmp_path / f"{repo.name}-origin.git"
        git(tmp_path, "init", "-q", "--bare", str(remote))
        git(repo, "remote", "add", "origin", str(remote))
        git(repo, "push", "-q", "origin", "HEAD:refs/heads/main")
        return remote

    return make


@pytest.fixture(scope="session")
def python_exe() -> str:
    """The Python running the tests (and so localci under test)."""
    return sys.executable
