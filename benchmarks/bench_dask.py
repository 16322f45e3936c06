"""Sharding benchmark (issue #15): one run, side by side, of the same generated project
unsharded and sharded over 1, 2 and 4 local Dask workers; then the merge on its own.

Usage: ``python benchmarks/bench_dask.py [--files 60] [--tests 10] [--work-ms 15]
[--rounds 1] [--write]``

The project is ``tests/dask_project.py``'s, grown to ``--files`` test files of
``--tests`` tests, each test spending ``--work-ms`` of CPU (sha256 in a loop), with the
default tests (pytest under coverage, JUnit XML) and coverage stages. Ways:

1. ``unsharded``: ``localci run --executor local --no-cache``;
2. ``dask, N workers`` for N in 1, 2, 4: a fresh ``dask scheduler`` and N single-thread
   ``dask worker`` processes on loopback (``tests/dask_cluster.py``), started before the
   timer, then ``localci run --executor dask --scheduler ADDRESS --no-cache``.

The first sharded run of each cluster is a warm-up that also writes the durations
history; the timed runs are balanced by it. Reported: the median wall time of each way,
the tests stage's own duration and its ratio to the unsharded one, and the merge cost
alone: the JUnit merge and the coverage combine of the 4-worker run's shard files,
timed in-process (``localci.run.shard.merge``). The machine's cores bound what more
workers can win here; docs/dask.md projects to real machines from these figures.
Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localci.run.shard.merge import combine_coverage, merge_junit  # noqa: E402
from tests.dask_cluster import LoopbackCluster  # noqa: E402
from tests.dask_project import write_project  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS-dask.md"
WORK = """
import hashlib


def spend(ms: float) -> None:
    end = __import__("time").process_time() + ms / 1000
    data = b"x"
    while __import__("time").process_time() < end:
        data = hashlib.sha256(data).digest()
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_project(folder: Path, files: int, tests: int, work_ms: float) -> Path:
    repo = folder / "project"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    write_project(repo, files=files, tests_per_file=tests, failing=())
    (repo / "tests" / "conftest.py").write_text(
        WORK + f"\n\nimport pytest\n\n\n@pytest.fixture(autouse=True)\n"
        f"def _work() -> None:\n    spend({work_ms})\n"
    )
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=b@example.com", "commit", "-qm", "x")
    return repo


def localci(repo: Path, *args: str) -> tuple[float, dict[str, object]]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "localci", "run", "--no-cache", "--json", *args],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"localci run {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return wall, json.loads(proc.stdout)


def stage_seconds(doc: dict[str, object]) -> float:
    stages = doc["stages"]
    assert isinstance(stages, list)
    return float(next(s for s in stages if s["name"] == "tests")["duration"])


def time_way(repo: Path, rounds: int, *args: str) -> tuple[float, float, dict[str, object]]:
    walls: list[float] = []
    stage: list[float] = []
    doc: dict[str, object] = {}
    for _ in range(rounds):
        wall, doc = localci(repo, *args)
        walls.append(wall)
        stage.append(stage_seconds(doc))
    return statistics.median(walls), statistics.median(stage), doc


def merge_cost(repo: Path, doc: dict[str, object]) -> tuple[float, float, int]:
    """Seconds for the JUnit merge and the coverage combine of one run's shard files."""
    shards = repo / ".localci" / "runs" / str(doc["run_id"]) / "reports" / "shards"
    junits = sorted(shards.glob("*/reports/junit.xml"))
    datas = sorted(shards.glob("*/reports/.coverage"))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        merge_junit([p.read_bytes() for p in junits], Path(tmp) / "junit.xml")
        t1 = time.perf_counter()
        combine_coverage(datas, Path(tmp) / ".coverage", repo)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, len(junits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--work-ms", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="localci-bench-dask-") as tmp:
        repo = make_project(Path(tmp), args.files, args.tests, args.work_ms)
        localci(repo, "--executor", "local")  # warm-up
        wall, stage, plain = time_way(repo, args.rounds, "--executor", "local")
        rows.append(("unsharded", wall, stage))
        last: dict[str, object] = {}
        for workers in (1, 2, 4):
            cluster = LoopbackCluster(Path(tmp) / f"cluster{workers}", workers=workers)
            try:
                cluster.start()
                localci(repo, "--scheduler", cluster.address)  # warm-up, writes durations
                wall, stage, last = time_way(repo, args.rounds, "--scheduler", cluster.address)
            finally:
                cluster.close()
            rows.append((f"dask, {workers} worker{'s' if workers > 1 else ''}", wall, stage))
        junit_s, cov_s, shards = merge_cost(repo, last)
    total = int(plain["stages"][0]["metrics"]["tests"]["total"])  # type: ignore[index]
    report = render(args, rows, total, junit_s, cov_s, shards)
    print(report)
    if args.write:
        RESULTS.write_text(report)


def render(
    args: argparse.Namespace,
    rows: list[tuple[str, float, float]],
    total: int,
    junit_s: float,
    cov_s: float,
    shards: int,
) -> str:
    base = rows[0][2]
    lines = [
        "# localci sharding benchmark (issue #15)",
        "",
        f"Generated by `python benchmarks/bench_dask.py --write` ({args.rounds} round(s)); "
        "how it measures: the script's docstring.",
        "",
        f"Project: {args.files} test files x {args.tests} tests = {total} tests, "
        f"{args.work_ms:g} ms of CPU each, under coverage. Machine: {os.cpu_count()} cores, "
        f"`{platform.platform()}`, Python {platform.python_version()}.",
        "",
        "| way | localci run wall (s) | tests stage (s) | tests stage vs unsharded |",
        "|---|---|---|---|",
    ]
    for name, wall, stage in rows:
        lines.append(f"| {name} | {wall:.2f} | {stage:.2f} | {stage / base:.2f}x |")
    lines += [
        "",
        f"Merge cost alone ({shards} shards, {total} tests): JUnit merge {junit_s * 1000:.0f} ms, "
        f"coverage combine {cov_s * 1000:.0f} ms.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
