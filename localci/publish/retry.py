"""Retry policy for GitHub requests: budgets, waits and what counts as offline.

Sources: GitHub REST docs, "Rate limits for the REST API" (``Retry-After``,
``x-ratelimit-remaining`` / ``x-ratelimit-reset``, secondary limits) and "Troubleshooting"
(5xx). Kept apart from :mod:`localci.publish.github` so the command line can name the
defaults without importing PyGithub; the client's retry loop spends a :class:`RetryBudget`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localci.errors import DeliveryError, UsageError

__all__ = [
    "CONNECT_TIMEOUT",
    "CONNECT_WAITS",
    "DEFAULT_MAX_WAIT",
    "MAX_ATTEMPTS",
    "MIN_WAIT",
    "RetryBudget",
    "check_api_url",
    "connected",
    "error_message",
    "wait_for",
]

DEFAULT_MAX_WAIT = 30.0
"""Seconds of retry waits per client by default: what a person at a terminal accepts."""
MIN_WAIT = 1.0
"""No retry comes sooner than this, whatever ``Retry-After`` says (``0`` included)."""
MAX_ATTEMPTS = 8
"""Tries of one request, whatever the waits: a request budget."""
CONNECT_WAITS = (1.0, 2.0)
"""Waits before retrying a failed connection; then the post is spooled."""
CONNECT_TIMEOUT = 8.0
"""Default seconds to connect and between bytes of an answer (``GitHubSettings.timeout``;
PyGithub takes one number for both)."""


def check_api_url(url: str) -> str:
    """``url`` without a trailing slash when it is an ``http(s)://host[/path]`` base URL.

    :raises UsageError: for anything else (no scheme, no host, spaces, credentials).
    """
    from urllib.parse import urlsplit

    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or "@" in parts.netloc
        or any(c.isspace() or not c.isprintable() for c in text)
        or parts.query
        or parts.fragment
    ):
        raise UsageError(
            "--api-url (or GITHUB_API_URL) is not an http(s) base URL",
            hint="Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
        )
    return text


def wait_for(exc: Any, attempt: int) -> float | None:
    """Seconds to wait before retrying after the GitHub error ``exc`` (a
    ``GithubException``) on try ``attempt`` (0-based), or ``None`` when it is final."""
    headers: dict[str, str] = {k.lower(): str(v) for k, v in (exc.headers or {}).items()}
    text = error_message(exc).lower()
    if exc.status in (403, 429):
        if "retry-after" in headers:
            try:
                return max(0.0, float(headers["retry-after"]))
            except ValueError:
                return 60.0
        if "secondary rate limit" in text or exc.status == 429:
            return 60.0 * (1 << attempt)
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            reset = float(headers["x-ratelimit-reset"])
            return max(1.0, reset - time.time())
        return None
    if exc.status >= 500:
        return float(2**attempt)
    return None


def connected(exc: Exception) -> bool:
    """Whether the connection was established before ``exc`` (a dropped answer or a read
    timeout), as opposed to refused, unresolvable or timed out while connecting."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ReadTimeout):
        return True
    reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
    return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def error_message(exc: Any) -> str:
    """GitHub's ``message`` from a ``GithubException``."""
    data = exc.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return str(exc.message or data or "")


@dataclass(kw_only=True)
class RetryBudget:
    """One client's retry budget: its waits add up to at most ``max_wait`` seconds, one
    request is tried at most :data:`MAX_ATTEMPTS` times, and a connection that cannot be
    made is retried only after :data:`CONNECT_WAITS`. ``sleep`` is injectable so tests
    need no real minutes. ``waited`` (seconds) and ``connect_failures`` are what was
    spent so far."""

    max_wait: float
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    waited: float = 0.0
    connect_failures: int = 0

    def connection_wait(self, what: str, exc: Exception, attempt: int) -> tuple[float, str]:
        """The wait before retrying after a failed connection, and what happened.

        :raises DeliveryError: when GitHub cannot be reached at all: a connect timeout,
            or refused connections past :data:`CONNECT_WAITS`.
        """
        import requests

        if connected(exc):  # dropped or slow after connecting: like a 5xx
            return float(2**attempt), f"connection lost ({type(exc).__name__})"
        problem = f"connection failed ({type(exc).__name__})"
        if isinstance(exc, requests.ConnectTimeout) or self.connect_failures >= len(CONNECT_WAITS):
            raise DeliveryError(
                f"could not {what}: {problem}; GitHub is unreachable "
                f"({self.connect_failures + 1} connection attempts)"
            ) from None
        self.connect_failures += 1
        return CONNECT_WAITS[self.connect_failures - 1], problem

    def spend(self, what: str, problem: str, wait: float, attempt: int) -> None:
        """Sleep ``wait`` seconds (at least :data:`MIN_WAIT`) before try ``attempt + 1``
        (0-based) of ``what``, after ``problem``.

        :raises DeliveryError: when that try or that wait would pass the budget.
        """
        wait = max(MIN_WAIT, wait)
        if attempt + 1 >= MAX_ATTEMPTS:
            raise DeliveryError(
                f"could not {what}: {problem}; gave up after {attempt + 1} tries "
                f"(waited {self.waited:g} s)"
            )
        if self.waited + wait > self.max_wait:
            raise DeliveryError(
                f"could not {what}: {problem}; gave up after waiting {self.waited:g} s "
                f"(the next wait, {wait:g} s, would pass the {self.max_wait:g} s "
                "budget; --max-wait sets it)"
            )
        self.sleep(wait)
        self.waited += wait
