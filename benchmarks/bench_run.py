"""Side-by-side benchmark: `localci run` against the same commands run directly.

Usage: ``python benchmarks/bench_run.py [--rounds N] [--example passing]``

It copies an example project into a temporary git repository, then alternates, ``N``
times: (a) a plain shell script running the very commands of the example's stages
(pytest under coverage with JUnit XML, coverage JSON, ruff), and (b) ``localci run``
(clean worktree, process groups, report parsing, schema validation, atomic write).
It prints each median wall time and the ratio (b)/(a). Issue #2's target: within 5 %
on a suite of a few seconds. This is a measurement, never a test assertion.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A suite of "a few seconds": the example's tests plus a sleep-free CPU-bound padding test.
PADDING_TEST = """
import hashlib


def test_padding_work():
    data = b"x"
    for _ in range(8_000_000):
        data = hashlib.sha256(data).digest()
    assert len(data) == 32
"""


def make_project(example: str, workdir: Path) -> Path:
    repo = workdir / example
    shutil.copytree(ROOT / "examples" / example, repo)
    (repo / "tests" / "test_padding.py").write_text(PADDING_TEST)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "bench"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def plain_script(repo: Path, reports: Path) -> str:
    py = sys.executable
    return "\n".join(
        [
            "set -u",
            f"export PYTHONPATH={repo / 'src'}",
            f"{py} -m coverage run --data-file={reports}/.coverage -m pytest "
            f"--junitxml={reports}/junit.xml -q >/dev/null",
            f"{py} -m coverage json --data-file={reports}/.coverage -o {reports}/coverage.json -q",
            f"{Path(py).parent / 'ruff'} check --output-format=json "
            f"--output-file={reports}/ruff.json . >/dev/null",
            "true",
        ]
    )


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--example", default="passing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="localci-bench-") as tmp:
        repo = make_project(args.example, Path(tmp))
        reports = Path(tmp) / "reports"
        reports.mkdir()
        script = Path(tmp) / "plain.sh"
        script.write_text(plain_script(repo, reports))
        plain, localci = [], []
        timed([sys.executable, "-m", "localci", "run"], repo)  # warm caches once
        for _ in range(args.rounds):
            plain.append(timed(["bash", str(script)], repo))
            localci.append(timed([sys.executable, "-m", "localci", "run"], repo))
    a, b = statistics.median(plain), statistics.median(localci)
    print(f"rounds: {args.rounds} (alternating), example: {args.example}")
    print(f"(a) plain commands: median {a:.3f} s")
    print(f"(b) localci run:    median {b:.3f} s")
    print(f"ratio (b)/(a): {b / a:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
