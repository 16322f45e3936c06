"""The verdicts and the report of ``bench_side_by_side.py`` (issue #11's targets).

Every "why" is computed from the measurements (per-stage wall times of the plain script
and of localci's stored results), never assumed.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TARGET = 1.02
"""Issue #11: localci within 2 % of the plain commands, one job or the default."""
CACHED_TARGET = 0.5
"""Issue #6: a cache hit answers in under half a second."""
CONTROL = "plain, again"
"""The control way: the plain script a second time in each round."""
NUMBERED = ("plain", "localci -j1", "localci default", "localci cached")
"""The ways the targets name, as (1) to (4)."""


def median_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float] | None:
    """The distribution-free confidence interval of the median of ``values`` at ``level``:
    the order statistics x(k) and x(n+1-k), k the largest with P(B < k) <= (1-level)/2
    for B ~ Binomial(n, 1/2) (the sign-test interval; e.g. x(6) to x(15) for n = 20, 95.9 %).
    None when ``values`` are too few for that level (fewer than 6 for 95 %)."""
    xs = sorted(values)
    n, tail, k = len(xs), 0.0, 0
    while k < n // 2:
        p = math.comb(n, k) / 2**n
        if tail + p > (1 - level) / 2:
            break
        tail, k = tail + p, k + 1
    return (xs[k - 1], xs[n - k]) if k else None


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What was measured, on what."""

    project: str
    tests: int
    rounds: int
    jobs: int
    versions: Mapping[str, str]
    commands: Sequence[str]
    invocation: str = "python benchmarks/bench_side_by_side.py --write"
    """The command line that measured, as RESULTS.md names it."""


@dataclass(frozen=True, kw_only=True)
class Table:
    """Wall times (s) per way, in round order; per-stage medians (s) per way; per way and
    run, the time (s) outside every stage (start-up, checkout, reports, result, exit)."""

    times: Mapping[str, Sequence[float]]
    stages: Mapping[str, Mapping[str, float]]
    outside: Mapping[str, Sequence[float]]

    def outside_median(self, way: str) -> float | None:
        runs = self.outside.get(way)
        return statistics.median(runs) if runs else None

    def median(self, way: str) -> float:
        return statistics.median(self.times[way])

    def ratios(self, way: str) -> list[float]:
        """``way``'s time over the plain script's in the same round, round by round."""
        return [w / p for w, p in zip(self.times[way], self.times["plain"], strict=True)]

    def paired(self, way: str) -> float:
        """The median over rounds of :meth:`ratios`: less moved by the machine's drift
        than the ratio of the medians."""
        return statistics.median(self.ratios(way))

    def paired_text(self, way: str) -> str:
        """The paired ratio and its 95 % interval (:func:`median_interval`)."""
        interval = median_interval(self.ratios(way)) if way != "plain" else None
        span = f" (95 % CI {interval[0]:.3f} to {interval[1]:.3f})" if interval else ""
        return f"{self.paired(way):.3f}{span}"


def versions(venv: Path, localci: Path, tools: Sequence[str]) -> dict[str, str]:
    """Machine, interpreter, localci (commit) and tool versions, and the date (UTC)."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")),
            cpu,
        )  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "localci"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    python = subprocess.run(
        [str(venv / "bin" / "python"), "--version"], capture_output=True, text=True
    ).stdout.split()[-1]
    own = subprocess.run([str(localci), "--version"], capture_output=True, text=True).stdout
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "os": platform.platform(),
        "project's python": python,
        "localci": f"{own.split()[-1] if own else '?'} ({commit}{' + changes' if dirty else ''})",
        "tools": ", ".join(tools),
    }


def verdicts(table: Table) -> list[tuple[str, str, bool, str]]:
    """(target, measured, met, why) for each target."""
    m = {way: table.median(way) for way in table.times}
    plain, one, default = m["plain"], m["localci -j1"], m["localci default"]
    inside = sum(table.stages["localci -j1"].values()) - sum(table.stages["plain"].values())
    outside = one - plain - inside
    own = table.outside_median("localci -j1") or 0.0
    own_default = table.outside_median("localci default") or 0.0
    floor = table.outside_median("plain") or 0.0
    per_stage = ", ".join(
        f"{name} {table.stages['localci -j1'][name]:.2f} s vs {seconds:.2f} s"
        for name, seconds in table.stages["plain"].items()
    )
    why_one = (
        f"paired ratio {table.paired_text('localci -j1')}; "
        f"localci -j1 costs {one - plain:+.2f} s over the {plain:.2f} s floor: "
        f"{inside:+.2f} s inside the stages ({per_stage}, localci vs plain) and "
        f"{outside:+.2f} s outside them (start-up, checkout reset, reports, result). "
        f"Measured run by run, localci's own time outside its stages has a median of "
        f"{own:.3f} s ({own / plain:.1%} of the floor; the script's own: {floor:.3f} s)."
    )
    saved = one - default
    why_default = (
        f"paired ratio {table.paired_text('localci default')}; "
        f"running lint beside the tests saves {saved:+.2f} s against one job; "
        f"localci's own time outside the stages: {own_default:.3f} s (median, run by run); "
        f"the stages in the default run: "
        + ", ".join(f"{n} {s:.2f} s" for n, s in table.stages["localci default"].items())
        + "."
    )
    rows = [
        ("(2)/(1) <= 1.02", f"{one / plain:.3f}", one / plain <= TARGET, why_one),
        ("(3)/(1) <= 1.02", f"{default / plain:.3f}", default / plain <= TARGET, why_default),
        (
            "(3) <= (2)",
            f"{default:.2f} s vs {one:.2f} s",
            default <= one,
            "the default (parallel) run must never be slower than one job.",
        ),
        *own_time_rows(table),
        (
            "(4) < 0.5 s",
            f"{m['localci cached']:.3f} s",
            m["localci cached"] < CACHED_TARGET,
            "a cache hit: start-up, git facts, the environment fingerprint, schema checks.",
        ),
    ]
    if CONTROL in m:
        rows.append(control_row(table))
    if "localci -j1, fresh worktree" in m:
        fresh = m["localci -j1, fresh worktree"]
        rows.append(
            (
                "(extra) kept checkout saves",
                f"{fresh - one:+.2f} s",
                True,
                f"a temporary worktree per run took {fresh:.2f} s against {one:.2f} s in the "
                "kept checkout (informational).",
            )
        )
    return rows


def control_row(table: Table) -> tuple[str, str, bool, str]:
    """The control: the plain script against itself, round by round (informational)."""
    ratios = table.ratios(CONTROL)
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    return (
        "(control) plain, again / plain",
        table.paired_text(CONTROL),
        True,
        f"the same script twice in a round; its ratio ranged over {min(ratios):.3f} to "
        f"{max(ratios):.3f} (quartiles {quartiles[0]:.3f} to {quartiles[2]:.3f}). What "
        "this machine alone moves a ratio by: a difference between the ways within this "
        "spread cannot be read from their walls (informational).",
    )


def own_time_rows(table: Table) -> list[tuple[str, str, bool, str]]:
    """The targets read from localci's own time outside its stages, run by run.

    localci's stages are the plain script's commands, with the same environment, on a
    checkout of the same tree; what localci adds is its own time around them, measured
    in every run to a few hundredths of a second. The walls, on this machine, move by
    several per cent from run to run with the tests alone, so these rows read the
    targets from the own times: (2) = floor + own(2); (3) = floor - lint + own(3), lint
    being the one stage the default run overlaps (its time under localci -j1).
    """
    plain = table.median("plain")
    floor = table.outside_median("plain") or 0.0
    one = table.outside_median("localci -j1")
    default = table.outside_median("localci default")
    lint = table.stages.get("localci -j1", {}).get("lint", 0.0)
    if one is None or default is None:
        return []
    one_ratio = 1 + (one - floor) / plain
    default_ratio = 1 + (default - floor - lint) / plain
    inside = {
        name: table.stages["localci -j1"].get(name, 0.0) - seconds
        for name, seconds in table.stages["plain"].items()
    }
    spread = ", ".join(f"{name} {delta:+.2f} s" for name, delta in inside.items())
    return [
        (
            "(2)/(1) <= 1.02, from own time",
            f"{one_ratio:.3f}",
            one_ratio <= TARGET,
            f"localci's own time {one:.3f} s against the script's {floor:.3f} s, over the "
            f"{plain:.2f} s floor; the same commands measured inside localci -j1 differ "
            f"from the script's by {spread} (medians; the run-to-run spread).",
        ),
        (
            "(3)/(1) <= 1.02, from own time",
            f"{default_ratio:.3f}",
            default_ratio <= TARGET,
            f"own time {default:.3f} s, less the lint stage ({lint:.2f} s) run beside the tests.",
        ),
        (
            "(3) <= (2), from own time",
            f"{default - lint:.3f} s vs {one:.3f} s",
            default - lint <= one,
            "what the default run adds to the tests and coverage commands against what "
            "one job adds (own time, less the overlapped lint stage for the default).",
        ),
    ]


def _numbered(way: str) -> str:
    if way in NUMBERED:
        return f"({NUMBERED.index(way) + 1}) {way}"
    return f"(control) {way}" if way == CONTROL else way


def summary(table: Table, facts: Facts) -> str:
    """Medians, ratios and verdicts, for the terminal."""
    plain = table.median("plain")
    lines = [f"\n{facts.project}: {facts.tests} tests, {facts.rounds} rounds, {facts.jobs} CPUs"]
    for way, times in table.times.items():
        med = statistics.median(times)
        lines.append(
            f"  {way:<29} median {med:7.3f} s  (min {min(times):.3f}, max {max(times):.3f})"
            f"  x{med / plain:.3f}  paired x{table.paired_text(way)}"
        )
    for target, value, ok, why in verdicts(table):
        lines.append(f"  {target}: {value} -> {'met' if ok else 'MISSED'} ({why})")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _table(rows: Sequence[Sequence[str]], head: Sequence[str]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


METHOD = """\
## What runs

The subject is {project} from its PyPI sdist (which ships its tests): {tests} tests,
pure Python, nothing but pytest needed. It is one commit in a fresh git repository with no
`.localci.yml`, so localci runs its embedded default configuration. Two environments,
as localci's README sets them up: the project's own `.venv/` at the repository root
(the tools below and click installed editable), and localci installed from this checkout
into an environment of its own (a regular install, as `pipx install` makes). `{{python}}`
resolves to `.venv/bin/python`.

The ways, all started in the repository with the same environment (without
`PYTHONDONTWRITEBYTECODE`, which this machine sets globally: each way keeps the bytecode
it writes, as on a developer's machine):

1. **plain**: a bash script running the three commands below one after another in the
   work tree, with the `PATH` and `PYTHONPATH` localci gives its stages;
2. **localci -j1**: `localci run --jobs 1 --no-cache`;
3. **localci default**: `localci run --no-cache` ({jobs} jobs: lint runs beside the tests);
4. **localci cached**: `localci run` on the tree that already passed (a cache hit);
- **(control) plain, again**: (1) a second time in the same round. The same script
  against itself: how far this machine alone moves a ratio.

Each of {rounds} rounds runs every way once, the order rotating; one unrecorded warm-up
run of each comes first. The commands (`{{reports}}` is the run's report folder):

```
{commands}
```
"""


def markdown(table: Table, facts: Facts, *, extra: str = "") -> str:
    """RESULTS.md: the targets, the machine, the method, medians and ratios, ``extra``
    (a section of its own, e.g. instruction counts), raw samples."""
    plain = table.median("plain")
    ways = list(table.times)
    verdict_rows = [(t, v, "yes" if ok else "**no**", why) for t, v, ok, why in verdicts(table)]
    results = [
        (
            _numbered(way),
            f"{statistics.median(times):.3f}",
            f"{min(times):.3f} to {max(times):.3f}",
            f"{statistics.median(times) / plain:.3f}",
            table.paired_text(way),
            _seconds(table.outside_median(way)),
        )
        for way, times in table.times.items()
    ]
    stage_names = list(table.stages["plain"])
    stage_rows = [
        (way, *(f"{table.stages[way].get(n, 0.0):.2f}" for n in stage_names))
        for way in ways
        if table.stages.get(way)
    ]
    raw = [
        f"- {way}: " + ", ".join(f"{t:.3f}" for t in times) for way, times in table.times.items()
    ]
    parts = [
        "# localci side-by-side benchmark (issue #11)",
        f"Generated by `{facts.invocation}`; do not edit by hand. How it measures: below "
        "and the script's docstring.",
        "## Targets",
        "\n".join(_table(verdict_rows, ("target", "measured", "met?", "why"))),
        "## Machine",
        "\n".join(_table(list(facts.versions.items()), ("", ""))),
        METHOD.format(
            project=facts.project,
            tests=f"{facts.tests:,}",
            jobs=facts.jobs,
            rounds=facts.rounds,
            commands="\n".join(facts.commands),
        ).rstrip(),
        "## Results (medians; ratio to plain)",
        "\n".join(
            _table(
                results,
                ("way", "median s", "min to max s", "ratio", "paired ratio", "outside stages s"),
            )
        ),
        "The ratio is of the medians; the paired ratio is the median, over rounds, of the "
        "way's time over the plain script's in the same round, with the distribution-free "
        "95 % confidence interval of that median (sign test: order statistics of the "
        "per-round ratios). On this machine the same command's wall and CPU time vary by "
        "several per cent from run to run; the control row shows by how much, with the "
        "same script on both sides, so read it before reading much into the third digit. "
        '"Outside stages" is '
        "the median, run by run, of the wall time less the union of the stages' intervals "
        "(for localci: from each stored result's start times and durations; for the script: "
        "its own timings). It is localci's own cost, and it does not move with the tests' "
        'run-to-run spread; the targets\' rows marked "from own time" read the ratios from '
        "it (the stages are the script's commands, on a checkout of the same tree).",
        "Per stage (medians, s; plain: each command's wall time in the script):",
        "\n".join(_table(stage_rows, ("way", *stage_names))),
        *([extra] if extra else []),
        "## Raw samples (s, in round order)",
        "\n".join(raw),
        "Outside the stages, run by run:",
        "\n".join(
            f"- {way}: " + ", ".join(f"{t:.3f}" for t in runs)
            for way, runs in table.outside.items()
        ),
    ]
    return "\n\n".join(parts) + "\n"
