"""The retention sweep: what localci keeps in ``.localci/`` and git expires after
``retention_days`` (default 14; the storage layout: :mod:`localci.result.store`).

====================  ===========================================  =====================
kind                  where                                        age
====================  ===========================================  =====================
run folders           ``.localci/runs/<run-id>/``                  folder mtime
spool entries         ``.localci/spool/*.json``                    file mtime
flaky history         ``.localci/flaky.json`` entries              the entry's ``last``
fetched notes         ``<notes ref>-remote`` (the fetch cache)     its tip's commit time
====================  ===========================================  =====================

Stored results (``results/<sha>.json``) and the published notes ref itself are never
swept: they are the record. The clock is injected (``now``, Unix seconds) so the sweep is
testable without waiting.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from localci import git as gitrepo
from localci.errors import GitError
from localci.result.flaky import sweep_flaky
from localci.result.store import Store

__all__ = ["Swept", "sweep"]

DAY = 86400


@dataclass(frozen=True, kw_only=True)
class Swept:
    """How many of each kind were removed."""

    runs: int = 0
    spool: int = 0
    flaky: int = 0
    notes: int = 0


def sweep(
    store: Store,
    retention_days: int,
    *,
    notes_ref: str | None = None,
    now: float | None = None,
) -> Swept:
    """Remove everything of the kinds in the module doc older than ``retention_days``
    days before ``now`` (default: the current time). Never raises for a file that
    vanished meanwhile; a git failure leaves the fetched notes alone."""
    cutoff = (time.time() if now is None else now) - retention_days * DAY
    return Swept(
        runs=_sweep_runs(store, cutoff),
        spool=_sweep_spool(store, cutoff),
        flaky=sweep_flaky(store.base, _rfc3339(cutoff)) if store.base.is_dir() else 0,
        notes=_sweep_notes(store, notes_ref, cutoff) if notes_ref else 0,
    )


def _rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _older(mtime: float, cutoff: float) -> bool:
    return mtime < cutoff


def _sweep_runs(store: Store, cutoff: float) -> int:
    if not store.runs.is_dir():
        return 0
    removed = 0
    for run in store.runs.iterdir():
        try:
            old = run.is_dir() and _older(run.stat().st_mtime, cutoff)
        except FileNotFoundError:
            continue
        if old:
            shutil.rmtree(run, ignore_errors=True)
            removed += 1
    return removed


def _sweep_spool(store: Store, cutoff: float) -> int:
    if not store.spool.is_dir():
        return 0
    removed = 0
    for entry in store.spool.glob("*.json"):
        try:
            if _older(entry.stat().st_mtime, cutoff):
                entry.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _sweep_notes(store: Store, notes_ref: str, cutoff: float) -> int:
    cache = f"{notes_ref}-remote"
    try:
        stamp = gitrepo.ref_commit_time(store.root, cache)
        if stamp is None or not _older(stamp, cutoff):
            return 0
        gitrepo.delete_ref(store.root, cache)
    except GitError:
        return 0
    return 1
