"""Benchmark: wall time of `localci verify` on a stored, signed result, offline.

Usage: ``python benchmarks/bench_verify.py [--rounds N] [--importtime]``

Set-up: a temporary git repository with a one-stage configuration; ``localci run --sign``
against the in-process Sigstore double (``tests/sigstore_double``), which is stopped as
soon as the bundle is written, so verification has no server to talk to. Then, ``N``
times, a fresh interpreter runs ``python -m localci verify --json`` with the double's
trust config: the measured time includes interpreter start-up and every import, as in a
merge-gate workflow step. It prints the median (and min/max) against the target of
1.5 s. ``--importtime`` adds the slowest imports of one run (``python -X importtime``).
This is a measurement, never a test assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sigstore_double import SigstoreDouble  # noqa: E402

TARGET_SECONDS = 1.5
IDENTITY = "bench@example.com"


def _git(repo: Path, *args: str) -> None:
    """Run git quietly in ``repo``; raise on failure."""
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _localci(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m localci ARGS`` in ``cwd`` with ``env`` added; captured, never raises."""
    return subprocess.run(
        [sys.executable, "-m", "localci", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def make_signed_repo(workdir: Path) -> tuple[Path, Path, Path]:
    """A repository whose HEAD has a signed result; returns (repo, policy, trust config).

    The Sigstore double runs only while signing.
    """
    repo = workdir / "project"
    repo.mkdir()
    (workdir / "double").mkdir()
    with SigstoreDouble(workdir / "double") as double:
        config = {
            "version": 1,
            "stages": [{"name": "hello", "run": ["true"]}],
            "verify": {
                "signers": [{"identity": IDENTITY, "issuer": double.issuer_url}],
                "max_age": "1d",
            },
        }
        (repo / ".localci.yml").write_text(json.dumps(config, indent=2), encoding="utf-8")
        _git(repo, "init", "-q")
        _git(repo, "add", "-A")
        _git(repo, "-c", "user.name=bench", "-c", f"user.email={IDENTITY}", "commit", "-qm", "b")
        trust = double.write_trust_config(workdir / "trust_config.json")
        signed = _localci(
            "run",
            "--sign",
            "--trust-config",
            str(trust),
            cwd=repo,
            env={"SIGSTORE_ID_TOKEN": double.mint_token(IDENTITY)},
        )
        if signed.returncode != 0:
            sys.exit(f"signing failed ({signed.returncode}):\n{signed.stderr}")
    return repo, repo / ".localci.yml", trust


def verify_argv(policy: Path, trust: Path) -> list[str]:
    """The measured command: verify HEAD's stored result under ``policy``, offline."""
    return [
        sys.executable,
        "-m",
        "localci",
        "verify",
        "--json",
        "--policy",
        str(policy),
        "--trust-config",
        str(trust),
    ]


def timed_verify(argv: list[str], repo: Path) -> float:
    """Seconds for one ``localci verify``; exits when the result is not accepted."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=repo, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"verify exited {proc.returncode}, expected 0:\n{proc.stdout}{proc.stderr}")
    return elapsed


def slowest_imports(argv: list[str], repo: Path, top: int = 15) -> list[tuple[int, int, str]]:
    """``(cumulative microseconds, nesting depth, module)`` of one run's slowest imports
    (``python -X importtime``; depth 0 is an import made by the command itself)."""
    proc = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((int(cumulative), depth, name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument(
        "--importtime", action="store_true", help="Also show the slowest imports of one run."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="localci-bench-verify-") as tmp:
        repo, policy, trust = make_signed_repo(Path(tmp))
        argv = verify_argv(policy, trust)
        timed_verify(argv, repo)  # warm the bytecode and page caches once
        times = [timed_verify(argv, repo) for _ in range(args.rounds)]
        imports = slowest_imports(argv, repo) if args.importtime else []
    median = statistics.median(times)
    print(f"localci verify (subprocess, offline, signed by the double): {args.rounds} runs")
    print(f"median {median:.3f} s  (min {min(times):.3f}, max {max(times):.3f})")
    verdict = "within" if median < TARGET_SECONDS else "ABOVE"
    print(f"target < {TARGET_SECONDS:.1f} s: {verdict}")
    if imports:
        print("slowest imports (cumulative):")
        for micros, depth, name in imports:
            print(f"  {micros / 1000:8.1f} ms  {'  ' * depth}{name}")


if __name__ == "__main__":
    main()
