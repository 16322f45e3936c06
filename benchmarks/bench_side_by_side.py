"""Side-by-side benchmark (issue #11): ``localci run`` against the same commands run directly.

Usage: ``python benchmarks/bench_side_by_side.py [--rounds 5] [--workdir DIR] [--write]
[--extras]``

The subject is a real project of about 2,000 tests, click (:data:`PROJECT`, its PyPI
sdist, which ships its tests), set up as its developers and localci's README set it up:

- the project's own environment at ``<repository>/.venv``: pinned pytest, coverage and
  ruff (:data:`PROJECT_TOOLS`), and click itself installed editable (``pip install -e``);
- localci in an environment of its own, installed from this checkout as ``pipx`` would
  (a regular, not editable, install), so it never shares a package with the project;
- one commit, no ``.localci.yml``: localci's embedded default configuration (tests under
  coverage with JUnit XML, coverage JSON, ruff), whose ``{python}`` resolves to ``.venv``.

The ways, each from the repository, with the same environment:

1. ``plain``: a bash script running the default configuration's three commands one after
   another in the work tree, with the ``PATH`` and ``PYTHONPATH`` localci gives its stages
   (output discarded, exit codes checked) -- the floor;
2. ``localci -j1``: ``localci run --jobs 1 --no-cache``;
3. ``localci default``: ``localci run --no-cache`` (as many jobs as CPUs);
4. ``localci cached``: ``localci run`` on a tree that already passed (a cache hit);
5. ``plain, again``: (1) once more in the round, the control: how far this machine alone
   moves a ratio (no difference between the ways within it can be read).

With ``--extras``, one informational way more: (2) with a temporary worktree per run
(``LOCALCI_FRESH_WORKTREE=1``) instead of the kept checkout, which shows what re-using one
checkout and its bytecode saves.

``PYTHONDONTWRITEBYTECODE`` is removed from every way's environment (some machines set it
globally; a developer's usually does not), so each way keeps the bytecode it writes: the
plain script in the work tree, localci in its kept checkout.

Each round runs every way once, the order rotating between rounds; one unrecorded warm-up
run of each comes first and checks that it succeeds (and that the cached way is a cache
hit). It prints medians and ratios to (1); ``--write`` also writes
``benchmarks/RESULTS.md``. The targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import side_by_side_instructions as instructions
import side_by_side_report as report
from side_by_side_setup import PROJECT, PROJECT_TOOLS, ROOT, git, make_repo, tool_env

from localci.config.defaults import DEFAULT_CONFIG_YAML

WAYS = ("plain", "localci -j1", "plain, again", "localci default", "localci cached")
"""In cyclic order (each round starts one further along); the control sits between the
localci ways that run the stages, so its distance from (1) in a round lies between theirs."""
EXTRA_WAYS = ("localci -j1, fresh worktree",)
TIMEOUT = 900.0
_ACCEPTED_EXIT = {"tests": (0, 1), "coverage": (0, 2), "lint": (0, 1)}
"""Exit codes after which each default stage's tool has written its report."""


@dataclass(frozen=True, kw_only=True)
class Subject:
    """The benchmark repository and what runs in it."""

    repo: Path
    venv: Path
    """The project's environment (``<repo>/.venv``)."""
    localci: Path
    """The ``localci`` command of localci's own environment."""
    plain: Path
    """The plain script (outside the repository)."""
    reports: Path
    """Where the plain script writes its reports; emptied before each run."""
    timings: Path
    """Where the plain script writes each command's wall time (s), one line each."""


# -- the plain script ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Command:
    """One stage of the default configuration, as the plain script runs it."""

    name: str
    argv: tuple[str, ...]
    accepted: tuple[int, ...]


def default_commands(venv: Path, reports: Path) -> tuple[Command, ...]:
    """The embedded default's stages in order, ``{python}`` and ``{reports}`` expanded
    as localci expands them (its stages are ``tests`` -> ``coverage``, and ``lint``)."""
    doc = yaml.safe_load(DEFAULT_CONFIG_YAML)
    python = str(venv / "bin" / "python")

    def expand(arg: str) -> str:
        return arg.replace("{python}", python).replace("{reports}", str(reports))

    return tuple(
        Command(
            name=s["name"],
            argv=tuple(expand(a) for a in s["run"]),
            accepted=_ACCEPTED_EXIT[s["kind"]],
        )
        for s in doc["stages"]
    )


def plain_script(repo: Path, venv: Path, reports: Path, timings: Path) -> str:
    """The three commands one after another, with localci's stage ``PATH`` and
    ``PYTHONPATH``; stops on an unexpected exit code; appends each wall time to
    ``timings``."""
    paths = [str(repo / "src")] if (repo / "src").is_dir() else []
    env = {"PATH": f"{venv / 'bin'}:$PATH", "PYTHONPATH": ":".join([*paths, str(repo)])}
    lines = [
        "set -u",
        f"cd {shlex.quote(str(repo))}",
        *(f'export {k}="{v}"' for k, v in env.items()),
        'ok() { rc=$1; shift; for c in "$@"; do [ "$rc" = "$c" ] && return 0; done; exit "$rc"; }',
        "now() { date +%s.%N; }",
    ]
    for command in default_commands(venv, reports):
        lines += [
            "t0=$(now)",
            f"{shlex.join(command.argv)} >/dev/null 2>&1; rc=$?",
            f'echo "{command.name} $t0 $(now)" >> {shlex.quote(str(timings))}',
            f"ok $rc {' '.join(map(str, command.accepted))}",
        ]
    return "\n".join(lines) + "\n"


def prepare(workdir: Path) -> Subject:
    """Both environments, the repository and the plain script."""
    localci = tool_env(workdir)
    repo, venv = make_repo(workdir)
    side = workdir / "side"
    shutil.rmtree(side, ignore_errors=True)
    (side / "reports").mkdir(parents=True)
    plain = side / "plain.sh"
    plain.write_text(plain_script(repo, venv, side / "reports", side / "timings"))
    return Subject(
        repo=repo,
        venv=venv,
        localci=localci,
        plain=plain,
        reports=side / "reports",
        timings=side / "timings",
    )


# -- measuring -------------------------------------------------------------------------


def environ(way: str) -> dict[str, str]:
    """The caller's environment without what would change the runs (see the docstring)."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "COVERAGE_FILE", "PYTEST_ADDOPTS"}
    drop.add("PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if way.endswith(", fresh worktree"):
        env["LOCALCI_FRESH_WORKTREE"] = "1"
    return env


def argv_for(way: str, subject: Subject) -> list[str]:
    localci = [str(subject.localci), "run"]
    return {
        "plain": ["bash", str(subject.plain)],
        "plain, again": ["bash", str(subject.plain)],  # the control
        "localci -j1": [*localci, "--jobs", "1", "--no-cache"],
        "localci default": [*localci, "--no-cache"],
        "localci cached": localci,
    }[way.removesuffix(", fresh worktree")]


def run_once(way: str, subject: Subject) -> tuple[float, str]:
    """Run one way once: (wall seconds, its output).

    :raises SystemExit: when the run fails (a failing run measures nothing useful).
    """
    shutil.rmtree(subject.reports, ignore_errors=True)
    subject.reports.mkdir()
    subject.timings.unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run(
        argv_for(way, subject),
        cwd=subject.repo,
        env=environ(way),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{way} exited {done.returncode}:\n{(done.stdout + done.stderr)[-4000:]}")
    return elapsed, done.stdout + done.stderr


@dataclass
class Samples:
    """Wall times per way; per-stage (per-command) durations per way; per run, the time
    outside every stage (the wall time less the union of the stages' intervals)."""

    times: dict[str, list[float]] = field(default_factory=dict)
    stages: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    outside: dict[str, list[float]] = field(default_factory=dict)

    def add(self, way: str, seconds: float, spans: Mapping[str, tuple[float, float]]) -> None:
        self.times.setdefault(way, []).append(seconds)
        for name, (start, end) in spans.items():
            self.stages.setdefault(way, {}).setdefault(name, []).append(end - start)
        if spans:
            self.outside.setdefault(way, []).append(seconds - _union(spans.values()))

    def median(self, way: str) -> float:
        return statistics.median(self.times[way])

    def stage_medians(self, way: str) -> dict[str, float]:
        return {n: statistics.median(v) for n, v in self.stages.get(way, {}).items()}


def stage_spans(way: str, subject: Subject) -> dict[str, tuple[float, float]]:
    """Each stage's (start, end), in seconds since the epoch, in the run just made: the
    plain script's own timings, or the start and duration in localci's stored result for
    HEAD (the duration is measured around the stage's process alone)."""
    if way.startswith("plain"):
        rows = (line.split() for line in subject.timings.read_text().splitlines())
        return {name: (float(start), float(end)) for name, start, end in rows}
    if way == "localci cached":
        return {}
    sha = git(subject.repo, "rev-parse", "HEAD")
    doc = json.loads((subject.repo / ".localci" / "results" / f"{sha}.json").read_text())
    spans = {}
    for stage in doc["stages"]:
        start = dt.datetime.fromisoformat(stage["started_at"].replace("Z", "+00:00"))
        spans[stage["name"]] = (start.timestamp(), start.timestamp() + float(stage["duration"]))
    return spans


def _union(spans: Iterable[tuple[float, float]]) -> float:
    """The length (s) of the union of the intervals ``spans``."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def warm_up(subject: Subject, ways: Sequence[str]) -> int:
    """One unrecorded run of each way, after a ``localci run`` that fills the result
    cache (``--no-cache`` runs neither read nor fill it); checks the cached way is a
    cache hit; the number of tests in the result."""
    run_once("localci cached", subject)
    for way in ways:
        _, output = run_once(way, subject)
        if way == "localci cached" and "cache hit" not in output:
            raise SystemExit(f"the warm run was not a cache hit:\n{output}")
    sha = git(subject.repo, "rev-parse", "HEAD")
    doc = json.loads((subject.repo / ".localci" / "results" / f"{sha}.json").read_text())
    return int(next(s for s in doc["stages"] if s["name"] == "tests")["metrics"]["tests"]["passed"])


def measure(subject: Subject, ways: Sequence[str], rounds: int) -> Samples:
    """``rounds`` rounds; in each, every way once (the order rotating)."""
    samples = Samples()
    for r in range(rounds):
        order = [*ways[r % len(ways) :], *ways[: r % len(ways)]]
        for way in order:
            seconds, _ = run_once(way, subject)
            samples.add(way, seconds, stage_spans(way, subject))
        print(f"round {r + 1}/{rounds} done", flush=True)
    return samples


def count_instructions(subject: Subject) -> dict[str, dict[str, int]]:
    """The plain script's and ``localci -j1``'s instructions per stage and own
    (:mod:`side_by_side_instructions`)."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    stages = {c.name: " ".join(c.argv[1:4]) for c in default_commands(subject.venv, Path())}

    print("counting instructions under valgrind (each way ~40x slower) ...", flush=True)
    ways = [
        instructions.Way(name=w, argv=argv_for(w, subject), env=environ(w))
        for w in ("plain", "localci -j1")
    ]
    shutil.rmtree(subject.reports, ignore_errors=True)
    subject.reports.mkdir()
    logs = subject.repo.parent.parent / "callgrind"
    return instructions.measure(ways, cwd=subject.repo, stages=stages, logs=logs)


def write_instructions(path: Path, section: str) -> None:
    """Put ``section`` in RESULTS.md at ``path`` in place of its instructions section, or
    before its raw samples."""
    text = path.read_text()
    head, found, rest = text.partition("## Instructions")
    if found:
        tail = rest[rest.index("\n## ") + 1 :] if "\n## " in rest else ""
        text = f"{head}{section}\n\n{tail}"
    else:
        head, found, rest = text.partition("## Raw samples")
        text = f"{head}{section}\n\n{found}{rest}"
    path.write_text(text)


def main() -> None:
    """Parse arguments, set up, measure, print, and maybe write RESULTS.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rotating rounds [5]")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "localci-bench-side-by-side",
        help="where the environments and sdist are kept and the repository is made",
    )
    parser.add_argument("--extras", action="store_true", help="also a fresh worktree per run")
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = parser.parse_args()
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    subject = prepare(workdir)
    ways = (*WAYS, *(EXTRA_WAYS if args.extras else ()))
    tests = warm_up(subject, ways)
    samples = measure(subject, ways, args.rounds)
    counts = count_instructions(subject) if args.instructions else None
    section = "\n\n".join(instructions.markdown(counts, "plain", "localci -j1")) if counts else ""
    print(section)
    path = ROOT / "benchmarks" / "RESULTS.md"
    if not args.rounds:  # only instructions: they replace those of the last RESULTS.md
        if args.write and section:
            write_instructions(path, section)
        return
    facts = report.Facts(
        project=f"{PROJECT[0]} {PROJECT[1]}",
        tests=tests,
        rounds=args.rounds,
        jobs=os.cpu_count() or 1,
        versions=report.versions(subject.venv, subject.localci, PROJECT_TOOLS),
        commands=[shlex.join(c.argv) for c in default_commands(Path(".venv"), Path("{reports}"))],
        invocation=f"python benchmarks/bench_side_by_side.py --rounds {args.rounds}"
        + (" --extras" if args.extras else "")
        + (" --instructions" if args.instructions else "")
        + " --write",
    )
    table = report.Table(
        times=samples.times,
        stages={w: samples.stage_medians(w) for w in ways},
        outside=samples.outside,
    )
    print(report.summary(table, facts))
    if args.write:
        path.write_text(report.markdown(table, facts, extra=section))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
