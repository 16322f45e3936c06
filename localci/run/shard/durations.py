"""Per-test durations kept from earlier sharded runs: ``.localci/durations/<stage>.json``.

A JSON object ``{test id: seconds}``, replaced after every sharded run of the stage
(atomically), so it holds exactly the suite as last collected. A missing or unreadable
file means "no history": the plan then weighs every test the same.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path

from localci.fsutil import atomic_write_json

__all__ = ["load", "path_for", "save"]


def path_for(root: Path, stage: str) -> Path:
    """Where ``stage``'s durations live in repository ``root``."""
    return root / ".localci" / "durations" / f"{stage}.json"


def load(root: Path, stage: str) -> dict[str, float]:
    """The stored durations, or ``{}`` when there are none (or they are unreadable)."""
    try:
        data = json.loads(path_for(root, stage).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float) and v >= 0}


def save(root: Path, stage: str, durations: Mapping[str, float]) -> None:
    """Replace ``stage``'s durations (never raises for an unwritable folder: the history
    only balances later runs, it never changes a result)."""
    with contextlib.suppress(OSError):
        atomic_write_json(path_for(root, stage), dict(sorted(durations.items())))
