"""``localci context`` and ``localci post --comment`` as core functions.

Each takes one typed request built by the CLI and returns text the CLI prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from localci.context.render import DEFAULT_MAX_BYTES, context_json, context_markdown
from localci.errors import UsageError
from localci.publish.credentials import PublishFlags, publish_options
from localci.publish.deliver import PublishOptions

if TYPE_CHECKING:
    from localci.publish.github import GitHubClient

__all__ = [
    "CommentReport",
    "CommentRequest",
    "ContextRequest",
    "comment_command",
    "context_command",
]

MIN_MAX_BYTES = 1024


@dataclass(frozen=True, kw_only=True)
class ContextRequest:
    """``localci context [REF] [--json] [--max-bytes N]``."""

    cwd: Path
    ref: str | None = None
    as_json: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    config: Path | None = None
    publish: PublishFlags = field(default_factory=PublishFlags)


def context_command(request: ContextRequest) -> str:
    """The failure context as Markdown or JSON text, within ``max_bytes`` bytes.

    :raises UsageError: for ``max_bytes`` below :data:`MIN_MAX_BYTES`, or no result.
    :raises GitError: for a ``ref`` that names no commit.
    """
    from localci.config.loader import load_config
    from localci.context.load import load_context
    from localci.git import repo_root

    if request.max_bytes < MIN_MAX_BYTES:
        raise UsageError(f"--max-bytes must be at least {MIN_MAX_BYTES}")
    root = repo_root(request.cwd)

    def options() -> PublishOptions:
        config = load_config(root, request.config.resolve() if request.config else None)
        return publish_options(root, config.publish, request.publish)

    ctx = load_context(root, request.ref, options)
    if request.as_json:
        doc = context_json(ctx, max_bytes=request.max_bytes)
        return json.dumps(doc, indent=2, ensure_ascii=False)
    return context_markdown(ctx, max_bytes=request.max_bytes)


@dataclass(frozen=True, kw_only=True)
class CommentRequest:
    """``localci post --comment [REF] [--pr N]``."""

    cwd: Path
    ref: str | None = None
    pr: int | None = None
    config: Path | None = None
    publish: PublishFlags = field(default_factory=PublishFlags)


@dataclass(frozen=True, kw_only=True)
class CommentReport:
    """Where the summary went: the PR ``number`` and comment ``url``, and the job
    summary file when ``$GITHUB_STEP_SUMMARY`` was set."""

    number: int
    url: str | None
    step_summary: Path | None
    text: str


def comment_command(request: CommentRequest) -> CommentReport:
    """Post (or update) the PR summary for the stored result of ``ref`` (default: the
    newest), against the result for the pull request's base commit.

    :raises UsageError: with no GitHub repository or credentials, or when no open pull
        request has the commit as its head (and ``--pr`` was not given).
    """
    from localci.config.loader import load_config
    from localci.context.share import base_result, post_summary, write_step_summary
    from localci.git import repo_root
    from localci.publish.deliver import github_settings
    from localci.publish.github import GitHubClient
    from localci.result.show import load_stored_result

    root = repo_root(request.cwd)
    config = load_config(root, request.config.resolve() if request.config else None)
    options = publish_options(root, config.publish, request.publish)
    if options.repo is None:
        raise UsageError("no GitHub repository", hint="Pass --repo or set GITHUB_REPOSITORY.")
    head, _ = load_stored_result(root, request.ref)
    with GitHubClient(github_settings(options)) as client:
        number, base_sha = _pull_of(client, head.git.commit, request.pr)
        base = base_result(root, base_sha, options)
        text, url = post_summary(client, number, head, base)
    return CommentReport(number=number, url=url, step_summary=write_step_summary(text), text=text)


def _pull_of(client: GitHubClient, sha: str, pr: int | None) -> tuple[int, str | None]:
    pulls = client.pulls_for_commit(sha)
    for p in pulls:
        if (pr is None and p["state"] == "open" and p["head_sha"] == sha) or p["number"] == pr:
            return int(p["number"]), str(p["base_sha"])
    if pr is not None:
        return pr, None
    raise UsageError(
        f"no open pull request has {sha[:12]} as its head",
        hint="Push the branch and open the pull request, or pass --pr N.",
    )
