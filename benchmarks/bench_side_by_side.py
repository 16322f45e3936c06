"""Side-by-side benchmark (issue #6): localci against the plain commands and against nox.

Usage: ``python benchmarks/bench_side_by_side.py [--rounds 5] [--workdir DIR] [--write]``

Two projects are measured, each a fresh git repository (one commit) under ``--workdir``:

- ``example``: ``examples/passing`` with its own ``.localci.yml``, plus a CPU-bound padding
  test (as in ``bench_run.py``) so the suite takes a few seconds;
- ``tomlkit``: tomlkit's PyPI sdist at a pinned version (``pip download --no-deps
  --no-binary :all:``), with a ``.localci.yml`` written here: its test-suite in two
  shards under coverage (JUnit XML each), ``coverage`` (combine + JSON, ``after`` both
  shards) and ``lint`` (ruff, JSON).

Everything runs from one dedicated virtual environment, built once and re-used (keyed by
the tool pins and localci's ``pyproject.toml``): localci installed editable from this
checkout, pinned pytest, coverage, ruff and nox. For each project, the wall time of five
ways to run the same stages:

1. ``plain``: a bash script running the stages' commands one after another in the
   checkout (output discarded, exit codes checked) -- the floor;
2. ``localci -j1``: ``localci run --jobs 1 --no-cache``;
3. ``localci -jN``: ``localci run --no-cache`` (parallel; default jobs = CPU count);
4. ``localci cached``: ``localci run`` on a tree that already passed (a cache hit);
5. ``nox``: ``python -m nox --noxfile <generated>``, one session per stage in the config's
   order, every session ``venv_backend="none"`` (no virtualenv is built), running the
   same commands with the same environment in the checkout -- nox's sequential default.

Two extra, informational ways repeat (2) and (3) with the worktree forced onto disk
(``LOCALCI_WORKTREE_DIR`` set to the system temporary directory): by default localci puts
it on tmpfs (``/dev/shm``) when there is room, and these rows show what that saves.

The plain script and the nox sessions are generated from the committed ``.localci.yml``
(``{python}`` and ``{reports}`` expanded, the ``PATH`` / ``PYTHONPATH`` that localci gives
its stages), so all three run the very same commands. localci, unlike them, first makes
a clean ``git worktree`` of the commit (and removes it after), so it also pays for fresh
bytecode and tool caches; that is part of what it costs and is not subtracted.

Each round runs every (project, way) once, the order of the ways rotating between rounds;
one unrecorded warm-up run of each comes first and checks that each way succeeds (and that
the warm run is a cache hit). It prints medians and ratios to (1); with ``--write`` it also
writes ``benchmarks/RESULTS.md``. The targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = ROOT / "benchmarks" / "RESULTS.md"

REAL_PROJECT = ("tomlkit", "0.15.2")
TOOLS = ("pytest==9.2.0", "coverage==7.17.3", "ruff==0.17.5", "nox==2026.10.20")
"""Pinned tools for the benchmark venv (tomlkit's tests need nothing else)."""

WAYS = ("plain", "localci -j1", "localci -jN", "localci cached", "nox")
TMPFS = Path("/dev/shm")
EXTRA_WAYS = (
    "localci -j1, worktree on disk",
    "localci -jN, worktree on disk",
    "localci -j1, fresh worktree",
)
"""Extra, informational: (2) and (3) with ``LOCALCI_WORKTREE_DIR`` on the system temporary
directory, i.e. without localci's default tmpfs worktree; and (2) with a fresh worktree
per run (``LOCALCI_FRESH_WORKTREE=1``) instead of the kept checkout, which shows what
re-using one checkout and its bytecode saves. Only when ``/dev/shm`` is writable."""
TIMEOUT = 900.0
_ACCEPTED_EXIT = {"tests": (0, 1), "lint": (0, 1), "coverage": (0, 2), "command": (0,)}
"""Exit codes that mean "the tool ran and reported", as ``localci/stage.py`` judges them;
anything else aborts the plain script and fails the nox session."""

PADDING_TEST = """import hashlib


def test_padding_work():
    data = b"x"
    for _ in range({n}):
        data = hashlib.sha256(data).digest()
    assert len(data) == 32
"""

_SHARD_1 = ("tests/test_toml_tests.py", "tests/test_api.py")
TOMLKIT_CONFIG = f"""\
# Written by benchmarks/bench_side_by_side.py. tomlkit's suite in two shards of similar
# length under coverage (the split is by file), combined for the coverage stage.
version: 1
stages:
  - name: tests
    kind: tests
    run: ["{{python}}", "-m", "coverage", "run", "--source=tomlkit",
          "--data-file={{reports}}/.coverage.tests", "-m", "pytest",
          "--junitxml={{reports}}/junit-tests.xml", "-q", {", ".join(map(json.dumps, _SHARD_1))}]
    report: {{format: junit, path: "{{reports}}/junit-tests.xml"}}
    max_failures: 0
  - name: tests-2
    kind: tests
    run: ["{{python}}", "-m", "coverage", "run", "--source=tomlkit",
          "--data-file={{reports}}/.coverage.tests-2", "-m", "pytest",
          "--junitxml={{reports}}/junit-tests-2.xml", "-q", "tests",
          {", ".join(json.dumps(f"--ignore={p}") for p in _SHARD_1)}]
    report: {{format: junit, path: "{{reports}}/junit-tests-2.xml"}}
    max_failures: 0
  - name: coverage
    kind: coverage
    after: [tests, tests-2]
    shell: true
    run: >-
      {{python}} -m coverage combine -q --data-file={{reports}}/.coverage
      {{reports}}/.coverage.tests {{reports}}/.coverage.tests-2 &&
      {{python}} -m coverage json -q --data-file={{reports}}/.coverage
      -o {{reports}}/coverage.json
    report: {{format: coverage-json, path: "{{reports}}/coverage.json"}}
    min_percent: 90
  - name: lint
    kind: lint
    run: ["ruff", "check", "--output-format=json", "--output-file={{reports}}/ruff.json", "."]
    report: {{format: ruff-json, path: "{{reports}}/ruff.json"}}
    max_findings: 100
"""


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One stage of a committed ``.localci.yml``, as the plain script and nox run it."""

    name: str
    kind: str
    run: tuple[str, ...] | str
    """An argv, or one shell string (``shell: true``); placeholders not yet expanded."""
    waits_for: tuple[str, ...] = ()
    """``needs`` + ``after``: what must finish first."""
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True, kw_only=True)
class Project:
    """A benchmark subject: a committed repository and what to run in it."""

    label: str
    repo: Path
    stages: tuple[Stage, ...]
    reports: Path
    """Where the plain script and nox write reports (``{reports}``); emptied before each run."""
    plain: Path
    noxfile: Path


@dataclass(frozen=True, kw_only=True)
class Env:
    """The benchmark virtual environment."""

    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"


# -- setup -----------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    """Run ``git`` in ``repo``; its stdout. :raises CalledProcessError: when git fails."""
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit_all(repo: Path) -> None:
    """Make ``repo`` a git repository with everything in one commit."""
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    git(repo, *ident, "-c", "commit.gpgsign=false", "commit", "-qm", "benchmark subject")


def ensure_env(workdir: Path) -> Env:
    """The cached venv under ``workdir``, created (and filled) when missing or stale."""
    key = hashlib.sha256(
        "\n".join([sys.version, *TOOLS, (ROOT / "pyproject.toml").read_text()]).encode()
    ).hexdigest()[:12]
    env = Env(path=workdir / f"venv-{key}")
    marker = env.path / ".bench-ready"
    if marker.is_file():
        return env
    print(f"creating the benchmark venv {env.path} (once) ...", flush=True)
    shutil.rmtree(env.path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(env.path)], check=True)
    pip = [str(env.python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-e", str(ROOT), *TOOLS], check=True)
    marker.write_text(key + "\n")
    return env


def fetch_sdist(env: Env, workdir: Path) -> Path:
    """The pinned sdist of the real project (downloaded once into ``workdir``)."""
    name, version = REAL_PROJECT
    folder = workdir / "sdists" / f"{name}-{version}"
    found = sorted(folder.glob("*.tar.gz"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(env.python), "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
             ":all:", f"{name}=={version}", "-d", str(folder)],
            check=True,
        )  # fmt: skip
        found = sorted(folder.glob("*.tar.gz"))
    return found[0]


def unpack(sdist: Path, dest: Path) -> Path:
    """Unpack ``sdist`` into ``dest``; the top folder, with nested git links removed.

    tomlkit's sdist carries ``tests/toml-test/.git`` (a submodule link to a folder that is
    not shipped), which would make ``git add`` fail.
    """
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Pythons without PEP 706
            tar.extractall(dest)  # noqa: S202 - a pinned sdist from PyPI
    top = next(p for p in dest.iterdir() if p.is_dir())
    for link in sorted(top.rglob(".git"), reverse=True):
        shutil.rmtree(link) if link.is_dir() else link.unlink()
    return top


def make_example(run_dir: Path, padding: int) -> Path:
    """``examples/passing`` plus the padding test, committed."""
    repo = run_dir / "example" / "passing"
    shutil.copytree(ROOT / "examples" / "passing", repo)
    (repo / "tests" / "test_padding.py").write_text(PADDING_TEST.format(n=f"{padding:_}"))
    commit_all(repo)
    return repo


def make_real(env: Env, workdir: Path, run_dir: Path) -> Path:
    """The real project's sdist, unpacked, with our ``.localci.yml``, committed."""
    repo = unpack(fetch_sdist(env, workdir), run_dir / REAL_PROJECT[0])
    (repo / ".localci.yml").write_text(TOMLKIT_CONFIG)
    commit_all(repo)
    return repo


# -- the same commands, as a plain script and as a noxfile --------------------------------


def load_stages(repo: Path) -> tuple[Stage, ...]:
    """The stages of ``repo``'s ``.localci.yml``, in an order that respects ``waits_for``."""
    doc = yaml.safe_load((repo / ".localci.yml").read_text())
    stages = [
        Stage(
            name=s["name"],
            kind=s.get("kind", "command"),
            run=s["run"] if isinstance(s["run"], str) else tuple(s["run"]),
            waits_for=(*s.get("needs", ()), *s.get("after", ())),
            env=s.get("env", {}),
            cwd=s.get("cwd"),
        )
        for s in doc["stages"]
    ]
    ordered: list[Stage] = []
    while stages:
        ready = next(s for s in stages if all(w in {o.name for o in ordered} for w in s.waits_for))
        ordered.append(ready)
        stages.remove(ready)
    return tuple(ordered)


def expand(text: str, env: Env, reports: Path) -> str:
    """``{python}`` and ``{reports}`` as localci expands them (``localci/stage.py``)."""
    return text.replace("{reports}", str(reports)).replace("{python}", str(env.python))


def stage_environ(project_repo: Path, env: Env, stage: Stage) -> dict[str, str]:
    """The variables localci adds for a stage: venv ``bin`` first on ``PATH``, the
    checkout's ``src/`` (when present) and root on ``PYTHONPATH``, the stage's ``env``."""
    paths = [str(project_repo / "src")] if (project_repo / "src").is_dir() else []
    return {
        "PATH": f"{env.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join([*paths, str(project_repo)]),
        **stage.env,
    }


def command_of(stage: Stage, env: Env, reports: Path) -> list[str]:
    """The expanded argv (a shell string runs under ``/bin/sh -c``, as in localci)."""
    if isinstance(stage.run, str):
        return ["/bin/sh", "-c", expand(stage.run, env, reports)]
    return [expand(arg, env, reports) for arg in stage.run]


def plain_script(repo: Path, stages: Sequence[Stage], env: Env, reports: Path) -> str:
    """A bash script running ``stages`` one after another; stops on an unexpected exit."""
    lines = [
        "set -u",
        'ok() { rc=$1; shift; for c in "$@"; do [ "$rc" = "$c" ] && return 0; done; exit "$rc"; }',
    ]
    for stage in stages:
        exports = " ".join(
            f"{k}={shlex.quote(v)}" for k, v in stage_environ(repo, env, stage).items()
        )
        cwd = repo / stage.cwd if stage.cwd else repo
        codes = " ".join(map(str, _ACCEPTED_EXIT[stage.kind]))
        argv = shlex.join(command_of(stage, env, reports))
        lines.append(f"cd {shlex.quote(str(cwd))} && {exports} {argv}; ok $? {codes}")
    return "\n".join(lines) + "\n"


def noxfile(repo: Path, stages: Sequence[Stage], env: Env, reports: Path) -> str:
    """A noxfile with one ``venv_backend="none"`` session per stage, in stage order."""
    out = [
        '"""Generated by benchmarks/bench_side_by_side.py: one session per localci stage."""',
        "",
        "import nox",
        "",
        f"nox.options.sessions = {[s.name for s in stages]!r}",
    ]
    for i, stage in enumerate(stages):
        cwd = repo / stage.cwd if stage.cwd else repo
        environ = stage_environ(repo, env, stage)
        argv = command_of(stage, env, reports)
        # nox looks programs up on its own PATH, not the one given in env=; resolve the
        # name as the shell (and localci) would, on the stage's PATH.
        argv[0] = shutil.which(argv[0], path=environ["PATH"]) or argv[0]
        out += [
            "",
            "",
            f'@nox.session(name={stage.name!r}, venv_backend="none")',
            f"def session_{i}(session: nox.Session) -> None:",
            f"    session.chdir({str(cwd)!r})",
            f"    session.run(*{argv!r},",
            f"                env={environ!r},",
            f"                success_codes={list(_ACCEPTED_EXIT[stage.kind])!r}, external=True)",
        ]
    return "\n".join(out) + "\n"


def prepare(label: str, repo: Path, env: Env, run_dir: Path) -> Project:
    """Write the plain script and the noxfile for ``repo`` (outside the repository)."""
    side = run_dir / f"{label}-side"
    reports = side / "reports"
    reports.mkdir(parents=True)
    stages = load_stages(repo)
    project = Project(
        label=label,
        repo=repo,
        stages=stages,
        reports=reports,
        plain=side / "plain.sh",
        noxfile=side / "noxfile.py",
    )
    project.plain.write_text(plain_script(repo, stages, env, reports))
    project.noxfile.write_text(noxfile(repo, stages, env, reports))
    return project


# -- measuring ---------------------------------------------------------------------------


def clean_environ() -> dict[str, str]:
    """The caller's environment without what would change what the runs import."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "COVERAGE_FILE", "PYTEST_ADDOPTS"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def all_ways() -> tuple[str, ...]:
    """:data:`WAYS`, plus :data:`EXTRA_WAYS` where there is a tmpfs to try."""
    return WAYS + (EXTRA_WAYS if os.access(TMPFS, os.W_OK) else ())


def argv_for(way: str, project: Project, env: Env) -> list[str]:
    """The command line of one way of running ``project``."""
    localci = [str(env.bin / "localci"), "run"]
    return {
        "plain": ["bash", str(project.plain)],
        "localci -j1": [*localci, "--jobs", "1", "--no-cache"],
        "localci -jN": [*localci, "--no-cache"],
        "localci cached": localci,
        "nox": [str(env.python), "-m", "nox", "--noxfile", str(project.noxfile)],
    }[way.removesuffix(", worktree on disk").removesuffix(", fresh worktree")]


def environ_for(way: str) -> dict[str, str]:
    """:func:`clean_environ`, with the worktree forced onto disk for the extra ways."""
    if way.endswith(", fresh worktree"):
        return clean_environ() | {"LOCALCI_FRESH_WORKTREE": "1"}
    disk = {"LOCALCI_WORKTREE_DIR": tempfile.gettempdir()}
    return clean_environ() | (disk if way in EXTRA_WAYS else {})


def run_once(way: str, project: Project, env: Env, *, capture: bool = False) -> tuple[float, str]:
    """Run one way once; (wall seconds, captured output when ``capture``).

    :raises SystemExit: when the run fails (a failing run measures nothing useful).
    """
    shutil.rmtree(project.reports, ignore_errors=True)
    project.reports.mkdir()
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    start = time.perf_counter()
    done = subprocess.run(
        argv_for(way, project, env),
        cwd=project.repo,
        env=environ_for(way),
        stdout=out,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        _, output = run_once(way, project, env, capture=True) if not capture else (0, done.stdout)
        raise SystemExit(f"{project.label}: {way} exited {done.returncode}:\n{output[-4000:]}")
    return elapsed, done.stdout or ""


def stage_durations(project: Project) -> dict[str, float]:
    """Per-stage durations (s) of the latest localci result for HEAD."""
    sha = git(project.repo, "rev-parse", "HEAD")
    doc = json.loads((project.repo / ".localci" / "results" / f"{sha}.json").read_text())
    return {s["name"]: float(s["duration"]) for s in doc["stages"]}


def warm_up(project: Project, env: Env) -> None:
    """One unrecorded run of each way, after a ``localci run`` that fills the result cache;
    checks that the cached way really is a cache hit."""
    run_once("localci cached", project, env)
    for way in all_ways():
        _, output = run_once(way, project, env, capture=True)
        if way == "localci cached" and "cache hit" not in output:
            raise SystemExit(f"{project.label}: the warm run was not a cache hit:\n{output}")


@dataclass
class Samples:
    """Wall times per (project, way), and localci's per-stage durations per (project, way)
    for the ``--no-cache`` ways."""

    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    stages: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)

    def add(self, project: str, way: str, seconds: float) -> None:
        self.times.setdefault((project, way), []).append(seconds)

    def add_stages(self, project: str, way: str, durations: Mapping[str, float]) -> None:
        for name, seconds in durations.items():
            self.stages.setdefault((project, way), {}).setdefault(name, []).append(seconds)

    def median(self, project: str, way: str) -> float:
        return statistics.median(self.times[(project, way)])

    def stage_medians(self, project: str, way: str) -> dict[str, float]:
        return {n: statistics.median(v) for n, v in self.stages[(project, way)].items()}


def measure(projects: Sequence[Project], env: Env, rounds: int) -> Samples:
    """``rounds`` rounds; in each, every project runs every way once (rotated order)."""
    samples = Samples()
    for project in projects:
        warm_up(project, env)
    ways = all_ways()
    for r in range(rounds):
        order = ways[r % len(ways) :] + ways[: r % len(ways)]
        for project in projects:
            for way in order:
                seconds, _ = run_once(way, project, env)
                samples.add(project.label, way, seconds)
                if way in ("localci -j1", "localci -jN"):
                    samples.add_stages(project.label, way, stage_durations(project))
        print(f"round {r + 1}/{rounds} done", flush=True)
    return samples


def _worktree_seconds(repo: Path, parent: Path) -> float:
    """Wall time (s) of ``git worktree add`` + ``remove`` of HEAD under ``parent``."""
    holder = Path(tempfile.mkdtemp(prefix="bench-wt-", dir=parent))
    start = time.perf_counter()
    git(repo, "worktree", "add", "-q", "--detach", str(holder / "wt"), "HEAD")
    git(repo, "worktree", "remove", "--force", str(holder / "wt"))
    elapsed = time.perf_counter() - start
    shutil.rmtree(holder, ignore_errors=True)
    return elapsed


def probe(env: Env, repo: Path, reps: int) -> dict[str, float]:
    """Medians (s) of localci's start-up, measured on its own in ``repo``."""
    commands = {
        "`python -c pass` (interpreter start)": [str(env.python), "-c", "pass"],
        "`localci --version`": [str(env.bin / "localci"), "--version"],
    }
    out: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(reps):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, cwd=repo, env=clean_environ(), capture_output=True, check=True)
            out[name].append(time.perf_counter() - start)
    return {name: statistics.median(v) for name, v in out.items()}


@dataclass(frozen=True, kw_only=True)
class WorktreeCost:
    """``git worktree add`` + ``remove`` of a project's HEAD (medians, s)."""

    files: int
    """Files in the commit: what the worktree writes."""
    tmp: float
    """In the temporary folder localci uses (``tempfile.gettempdir()``)."""
    tmp_range: tuple[float, float]
    """Its fastest and slowest sample: the disk's speed varies on shared machines."""
    shm: float | None
    """On tmpfs (``/dev/shm``), for comparison; ``None`` when there is none."""


def worktree_cost(repo: Path, reps: int) -> WorktreeCost:
    """Measure :class:`WorktreeCost` for ``repo``, alternating the two folders."""
    shm = TMPFS if os.access(TMPFS, os.W_OK) else None
    tmp_times, shm_times = [], []
    for _ in range(reps):
        tmp_times.append(_worktree_seconds(repo, Path(tempfile.gettempdir())))
        if shm is not None:
            shm_times.append(_worktree_seconds(repo, shm))
    return WorktreeCost(
        files=len(git(repo, "ls-files").splitlines()),
        tmp=statistics.median(tmp_times),
        tmp_range=(min(tmp_times), max(tmp_times)),
        shm=statistics.median(shm_times) if shm_times else None,
    )


def top_imports(env: Env, repo: Path, count: int = 6) -> tuple[float, list[tuple[str, float]]]:
    """Import time of a cached ``localci run`` in ``repo`` (``python -X importtime``): the
    total (s) and the largest top-level imports (cumulative, s)."""
    done = subprocess.run(
        [str(env.python), "-X", "importtime", "-m", "localci", "run"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env=clean_environ(),
    )
    top: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            top.append((parts[2].strip(), int(parts[1]) / 1e6))  # depth 0: one space
    top.sort(key=lambda kv: -kv[1])
    return sum(s for _, s in top), top[:count]


_HIT_PARTS = {
    ("cache.py", "environment_fingerprint"): "environment fingerprint (installed distributions)",
    ("schemas.py", "iter_errors"): "JSON-schema checks of config + cached result (and "
    "importing jsonschema)",
    ("gitrepo.py", "git"): "git subprocesses",
}


def profile_hit(env: Env, repo: Path) -> dict[str, float]:
    """Where a cache hit's time goes: cumulative seconds under ``cProfile`` (which inflates
    every Python call; compare the parts with each other, not with wall time)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hit.prof"
        argv = [str(env.python), "-m", "cProfile", "-o", str(out), "-m", "localci", "run"]
        subprocess.run(argv, cwd=repo, env=clean_environ(), capture_output=True, check=True)
        code = (
            "import json, pstats, sys; s = pstats.Stats(sys.argv[1]).stats;"
            "print(json.dumps([[f, fn, ct] for (f, _, fn), (_, _, _, ct, _) in s.items()]))"
        )
        rows = json.loads(subprocess.check_output([str(env.python), "-c", code, str(out)]))
    parts = {"total (the whole process under cProfile)": 0.0}
    parts.update({label: 0.0 for label in _HIT_PARTS.values()})
    for filename, function, cumulative in rows:
        key = (Path(filename).name, function)
        if key in _HIT_PARTS and "/localci/" in filename:
            parts[_HIT_PARTS[key]] += cumulative
        if function == "<module>" and filename.endswith("localci/__main__.py"):
            parts["total (the whole process under cProfile)"] = cumulative
    return parts


@dataclass(frozen=True, kw_only=True)
class Overhead:
    """Where localci's fixed costs go (start-up measured in the real project)."""

    worktrees: Mapping[str, WorktreeCost]
    """Per project label."""
    probes: Mapping[str, float]
    """:func:`probe`'s medians (s)."""
    import_total: float
    """Total import time (s) of a cached ``localci run``."""
    imports: Sequence[tuple[str, float]]
    """Its largest top-level imports (s)."""
    hit_profile: Mapping[str, float]
    """:func:`profile_hit`'s parts (s, under cProfile)."""


def overhead(env: Env, projects: Sequence[Project], reps: int) -> Overhead:
    """Measure :class:`Overhead`; start-up in the last project (its tree must be cached)."""
    repo = projects[-1].repo
    total, imports = top_imports(env, repo)
    return Overhead(
        worktrees={p.label: worktree_cost(p.repo, reps) for p in projects},
        probes=probe(env, repo, reps),
        import_total=total,
        imports=imports,
        hit_profile=profile_hit(env, repo),
    )


# -- reporting ---------------------------------------------------------------------------


def machine(env: Env) -> dict[str, str]:
    """CPU, cores, OS, Python and tool versions, and the date (UTC)."""
    cpu = "unknown"
    with contextlib.suppress(OSError):  # no /proc outside Linux
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    code = (
        "import importlib.metadata as m, json, platform;"
        "print(json.dumps({'python': platform.python_version(), **{n: m.version(n) for n in"
        " ('localci', 'nox', 'pytest', 'coverage', 'ruff')}}))"
    )
    versions = json.loads(subprocess.check_output([str(env.python), "-c", code], text=True))
    commit = git(ROOT, "rev-parse", "--short", "HEAD")
    changed = " + uncommitted changes" if git(ROOT, "status", "--porcelain") else ""
    versions["localci"] += f" ({commit}{changed})"
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": platform.platform(),
        "temporary folder": f"{tempfile.gettempdir()} ({filesystem(Path(tempfile.gettempdir()))})",
        **versions,
        "git": git(ROOT, "--version").removeprefix("git version "),
        "tomlkit": REAL_PROJECT[1],
    }


def filesystem(path: Path) -> str:
    """The type of the file system ``path`` is on (``/proc/mounts``), or ``unknown``."""
    best, kind = "", "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            if path.resolve().is_relative_to(mount) and len(mount) > len(best):
                best, kind = mount, fstype
    return kind


def critical_path(durations: Mapping[str, float], order: Sequence[Stage]) -> float:
    """The longest chain (s) of ``waits_for`` through the stages, with these durations."""
    finish: dict[str, float] = {}
    for stage in order:
        start = max((finish[w] for w in stage.waits_for if w in finish), default=0.0)
        finish[stage.name] = start + durations.get(stage.name, 0.0)
    return max(finish.values(), default=0.0)


def ideal_parallel(durations: Mapping[str, float], order: Sequence[Stage], jobs: int) -> float:
    """The best (3)/(1) perfect overlap could give: max(critical path, sum / jobs) / sum,
    from the stages' own durations (no fixed cost counted)."""
    total = sum(durations.values())
    return max(critical_path(durations, order), total / jobs) / total if total else 1.0


def summary_rows(samples: Samples, label: str) -> list[tuple[str, float, float, float, float]]:
    """(way, median, min, max, median / plain median) per way."""
    floor = samples.median(label, "plain")
    return [
        (
            way,
            samples.median(label, way),
            min(samples.times[(label, way)]),
            max(samples.times[(label, way)]),
            samples.median(label, way) / floor,
        )
        for way in all_ways()
        if (label, way) in samples.times
    ]


def print_summary(samples: Samples, projects: Sequence[Project], rounds: int) -> None:
    """Medians and ratios to the plain script, on stdout."""
    print(f"\nrounds: {rounds} (alternating); jobs for -jN: {os.cpu_count()}")
    for project in projects:
        print(f"\n{project.label}:")
        for way, med, lo, hi, ratio in summary_rows(samples, project.label):
            print(f"  {way:<27} median {med:7.3f} s  (min {lo:.3f}, max {hi:.3f})  x{ratio:.3f}")


def verdicts(
    samples: Samples, project: Project, costs: Overhead
) -> list[tuple[str, str, bool, str]]:
    """(target, measured, met, why) for the targets of issues #6 and #11; the why is
    computed from the measurements (stage durations, the worktree probe), never assumed."""
    label, jobs = project.label, os.cpu_count() or 1
    m = {way: samples.median(label, way) for way in WAYS}
    alone = samples.stage_medians(label, "localci -j1")
    side = samples.stage_medians(label, "localci -jN")
    best = ideal_parallel(alone, project.stages, jobs)
    path_side = critical_path(side, project.stages)
    wt = costs.worktrees[label]
    wt_text = f"`git worktree add` + `remove` of its {wt.files} files alone takes {wt.tmp:.2f} s"
    if wt.shm is not None:
        wt_text += f" here ({wt.shm:.2f} s on tmpfs)"
    r2, r3 = m["localci -j1"] / m["plain"], m["localci -jN"] / m["plain"]
    fixed = m["localci -j1"] - m["plain"]
    tmpfs = {
        way: samples.median(label, f"{way}, worktree on disk") / m["plain"]
        for way in ("localci -j1", "localci -jN")
        if (label, f"{way}, worktree on disk") in samples.times
    }
    on_tmpfs = {
        w: f" With the worktree on disk (extra row) the ratio is {r:.3f}." for w, r in tmpfs.items()
    }
    lengths = ", ".join(f"{n} {v:.2f} s" for n, v in alone.items())
    why3 = f"stages alone (-j1 medians): {lengths}; perfect overlap on {jobs} jobs gives {best:.2f}"
    if best > 1.02:
        why3 += " at best: the stages are not of comparable length."
    else:
        why3 += (
            f"; run side by side, the stages' critical path took {path_side:.2f} s and the "
            f"remaining {m['localci -jN'] - path_side:.2f} s was spent outside the stages "
            f"(for comparison, {wt_text})."
        )
    nox_cost, lci_cost = m["nox"] - m["plain"], m["localci -jN"] - m["plain"]
    why5 = f"nox runs its sessions one after another ({nox_cost:+.2f} s over plain)"
    if m["localci -jN"] >= m["nox"]:
        why5 += f"; localci -jN is {lci_cost:+.2f} s over plain, and overlap can save little here"
    return [
        (
            "(2)/(1) <= 1.02",
            f"{r2:.3f}",
            r2 <= 1.02,
            f"localci -j1 costs {fixed:+.2f} s over a {m['plain']:.2f} s floor; {wt_text}, "
            f"and a whole cache-hit run {m['localci cached']:.2f} s."
            + ("" if r2 <= 1.02 else f" At this cost, 2 % needs a floor of {fixed / 0.02:.1f} s.")
            + on_tmpfs.get("localci -j1", ""),
        ),
        ("(3)/(1) <= 1.02", f"{r3:.3f}", r3 <= 1.02, why3 + on_tmpfs.get("localci -jN", "")),
        (
            "(3) <= (2)",
            f"{m['localci -jN']:.3f} s vs {m['localci -j1']:.3f} s",
            m["localci -jN"] <= m["localci -j1"],
            "the default (parallel) run must never be slower than one job.",
        ),
        (
            "(4) < 0.5 s",
            f"{m['localci cached']:.3f} s",
            m["localci cached"] < 0.5,
            "start-up, imports, git facts, environment fingerprint, schema checks.",
        ),
        (
            "(3) faster than (5)",
            f"{m['localci -jN']:.3f} s vs {m['nox']:.3f} s",
            m["localci -jN"] < m["nox"],
            why5 + ".",
        ),
    ]


WHY_TOMLKIT = """\
**Real project: tomlkit {version}** (pure Python, no runtime dependencies). Its sdist ships
its tests, including the vendored `toml-test` corpus, and they run offline with nothing
but pytest; under coverage the suite takes a few seconds on this machine, and it splits
by file into two shards of similar length, which gives the parallel run something to
overlap. Its pyproject pins a ruff rule set, so `ruff check` is meaningful (it reports a
handful of findings on the release; `max_findings: 100` lets the stage pass).

{candidates}

tomlkit's own `mypy` strict configuration does not pass on the released sdist (6 errors
in `tomlkit/`, 32 with `tests/`), so a `types` stage would fail every run and could not
be cached; the second test shard is the overlapping stage instead.
"""


CANDIDATES = (
    ("attrs 26.1.0", "~10 s plain, ~14 s under coverage; 5 failures unless attrs itself is "
     "installed (metadata tests); needs hypothesis, pympler, cloudpickle"),
    ("more-itertools 11.2.1", "~15 s plain, ~110 s under coverage (21 000 subtests): too long"),
    ("packaging 26.3", "62 000 tests, ~57 s plain: too long"),
    ("python-dateutil 4.0.0", "collection errors without pytest-cov (`no_cover` marker) under "
     "`filterwarnings = error`; needs freezegun, hypothesis"),
    ("**tomlkit 0.15.2**", "1 203 tests, ~3 s plain, ~5 s under coverage; only pytest needed"),
)  # fmt: skip
"""Measured by hand when choosing (sdists all include tests; plain ``pytest``, 2 cores)."""


def _numbered(way: str) -> str:
    return f"({WAYS.index(way) + 1}) {way}" if way in WAYS else f"(extra) {way}"


def _table(rows: Sequence[Sequence[str]], head: Sequence[str]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


METHOD_MD = """\
## What runs

Each project is a fresh git repository with one commit. The five ways run the same stage
commands (generated from the committed `.localci.yml`) from one venv:

1. **plain**: a bash script, the commands one after another in the checkout (the floor);
2. **localci -j1**: `localci run --jobs 1 --no-cache`;
3. **localci -jN**: `localci run --no-cache` (default jobs = {jobs});
4. **localci cached**: `localci run` on a tree that already passed (a cache hit);
5. **nox**: `python -m nox --noxfile noxfile.py`, one session per stage in config order,
   each `@nox.session(venv_backend="none")` (no venv is created or reused; the session
   runs the command with the venv's tools via `PATH`), sequential as nox always is.

Extra rows (not used for the targets): (2) and (3) again with `LOCALCI_WORKTREE_DIR` on
the system temporary directory, so localci's worktree is written to disk instead of its
default tmpfs (`/dev/shm`, used when it has room).

**Example project**: `examples/passing` with its own `.localci.yml` (tests under coverage,
coverage JSON, ruff), plus a padding test hashing {padding:_} times so the suite takes a
few seconds (as in `bench_run.py`).
"""

NO_CACHE_MD = """\
A `--no-cache` run also pays, inside its stages, for the fresh worktree: Python compiles
the project's and tests' bytecode and pytest rewrites assertions every run (the plain
script and nox re-use `__pycache__` in the checkout), and ruff starts without its cache;
after the stages it parses the reports, validates the result against its schema and
writes it.

Observed while developing this benchmark (five full runs on the 2-core AMD EPYC VM of
November 2026, `/tmp` on ext4): the same tomlkit worktree probe took 0.2 to 0.4 s in some
runs of this script and 1.0 to 1.2 s in others minutes apart (about 1 ms per file
written), which moved tomlkit's (2)/(1) between 1.07 and 1.36 and its (3)/(1) between
0.68 and 0.94; with the worktree on tmpfs they stayed between 1.08 and 1.14, and 0.68 and
0.73. That is why localci now puts its worktree on tmpfs by default (the main rows); the
extra rows show the disk. Compare the worktree row above before reading much into one run.
"""


def _md_head(samples: Samples, projects: Sequence[Project], costs: Overhead) -> list[str]:
    met = [
        (p.label, *("yes" if ok else "**no**" for _, _, ok, _ in verdicts(samples, p, costs)))
        for p in projects
    ]
    head = (
        "project",
        "(2)/(1) <= 1.02",
        "(3)/(1) <= 1.02",
        "(3) <= (2)",
        "(4) < 0.5 s",
        "(3) < (5)",
    )
    why = "Each is explained under Results; the reasons are computed from the measurements."
    return ["## Targets at a glance", "", *_table(met, head), "", why]


def _md_method(info: Mapping[str, str], args: argparse.Namespace) -> list[str]:
    candidates = [
        "Candidates evaluated when choosing (each sdist includes its tests; plain `pytest` "
        "on 2 cores):",
        "",
        *_table(CANDIDATES, ("project", "verdict")),
    ]
    return [
        "## Machine",
        "",
        *_table([(k, f"`{v}`" if k != "date" else v) for k, v in info.items()], ("", "")),
        "",
        METHOD_MD.format(jobs=os.cpu_count(), padding=args.padding),
        WHY_TOMLKIT.format(version=REAL_PROJECT[1], candidates="\n".join(candidates)),
        "The tomlkit configuration, as committed in its benchmark repository:",
        "",
        "```yaml",
        TOMLKIT_CONFIG.rstrip(),
        "```",
    ]


def _md_results(samples: Samples, projects: Sequence[Project], costs: Overhead) -> list[str]:
    md = ["## Results (medians; ratio to plain)"]
    for project in projects:
        rows = [
            (_numbered(way), f"{med:.3f}", f"{lo:.3f} to {hi:.3f}", f"{ratio:.3f}")
            for way, med, lo, hi, ratio in summary_rows(samples, project.label)
        ]
        targets = [
            (t, val, "yes" if ok else "**no**", why)
            for t, val, ok, why in verdicts(samples, project, costs)
        ]
        md += ["", f"### {project.label}", ""]
        md += _table(rows, ("way", "median s", "min to max s", "ratio"))
        md += ["", *_table(targets, ("target", "measured", "met?", "why"))]
    return md


def _md_overhead(costs: Overhead) -> list[str]:
    worktrees = [
        (
            label,
            str(w.files),
            f"{w.tmp:.3f} ({w.tmp_range[0]:.3f} to {w.tmp_range[1]:.3f})",
            "-" if w.shm is None else f"{w.shm:.3f}",
        )
        for label, w in costs.worktrees.items()
    ]
    return [
        "## Where the overhead goes",
        "",
        "Fixed costs of a localci run, each measured on its own (medians, s). The worktree, "
        f"in {tempfile.gettempdir()} as localci makes it and on tmpfs for comparison:",
        "",
        *_table(worktrees, ("project", "files", "add + remove (min to max)", "on /dev/shm")),
        "",
        f"Start-up (in the {REAL_PROJECT[0]} repository):",
        "",
        *_table([(k, f"{v:.3f}") for k, v in costs.probes.items()], ("part", "s")),
        "",
        f"Imports of a cached `localci run` (`python -X importtime`): {costs.import_total:.3f} s "
        "in all; the largest top-level ones (cumulative):",
        "",
        *_table([(f"`{n}`", f"{v:.3f}") for n, v in costs.imports], ("module", "s")),
        "",
        "A cache hit under `cProfile` (which inflates every Python call, so compare the "
        "parts with each other rather than with wall time):",
        "",
        *_table([(k, f"{v:.3f}") for k, v in costs.hit_profile.items()], ("part", "s")),
        "",
        NO_CACHE_MD,
    ]


def render_markdown(
    samples: Samples,
    projects: Sequence[Project],
    info: Mapping[str, str],
    costs: Overhead,
    args: argparse.Namespace,
) -> str:
    """RESULTS.md: targets, machine, method, medians and ratios, overhead, raw samples."""
    raw = [
        f"- {label} / {way}: " + ", ".join(f"{t:.3f}" for t in times)
        for (label, way), times in samples.times.items()
    ]
    sections = [
        [
            "# localci side-by-side benchmark (issue #6)",
            "",
            "Generated by `python benchmarks/bench_side_by_side.py --write` "
            f"({args.rounds} rounds); do not edit by hand. How it measures: the script's "
            "docstring.",
        ],
        _md_head(samples, projects, costs),
        _md_method(info, args),
        _md_results(samples, projects, costs),
        _md_overhead(costs),
        ["## Raw samples (s, in round order)", "", *raw],
    ]
    return "\n\n".join("\n".join(s).rstrip("\n") for s in sections) + "\n"


def main() -> None:
    """Parse arguments, set up, measure, print, and maybe write RESULTS.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds [5]")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "localci-bench-side-by-side",
        help="where the venv and sdist are cached and the repositories are made",
    )
    parser.add_argument("--padding", type=int, default=3_000_000, help="example padding")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = parser.parse_args()
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    env = ensure_env(workdir)
    run_dir = workdir / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    projects = [
        prepare("example", make_example(run_dir, args.padding), env, run_dir),
        prepare(REAL_PROJECT[0], make_real(env, workdir, run_dir), env, run_dir),
    ]
    samples = measure(projects, env, args.rounds)
    costs = overhead(env, projects, reps=max(5, args.rounds))
    print_summary(samples, projects, args.rounds)
    for project in projects:
        for target, value, ok, why in verdicts(samples, project, costs):
            print(f"  {project.label}: {target}: {value} -> {'met' if ok else 'MISSED'} ({why})")
    if args.write:
        text = render_markdown(samples, projects, machine(env), costs, args)
        RESULTS_MD.write_text(text)
        print(f"\nwrote {RESULTS_MD}")


if __name__ == "__main__":
    main()
