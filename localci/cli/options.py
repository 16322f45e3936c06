"""Option groups several commands share; each collapses into one typed value.

:func:`publish_options` adds the publishing flags and hands the command one
:class:`~localci.publish.credentials.PublishFlags` as ``publish``; :func:`signing_options`
adds sigstore's flags and hands one :class:`~localci.attest.signing.SigningOptions` as
``signing``. The typed values are built here; nothing is resolved (no token lookup, no
file read): that is the core's job.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from localci.publish.retry import DEFAULT_MAX_WAIT

__all__ = ["config_option", "publish_options", "signing_options"]

Command = Callable[..., None]

_PUBLISH_PARAMS = (
    "token",
    "app_id",
    "app_private_key",
    "installation_id",
    "api_url",
    "github_repo",
    "remote",
    "no_notes",
    "no_github",
    "max_wait",
)
_SIGNING_PARAMS = ("identity_token", "trust_config", "staging", "oauth_force_oob")

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="Config file."
)


def _apply(func: Command, options: list[Callable[[Command], Command]]) -> Command:
    for option in reversed(options):
        func = option(func)
    return func


_PUBLISH_OPTIONS: list[Callable[[Command], Command]] = [
    click.option(
        "--token",
        help="GitHub token (default: GITHUB_TOKEN, GH_TOKEN, `gh auth token`). Never printed.",
    ),
    click.option("--app-id", type=int, help="GitHub App id (App authentication)."),
    click.option(
        "--app-private-key",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        help="GitHub App private key (PEM file).",
    ),
    click.option(
        "--installation-id",
        type=int,
        help="App installation (default: found from the repository).",
    ),
    click.option(
        "--api-url",
        envvar="GITHUB_API_URL",
        default="https://api.github.com",
        show_default=True,
        help="GitHub API base URL (GitHub Enterprise Server).",
    ),
    click.option(
        "--repo",
        "github_repo",
        help="owner/name (default: GITHUB_REPOSITORY or the remote's URL).",
    ),
    click.option("--remote", help="git remote for the notes ref (default: origin)."),
    click.option("--no-notes", is_flag=True, help="Do not publish through git notes."),
    click.option("--no-github", is_flag=True, help="Do not post to GitHub."),
    click.option(
        "--max-wait",
        type=click.FloatRange(min=0),
        default=DEFAULT_MAX_WAIT,
        show_default=True,
        help="Seconds of retry waits (5xx, rate limits) allowed before spooling; "
        "a refused connection spools within seconds.",
    ),
]


def publish_options(func: Command) -> Command:
    """Add the publishing flags; ``func`` receives ``publish: PublishFlags``."""

    @functools.wraps(func)
    def wrapper(**params: Any) -> None:
        from localci.publish.credentials import PublishFlags

        p = {name: params.pop(name) for name in _PUBLISH_PARAMS}
        flags = PublishFlags(
            token=p["token"],
            app_id=p["app_id"],
            app_private_key=p["app_private_key"],
            installation_id=p["installation_id"],
            api_url=p["api_url"] or "https://api.github.com",
            repo=p["github_repo"],
            remote=p["remote"],
            notes=not p["no_notes"],
            github=not p["no_github"],
            max_wait=p["max_wait"],
        )
        func(publish=flags, **params)

    return _apply(wrapper, _PUBLISH_OPTIONS)


def signing_options(func: Command) -> Command:
    """Add sigstore's signing flags; ``func`` receives ``signing: SigningOptions``."""

    @functools.wraps(func)
    def wrapper(**params: Any) -> None:
        from localci.attest.options import SigningOptions

        p = {name: params.pop(name) for name in _SIGNING_PARAMS}
        signing = SigningOptions(
            identity_token=p["identity_token"] or None,
            trust_config=p["trust_config"],
            staging=p["staging"],
            oauth_force_oob=p["oauth_force_oob"],
            interactive=sys.stdin.isatty() and sys.stderr.isatty(),
        )
        func(signing=signing, **params)

    return _apply(
        wrapper,
        [
            click.option(
                "--identity-token",
                envvar="SIGSTORE_ID_TOKEN",
                show_envvar=True,
                help="OIDC identity token to sign with (never printed).",
            ),
            click.option(
                "--trust-config",
                type=click.Path(path_type=Path, exists=True, dir_okay=False),
                help="ClientTrustConfig JSON: a private Sigstore.",
            ),
            click.option("--staging", is_flag=True, help="Use Sigstore's staging instance."),
            click.option(
                "--oauth-force-oob",
                is_flag=True,
                help="Interactive sign-in without a browser: paste a code.",
            ),
        ],
    )
