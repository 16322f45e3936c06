"""Instruction counts for ``bench_side_by_side.py --instructions`` (issue #11).

The plain script and ``localci run --jobs 1 --no-cache`` run once each under valgrind's
callgrind with ``--trace-children=yes``, so every process either starts is counted. Each
process is charged to the stage command it runs under (itself or its nearest ancestor
that is one: tests, coverage, lint); the rest is the way's own work (localci's Python and
its git commands; the script's bash and ``date``).

Wall times on a shared machine move by several per cent from run to run; the number of
instructions a process executes does not depend on what else the machine does, only on
what the process does. So this answers what the walls cannot on such a machine: whether
the stage commands do the same work inside localci as in the script, and how much work
localci adds to them. Instructions are not seconds: they leave out waiting (on the disk,
on a child, on the other core) and price every instruction alike; valgrind runs a
process's threads one at a time. The two ways run at the same time (their counts do not
depend on it), each about 40 times slower than natively.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

OWN = "own"
"""The part of a way's instructions outside its stage commands."""
UNCOUNTED = "uncounted processes"
"""How many processes ended without valgrind's count (killed by a signal)."""
VALGRIND = (
    *("valgrind", "--tool=callgrind", "--trace-children=yes"),
    "--callgrind-out-file=/dev/null",
)
_FIELDS = {
    "command": re.compile(r"^==\d+== Command: (.*)$", re.M),
    "parent": re.compile(r"^==\d+== Parent PID: (\d+)$", re.M),
    "collected": re.compile(r"^==\d+== Collected : (\d+)$", re.M),
}


@dataclass(frozen=True)
class Process:
    """One process valgrind followed: its pid, parent's pid, command line and the
    instructions it executed (callgrind's ``Ir``; None when it was killed before
    valgrind could count, as some of a test suite's child processes are)."""

    pid: int
    parent: int
    command: str
    instructions: int | None


def read_logs(folder: Path) -> list[Process]:
    """The processes of valgrind's per-process logs ``log.<pid>`` in ``folder``.

    :raises ValueError: for a log without its command line or parent (not valgrind's).
    """
    found = []
    for log in sorted(folder.glob("log.*")):
        text = log.read_text(errors="replace")
        values = {name: pattern.search(text) for name, pattern in _FIELDS.items()}
        command, parent, collected = (m.group(1) if m else None for m in values.values())
        if command is None or parent is None:
            raise ValueError(f"{log.name}: no command line or parent in valgrind's log")
        pid = int(log.name.split(".", 1)[1])
        found.append(Process(pid, int(parent), command, int(collected) if collected else None))
    return found


def charge(processes: Sequence[Process], stages: Mapping[str, str]) -> dict[str, int]:
    """Instructions per stage (and :data:`OWN`): a process goes to the stage whose marker
    (a piece of its command line, ``stages``: name -> marker) its own command or its
    nearest ancestor's contains."""
    by_pid = {p.pid: p for p in processes}

    def stage_of(process: Process) -> str:
        seen: set[int] = set()
        current: Process | None = process
        while current is not None and current.pid not in seen:
            seen.add(current.pid)
            for name, marker in stages.items():
                if marker in current.command:
                    return name
            current = by_pid.get(current.parent)
        return OWN

    totals = dict.fromkeys([*stages, OWN, UNCOUNTED], 0)
    for process in processes:
        if process.instructions is None:
            totals[UNCOUNTED] += 1
        else:
            totals[stage_of(process)] += process.instructions
    return totals


def count(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], logs: Path) -> list[Process]:
    """Run ``argv`` under callgrind, following its children, valgrind's logs in ``logs``
    (emptied first, kept after): every process's count.

    :raises SystemExit: when the way fails under valgrind.
    """
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    done = subprocess.run(
        [*VALGRIND, f"--log-file={logs}/log.%p", *argv],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed under valgrind:\n{done.stdout[-2000:]}")
    return read_logs(logs)


@dataclass(frozen=True, kw_only=True)
class Way:
    """A way to count: its name, command line and environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]


def measure(
    ways: Sequence[Way],
    *,
    cwd: Path,
    stages: Mapping[str, str],
    logs: Path,
) -> dict[str, dict[str, int]]:
    """Each way's instructions per stage and own (:func:`charge`), the ways run at the
    same time, their logs kept under ``logs/<n>``. ``PYTHONHASHSEED`` is fixed, so set
    and dict orders are the same in every way."""
    with ThreadPoolExecutor(max_workers=len(ways)) as pool:
        runs = {
            way.name: pool.submit(
                count,
                way.argv,
                cwd=cwd,
                env={**way.env, "PYTHONHASHSEED": "0"},
                logs=logs / str(n),
            )
            for n, way in enumerate(ways)
        }
        return {name: charge(run.result(), stages) for name, run in runs.items()}


def markdown(counts: Mapping[str, Mapping[str, int]], base: str, other: str) -> list[str]:
    """RESULTS.md's section: a table of instructions (millions) per part and way, and
    the ratios of ``other`` to ``base``."""
    parts = [p for p in counts[base] if p != UNCOUNTED]
    rows = ["| part | " + " | ".join((base, other, "ratio")) + " |", "|---|---|---|---|"]
    for part in [*parts, "total"]:
        a = sum(counts[base][p] for p in parts) if part == "total" else counts[base][part]
        b = sum(counts[other][p] for p in parts) if part == "total" else counts[other][part]
        ratio = f"{b / a:.4f}" if a else ""
        rows.append(f"| {part} | {a / 1e6:,.0f} | {b / 1e6:,.0f} | {ratio} |")
    base_total = sum(counts[base][p] for p in parts)
    own = counts[other][OWN] - counts[base][OWN]
    lost = {way: counts[way].get(UNCOUNTED, 0) for way in (base, other)}
    return [
        "## Instructions (valgrind callgrind, millions)",
        "\n".join(rows),
        f"What {other} adds beyond the stage commands is {own / base_total:.2%} of the "
        f"script's instructions; each stage command's ratio shows whether it does the same "
        "work inside localci as in the script (the method: "
        "`benchmarks/side_by_side_instructions.py`). Instructions are not seconds; they "
        "do not move with the machine's load. localci's own count includes what its "
        "threads do while a stage's process runs on the other core (loading the report "
        "parsers and the result schema, scrubbing and checking the previous stage's "
        "result): counted here, it does not lengthen the run. Processes killed before "
        f"valgrind could count them (a test suite's children): {lost[base]} in {base}, "
        f"{lost[other]} in {other}; they are left out of both.",
    ]
