"""Helpers for driving the real CLI in-process (fast) or as a subprocess (signals)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localci.cli.main import main
from tests.conftest import git
from tests.github_double import GitHubDouble, TokenKind
from tests.integration.gate_world import World, make_world
from tests.sigstore_double import SigstoreDouble


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run ``localci ARGS`` in-process in ``cwd``; exit code, stdout and stderr."""

    def invoke(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CliResult:
        monkeypatch.chdir(cwd)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return CliResult(code=code, out=captured.out, err=captured.err)

    return invoke


PYTEST_STAGE = """\
  - name: tests
    kind: tests
    run: ["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider",
          "--junitxml={reports}/junit.xml"]
    report: {format: junit, path: "{reports}/junit.xml"}
"""
"""A ``tests`` stage running pytest with a JUnit report: one item of ``stages:``."""

SIGNED_CONFIG = """\
stages:
  - {name: hello, run: [echo, hi]}
verify:
  signers:
    - {identity: dev@example.com, issuer: ISSUER}
  max_age: 1d
"""
"""The configuration of :func:`signed_repo` (``ISSUER``: the Sigstore double's)."""


@dataclass(frozen=True)
class SignedRepo:
    """A repository whose HEAD ``localci run --sign`` signed as ``dev@example.com``
    through the Sigstore double: ``run`` is what that command said, ``token`` the
    identity token it signed with."""

    repo: Path
    issuer: str
    token: str
    trust_config: Path
    run: CliResult
    cli: Callable[..., CliResult]

    @property
    def results(self) -> Path:
        """The folder of the stored result and its bundles."""
        return self.repo / ".localci" / "results"

    def verify(self) -> CliResult:
        """``localci verify --json`` under the repository's own configuration."""
        policy = str(self.repo / ".localci.yml")
        trust = str(self.trust_config)
        return self.cli(
            "verify", "--policy", policy, "--trust-config", trust, "--json", cwd=self.repo
        )


@pytest.fixture
def signed_repo(
    make_repo: Callable[..., Path],
    cli: Callable[..., CliResult],
    sigstore_trust_config: Path,
    sigstore_double: SigstoreDouble,
    sigstore_home: Path,
) -> SignedRepo:
    """A one-stage repository (:data:`SIGNED_CONFIG`) after ``localci run --sign``."""
    issuer = sigstore_double.issuer_url
    repo = make_repo({".localci.yml": SIGNED_CONFIG.replace("ISSUER", issuer)})
    token = sigstore_double.mint_token("dev@example.com")
    trust = str(sigstore_trust_config)
    run = cli("run", "--sign", "--trust-config", trust, cwd=repo, env={"SIGSTORE_ID_TOKEN": token})
    assert run.code == 0, run.err
    return SignedRepo(
        repo=repo, issuer=issuer, token=token, trust_config=sigstore_trust_config, run=run, cli=cli
    )


@dataclass(frozen=True)
class HostedRepo:
    """A repository with a bare ``origin``, known to the GitHub double as ``name``:
    ``sha`` its HEAD, ``token`` an Actions token that may write Check Runs and
    attestations, ``env`` the variables a workflow job sets for it."""

    repo: Path
    name: str
    sha: str
    token: str
    env: dict[str, str]


@pytest.fixture
def host_repo(
    make_repo: Callable[..., Path],
    bare_remote: Callable[[Path], Path],
    github_double: GitHubDouble,
) -> Callable[[str], HostedRepo]:
    """``host(config)``: a new repository with ``.localci.yml`` ``config``, pushed to a bare
    remote and hosted on the GitHub double as ``octo/demo``."""

    def host(config: str) -> HostedRepo:
        name = "octo/demo"
        repo = make_repo({".localci.yml": config})
        bare_remote(repo)
        sha = git(repo, "rev-parse", "HEAD")
        github_double.add_repo(name, commits=[sha])
        permissions = {"checks": "write", "attestations": "write", "contents": "read"}
        token = github_double.add_token(TokenKind.ACTIONS, repo=name, permissions=permissions)
        env = {"GITHUB_TOKEN": token, "GITHUB_API_URL": github_double.api_url}
        env["GITHUB_REPOSITORY"] = name
        return HostedRepo(repo=repo, name=name, sha=sha, token=token, env=env)

    return host


@pytest.fixture
def world(
    tmp_path: Path,
    sigstore_double: SigstoreDouble,
    github_double: GitHubDouble,
    sigstore_home: Path,
) -> World:
    """The end-to-end gate harness of :mod:`tests.integration.gate_world`: origin with
    ``main`` and ``weak``, a developer clone with the hook, the gate's App installed."""
    return make_world(tmp_path, sigstore_double, github_double)


def localci_subprocess(
    *args: str, cwd: Path, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.Popen[str]:
    """Start ``python -m localci ARGS`` as a real process (for signals and stdin)."""
    return subprocess.Popen(
        [sys.executable, "-m", "localci", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def make_venv(env_dir: Path, *, symlinks: bool = False) -> tuple[Path, str]:
    """A new virtual environment (without pip) at ``env_dir``: its interpreter and its
    ``purelib`` folder, as that interpreter reports it."""
    import venv

    venv.create(env_dir, with_pip=False, symlinks=symlinks)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return python, site


PROJECT_DISTRIBUTIONS = ("pip", "pytest", "coverage", "hatchling", "editables")
"""What a small project's own environment holds (with their requirements): pip, its test
tools and a build backend."""


def _with_requirements(names: tuple[str, ...]) -> list[str]:
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop()
        if name.lower() in seen:
            continue
        seen.append(name.lower())
        for text in metadata.requires(name) or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


@pytest.fixture(scope="session")
def project_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a project environment separate from localci's (made once per
    session): a real ``venv``, into which the distributions in
    :data:`PROJECT_DISTRIBUTIONS` and their requirements are installed by copying the
    files their own ``RECORD`` lists from the test environment (offline: nothing is
    downloaded). localci is not importable there."""
    import shutil
    import sysconfig
    from importlib import metadata

    env_dir = tmp_path_factory.mktemp("project-env") / "venv"
    python, site = make_venv(env_dir, symlinks=True)
    ours = Path(sysconfig.get_paths()["purelib"])
    for name in _with_requirements(PROJECT_DISTRIBUTIONS):
        for file in metadata.distribution(name).files or ():
            source = Path(str(file.locate()))
            if not source.is_file() or not source.is_relative_to(ours):
                continue  # console scripts and other files outside site-packages
            target = Path(site) / source.relative_to(ours)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    check = subprocess.run(
        [str(python), "-c", "import pytest, coverage\nimport localci"],
        cwd=env_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "No module named 'localci'" in check.stderr, check.stderr
    return python
