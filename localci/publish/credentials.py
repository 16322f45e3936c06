"""Who publishes and where: GitHub credentials, the repository, the remote.

The CLI hands over what the user typed (:class:`PublishFlags`); :func:`publish_options`
turns it into :class:`~localci.publish.deliver.PublishOptions`, reading the App key file,
the token from the environment or ``gh auth token`` (through the process layer), and the
``owner/name`` from ``GITHUB_REPOSITORY`` or the remote's URL. Credentials are never
printed, stored or spooled.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from localci import git as gitrepo
from localci.config.loader import PublishConfig
from localci.errors import UsageError
from localci.proc import capture
from localci.publish.deliver import Credentials, PublishOptions

__all__ = [
    "DEFAULT_API_URL",
    "PublishFlags",
    "publish_options",
    "resolve_repo",
    "resolve_token",
]

DEFAULT_API_URL = "https://api.github.com"


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
    max_wait: float = 300.0


def resolve_token(explicit: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The first of ``--token``, ``GITHUB_TOKEN``, ``GH_TOKEN``, ``gh auth token``."""
    env = os.environ if env is None else env
    for candidate in (explicit, env.get("GITHUB_TOKEN"), env.get("GH_TOKEN")):
        if candidate:
            return candidate
    return capture(["gh", "auth", "token"])


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
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the GitHub App private key: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError("the GitHub App private key is not a text (PEM) file") from None


def publish_options(root: Path, config: PublishConfig, flags: PublishFlags) -> PublishOptions:
    """The resolved publishing settings for repository ``root``.

    :raises UsageError: when the App key file cannot be read.
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
        api_url=(flags.api_url or DEFAULT_API_URL).rstrip("/"),
        credentials=creds,
        max_wait=flags.max_wait,
    )
