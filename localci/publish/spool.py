"""The spool: posts not yet delivered, kept under ``.localci/spool/`` until GitHub or the
git remote confirms them (DESIGN.md, "never dropped").

One JSON file per (channel, commit): spooling the same post again replaces the entry, so
delivery is idempotent. Entries hold the note (result + bundle) and where it was going,
never a credential; credentials are resolved again when the spool is drained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from localci.fsutil import atomic_write_json
from localci.result.store import Store, utc_now

__all__ = [
    "SPOOL_FORMAT",
    "SpoolEntry",
    "has_spooled",
    "list_entries",
    "new_entry",
    "remove_entry",
    "spool",
]

SPOOL_FORMAT = "localci-spool/v1"
Channel = Literal["notes", "github"]


@dataclass(frozen=True, kw_only=True)
class SpoolEntry:
    """An undelivered post.

    ``reason`` is ``not_on_github`` (the commit was not pushed yet: the normal state
    before ``git push``) or ``unreachable`` (network, 5xx, rate limit past the budget);
    ``target`` says where it goes (``repo``, ``api_url``, ``remote``, ``notes_ref``,
    ``check_name``, ``status_context``...); ``note`` is the result and its bundle.
    """

    channel: Channel
    sha: str
    reason: Literal["not_on_github", "unreachable"]
    last_error: str
    target: dict[str, Any]
    note: dict[str, Any]
    created_at: str
    attempts: int = 1

    @property
    def id(self) -> str:
        return f"{self.channel}-{self.sha}"


def spool(store: Store, entry: SpoolEntry) -> Path:
    """Write (or replace) ``entry`` atomically; its path. Attempts accumulate."""
    path = store.spool / f"{entry.id}.json"
    previous = _read(path)
    if previous is not None:
        entry = replace(entry, attempts=previous.attempts + 1, created_at=previous.created_at)
    store.ensure()
    atomic_write_json(path, {"format": SPOOL_FORMAT, **_to_dict(entry)})
    return path


def list_entries(store: Store) -> list[SpoolEntry]:
    """Every readable entry, oldest first (unreadable files are left for a human)."""
    if not store.spool.is_dir():
        return []
    entries = [e for p in sorted(store.spool.glob("*.json")) if (e := _read(p)) is not None]
    return sorted(entries, key=lambda e: e.created_at)


def has_spooled(root: Path) -> bool:
    """Whether anything waits in ``<root>/.localci/spool`` (a directory listing, no I/O
    beyond it: cheap enough to ask on every run)."""
    spool_dir = Store(root).spool
    return spool_dir.is_dir() and any(spool_dir.glob("*.json"))


def remove_entry(store: Store, entry: SpoolEntry) -> None:
    """Delete ``entry`` (after its delivery was confirmed)."""
    (store.spool / f"{entry.id}.json").unlink(missing_ok=True)


def new_entry(
    channel: Channel,
    sha: str,
    reason: Literal["not_on_github", "unreachable"],
    error: str,
    target: dict[str, Any],
    note: dict[str, Any],
) -> SpoolEntry:
    """A fresh entry stamped now."""
    return SpoolEntry(
        channel=channel,
        sha=sha,
        reason=reason,
        last_error=error,
        target=target,
        note=note,
        created_at=utc_now(),
    )


def _to_dict(entry: SpoolEntry) -> dict[str, Any]:
    return {
        "channel": entry.channel,
        "sha": entry.sha,
        "reason": entry.reason,
        "last_error": entry.last_error,
        "target": entry.target,
        "note": entry.note,
        "created_at": entry.created_at,
        "attempts": entry.attempts,
    }


def _read(path: Path) -> SpoolEntry | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.pop("format") != SPOOL_FORMAT:
            return None
        return SpoolEntry(**doc)
    except (OSError, ValueError, TypeError, KeyError):
        return None
