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

It runs ``pip-compile`` (pip-tools; ``pip install pip-tools``) against https://pypi.org
only, ignoring pip configuration files and ``PIP_*`` variables, so local mirrors or
wheel folders never leak into the lock. Needs the network.
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

__all__ = ["BUILD_REQUIREMENTS", "INDEX_URL", "LOCK", "main", "missing", "requirements"]

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "gate.txt"
INDEX_URL = "https://pypi.org/simple"
#: What building localci from source needs (``[build-system].requires``).
BUILD_REQUIREMENTS = ("hatchling",)
#: The Python the workflow installs by default (its ``python-version`` input).
PYTHON_VERSION = "3.12"
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


def compile_lock(wanted: list[str], out: Path) -> None:
    """Run pip-compile with hashes into ``out``.

    :raises SystemExit: when pip-compile is missing or fails.
    """
    tool = shutil.which("pip-compile")
    if tool is None:
        raise SystemExit("pip-compile is not installed: pip install pip-tools")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    with tempfile.TemporaryDirectory(prefix="localci-lock-") as tmp:
        source = Path(tmp) / "gate.in"
        source.write_text("\n".join(wanted) + "\n", encoding="utf-8")
        cmd = [
            tool,
            "--quiet",
            "--generate-hashes",
            "--allow-unsafe",
            "--strip-extras",
            "--no-emit-index-url",
            "--index-url",
            INDEX_URL,
            "--output-file",
            str(out),
            str(source),
        ]
        proc = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"pip-compile failed ({proc.returncode}):\n{proc.stderr}")
    text = out.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^#    pip-compile .*$", "#    python scripts/update_gate_lock.py", text)
    text = text.replace(str(source), "pyproject.toml")
    out.write_text(text, encoding="utf-8")


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
