"""The result document's JSON mapping: :class:`~localci.result.model.Result` to and from
the shape of ``schemas/result.v1.schema.json``.

These functions are the only translation between the frozen dataclasses of
:mod:`localci.result.model` and JSON; every field name there is the JSON key of the same
name. Validation against the schema lives in :mod:`localci.schemas`; these functions
assume (from_dict) or produce (to_dict) valid data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localci.git import GitInfo
from localci.result.model import (
    CacheOrigin,
    CoverageMetrics,
    Finding,
    Inventory,
    LintCounts,
    Metrics,
    Result,
    RunnerInfo,
    ShardRecord,
    StageResult,
    TestCounts,
    ThresholdOutcome,
    WorkspaceInfo,
)

__all__ = ["result_from_dict", "result_to_dict", "stage_from_dict", "stage_to_dict"]


def _drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _finding_to_dict(f: Finding) -> dict[str, Any]:
    return _drop_none(
        {
            "kind": f.kind,
            "message": f.message,
            "severity": f.severity,
            "path": f.path,
            "line": f.line,
            "end_line": f.end_line,
            "column": f.column,
            "rule": f.rule,
            "test_id": f.test_id,
            "details": f.details,
        }
    )


def _metrics_to_dict(m: Metrics) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if m.tests is not None:
        out["tests"] = dict(vars(m.tests))
    if m.coverage is not None:
        out["coverage"] = dict(vars(m.coverage))
    if m.lint is not None:
        out["lint"] = dict(vars(m.lint))
    return out


def stage_to_dict(s: StageResult) -> dict[str, Any]:
    """One stage's part of the result document."""
    doc = {
        "name": s.name,
        "kind": s.kind,
        "status": s.status,
        "reason": s.reason,
        "exit_code": s.exit_code,
        "command": list(s.command),
        "duration": s.duration,
        "started_at": s.started_at,
        "finished_at": s.finished_at,
        "metrics": _metrics_to_dict(s.metrics),
        "thresholds": [_drop_none(dict(vars(t))) for t in s.thresholds],
        "findings": [_finding_to_dict(f) for f in s.findings],
        "findings_total": s.findings_total,
        "log_tail": s.log_tail,
        "log_tail_truncated": s.log_tail_truncated,
        "report_format": s.report_format,
    }
    if s.shards:
        doc["shards"] = [dict(vars(shard)) for shard in s.shards]
    return doc | _inventory_to_dict(s.inventory)


def _inventory_to_dict(inv: Inventory | None) -> dict[str, Any]:
    if inv is None:
        return {}
    return {"inventory": {"tests": dict(inv.tests), "files": dict(inv.files)}}


def _inventory_from_dict(data: Mapping[str, Any] | None) -> Inventory | None:
    if data is None:
        return None
    return Inventory(
        tests=tuple(sorted(data.get("tests", {}).items())),
        files=tuple(sorted(data.get("files", {}).items())),
    )


def result_to_dict(result: Result) -> dict[str, Any]:
    """The JSON document for ``result`` (plain dicts, lists, str, int, float, bool, None)."""
    doc: dict[str, Any] = {
        "schema": result.schema,
        "schema_version": result.schema_version,
        "localci_version": result.localci_version,
        "run_id": result.run_id,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "duration": result.duration,
        "conclusion": result.conclusion,
        "partial": result.partial,
        "git": dict(vars(result.git)),
        "runner": _drop_none(dict(vars(result.runner))),
        "config": _config_to_dict(result),
        "stages": [stage_to_dict(s) for s in result.stages],
    }
    if result.cached_from is not None:
        doc["cached_from"] = dict(vars(result.cached_from))
    if result.workspace is not None:
        ws = result.workspace
        doc["workspace"] = {
            "mode": ws.mode,
            "ignored": list(ws.ignored),
            "ignored_total": ws.ignored_total,
        }
    return doc


def _config_to_dict(result: Result) -> dict[str, Any]:
    config: dict[str, Any] = {"path": result.config_path, "sha256": result.config_sha256}
    if result.config_committed is not None:
        config["committed"] = result.config_committed
    return config


def _metrics_from_dict(data: Mapping[str, Any]) -> Metrics:
    tests, cov, lint = data.get("tests"), data.get("coverage"), data.get("lint")
    return Metrics(
        tests=TestCounts(**tests) if tests is not None else None,
        coverage=CoverageMetrics(**cov) if cov is not None else None,
        lint=LintCounts(**lint) if lint is not None else None,
    )


def stage_from_dict(data: Mapping[str, Any]) -> StageResult:
    """A :class:`StageResult` from its part of the result document."""
    return StageResult(
        name=data["name"],
        kind=data["kind"],
        status=data["status"],
        reason=data.get("reason"),
        exit_code=data.get("exit_code"),
        command=tuple(data["command"]),
        duration=data["duration"],
        started_at=data.get("started_at"),
        finished_at=data.get("finished_at"),
        metrics=_metrics_from_dict(data.get("metrics", {})),
        thresholds=tuple(ThresholdOutcome(**t) for t in data.get("thresholds", [])),
        findings=tuple(Finding(**f) for f in data.get("findings", [])),
        findings_total=data.get("findings_total", 0),
        log_tail=data.get("log_tail"),
        log_tail_truncated=data.get("log_tail_truncated", False),
        report_format=data.get("report_format"),
        shards=tuple(ShardRecord(**shard) for shard in data.get("shards", [])),
        inventory=_inventory_from_dict(data.get("inventory")),
    )


def result_from_dict(data: Mapping[str, Any]) -> Result:
    """Build a :class:`Result` from a schema-valid document (validate it first).

    :raises KeyError, TypeError: when ``data`` is not schema-valid.
    """
    return Result(
        schema=data["schema"],
        schema_version=data["schema_version"],
        localci_version=data["localci_version"],
        run_id=data["run_id"],
        started_at=data["started_at"],
        finished_at=data["finished_at"],
        duration=data["duration"],
        conclusion=data["conclusion"],
        partial=data.get("partial", False),
        git=GitInfo(**data["git"]),
        runner=RunnerInfo(**data["runner"]),
        config_path=data["config"]["path"],
        config_sha256=data["config"]["sha256"],
        config_committed=data["config"].get("committed"),
        stages=tuple(stage_from_dict(s) for s in data["stages"]),
        cached_from=CacheOrigin(**data["cached_from"]) if data.get("cached_from") else None,
        workspace=_workspace_from_dict(data.get("workspace")),
    )


def _workspace_from_dict(data: Mapping[str, Any] | None) -> WorkspaceInfo | None:
    if data is None:
        return None
    return WorkspaceInfo(
        mode=data["mode"],
        ignored=tuple(data.get("ignored", ())),
        ignored_total=data.get("ignored_total", 0),
    )
