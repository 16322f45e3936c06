"""Shard files onto the coordinator's run: logs, merged JUnit XML, combined coverage.

Every file a shard returned is kept under ``{reports}/shards/<index>/``; the stage log
is the shards' logs one after another; the JUnit report goes where the unsharded stage
writes it, and coverage data where the next stage (``coverage json``) reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from localci.config.loader import StageConfig
from localci.fsutil import atomic_write_bytes
from localci.run.shard.merge import combine_coverage, coverage_targets, merge_junit
from localci.run.shard.spec import ShardOutcome, ShardSpec
from localci.run.stage import StageContext, expand

__all__ = ["place_files"]

_REPORTED = (0, 1)


def _destination(rel: str, ctx: StageContext) -> Path:
    top, _, rest = rel.partition("/")
    return (ctx.reports if top == "reports" else ctx.workspace) / rest


def place_files(
    stage: StageConfig,
    ctx: StageContext,
    specs: Sequence[ShardSpec],
    outcomes: Sequence[ShardOutcome],
    exit_code: int,
) -> str | None:
    """Write the shards' files into the run; why the stage must be an ``error``, or
    ``None``. A shard with no JUnit report is an error when every shard exited as pytest
    does after reporting (0 or 1); otherwise the exit code explains it."""
    kept = ctx.reports / "shards"
    log = bytearray()
    for spec, outcome in zip(specs, outcomes, strict=True):
        for rel, data in outcome.files.items():
            if rel == "shard.log":
                log += f"--- {spec.label} on {outcome.worker} ---\n".encode() + data
            else:
                atomic_write_bytes(kept / str(outcome.index) / rel, data)
    atomic_write_bytes(ctx.logs / f"{stage.name}.log", bytes(log))
    missing = [(s, o) for s, o in zip(specs, outcomes, strict=True) if o.report is None]
    if missing and exit_code in _REPORTED:
        spec, outcome = missing[0]
        return f"{spec.label} on {outcome.worker} wrote no JUnit report"
    if stage.report is not None and len(missing) < len(outcomes):
        target = Path(expand(stage.report.path, ctx))
        target = target if target.is_absolute() else ctx.workspace / target
        try:
            merge_junit([o.report for o in outcomes if o.report is not None], target)
        except ValueError as exc:
            return str(exc)
    return _combine(ctx, kept, outcomes)


def _combine(ctx: StageContext, kept: Path, outcomes: Sequence[ShardOutcome]) -> str | None:
    for rel, parts in coverage_targets(outcomes).items():
        try:
            combine_coverage(
                [kept / str(index) / part for index, part in parts],
                _destination(rel, ctx),
                ctx.workspace,
            )
        except Exception as exc:  # coverage.py raises its own CoverageException kinds
            return f"the shards' coverage data could not be combined: {exc}"
    return None
