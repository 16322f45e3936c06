"""``localci fetch <sha>``: find a result through the fallback chain.

Local results (``.localci/results``) -> the notes ref on the remote -> GitHub's artifact
attestation store (where the gate stores the result's bundles, found by the commit's
lookup key) -> the Check Run's output (where ``localci post`` embeds the note). The first
channel that answers wins, and the answer says which it was; a channel that is down or
empty is listed with its reason and the next one is asked. Nothing fetched is trusted
until ``localci verify`` has checked it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from localci.errors import DeliveryError, LocalciError, UsageError
from localci.publish.deliver import PublishOptions
from localci.publish.notes import Note, fetch_note, note_from_doc
from localci.publish.post import load_note
from localci.result.store import Store

__all__ = ["Fetched", "fetch_result", "save_fetched"]

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """A found result: ``channel`` is ``local``, ``notes``, ``attestations`` or
    ``check_run``; ``tried`` lists every channel asked, with why it had nothing."""

    channel: Literal["local", "notes", "attestations", "check_run"]
    note: Note
    tried: tuple[str, ...]
    sha: str = ""
    """The commit asked for (the result inside is not yet verified to be for it)."""

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "channel": self.channel,
            "tried": list(self.tried),
            "result": dict(self.note.result),
            "bundle": dict(self.note.bundle) if self.note.bundle else None,
            "test_result_bundle": (
                dict(self.note.test_result_bundle) if self.note.test_result_bundle else None
            ),
        }


def save_fetched(folder: Path, sha: str, note: Note) -> list[Path]:
    """Write a fetched result as other verifiers read it: ``<sha>.json`` (the RFC 8785
    canonical bytes that were signed), ``<sha>.sigstore.json`` and
    ``<sha>.test-result.sigstore.json`` (when present), atomically; the paths written.
    Never into ``.localci/results``: a fetched result is not trusted until verified.

    :raises InternalError: the result is not canonicalizable JSON.
    """
    from localci.fsutil import atomic_write_bytes, atomic_write_text
    from localci.result.digest import canonical_json

    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{sha}.json"]
    atomic_write_bytes(written[0], canonical_json(dict(note.result)))
    for suffix, text in (
        (".sigstore.json", note.bundle_json()),
        (".test-result.sigstore.json", note.test_result_bundle_json()),
    ):
        if text is not None:
            written.append(folder / f"{sha}{suffix}")
            atomic_write_text(written[-1], text)
    return written


def fetch_result(root: Path, sha: str, options: PublishOptions, *, local: bool = True) -> Fetched:
    """The result for ``sha`` from the first channel that has it.

    :raises UsageError: when no channel has a result for ``sha`` (each one's answer is
        listed).
    """
    tried: list[str] = []
    if local:
        path = Store(root).result_path(sha)
        if path.is_file():
            return Fetched(sha=sha, channel="local", note=load_note(path), tried=("local",))
        tried.append("local: no result in .localci/results")
    p = options.publish
    try:
        note = fetch_note(root, sha, remote=p.remote, ref=p.notes_ref, env=options.git_env)
    except DeliveryError as exc:
        note = None
        tried.append(f"notes: {exc.message}")
    else:
        if note is None:
            tried.append(f"notes: no note on {p.notes_ref} for {sha[:12]}")
    if note is not None:
        return Fetched(sha=sha, channel="notes", note=note, tried=(*tried, "notes"))
    found = _from_attestations(sha, options, tried)
    if found is not None:
        return Fetched(sha=sha, channel="attestations", note=found, tried=(*tried, "attestations"))
    found = _from_check_run(sha, options, tried)
    if found is not None:
        return Fetched(sha=sha, channel="check_run", note=found, tried=(*tried, "check_run"))
    raise UsageError(f"no result found for {sha}:\n" + "\n".join(f"- {t}" for t in tried))


def _ask_github(
    channel: str, options: PublishOptions, tried: list[str], ask: Callable[[Any], _T]
) -> tuple[bool, _T | None]:
    """``(True, ask(client))`` on a GitHub connection; ``(False, None)`` (and why, in
    ``tried``) when there is no repository or credentials or GitHub fails."""
    c = options.credentials
    if options.repo is None or (not c.token and c.app_id is None):
        tried.append(f"{channel}: no GitHub repository or credentials")
        return False, None
    from localci.publish.deliver import github_settings
    from localci.publish.github import GitHubClient

    try:
        with GitHubClient(github_settings(options)) as client:
            return True, ask(client)
    except LocalciError as exc:
        tried.append(f"{channel}: {exc.message}")
        return False, None


def _from_attestations(sha: str, options: PublishOptions, tried: list[str]) -> Note | None:
    from localci.publish.attestations import find_note

    asked, note = _ask_github("attestations", options, tried, lambda c: find_note(c, sha))
    if asked and note is None:
        tried.append(f"attestations: no localci result stored for {sha[:12]}")
    return note


def _from_check_run(sha: str, options: PublishOptions, tried: list[str]) -> Note | None:
    from localci.publish.payloads import embedded_note

    name = options.publish.check_name
    asked, text = _ask_github("check_run", options, tried, lambda c: c.check_run_text(sha, name))
    if not asked:
        return None
    doc = embedded_note(text)
    if doc is None or not isinstance(doc.get("result"), dict):
        tried.append(f"check_run: no {options.publish.check_name!r} Check Run with a result")
        return None
    return note_from_doc(doc)
