"""Faults a test queues on the double: errors, rate limits, dropped connections.

A fault matches by HTTP method (``None`` for any) and a regular expression that must
match the whole request path (without the query string), and fires for the next *times*
matching requests. Faults fire before authentication and validation, as GitHub's front
end would, except :attr:`FaultKind.AFTER_APPLY`, which lets the request take effect and
then answers with an error, and :attr:`FaultKind.UNKNOWN_SHA`, which hides a commit from
the handlers.
"""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SECONDARY_RATE_LIMIT_MESSAGE",
    "Fault",
    "FaultKind",
    "FaultQueue",
]

#: GitHub's body for a secondary rate limit (REST docs, "Rate limits for the REST API",
#: "About secondary rate limits"; the request id is random).
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try"
    " again. If you reach out to GitHub Support for help, please include the request ID"
    " 0000:0000:0000000:0000000:00000000."
)
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)


class FaultKind(enum.Enum):
    """How a fault answers."""

    RESPOND = "respond"
    """Answer with the fault's status, body and headers; the request has no effect."""
    DROP = "drop"
    """Close the connection without answering; the request has no effect."""
    AFTER_APPLY = "after_apply"
    """Serve the request (it takes effect), then answer with the fault's status instead."""
    UNKNOWN_SHA = "unknown_sha"
    """The commit :attr:`Fault.sha` is unknown to the next requests that look it up."""


@dataclass(kw_only=True)
class Fault:
    """One queued fault; :attr:`remaining` counts down as it fires."""

    kind: FaultKind
    method: str | None = None
    path: re.Pattern[str] | None = None
    status: int = 500
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sha: str | None = None
    remaining: int = 1

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault applies to a request (``UNKNOWN_SHA`` never does here)."""
        if self.kind is FaultKind.UNKNOWN_SHA or self.remaining <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.path is None or self.path.fullmatch(path) is not None

    @property
    def label(self) -> str:
        """A short description for the request log, e.g. ``respond 403``."""
        return (
            self.kind.value if self.kind is FaultKind.DROP else f"{self.kind.value} {self.status}"
        )


class FaultQueue:
    """Queued faults, first queued first served; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Queue *fault* and return it."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, counted as fired; ``None`` if none."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    def hides(self, sha: str) -> bool:
        """Whether a queued ``UNKNOWN_SHA`` fault hides *sha* from this lookup."""
        with self._lock:
            for fault in self._faults:
                if fault.kind is FaultKind.UNKNOWN_SHA and fault.sha == sha and fault.remaining:
                    fault.remaining -= 1
                    return True
        return False

    def pending(self) -> list[Fault]:
        """Faults that have not fired as often as queued."""
        with self._lock:
            return [f for f in self._faults if f.remaining > 0]
