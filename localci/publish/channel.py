"""The publish channel interface: what every way of publishing a result implements.

A channel (the notes ref in :mod:`localci.publish.notes`, the Check Run / commit status in
:mod:`localci.publish.checks`) sends a :class:`~localci.attest.signed.SignedResult`
(:meth:`Channel.publish`), finds one again (:meth:`Channel.fetch`), and says what it would
send without sending (:meth:`Channel.plan`, for ``localci post --dry-run``; built by the
same code that sends). :mod:`localci.publish.deliver` runs the enabled channels, spools
what could not be delivered and drains the spool; a channel never touches the spool.

To add a channel: implement :class:`Channel` in its own module, give it a name, add it
to :data:`localci.publish.deliver.CHANNELS`, and a switch to :class:`PublishOptions`
(see ``docs/architecture.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from localci.config.loader import PublishConfig
from localci.errors import EXIT_OK, DeliveryError, UsageError
from localci.publish.retry import DEFAULT_MAX_WAIT

if TYPE_CHECKING:
    from localci.attest.signed import SignedResult

__all__ = [
    "AwaitingPush",
    "Channel",
    "ChannelOutcome",
    "Credentials",
    "NotFound",
    "PlannedRequest",
    "PublishOptions",
]


class AwaitingPush(DeliveryError):
    """The destination does not know the commit yet (the normal state before
    ``git push``): the post is spooled without failing the command."""


class NotFound(UsageError):
    """A channel has no result for the commit; the message says why."""


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
    """One channel's fate: ``delivered``, ``spooled`` (with the reason), ``skipped`` or
    ``failed``; ``exit_code`` is what it adds to the command's (0, 2 or 5)."""

    channel: Literal["notes", "check_run", "status", "github"]
    state: Literal["delivered", "spooled", "failed", "skipped"]
    message: str
    url: str | None = None
    exit_code: int = EXIT_OK


@dataclass(frozen=True, kw_only=True)
class PlannedRequest:
    """A request ``--dry-run`` shows instead of sending: an HTTP method and path with its
    JSON body, or ``GIT`` and the git command."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None

    def render(self) -> str:
        """One line: ``METHOD path {json body}``."""
        body = f" {json.dumps(self.body, ensure_ascii=False)}" if self.body is not None else ""
        return f"{self.method} {self.path}{body}"


class Channel(Protocol):
    """One way of publishing a signed result."""

    @property
    def name(self) -> Literal["notes", "github"]:
        """The channel's key (spool entries, ``--no-<name>`` switches)."""
        ...

    def enabled(self, options: PublishOptions) -> bool:
        """Whether ``options`` switch this channel on."""
        ...

    def publish(
        self, root: Path, signed: SignedResult, options: PublishOptions
    ) -> list[ChannelOutcome]:
        """Send ``signed`` from the repository at ``root``.

        :raises AwaitingPush: the destination does not have the commit yet (spooled,
            exit 0); :raises DeliveryError: unreachable past the retry budget (spooled,
            exit 5); :raises LocalciError: anything else (reported as ``failed``).
        """
        ...

    def fetch(self, root: Path, sha: str, options: PublishOptions) -> SignedResult:
        """The result published for ``sha``.

        :raises NotFound: when the channel has none (or cannot be asked), saying why;
        :raises DeliveryError: when it cannot be reached.
        """
        ...

    def plan(self, signed: SignedResult, options: PublishOptions) -> list[PlannedRequest]:
        """The requests :meth:`publish` would send, in order; nothing is sent."""
        ...
