"""Retry policy for GitHub requests: budgets, waits and what counts as offline.

Sources: GitHub REST docs, "Rate limits for the REST API" (``Retry-After``,
``x-ratelimit-remaining`` / ``x-ratelimit-reset``, secondary limits) and "Troubleshooting"
(5xx). Kept apart from :mod:`localci.publish.github` so the command line can name the
defaults without importing PyGithub.
"""

from __future__ import annotations

import time
from typing import Any

from localci.errors import UsageError

__all__ = [
    "CONNECT_TIMEOUT",
    "CONNECT_WAITS",
    "DEFAULT_MAX_WAIT",
    "MAX_ATTEMPTS",
    "MIN_WAIT",
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
