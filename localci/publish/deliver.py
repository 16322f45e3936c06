"""Publishing a result: the notes ref, a Check Run or commit status, and the spool.

``publish`` sends one note (result + bundle) through every configured channel and never
loses it: an undeliverable post goes to the spool with the reason. Outcomes are data;
the CLI prints them. Exit codes: a channel that was unreachable makes the report's
``exit_code`` 5; a commit not yet on GitHub does not (that is the normal state before
``git push``: the note travels with the push, and the spool delivers the rest later).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from localci import git as gitrepo
from localci.config.loader import PublishConfig
from localci.errors import EXIT_DELIVERY, EXIT_OK, EXIT_USAGE, DeliveryError, LocalciError
from localci.publish.notes import Note, note_from_doc, publish_note
from localci.publish.payloads import check_run_payload, status_payload
from localci.publish.retry import DEFAULT_MAX_WAIT
from localci.publish.spool import SpoolEntry, list_entries, new_entry, remove_entry, spool
from localci.result.digest import sha256_hex
from localci.result.model import result_from_dict
from localci.result.store import Store

__all__ = [
    "ChannelOutcome",
    "Credentials",
    "PlannedRequest",
    "PublishOptions",
    "PublishReport",
    "drain_spool",
    "github_settings",
    "plan_requests",
    "publish",
]


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """GitHub credentials as given on the command line (never printed or stored)."""

    token: str | None = field(default=None, repr=False)
    app_id: int | None = None
    app_private_key: str | None = field(default=None, repr=False)
    installation_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PublishOptions:
    """Where to publish.

    ``notes`` / ``github`` switch channels; ``repo`` is ``owner/name`` (``None``: GitHub
    is skipped); ``max_wait`` bounds retry waits in seconds; ``sleep`` is injectable;
    ``git_env`` is extra environment for git fetches (authentication, never printed).
    """

    publish: PublishConfig
    notes: bool = True
    github: bool = True
    repo: str | None = None
    api_url: str = "https://api.github.com"
    credentials: Credentials = field(default_factory=Credentials)
    max_wait: float = DEFAULT_MAX_WAIT
    sleep: Callable[[float], None] | None = field(default=None, compare=False)
    git_env: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, kw_only=True)
class ChannelOutcome:
    """One channel's fate: ``delivered``, ``spooled`` (with ``reason``) or ``failed``."""

    channel: Literal["notes", "check_run", "status", "github"]
    state: Literal["delivered", "spooled", "failed", "skipped"]
    message: str
    url: str | None = None
    exit_code: int = EXIT_OK


@dataclass(frozen=True, kw_only=True)
class PublishReport:
    """Every channel's outcome; ``exit_code`` is the worst of them (0, 2 or 5)."""

    outcomes: tuple[ChannelOutcome, ...]

    @property
    def exit_code(self) -> int:
        return max((o.exit_code for o in self.outcomes), default=EXIT_OK)


@dataclass(frozen=True, kw_only=True)
class PlannedRequest:
    """A request ``--dry-run`` shows instead of sending."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None

    def render(self) -> str:
        body = f" {json.dumps(self.body, ensure_ascii=False)}" if self.body is not None else ""
        return f"{self.method} {self.path}{body}"


def _has_remote(root: Path, remote: str) -> bool:
    return gitrepo.has_remote(root, remote)


def _target(options: PublishOptions) -> dict[str, Any]:
    p = options.publish
    return {
        "repo": options.repo,
        "api_url": options.api_url,
        "remote": p.remote,
        "notes_ref": p.notes_ref,
        "check_name": p.check_name,
        "status_context": p.status_context,
        "target_url": p.target_url,
        "annotate_uncovered": p.annotate_uncovered,
    }


def publish(root: Path, note: Note, options: PublishOptions) -> PublishReport:
    """Send ``note`` through the configured channels; spool what cannot be delivered."""
    sha = str(note.result["git"]["commit"])
    store = Store(root)
    outcomes: list[ChannelOutcome] = []
    if options.notes:
        notes = _publish_notes(root, sha, note, options)
        if notes.state == "delivered":
            _forget_spooled(store, "notes", sha)
        outcomes.append(notes)
    if options.github:
        github = _publish_github(root, sha, note, options)
        if any(o.state == "delivered" for o in github):
            _forget_spooled(store, "github", sha)
        outcomes += github
    return PublishReport(outcomes=tuple(outcomes))


def _forget_spooled(store: Store, channel: str, sha: str) -> None:
    """A newer result was delivered: an older spooled post for the same commit and
    channel must not overwrite it later."""
    for entry in list_entries(store):
        if entry.channel == channel and entry.sha == sha:
            remove_entry(store, entry)


def _publish_notes(root: Path, sha: str, note: Note, options: PublishOptions) -> ChannelOutcome:
    p = options.publish
    if not _has_remote(root, p.remote):
        publish_note(root, sha, note, remote=None, ref=p.notes_ref)
        return ChannelOutcome(
            channel="notes",
            state="skipped",
            message=f"no remote {p.remote!r}: the note is kept locally",
        )
    try:
        publish_note(root, sha, note, remote=p.remote, ref=p.notes_ref)
    except DeliveryError as exc:
        spool(
            Store(root),
            new_entry("notes", sha, "unreachable", exc.message, _target(options), _note_doc(note)),
        )
        return ChannelOutcome(
            channel="notes",
            state="spooled",
            exit_code=EXIT_DELIVERY,
            message=f"{exc.message}; spooled for `localci post --pending`",
        )
    return ChannelOutcome(
        channel="notes", state="delivered", message=f"note pushed to {p.remote} ({p.notes_ref})"
    )


def _note_doc(note: Note) -> dict[str, Any]:
    return note.to_doc()


def github_settings(options: PublishOptions) -> Any:
    from localci.publish.github import GitHubSettings

    c = options.credentials
    assert options.repo is not None
    settings = GitHubSettings(
        repo=options.repo,
        api_url=options.api_url,
        token=c.token,
        app_id=c.app_id,
        app_private_key=c.app_private_key,
        installation_id=c.installation_id,
        max_wait=options.max_wait,
    )
    if options.sleep is not None:
        settings = replace(settings, sleep=options.sleep)
    return settings


def _publish_github(
    root: Path, sha: str, note: Note, options: PublishOptions
) -> list[ChannelOutcome]:
    c = options.credentials
    if options.repo is None:
        return [
            ChannelOutcome(
                channel="github",
                state="skipped",
                message="no GitHub repository (use --repo or a GitHub remote)",
            )
        ]
    if not c.token and c.app_id is None:
        return [
            ChannelOutcome(
                channel="github",
                state="skipped",
                message="no GitHub token: posted only through git notes",
            )
        ]
    try:
        return _deliver_github(note, options)
    except DeliveryError as exc:
        from localci.publish.github import NotOnGitHub

        waiting = isinstance(exc, NotOnGitHub)
        spool(
            Store(root),
            new_entry(
                "github",
                sha,
                "not_on_github" if waiting else "unreachable",
                exc.message,
                _target(options),
                _note_doc(note),
            ),
        )
        if waiting:
            return [
                ChannelOutcome(
                    channel="github",
                    state="spooled",
                    message=(
                        f"commit {sha[:12]} is not on GitHub yet; its Check Run/status will be "
                        "delivered once it is pushed (`localci post --pending`, or the next run)"
                    ),
                )
            ]
        return [
            ChannelOutcome(
                channel="github",
                state="spooled",
                exit_code=EXIT_DELIVERY,
                message=f"{exc.message}; spooled for `localci post --pending`",
            )
        ]
    except LocalciError as exc:
        return [
            ChannelOutcome(
                channel="github",
                state="failed",
                message=exc.diagnostics(),
                exit_code=exc.exit_code if exc.exit_code != 1 else EXIT_USAGE,
            )
        ]


def _deliver_github(note: Note, options: PublishOptions) -> list[ChannelOutcome]:
    from localci.publish.github import CheckRunsForbidden, GitHubClient

    result = result_from_dict(note.result)
    p = options.publish
    out: list[ChannelOutcome] = []
    with GitHubClient(github_settings(options)) as client:
        if client.kind != "personal":
            payload = check_run_payload(
                result,
                name=p.check_name,
                external_id=sha256_hex(dict(note.result)),
                note=_note_doc(note),
                uncovered=p.annotate_uncovered,
                details_url=p.target_url,
            )
            try:
                posted = client.post_check_run(payload)
            except CheckRunsForbidden as exc:
                out.append(
                    ChannelOutcome(
                        channel="check_run",
                        state="skipped",
                        message=(f"{exc.message}; posting a commit status instead"),
                    )
                )
            else:
                verb = "updated" if posted.resumed else "created"
                out.append(
                    ChannelOutcome(
                        channel="check_run",
                        state="delivered",
                        url=posted.url,
                        message=f"Check Run {p.check_name!r} {verb}",
                    )
                )
                return out
        status = status_payload(result, context=p.status_context, target_url=p.target_url)
        posted = client.post_status(status)
        out.append(
            ChannelOutcome(
                channel="status",
                state="delivered",
                url=posted.url,
                message=f"commit status {p.status_context!r}: {status.state}",
            )
        )
    return out


def drain_spool(root: Path, options: PublishOptions) -> list[ChannelOutcome]:
    """Try every spooled post once; remove each that was confirmed. Never raises for a
    delivery failure (the entry stays, with the new error and attempt count). Once a
    channel's destination proved unreachable, its other entries wait for the next
    drain: an offline machine pays for one failed connection, not one per entry."""
    store = Store(root)
    outcomes: list[ChannelOutcome] = []
    down: set[tuple[str, str]] = set()
    for entry in list_entries(store):
        where = (entry.channel, str(entry.target.get("api_url") or entry.target.get("remote")))
        if where in down:
            continue
        note = note_from_doc(entry.note)
        entry_options = _options_for(entry, options)
        if entry.channel == "notes":
            report = [_publish_notes(root, entry.sha, note, entry_options)]
        else:
            report = _publish_github(root, entry.sha, note, entry_options)
        delivered = any(o.state == "delivered" for o in report) and all(
            o.state != "spooled" for o in report
        )
        if delivered:
            remove_entry(store, entry)
        elif any(o.exit_code == EXIT_DELIVERY for o in report):
            down.add(where)
        outcomes += report
    return outcomes


def _options_for(entry: SpoolEntry, options: PublishOptions) -> PublishOptions:
    t = entry.target
    publish_config = PublishConfig(
        notes_ref=t["notes_ref"],
        check_name=t["check_name"],
        status_context=t["status_context"],
        target_url=t.get("target_url"),
        remote=t["remote"],
        annotate_uncovered=t.get("annotate_uncovered", False),
    )
    return replace(
        options,
        publish=publish_config,
        repo=t.get("repo") or options.repo,
        api_url=t.get("api_url") or options.api_url,
        notes=entry.channel == "notes",
        github=entry.channel == "github",
    )


def plan_requests(note: Note, options: PublishOptions) -> list[PlannedRequest]:
    """The requests :func:`publish` would send, for ``--dry-run`` (nothing is sent)."""
    from localci.publish.github import token_kind

    result = result_from_dict(note.result)
    p = options.publish
    sha = result.git.commit
    plan: list[PlannedRequest] = []
    if options.notes:
        plan.append(PlannedRequest(method="GIT", path=f"notes --ref={p.notes_ref} add {sha}"))
        plan.append(PlannedRequest(method="GIT", path=f"push {p.remote} {p.notes_ref}"))
    if not options.github or options.repo is None:
        return plan
    base = f"/repos/{options.repo}"
    if token_kind(options.credentials.token) == "personal" and options.credentials.app_id is None:
        s = status_payload(result, context=p.status_context, target_url=p.target_url)
        body = {k: v for k, v in vars(s).items() if k != "sha" and v is not None}
        return [*plan, PlannedRequest(method="POST", path=f"{base}/statuses/{sha}", body=body)]
    payload = check_run_payload(
        result,
        name=p.check_name,
        external_id=sha256_hex(dict(note.result)),
        note=_note_doc(note),
        uncovered=p.annotate_uncovered,
    )
    plan.append(
        PlannedRequest(
            method="GET",
            path=(f"{base}/commits/{sha}/check-runs?check_name={p.check_name}&filter=all"),
        )
    )
    batches = payload.batches()
    details = {"details_url": p.target_url} if p.target_url else {}
    plan.append(
        PlannedRequest(
            method="POST",
            path=f"{base}/check-runs",
            body={
                "name": payload.name,
                "head_sha": sha,
                **details,
                "external_id": payload.external_id,
                "status": "completed",
                "conclusion": payload.conclusion,
                "started_at": payload.started_at,
                "completed_at": payload.completed_at,
                "output": payload.output(batches[0]),
            },
        )
    )
    for batch in batches[1:]:
        plan.append(
            PlannedRequest(
                method="PATCH",
                path=f"{base}/check-runs/{{check_run_id}}",
                body={"output": payload.output(batch)},
            )
        )
    return plan
