"""One judgement of the gate: fetch a commit's signed result, verify it under a base's
policy, and conclude ``success``, ``failure`` or ``action_required``.

It never raises for anything the change, GitHub or Sigstore can cause: an invalid base
configuration, an unreachable notes remote or an unusable trust root all conclude
``failure`` with the reason, so the required check always appears and says why (fail
closed). Only git objects and the base's configuration are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from localci import git as gitrepo
from localci.attest.signed import SignedResult
from localci.config.loader import Config
from localci.errors import LocalciError, UsageError
from localci.publish.deliver import PublishOptions
from localci.publish.fetch import Fetched, fetch_result
from localci.verifier.check import Verdict, verify_result
from localci.verifier.sources import commit_config_sha256, config_at, tree_of
from localci.verifier.targets import Subject

__all__ = ["RANK", "Conclusion", "JudgeContext", "Judgement", "judge", "strictest"]

Conclusion = Literal["success", "failure", "action_required"]

RANK: dict[str, int] = {"success": 0, "action_required": 1, "failure": 2}
"""How strict each conclusion is; the gate posts the strictest over every judgement."""


@dataclass(frozen=True, kw_only=True)
class JudgeContext:
    """What every judgement of one gate run shares: the repository, where results are
    fetched from (the base policy's ``publish`` section replaces ``publish.publish``,
    except the remote), the config path read from each base, and the Sigstore trust."""

    root: Path
    publish: PublishOptions
    config_path: str = ".localci.yml"
    trust_config: Path | None = None
    staging: bool = False
    offline: bool = False


@dataclass(frozen=True, kw_only=True)
class Judgement:
    """The conclusion for one :class:`~localci.verifier.targets.Subject`.

    ``verdict`` is the verifier's answer when a result was found and checked; ``policy``
    the base configuration that applied (``None`` when it could not be read); ``channel``
    where the result came from, and ``note`` the result and bundles found there.
    """

    subject: Subject
    conclusion: Conclusion
    reason: str
    verdict: Verdict | None = None
    policy: Config | None = field(default=None, compare=False)
    channel: str | None = None
    note: SignedResult | None = field(default=None, compare=False)


def strictest(conclusions: list[Conclusion]) -> Conclusion:
    """The strictest of ``conclusions`` (``failure`` for none: nothing was shown)."""
    return max(conclusions, key=RANK.__getitem__, default="failure")


def judge(ctx: JudgeContext, subject: Subject) -> Judgement:
    """Judge ``subject``; see the module docstring. Never raises :class:`LocalciError`."""
    try:
        policy = config_at(ctx.root, subject.base, ctx.config_path)
    except LocalciError as exc:
        return Judgement(
            subject=subject,
            conclusion="failure",
            reason=f"the policy of base {subject.base[:12]} cannot be used: {exc.message}",
        )
    _ensure_head(ctx, subject)
    try:
        fetched = _fetch(ctx, subject, policy)
    except UsageError as exc:  # no channel has a result: the developer has to act
        return Judgement(
            subject=subject, conclusion="action_required", reason=exc.message, policy=policy
        )
    except LocalciError as exc:
        reason = f"could not fetch the result: {exc.message}"
        return Judgement(subject=subject, conclusion="failure", reason=reason, policy=policy)
    try:
        verdict = _verify(ctx, subject, policy, fetched)
    except LocalciError as exc:  # e.g. the trust root cannot be loaded or fetched
        reason = f"could not verify the result: {exc.message}"
        return Judgement(subject=subject, conclusion="failure", reason=reason, policy=policy)
    return Judgement(
        subject=subject,
        conclusion="success" if verdict.accepted else "failure",
        reason=f"result from {fetched.channel}; policy from base {subject.base[:12]}",
        verdict=verdict,
        policy=policy,
        channel=fetched.channel,
        note=fetched.signed,
    )


def _verify(ctx: JudgeContext, subject: Subject, policy: Config, fetched: Fetched) -> Verdict:
    return verify_result(
        result_doc=fetched.signed.document,
        bundle_json=fetched.signed.bundle_json(),
        test_result_bundle_json=fetched.signed.test_result_bundle_json(),
        policy=policy,
        sha=subject.sha,
        tree=tree_of(ctx.root, subject.sha),
        commit_config_sha256=commit_config_sha256(ctx.root, subject.sha, ctx.config_path),
        trust_config=ctx.trust_config,
        staging=ctx.staging,
        offline=ctx.offline,
    )


def _ensure_head(ctx: JudgeContext, subject: Subject) -> None:
    """Fetch ``refs/pull/<n>/head`` when the head commit is not local (a fork's head is
    on no branch of the base repository). Objects only; a failure shows up later as an
    unreadable commit configuration."""
    if subject.pull is None or tree_of(ctx.root, subject.sha) is not None:
        return
    remote = ctx.publish.publish.remote
    try:
        gitrepo.fetch_refs(
            ctx.root,
            remote,
            [f"+refs/pull/{subject.pull}/head:refs/localci/pull/{subject.pull}"],
            env=ctx.publish.git_env,
        )
    except LocalciError:
        return


def _fetch(ctx: JudgeContext, subject: Subject, policy: Config) -> Fetched:
    """The result from the base repository's channels, then from a fork's notes ref."""
    remote = ctx.publish.publish.remote
    options = replace(ctx.publish, publish=replace(policy.publish, remote=remote))
    try:
        return fetch_result(ctx.root, subject.sha, options, local=False)
    except UsageError:
        fork = _safe_remote(subject.fork_url)
        if fork is None:
            raise
    fork_options = replace(options, publish=replace(options.publish, remote=fork), git_env={})
    return fetch_result(ctx.root, subject.sha, fork_options, local=False)


def _safe_remote(url: str | None) -> str | None:
    """``url`` when git may fetch from it: https, or an absolute local path (tests); never
    an option-looking string or another transport (``ext::`` runs commands)."""
    if not url or url.startswith("-"):
        return None
    if urlsplit(url).scheme == "https" or Path(url).is_absolute():
        return url
    return None
