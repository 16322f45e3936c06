#!/usr/bin/env python3
"""Regenerate ``requirements/gate.txt``: the hash-locked dependencies of the verifier workflow.

The reusable verifier workflow (``.github/workflows/localci-verify.yml``) installs localci
from its own repository at the exact commit the caller pinned, and everything localci
needs from this lock with ``pip install --require-hashes --no-deps``: nothing is installed
by bare name or version. The lock holds localci's runtime dependencies (read from
``pyproject.toml``) and its build backend (``hatchling``, so the source installs with
``--no-build-isolation --no-index``), pinned with the sha256 of every file PyPI has for
each pinned version (any platform).

Usage::

    python scripts/update_gate_lock.py            # rewrite requirements/gate.txt
    python scripts/update_gate_lock.py --check    # exit 1 if the lock misses a dependency

It runs ``uv pip compile`` (``pip install uv``) for the Python and platform the workflow
installs on: ``--python-version`` :data:`PYTHON_VERSION` (the workflow's
``python-version`` default, which its ``actions/setup-python`` step installs) and
``--python-platform`` :data:`PYTHON_PLATFORM` (``runs-on: ubuntu-latest``), so the
dependency markers are those of the gate's interpreter, not of whichever Python runs
this script. It resolves against https://pypi.org only, ignoring uv and pip configuration
files and ``UV_*``/``PIP_*`` variables, so local mirrors or wheel folders never leak into
the lock, and only versions that have wheels (the workflow installs with
``--only-binary :all:``). The lock's header states its target (``# target: Python 3.12
on x86_64-unknown-linux-gnu``); a test checks it against the workflow. Needs the
network.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "BUILD_REQUIREMENTS",
    "INDEX_URL",
    "LOCK",
    "PYTHON_PLATFORM",
    "PYTHON_VERSION",
    "TARGET",
    "main",
    "missing",
    "requirements",
    "target",
]

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "gate.txt"
INDEX_URL = "https://pypi.org/simple"
#: What building localci from source needs (``[build-system].requires``).
BUILD_REQUIREMENTS = ("hatchling",)
#: The Python the workflow installs by default (its ``python-version`` input).
PYTHON_VERSION = "3.12"
#: The platform of the workflow's runner (``runs-on: ubuntu-latest``), as uv names it.
PYTHON_PLATFORM = "x86_64-unknown-linux-gnu"
#: The lock's header line naming what it was compiled for.
TARGET = f"# target: Python {PYTHON_VERSION} on {PYTHON_PLATFORM}"
_TARGET = re.compile(r"^# target: Python (\S+) on (\S+)$", re.MULTILINE)
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """localci's runtime requirements and its build backend, as requirement strings."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    build = [r for r in data["build-system"]["requires"]]
    return [*data["project"]["dependencies"], *build]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def missing(lock_text: str, wanted: list[str]) -> list[str]:
    """Requirements of ``wanted`` (for this Python) that have no pinned line in the lock."""
    from packaging.requirements import Requirement

    pinned = {
        _canonical(m.group(1))
        for line in lock_text.splitlines()
        if (m := _NAME.match(line)) and "==" in line
    }
    out = []
    for text in wanted:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"python_version": PYTHON_VERSION}):
            continue
        if _canonical(req.name) not in pinned:
            out.append(text)
    return out


def target(lock_text: str) -> tuple[str, str] | None:
    """The ``(python version, platform)`` a lock's header says it was compiled for."""
    match = _TARGET.search(lock_text)
    return (match.group(1), match.group(2)) if match else None


def compile_lock(wanted: list[str], out: Path) -> None:
    """Run ``uv pip compile`` with hashes, for :data:`PYTHON_VERSION` on
    :data:`PYTHON_PLATFORM`, into ``out``.

    :raises SystemExit: when uv is missing or fails.
    """
    tool = shutil.which("uv")
    if tool is None:
        raise SystemExit("uv is not installed: pip install uv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    with tempfile.TemporaryDirectory(prefix="localci-lock-") as tmp:
        source = Path(tmp) / "gate.in"
        source.write_text("\n".join(wanted) + "\n", encoding="utf-8")
        compiled = Path(tmp) / "gate.txt"
        cmd = [
            tool,
            "pip",
            "compile",
            "--quiet",
            "--no-config",
            "--generate-hashes",
            "--python-version",
            PYTHON_VERSION,
            "--python-platform",
            PYTHON_PLATFORM,
            "--only-binary",
            ":all:",
            "--default-index",
            INDEX_URL,
            "--custom-compile-command",
            "python scripts/update_gate_lock.py",
            "--output-file",
            str(compiled),
            str(source),
        ]
        proc = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"uv pip compile failed ({proc.returncode}):\n{proc.stderr}")
        text = compiled.read_text(encoding="utf-8").replace(str(source), "pyproject.toml")
    out.write_text(f"{TARGET}\n{text}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the lock")
    args = parser.parse_args(argv)
    wanted = requirements()
    if args.check:
        gaps = missing(LOCK.read_text(encoding="utf-8"), wanted)
        for gap in gaps:
            print(f"{LOCK.relative_to(ROOT)}: no pin for {gap}", file=sys.stderr)
        return 1 if gaps else 0
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    compile_lock(wanted, LOCK)
    print(f"wrote {LOCK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
