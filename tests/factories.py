"""Builders of valid result objects for tests and benchmarks.

Canned defaults for every required field, each overridable by keyword, so a test states
only what it is about. The defaults are schema-valid: ``result_to_dict(make_result())``
passes ``schemas/result.v1.schema.json``.
"""

from __future__ import annotations

from typing import Any

from localci.result.model import GitInfo, Result, RunnerInfo, StageResult

__all__ = ["SHA", "TREE", "make_result", "make_stage"]

SHA = "0123456789abcdef0123456789abcdef01234567"
TREE = "f" * 40


def make_stage(name: str, kind: str = "command", **fields: Any) -> StageResult:
    """A passed stage called ``name`` (exit 0, 1.0 s, command ``(name,)``)."""
    base: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "status": "passed",
        "command": (name,),
        "duration": 1.0,
        "exit_code": 0,
    }
    return StageResult(**(base | fields))


def make_result(*stages: StageResult, **fields: Any) -> Result:
    """A successful result for :data:`SHA` holding ``stages``."""
    base: dict[str, Any] = {
        "run_id": "20260101T000000Z-abcdef",
        "localci_version": "0.1.0",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:09Z",
        "duration": 9.0,
        "conclusion": "success",
        "git": GitInfo(commit=SHA, tree=TREE),
        "runner": RunnerInfo(os="Linux", python="3.12", localci_version="0.1.0"),
        "config_path": ".localci.yml",
        "config_sha256": "c" * 64,
        "stages": stages,
    }
    return Result(**(base | fields))
