"""Who publishes and where: GitHub credentials, the repository, the remote.

The CLI hands over what the user typed (:class:`PublishFlags`); :func:`publish_options`
turns it into :class:`~localci.publish.deliver.PublishOptions`, reading the App key file,
the token from the environment or ``gh auth token`` (through the process layer), and the
``owner/name`` from ``GITHUB_REPOSITORY`` or the remote's URL. Credentials are never
printed, stored or spooled.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from localci import git as gitrepo
from localci.config.loader import PublishConfig
from localci.errors import UsageError
from localci.proc import capture
from localci.publish.channel import Credentials, PublishOptions
from localci.publish.retry import DEFAULT_MAX_WAIT, check_api_url
from localci.redact import remember

__all__ = [
    "DEFAULT_API_URL",
    "PublishFlags",
    "publish_options",
    "resolve_repo",
    "resolve_token",
]

DEFAULT_API_URL = "https://api.github.com"
_TOKEN_SHAPE = re.compile(r"[\x21-\x7e]{4,}")
"""Printable ASCII without spaces: every GitHub token format (and any header-safe one)."""


@dataclass(frozen=True, kw_only=True)
class PublishFlags:
    """The publishing options as given on the command line.

    ``token`` (a secret, never printed), or ``app_id`` + ``app_private_key`` (a PEM file)
    + optional ``installation_id`` for App authentication; ``api_url`` of the GitHub API;
    ``repo`` as ``owner/name``; ``remote`` for the notes ref (``None``: the config's);
    ``notes`` / ``github`` switch channels; ``max_wait`` bounds retry waits in seconds.
    """

    token: str | None = field(default=None, repr=False)
    app_id: int | None = None
    app_private_key: Path | None = None
    installation_id: int | None = None
    api_url: str = DEFAULT_API_URL
    repo: str | None = None
    remote: str | None = None
    notes: bool = True
    github: bool = True
    max_wait: float = DEFAULT_MAX_WAIT


def resolve_token(explicit: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The first of ``--token``, ``GITHUB_TOKEN``, ``GH_TOKEN``, ``gh auth token``,
    stripped of surrounding whitespace (a pasted token's trailing newline or CR) and
    remembered by :mod:`localci.redact`, so nothing localci prints can show it.

    :raises UsageError: when the token holds spaces or control characters (it is not
        shown in the message).
    """
    env = os.environ if env is None else env
    sources: list[tuple[str, str | None]] = [
        ("--token", explicit),
        ("GITHUB_TOKEN", env.get("GITHUB_TOKEN")),
        ("GH_TOKEN", env.get("GH_TOKEN")),
    ]
    for name, candidate in sources:
        if candidate and candidate.strip():
            return _checked_token(name, candidate)
    found = capture(["gh", "auth", "token"])
    return _checked_token("`gh auth token`", found) if found else None


def _checked_token(source: str, raw: str) -> str:
    remember(raw)
    token = raw.strip()
    if not _TOKEN_SHAPE.fullmatch(token):
        raise UsageError(
            f"the GitHub token from {source} contains spaces or control characters",
            hint="Copy it again without line breaks or quotes (it is never printed).",
        )
    return token


def resolve_repo(root: Path, explicit: str | None, remote: str) -> str | None:
    """``owner/name`` from ``--repo``, ``GITHUB_REPOSITORY``, or the remote's URL."""
    from localci.publish.github import parse_repo_url

    if explicit:
        return explicit
    if os.environ.get("GITHUB_REPOSITORY"):
        return os.environ["GITHUB_REPOSITORY"]
    url = gitrepo.remote_get_url(root, remote)
    return parse_repo_url(url) if url else None


def _read_key(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        key = path.read_text(encoding="utf-8")
        remember(key.strip())
        return key
    except OSError as exc:
        raise UsageError(f"cannot read the GitHub App private key: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError("the GitHub App private key is not a text (PEM) file") from None


def publish_options(root: Path, config: PublishConfig, flags: PublishFlags) -> PublishOptions:
    """The resolved publishing settings for repository ``root``.

    :raises UsageError: when the App key file cannot be read, the token is malformed or
        the API URL is not an http(s) URL.
    """
    publish_cfg = replace(config, remote=flags.remote) if flags.remote else config
    creds = Credentials(
        token=None if flags.app_id else resolve_token(flags.token),
        app_id=flags.app_id,
        app_private_key=_read_key(flags.app_private_key),
        installation_id=flags.installation_id,
    )
    return PublishOptions(
        publish=publish_cfg,
        notes=flags.notes,
        github=flags.github,
        repo=resolve_repo(root, flags.repo, publish_cfg.remote),
        api_url=check_api_url(flags.api_url or DEFAULT_API_URL),
        credentials=creds,
        max_wait=flags.max_wait,
    )
