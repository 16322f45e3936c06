"""The spool: posts not yet delivered, kept under ``.localci/spool/`` until GitHub or the
git remote confirms them (never dropped; ``docs/architecture.md``, "Publishing").

One JSON file per (channel, commit), valid against ``schemas/spool.v1.schema.json``:
spooling the same post again replaces the entry, so delivery is idempotent. Entries hold
the signed result and where it was going (:class:`SpoolTarget`), never a credential;
credentials are resolved again when the spool is drained, and an entry is delivered only
when its target is the one configured then (``localci.publish.deliver``). A file that is
not a valid entry is never sent; it stays for a human. JSON is read and written only here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from localci.attest.signed import SignedResult
from localci.errors import UsageError
from localci.fsutil import atomic_write_json
from localci.result.store import Store, utc_now, validate_result_doc
from localci.schemas import SPOOL_SCHEMA, schema_errors

__all__ = [
    "SPOOL_FORMAT",
    "SpoolEntry",
    "SpoolTarget",
    "has_spooled",
    "list_entries",
    "new_entry",
    "read_entry",
    "remove_entry",
    "spool",
]

SPOOL_FORMAT = "localci-spool/v1"
Channel = Literal["notes", "github"]
Reason = Literal["not_on_github", "unreachable"]


@dataclass(frozen=True, kw_only=True)
class SpoolTarget:
    """Where a spooled post goes: the GitHub repository (``owner/name``) and API URL, the
    git remote and notes ref, and the names it is published under."""

    repo: str | None
    api_url: str
    remote: str
    notes_ref: str
    check_name: str
    status_context: str
    target_url: str | None = None
    annotate_uncovered: bool = False


@dataclass(frozen=True, kw_only=True)
class SpoolEntry:
    """An undelivered post.

    ``reason`` is ``not_on_github`` (the commit was not pushed yet: the normal state
    before ``git push``) or ``unreachable`` (network, 5xx, rate limit past the budget).
    """

    channel: Channel
    sha: str
    reason: Reason
    last_error: str
    target: SpoolTarget
    signed: SignedResult
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
    atomic_write_json(path, _to_json(entry))
    return path


def list_entries(store: Store) -> list[SpoolEntry]:
    """Every valid entry, oldest first (invalid files are left for a human)."""
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
    reason: Reason,
    error: str,
    target: SpoolTarget,
    signed: SignedResult,
) -> SpoolEntry:
    """A fresh entry stamped now."""
    return SpoolEntry(
        channel=channel,
        sha=sha,
        reason=reason,
        last_error=error,
        target=target,
        signed=signed,
        created_at=utc_now(),
    )


def _to_json(entry: SpoolEntry) -> dict[str, Any]:
    return {
        "format": SPOOL_FORMAT,
        "channel": entry.channel,
        "sha": entry.sha,
        "reason": entry.reason,
        "last_error": entry.last_error,
        "target": asdict(entry.target),
        "note": entry.signed.to_json(),
        "created_at": entry.created_at,
        "attempts": entry.attempts,
    }


def read_entry(path: Path) -> SpoolEntry:
    """The entry in ``path``, validated against ``spool.v1`` and ``result.v1``.

    :raises UsageError: naming the file and the first problems.
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path.name}: not a readable spool entry: {exc}") from None
    errors = schema_errors(SPOOL_SCHEMA, doc)
    if errors:
        raise UsageError(f"{path.name}: not a valid spool entry:\n" + "\n".join(errors[:5]))
    result = validate_result_doc(doc["note"]["result"], source=f"{path.name}'s result")
    if result.git.commit != doc["sha"]:
        raise UsageError(f"{path.name}: the result is for {result.git.commit}, not {doc['sha']}")
    signed = SignedResult.from_json(doc["note"], "spool")
    assert signed is not None  # the schema requires a result object
    signed.__dict__["result"] = result  # validated above: not parsed twice
    return SpoolEntry(
        channel=doc["channel"],
        sha=doc["sha"],
        reason=doc["reason"],
        last_error=doc["last_error"],
        target=SpoolTarget(**doc["target"]),
        signed=signed,
        created_at=doc["created_at"],
        attempts=doc["attempts"],
    )


def _read(path: Path) -> SpoolEntry | None:
    try:
        return read_entry(path)
    except UsageError:
        return None
