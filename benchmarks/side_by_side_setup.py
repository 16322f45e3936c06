"""Set-up for ``bench_side_by_side.py``: localci's own environment and the subject
repository (click from its PyPI sdist, with its ``.venv``)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("click", "8.5.1")
PROJECT_TOOLS = ("pytest==9.2.0", "coverage==7.17.3", "ruff==0.17.5")
"""The project environment's tools (click's tests need nothing else)."""


def run(argv: Sequence[str], **kwargs: object) -> str:
    """Run ``argv``; its stdout. :raises CalledProcessError: when it fails."""
    done = subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    return str(done.stdout).strip()


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], cwd=repo)


def tool_env(workdir: Path) -> Path:
    """localci's own environment (a regular install of this checkout), made once per
    state of the checkout's files."""
    tracked = run(["git", "ls-files", "-s", "localci", "pyproject.toml", "schemas"], cwd=ROOT)
    state = tracked + run(["git", "diff", "HEAD", "--", "localci", "schemas"], cwd=ROOT)
    key = hashlib.sha256(state.encode()).hexdigest()[:12]
    venv = workdir / f"localci-{key}"
    if not (venv / ".ready").is_file():
        print(f"installing localci into its own environment {venv} ...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(ROOT)])
        (venv / ".ready").write_text(key + "\n")
    return venv / "bin" / "localci"


def fetch_sdist(workdir: Path) -> Path:
    """The pinned sdist (downloaded once into ``workdir``)."""
    name, version = PROJECT
    folder = workdir / "sdists"
    found = sorted(folder.glob(f"{name}-{version}.tar.gz"))
    if not found:
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
             ":all:", f"{name}=={version}", "-d", str(folder)])  # fmt: skip
        found = sorted(folder.glob(f"{name}-{version}.tar.gz"))
    return found[0]


def make_repo(workdir: Path) -> tuple[Path, Path]:
    """The project committed in a fresh repository, its ``.venv`` beside the code (kept
    out of git): (repository, venv)."""
    dest = workdir / "run"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir()
    with tarfile.open(fetch_sdist(workdir)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Pythons without PEP 706
            tar.extractall(dest)  # noqa: S202 - a pinned sdist from PyPI
    repo = next(p for p in dest.iterdir() if p.is_dir())
    git(repo, "init", "-q")
    (repo / ".git" / "info" / "exclude").write_text(".venv/\n.localci/\n")
    git(repo, "add", "-A")
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    git(repo, *ident, "-c", "commit.gpgsign=false", "commit", "-qm", "benchmark subject")
    venv = repo / ".venv"
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    run([*pip, *PROJECT_TOOLS, "-e", str(repo)])
    return repo, venv
