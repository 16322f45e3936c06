"""Shards back into one stage outcome (pure functions over files and data).

- JUnit XML: every shard's suites merged into one document with junitparser (each file
  parsed with defusedxml first), written where the unsharded stage writes its report.
- Coverage data: combined with coverage.py's own ``combine``, with a ``[paths]`` alias
  that maps every worker's temporary tree onto the coordinator's workspace, so reports
  made from it equal an unsharded run's.
- The process outcome: exit codes, time-outs, cancellation and output tails folded into
  one :class:`~localci.proc.ProcessOutcome` that the stage rules judge as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from localci.fsutil import atomic_write_bytes
from localci.proc import TAIL_BYTES, TAIL_LINES, ProcessOutcome
from localci.run.shard.spec import ShardOutcome, ShardSpec

__all__ = [
    "SHARD_TREE_GLOB",
    "check_manifests",
    "combine_coverage",
    "coverage_targets",
    "merge_junit",
    "merged_durations",
    "merged_outcome",
]

SHARD_TREE_GLOB = "*/localci-shard-*/tree/"
"""What a worker's unpacked tree looks like in coverage data (``[paths]`` pattern)."""
_SQLITE = b"SQLite format 3\x00"


def merge_junit(reports: Sequence[bytes], out: Path) -> None:
    """Merge pytest JUnit XML documents into one at ``out`` (atomically).

    Suites of the same name become one suite; its counts are recomputed.

    :raises ValueError: when a document is not JUnit XML (or declares entities).
    """
    import io

    import defusedxml.ElementTree as safe_xml  # type: ignore[import-untyped,unused-ignore]
    from junitparser import JUnitXml

    merged = JUnitXml()
    for data in reports:
        try:
            part = JUnitXml.fromfile(io.BytesIO(data), parse_func=safe_xml.parse)
        except Exception as exc:  # defusedxml, expat and junitparser raise their own kinds
            raise ValueError(f"a shard's JUnit XML is unusable: {exc}") from None
        for suite in part:
            merged.add_testsuite(suite)
    merged.update_statistics()  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    merged.write(buffer)
    atomic_write_bytes(out, buffer.getvalue())


def coverage_targets(outcomes: Sequence[ShardOutcome]) -> dict[str, list[tuple[int, str]]]:
    """Coverage data files by the relative path they combine into.

    A file is coverage data when it is SQLite (coverage.py's format); parallel-mode
    names (``.coverage.host.pid.x``) combine into ``.coverage`` in the same folder.
    Values are ``(shard index, returned relative path)``.
    """
    targets: dict[str, list[tuple[int, str]]] = {}
    for outcome in outcomes:
        for rel, data in sorted(outcome.files.items()):
            if not data.startswith(_SQLITE):
                continue
            folder, _, name = rel.rpartition("/")
            if name.startswith(".coverage."):
                name = ".coverage"
            targets.setdefault(f"{folder}/{name}", []).append((outcome.index, rel))
    return targets


def combine_coverage(parts: Sequence[Path], out: Path, workspace: Path) -> None:
    """Combine coverage data files ``parts`` into ``out`` with coverage.py's ``combine``,
    re-rooting every worker tree (:data:`SHARD_TREE_GLOB`) onto ``workspace``.

    :raises coverage.exceptions.CoverageException: when the parts cannot be combined
        (e.g. one measured branches and another did not).
    """
    import coverage

    out.unlink(missing_ok=True)
    cov = coverage.Coverage(data_file=str(out), config_file=False)
    cov.set_option("paths", {"localci-workspace": [f"{workspace}/", SHARD_TREE_GLOB]})
    cov.combine(data_paths=[str(p) for p in parts], strict=True, keep=True)
    cov.save()


def check_manifests(specs: Sequence[ShardSpec], outcomes: Sequence[ShardOutcome]) -> str | None:
    """Why the shards cannot be trusted to have run the suite exactly once, or ``None``.

    Every shard must have loaded the plugin, collected the same ids (equal digests), and
    the selections must add up to the collected count.
    """
    manifests = []
    for spec, outcome in zip(specs, outcomes, strict=True):
        if outcome.manifest is None:
            return (
                f"{spec.label} on {outcome.worker} did not load the shard plugin "
                "(only a pytest `tests` stage can be sharded)"
            )
        manifests.append(outcome.manifest)
    digests = {m.get("digest") for m in manifests}
    if len(digests) != 1:
        return "the shards collected different tests (is collection order-dependent?)"
    collected = manifests[0].get("collected")
    selected = sum(int(m.get("selected", 0)) for m in manifests)  # type: ignore[call-overload]
    if selected != collected:
        return f"the shards selected {selected} tests but collected {collected}"
    return None


def merged_durations(outcomes: Sequence[ShardOutcome]) -> dict[str, float]:
    """Seconds per test id across all shards (from the plugin's manifests)."""
    out: dict[str, float] = {}
    for outcome in outcomes:
        timings = (outcome.manifest or {}).get("durations", {})
        out.update({str(k): float(v) for k, v in timings.items()})  # type: ignore[attr-defined]
    return dict(sorted(out.items()))


def merged_outcome(
    specs: Sequence[ShardSpec], outcomes: Sequence[ShardOutcome], duration: float
) -> ProcessOutcome:
    """One process outcome for the stage: exit 0 when all shards exited 0, 1 when each
    exited 0 or 1 and one exited 1, else the first other code; timed out or cancelled
    when any shard was; the tails of the shards that did not exit 0, each under a
    heading, cut to the usual bounds; ``duration`` is the coordinator's wall time."""
    codes = [o.exit_code for o in outcomes]
    odd = [c for c in codes if c not in (0, 1)]
    code = odd[0] if odd else max(codes, default=0)
    lines: list[str] = []
    for spec, outcome in zip(specs, outcomes, strict=True):
        if outcome.exit_code != 0 or outcome.timed_out or outcome.cancelled:
            lines.append(f"--- {spec.label} on {outcome.worker} (exit {outcome.exit_code}) ---")
            lines.extend(outcome.tail.splitlines())
    truncated = len(lines) > TAIL_LINES or any(o.tail_truncated for o in outcomes)
    tail = "\n".join(lines[-TAIL_LINES:])
    if len(tail.encode("utf-8")) > TAIL_BYTES:
        tail = tail.encode("utf-8")[-TAIL_BYTES:].decode("utf-8", "ignore")
        truncated = True
    return ProcessOutcome(
        exit_code=code,
        timed_out=any(o.timed_out for o in outcomes),
        cancelled=any(o.cancelled for o in outcomes),
        duration=duration,
        tail=tail,
        tail_truncated=truncated,
    )
