"""The code under test stays as committed: no stage may edit tracked files.

A linter with ``fix = true``, a formatter, a snapshot test that rewrites its snapshots:
any of them would make later stages (and coverage) measure edited code, and with
``--in-place`` edit the user's own files. After each stage ends, :class:`TreeGuard`
compares the tracked files' content with what it was before; a stage that changed any
becomes an ``error`` that names the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from localci.git import tracked_changes
from localci.result.model import StageResult

__all__ = ["TreeGuard"]

_NAMED = 10
"""Files named in a reason; the rest are counted."""


class TreeGuard:
    """Watches the tracked files of the checkout at ``workspace``.

    Changes already present when the guard is made (uncommitted edits of an
    ``--in-place`` run) are the baseline, not a stage's doing.
    """

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.state = tracked_changes(workspace)

    def check(self, result: StageResult, running: Sequence[str]) -> StageResult:
        """``result``, made an ``error`` naming the files when tracked files changed since
        the last check; ``running`` names stages that ran at the same time (they may be
        the ones that edited)."""
        now = tracked_changes(self.workspace)
        changed = sorted(p for p in set(now) | set(self.state) if now.get(p) != self.state.get(p))
        self.state = now
        if not changed:
            return result
        names = ", ".join(changed[:_NAMED])
        if len(changed) > _NAMED:
            names += f" and {len(changed) - _NAMED} more"
        also = f" (or {', '.join(running)}, running at the same time)" if running else ""
        reason = (
            f"stage {result.name!r}{also} changed tracked files: {names}; a stage must not "
            "edit the code under test (run fixers and formatters with their check-only flag)"
        )
        if result.reason:
            reason += f"; before that: {result.reason}"
        return replace(result, status="error", reason=reason)
