"""``localci gate`` as one core call: resolve credentials and the remote, then gate.

The CLI builds a :class:`GateCommand` from its flags; :func:`gate_command` resolves the
GitHub credentials, the repository and the git authentication for fetching notes, reads
the event payload, and runs :func:`~localci.verifier.gate.gate`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from localci import git as gitrepo
from localci.config.loader import DEFAULT_CONFIG_YAML, ConfigSource, parse_config
from localci.errors import UsageError
from localci.publish.credentials import PublishFlags, publish_options
from localci.publish.deliver import Credentials
from localci.verifier.gate import (
    DEFAULT_CHECK_NAME,
    GateRequest,
    GateRun,
    gate,
    git_auth_env,
    load_event,
)

__all__ = ["GateCommand", "app_from_env", "gate_command"]


@dataclass(frozen=True, kw_only=True)
class GateCommand:
    """What ``localci gate`` was asked: the repository at ``cwd``, the gating Check Run's
    name, the config path read from the BASE commit, the GitHub event (name and payload
    file) or an explicit ``sha`` / ``base_sha``, the Sigstore instance, and where to
    publish."""

    cwd: Path
    publish: PublishFlags = field(default_factory=PublishFlags)
    check_name: str = DEFAULT_CHECK_NAME
    config_path: str = ".localci.yml"
    event_name: str | None = None
    event_path: Path | None = None
    sha: str | None = None
    base_sha: str | None = None
    trust_config: Path | None = None
    staging: bool = False
    offline: bool = False
    attest: bool = False
    dispatch_token: str | None = field(default=None, repr=False)


def app_from_env(credentials: Credentials, env: Mapping[str, str]) -> Credentials:
    """The GitHub App credentials from ``LOCALCI_APP_ID`` and ``LOCALCI_APP_PRIVATE_KEY``
    (the PEM text, as the verifier workflow passes its deployment environment's secrets),
    unless ``--app-id`` was given; ``credentials`` unchanged when they are not set.

    :raises UsageError: when only one of the two is set, or the id is not a number.
    """
    app_id, key = env.get("LOCALCI_APP_ID"), env.get("LOCALCI_APP_PRIVATE_KEY")
    if credentials.app_id is not None or (not app_id and not key):
        return credentials
    if not app_id or not key:
        raise UsageError(
            "LOCALCI_APP_ID and LOCALCI_APP_PRIVATE_KEY must be set together",
            hint="Store both as secrets of the gate's deployment environment.",
        )
    if not app_id.strip().isdigit():
        raise UsageError("LOCALCI_APP_ID must be the GitHub App's numeric id")
    return Credentials(app_id=int(app_id), app_private_key=key)


def gate_command(command: GateCommand) -> GateRun:
    """Gate every commit the event names; one outcome per commit (empty: nothing to gate).

    :raises LocalciError: outside a repository, for a bad event payload or credentials.
    """
    root = gitrepo.repo_root(command.cwd)
    defaults = parse_config(
        ConfigSource(kind="default", display="<default>", text=DEFAULT_CONFIG_YAML)
    )
    options = publish_options(root, defaults.publish, command.publish)
    # git reads the notes ref with the workflow token; the App (when given) posts.
    fetch_token = options.credentials.token or os.environ.get("GITHUB_TOKEN")
    options = replace(options, credentials=app_from_env(options.credentials, os.environ))
    url = gitrepo.remote_get_url(root, options.publish.remote) or ""
    options = replace(options, git_env=git_auth_env(url, fetch_token))
    return gate(
        GateRequest(
            root=root,
            publish=options,
            check_name=command.check_name,
            config_path=command.config_path,
            event_name=command.event_name,
            event=load_event(command.event_path),
            sha=command.sha,
            base_sha=command.base_sha,
            trust_config=command.trust_config,
            staging=command.staging,
            offline=command.offline,
            attest=command.attest,
            dispatch_token=command.dispatch_token,
        )
    )
