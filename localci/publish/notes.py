"""The git notes channel: a result (and its bundle) travels with the repository.

One note per commit under ``refs/notes/localci`` (configurable). The note is one JSON
document (:data:`NOTE_FORMAT`)::

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localci import git as gitrepo
from localci.errors import DeliveryError, GitError
from localci.fsutil import load_json

__all__ = [
    "NOTE_FORMAT",
    "PUSH_ATTEMPTS",
    "Note",
    "fetch_note",
    "note_from_doc",
    "parse_note",
    "publish_note",
]

NOTE_FORMAT = "localci-note/v1"
PUSH_ATTEMPTS = 10
MAX_BACKOFF = 2.0
"""Upper bound, in seconds, of one wait between push attempts."""


@dataclass(frozen=True, kw_only=True)
class Note:
    """A note's content: the result document and, when signed, its bundle and the bundle
    of the in-toto test-result Statement signed with it (parsed JSON)."""

    result: Mapping[str, Any]
    bundle: Mapping[str, Any] | None = None
    test_result_bundle: Mapping[str, Any] | None = None

    def bundle_json(self) -> str | None:
        """The bundle as JSON text, as the verifier takes it."""
        return json.dumps(self.bundle) if self.bundle is not None else None

    def test_result_bundle_json(self) -> str | None:
        """The test-result bundle as JSON text, as the verifier takes it."""
        tests = self.test_result_bundle
        return json.dumps(tests) if tests is not None else None

    def to_doc(self) -> dict[str, Any]:
        """The note's content as a JSON object, without the ``format`` marker (the
        test-result bundle only when there is one)."""
        doc = {"result": self.result, "bundle": self.bundle}
        if self.test_result_bundle is not None:
            doc["test_result_bundle"] = self.test_result_bundle
        return doc


def render_note(note: Note) -> str:
    """The note's text (compact JSON, one line)."""
    return json.dumps(
        {"format": NOTE_FORMAT, **note.to_doc()}, separators=(",", ":"), ensure_ascii=False
    )


def parse_note(text: str) -> Note | None:
    """A :class:`Note` from a note's text, or ``None`` when it is not a localci note."""
    try:
        doc = load_json(text)  # a note from a remote: size and nesting bounded
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("format") != NOTE_FORMAT:
        return None
    if not isinstance(doc.get("result"), dict):
        return None
    return note_from_doc(doc)


def note_from_doc(doc: Mapping[str, Any]) -> Note:
    """A :class:`Note` from its JSON object; non-object bundles count as absent."""
    bundle, tests = doc.get("bundle"), doc.get("test_result_bundle")
    return Note(
        result=doc["result"],
        bundle=bundle if isinstance(bundle, dict) else None,
        test_result_bundle=tests if isinstance(tests, dict) else None,
    )


def publish_note(
    root: Path,
    commit: str,
    note: Note,
    *,
    remote: str | None,
    ref: str,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Write the note locally and, when ``remote`` is given, push the notes ref.

    ``sleep`` waits between attempts (injectable for tests).

    :returns: True when the remote now has the note (False when ``remote`` is None).
    :raises DeliveryError: when the remote stays unreachable or keeps rejecting the push.
    """
    gitrepo.write_note(root, ref, commit, render_note(note))
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
) -> Note | None:
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
