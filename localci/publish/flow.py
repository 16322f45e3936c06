"""The commands that publish, as core functions: run → sign → post, ``post``, ``fetch``.

Each takes one typed request built by the CLI and returns data the CLI prints; nothing
here prints or exits. Credentials and the repository are resolved by
:func:`~localci.publish.credentials.publish_options`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from localci.errors import EXIT_OK
from localci.publish.credentials import PublishFlags, publish_options

# The delivery code (payloads, checks, spool) is imported where it is used: a run that
# does not post never loads it.
if TYPE_CHECKING:
    from localci.attest.document import SignOutcome
    from localci.attest.options import SigningOptions
    from localci.publish.deliver import ChannelOutcome, PlannedRequest, PublishReport
    from localci.publish.fetch import Fetched
    from localci.run.pipeline import Reporter, RunOptions, RunOutcome

__all__ = [
    "FetchRequest",
    "PostReport",
    "PostRequest",
    "RunReport",
    "RunRequest",
    "fetch_command",
    "post_command",
    "run_command",
]


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    """``localci run``: how to run; ``signing`` set signs the result; ``post`` publishes
    it with ``publish``."""

    run: RunOptions
    signing: SigningOptions | None = None
    post: bool = False
    publish: PublishFlags = field(default_factory=PublishFlags)


@dataclass(frozen=True, kw_only=True)
class RunReport:
    """What a run produced: the outcome, the signature, spool retries and the post."""

    outcome: RunOutcome
    signed: SignOutcome | None = None
    drained: tuple[ChannelOutcome, ...] = ()
    published: PublishReport | None = None

    @property
    def exit_code(self) -> int:
        """0 when the run succeeded and the post (if any) went out; else 1, 2 or 5."""
        code = EXIT_OK if self.outcome.result.conclusion == "success" else 1
        return max(code, self.published.exit_code if self.published else EXIT_OK)


def run_command(request: RunRequest, reporter: Reporter) -> RunReport:
    """Run the stages, then sign and publish as requested.

    :raises LocalciError: from the run or signing (configuration, git, Sigstore).
    """
    from localci.run.pipeline import execute

    outcome = execute(request.run, reporter)
    signed = None
    if request.signing is not None:
        from localci.attest.document import sign_document

        signed = sign_document(outcome.result_path, request.signing)
    if not request.post:
        # The spool is delivered only when the user publishes, never by a plain run.
        return RunReport(outcome=outcome, signed=signed)
    from localci.publish.deliver import unreachable
    from localci.publish.post import post_result, retry_spool_briefly

    options = publish_options(outcome.root, outcome.config.publish, request.publish)
    # Posts spooled earlier (e.g. before the commit was pushed) go out first, briefly,
    # and never change this run's exit code.
    drained = tuple(retry_spool_briefly(outcome.root, options))
    published = post_result(outcome.root, outcome.result_path, options, down=unreachable(drained))
    return RunReport(outcome=outcome, signed=signed, drained=drained, published=published)


@dataclass(frozen=True, kw_only=True)
class PostRequest:
    """``localci post``: the result ``ref`` (default: newest) in the repository at ``cwd``;
    ``pending`` delivers the spool only; ``dry_run`` plans instead of sending."""

    cwd: Path
    ref: str | None = None
    pending: bool = False
    dry_run: bool = False
    config: Path | None = None
    publish: PublishFlags = field(default_factory=PublishFlags)


@dataclass(frozen=True, kw_only=True)
class PostReport:
    """``mode`` says which of ``drained`` (spool), ``planned`` or ``published`` is set."""

    mode: Literal["pending", "dry_run", "post"]
    drained: tuple[ChannelOutcome, ...] = ()
    planned: tuple[PlannedRequest, ...] = ()
    published: PublishReport | None = None

    @property
    def exit_code(self) -> int:
        """The worst channel's code: 0, 2 or 5 (a dry run is 0)."""
        if self.published is not None:
            return self.published.exit_code
        return max((o.exit_code for o in self.drained), default=EXIT_OK)


def post_command(request: PostRequest) -> PostReport:
    """Publish a stored result, deliver the spool, or plan the requests.

    :raises LocalciError: outside a repository, for a bad config or result.
    """
    from localci.attest.document import locate_result
    from localci.attest.signed import load_signed
    from localci.config.loader import load_config
    from localci.git import repo_root
    from localci.publish.deliver import drain_spool, plan_requests, unreachable
    from localci.publish.post import post_result, retry_spool_briefly
    from localci.result.store import Store

    root = repo_root(request.cwd)
    Store(root).refuse_tracked()
    config = load_config(root, request.config.resolve() if request.config else None)
    options = publish_options(root, config.publish, request.publish)
    if request.pending:
        return PostReport(mode="pending", drained=tuple(drain_spool(root, options)))
    path = locate_result(request.cwd, request.ref)
    if request.dry_run:
        return PostReport(mode="dry_run", planned=tuple(plan_requests(load_signed(path), options)))
    drained = tuple(retry_spool_briefly(root, options))
    published = post_result(root, path, options, down=unreachable(drained))
    return PostReport(mode="post", drained=drained, published=published)


@dataclass(frozen=True, kw_only=True)
class FetchRequest:
    """``localci fetch``: the result for ``ref``; ``local`` also looks in
    ``.localci/results`` first."""

    cwd: Path
    ref: str
    local: bool = True
    config: Path | None = None
    publish: PublishFlags = field(default_factory=PublishFlags)


def fetch_command(request: FetchRequest) -> Fetched:
    """The result for ``ref`` from the first channel that has it.

    :raises UsageError: when no channel has it; :raises GitError: for a bad ``ref``.
    """
    from localci.config.loader import load_config
    from localci.git import repo_root, resolve_commit
    from localci.publish.fetch import fetch_result
    from localci.result.store import Store

    root = repo_root(request.cwd)
    if request.local:
        Store(root).refuse_tracked()
    config = load_config(root, request.config.resolve() if request.config else None)
    sha = resolve_commit(root, request.ref)
    options = publish_options(root, config.publish, request.publish)
    return fetch_result(root, sha, options, local=request.local)
