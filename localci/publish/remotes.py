"""What a remote URL and a token say about GitHub: ``owner/name`` and the token's kind.

Pure functions (no PyGithub), so the command line and the credentials code can use them
without loading the GitHub client.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["parse_repo_url", "token_kind"]

_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def token_kind(token: str | None) -> Literal["personal", "app", "unknown"]:
    """``personal`` (``ghp_``, ``github_pat_``, ``gho_``, ``ghu_``: no Check Runs), ``app``
    (``ghs_``: installation or Actions token), else ``unknown``. Prefixes: GitHub docs,
    "About authentication to GitHub"."""
    if token is None:
        return "unknown"
    if token.startswith(("ghp_", "github_pat_", "gho_", "ghu_")):
        return "personal"
    if token.startswith("ghs_"):
        return "app"
    return "unknown"


def parse_repo_url(url: str) -> str | None:
    """``owner/name`` from an https, ssh (``ssh://git@host/o/r.git``) or scp-like
    (``git@host:o/r.git``) remote URL; ``None`` for anything else (a local path)."""
    path: str | None = None
    if _DRIVE.match(url):
        return None  # a Windows path (C:/src/r.git), not scp-like host "C"; git reads it so
    if "://" in url:
        if url.startswith("file://"):
            return None
        path = url.split("://", 1)[1].split("/", 1)[1] if "/" in url.split("://", 1)[1] else None
    else:
        match = _SCP_LIKE.match(url)
        if match and "/" not in match.group(1):
            path = match.group(2)
    if not path:
        return None
    parts = path.strip("/").removesuffix(".git").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 and all(parts[-2:]) else None
