"""Publishing a result through every enabled channel, with the spool behind them.

:func:`publish` sends one :class:`~localci.attest.signed.SignedResult` through each
enabled :class:`~localci.publish.channel.Channel` and never loses it: a post a channel
could not deliver goes to the spool with the reason, and :func:`drain_spool` tries it
again. Outcomes are data; the CLI prints them. Exit codes: a channel that was unreachable
makes the report's ``exit_code`` 5; a commit not yet on GitHub does not (that is the
normal state before ``git push``: the note travels with the push, and the spool delivers
the rest later). :func:`plan_requests` asks the same channels what they would send.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from localci.attest.signed import SignedResult
from localci.errors import EXIT_DELIVERY, EXIT_OK, EXIT_USAGE, DeliveryError, LocalciError
from localci.publish.channel import (
    AwaitingPush,
    Channel,
    ChannelOutcome,
    Credentials,
    PlannedRequest,
    PublishOptions,
)
from localci.publish.checks import GitHubChannel, github_settings
from localci.publish.notes import NotesChannel
from localci.publish.spool import (
    SpoolEntry,
    SpoolTarget,
    list_entries,
    new_entry,
    remove_entry,
    spool,
)
from localci.result.store import Store

__all__ = [
    "CHANNELS",
    "ChannelOutcome",
    "Credentials",
    "PlannedRequest",
    "PublishOptions",
    "PublishReport",
    "drain_spool",
    "github_settings",
    "plan_requests",
    "publish",
    "spool_target",
]

CHANNELS: dict[str, Channel] = {"notes": NotesChannel(), "github": GitHubChannel()}
"""Every channel by name, in publishing order."""


@dataclass(frozen=True, kw_only=True)
class PublishReport:
    """Every channel's outcome; ``exit_code`` is the worst of them (0, 2 or 5)."""

    outcomes: tuple[ChannelOutcome, ...]

    @property
    def exit_code(self) -> int:
        return max((o.exit_code for o in self.outcomes), default=EXIT_OK)


def publish(
    root: Path, signed: SignedResult, options: PublishOptions, *, down: Collection[str] = ()
) -> PublishReport:
    """Send ``signed`` through the enabled channels; spool what cannot be delivered.

    A channel named in ``down`` was found unreachable moments ago (by the spool retry that
    precedes a post, see :func:`unreachable`): it is not tried again, the post is spooled
    at once, so an offline machine waits for one failed connection, not two.
    """
    outcomes: list[ChannelOutcome] = []
    for channel in CHANNELS.values():
        if channel.enabled(options):
            outcomes += _deliver(root, channel, signed, options, skip=channel.name in down)
    return PublishReport(outcomes=tuple(outcomes))


def unreachable(outcomes: Iterable[ChannelOutcome]) -> frozenset[str]:
    """The channels whose destination ``outcomes`` found unreachable (exit 5)."""
    return frozenset(o.channel for o in outcomes if o.exit_code == EXIT_DELIVERY)


def plan_requests(signed: SignedResult, options: PublishOptions) -> list[PlannedRequest]:
    """The requests :func:`publish` would send, for ``--dry-run`` (nothing is sent)."""
    return [
        request
        for channel in CHANNELS.values()
        if channel.enabled(options)
        for request in channel.plan(signed, options)
    ]


def _deliver(
    root: Path,
    channel: Channel,
    signed: SignedResult,
    options: PublishOptions,
    *,
    forget: bool = True,
    skip: bool = False,
) -> list[ChannelOutcome]:
    """One channel's attempt; a delivery error spools, any other error is ``failed``.
    With ``forget``, a delivery drops older spooled posts for the same channel and commit."""
    name = channel.name
    try:
        if skip:
            raise DeliveryError(f"{name}: unreachable moments ago, not tried again")
        outcomes = channel.publish(root, signed, options)
    except DeliveryError as exc:
        waiting = isinstance(exc, AwaitingPush)
        entry = new_entry(
            name,
            signed.sha,
            "not_on_github" if waiting else "unreachable",
            exc.message,
            spool_target(options),
            signed,
        )
        spool(Store(root), entry)
        if waiting:
            message = (
                f"commit {signed.sha[:12]} is not on GitHub yet; its Check Run/status will be "
                "delivered once it is pushed (`localci post --pending`, or the next post)"
            )
            return [ChannelOutcome(channel=name, state="spooled", message=message)]
        message = f"{exc.message}; spooled for `localci post --pending`"
        return [
            ChannelOutcome(channel=name, state="spooled", exit_code=EXIT_DELIVERY, message=message)
        ]
    except LocalciError as exc:
        code = exc.exit_code if exc.exit_code != 1 else EXIT_USAGE
        return [
            ChannelOutcome(channel=name, state="failed", message=exc.diagnostics(), exit_code=code)
        ]
    if forget and any(o.state == "delivered" for o in outcomes):
        _forget_spooled(Store(root), name, signed.sha)
    return outcomes


def _forget_spooled(store: Store, channel: str, sha: str) -> None:
    """A newer result was delivered: an older spooled post for the same commit and
    channel must not overwrite it later."""
    for entry in list_entries(store):
        if entry.channel == channel and entry.sha == sha:
            remove_entry(store, entry)


def spool_target(options: PublishOptions) -> SpoolTarget:
    """Where ``options`` send a post, as the spool records it."""
    p = options.publish
    return SpoolTarget(
        repo=options.repo,
        api_url=options.api_url,
        remote=p.remote,
        notes_ref=p.notes_ref,
        check_name=p.check_name,
        status_context=p.status_context,
        target_url=p.target_url,
        annotate_uncovered=p.annotate_uncovered,
    )


def _destination(target: SpoolTarget) -> tuple[str | None, str, str, str]:
    return (target.repo, target.api_url.rstrip("/"), target.remote, target.notes_ref)


def drain_spool(root: Path, options: PublishOptions) -> list[ChannelOutcome]:
    """Try every spooled post once, with ``options`` (the configured destination and
    credentials); remove each that was confirmed. An entry spooled for another
    repository, API URL, remote or notes ref is not sent (it stays, and the outcome says
    why). Never raises for a delivery failure (the entry stays, with the new error and
    attempt count). Once a channel's destination proved unreachable, its other entries
    wait for the next drain: an offline machine pays for one failed connection, not one
    per entry.

    :raises UsageError: when git tracks ``.localci/`` (the spool came with the code).
    """
    store = Store(root)
    store.refuse_tracked()
    here = spool_target(options)
    outcomes: list[ChannelOutcome] = []
    down: set[str] = set()
    for entry in list_entries(store):
        if _destination(entry.target) != _destination(here):
            outcomes.append(_elsewhere(entry, here))
            continue
        if entry.channel in down:
            continue
        entry_options = replace(
            options, notes=entry.channel == "notes", github=entry.channel == "github"
        )
        report = _deliver(root, CHANNELS[entry.channel], entry.signed, entry_options, forget=False)
        delivered = any(o.state == "delivered" for o in report) and all(
            o.state != "spooled" for o in report
        )
        if delivered:
            remove_entry(store, entry)
        elif any(o.exit_code == EXIT_DELIVERY for o in report):
            down.add(entry.channel)
        outcomes += report
    return outcomes


def _elsewhere(entry: SpoolEntry, here: SpoolTarget) -> ChannelOutcome:
    t = entry.target
    return ChannelOutcome(
        channel=entry.channel,
        state="skipped",
        message=(
            f"spooled post {entry.id} is for {t.repo or '-'} at {t.api_url} / remote "
            f"{t.remote} ({t.notes_ref}), not the configured {here.repo or '-'} at "
            f"{here.api_url} / remote {here.remote} ({here.notes_ref}): not sent; delete "
            f".localci/spool/{entry.id}.json or post it again from where it was made"
        ),
    )
