"""The git notes channel: a result (and its bundle) travels with the repository.

One note per commit under ``refs/notes/localci`` (configurable, always under
``refs/notes/``). The note is one JSON document (:data:`NOTE_FORMAT`)::

    {"format": "localci-note/v1", "result": {...}, "bundle": {...} | null,
     "test_result_bundle": {...}}          (the last key only when signed; optional in v1)

Publishing needs only the user's ordinary git credentials, so it works on any git host
and in a pre-push hook (before the commits reach GitHub). Concurrent publishers do not
lose each other's notes: a rejected push fetches, merges (a note per commit, so a
union) and retries, up to :data:`PUSH_ATTEMPTS` times, after a random wait that grows
with each try ("full jitter": uniform in 0 .. min(:data:`MAX_BACKOFF`, 0.1 s * 2^n)), so
publishers that collided do not collide again in lock step.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from localci import git as gitrepo
from localci.attest.signed import SignedResult
from localci.errors import DeliveryError, GitError
from localci.fsutil import load_json
from localci.publish.channel import ChannelOutcome, NotFound, PlannedRequest, PublishOptions

__all__ = [
    "NOTE_FORMAT",
    "PUSH_ATTEMPTS",
    "NotesChannel",
    "fetch_note",
    "parse_note",
    "publish_note",
    "render_note",
]

NOTE_FORMAT = "localci-note/v1"
PUSH_ATTEMPTS = 10
MAX_BACKOFF = 2.0
"""Upper bound, in seconds, of one wait between push attempts."""


def render_note(signed: SignedResult) -> str:
    """The note's text (compact JSON, one line)."""
    doc = {"format": NOTE_FORMAT, **signed.to_json()}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def parse_note(text: str) -> SignedResult | None:
    """The signed result in a note's text, or ``None`` when it is not a localci note."""
    try:
        doc = load_json(text)  # a note from a remote: size and nesting bounded
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("format") != NOTE_FORMAT:
        return None
    return SignedResult.from_json(doc, "notes")


def publish_note(
    root: Path,
    commit: str,
    signed: SignedResult,
    *,
    remote: str | None,
    ref: str,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Write the note locally and, when ``remote`` is given, push the notes ref.

    ``sleep`` waits between attempts (injectable for tests).

    :returns: True when the remote now has the note (False when ``remote`` is None).
    :raises DeliveryError: when the remote stays unreachable or keeps rejecting the push.
    :raises UsageError: when ``ref`` is not under ``refs/notes/``.
    """
    gitrepo.write_note(root, ref, commit, render_note(signed))
    if remote is None:
        return False
    last = ""
    for attempt in range(PUSH_ATTEMPTS):
        if attempt:
            sleep(random.uniform(0, min(MAX_BACKOFF, 0.1 * 2**attempt)))  # noqa: S311 - jitter
        try:
            if gitrepo.push_notes(root, remote, ref):
                return True
            other = gitrepo.fetch_notes(root, remote, ref)
            if other is not None:
                gitrepo.merge_notes(root, ref, other)
            last = "the remote kept moving (non-fast-forward)"
        except GitError as exc:
            raise DeliveryError(f"could not push {ref} to {remote}: {exc.message}") from None
    raise DeliveryError(f"could not push {ref} to {remote} after {PUSH_ATTEMPTS} tries: {last}")


def fetch_note(
    root: Path,
    commit: str,
    *,
    remote: str | None,
    ref: str,
    env: Mapping[str, str] | None = None,
) -> SignedResult | None:
    """The note for ``commit``: from ``remote`` when given (fetched first), else local.
    ``env`` adds to git's environment (e.g. authentication for the fetch).

    :raises DeliveryError: when the remote cannot be reached.
    """
    if remote is not None:
        try:
            fetched = gitrepo.fetch_notes(root, remote, ref, env=env)
        except GitError as exc:
            raise DeliveryError(f"could not fetch {ref} from {remote}: {exc.message}") from None
        if fetched is not None:
            text = gitrepo.read_note(root, fetched, commit)
            if text is not None:
                return parse_note(text)
    text = gitrepo.read_note(root, ref, commit)
    return parse_note(text) if text is not None else None


class NotesChannel:
    """The notes ref on the configured remote (:class:`~localci.publish.channel.Channel`).

    Without that remote the note is kept locally and the outcome is ``skipped``.
    """

    @property
    def name(self) -> Literal["notes"]:
        return "notes"

    def enabled(self, options: PublishOptions) -> bool:
        return options.notes

    def publish(
        self, root: Path, signed: SignedResult, options: PublishOptions
    ) -> list[ChannelOutcome]:
        p = options.publish
        if not gitrepo.has_remote(root, p.remote):
            publish_note(root, signed.sha, signed, remote=None, ref=p.notes_ref)
            message = f"no remote {p.remote!r}: the note is kept locally"
            return [ChannelOutcome(channel="notes", state="skipped", message=message)]
        publish_note(root, signed.sha, signed, remote=p.remote, ref=p.notes_ref)
        message = f"note pushed to {p.remote} ({p.notes_ref})"
        return [ChannelOutcome(channel="notes", state="delivered", message=message)]

    def fetch(self, root: Path, sha: str, options: PublishOptions) -> SignedResult:
        p = options.publish
        found = fetch_note(root, sha, remote=p.remote, ref=p.notes_ref, env=options.git_env)
        if found is None:
            raise NotFound(f"no note on {p.notes_ref} for {sha[:12]}")
        return found

    def plan(self, signed: SignedResult, options: PublishOptions) -> list[PlannedRequest]:
        p = options.publish
        steps = gitrepo.notes_plan(p.remote, p.notes_ref, signed.sha)
        return [PlannedRequest(method="GIT", path=step) for step in steps]
