"""What the gate adds for a pull request: annotations only where the change is, the
summary comment and job summary, and the ``localci-failure`` dispatch.

Everything here is best-effort for the gate: a comment or dispatch GitHub refuses (a
token without ``pull_requests: write`` or ``contents: write``) is reported in the
returned notes, never turned into a gate failure, since the gating Check Run is what
branch protection reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from localci import git as gitrepo
from localci.config.model import PublishConfig
from localci.context.annotate import DEFAULT_MODES, Mode, filter_findings, parse_diff
from localci.context.share import (
    DISPATCH_EVENT,
    base_result,
    dispatch_payload,
    post_summary,
    write_step_summary,
)
from localci.errors import LocalciError
from localci.publish.deliver import PublishOptions
from localci.result.model import Result

__all__ = ["PullRequest", "changed_only", "share_verdict"]

_KINDS = {"tests": "test", "lint": "lint", "coverage": "coverage"}


@dataclass(frozen=True, kw_only=True)
class PullRequest:
    """The pull request a verdict is about: its ``number``, ``head`` and ``base`` shas,
    and ``repository`` (``owner/name``)."""

    number: int
    head: str
    base: str
    repository: str | None = None


def annotation_modes(publish: PublishConfig) -> dict[str, Mode]:
    """``publish.annotations`` keyed by finding kind (``test``, ``lint``, ``coverage``)."""
    modes = dict(DEFAULT_MODES)
    for kind, mode in publish.annotations:
        modes[_KINDS.get(kind, kind)] = cast(Mode, mode)
    return modes


def changed_only(
    root: Path, base: str, head: str, result: Result, publish: PublishConfig
) -> Result:
    """``result`` with only the findings ``publish.annotations`` lets through, judged on
    the diff of ``head`` against ``base``; unchanged when the diff cannot be computed
    (a commit missing locally), so nothing is hidden by accident."""
    try:
        changed = parse_diff(gitrepo.changed_lines_diff(root, base, head))
    except LocalciError:
        return result
    return filter_findings(result, changed, annotation_modes(publish))


def share_verdict(
    client: Any,
    root: Path,
    pr: PullRequest,
    result: Result | None,
    *,
    accepted: bool,
    failed_checks: tuple[str, ...],
    publish: PublishConfig,
    options: PublishOptions,
    dispatch_token: str | None = None,
) -> list[str]:
    """Post the summary comment (``publish.pr_comment``), append the job summary, and on
    a rejected verdict send the dispatch (``publish.dispatch_on_failure``); one line per
    thing done or refused. The dispatch uses ``dispatch_token`` when given (``contents:
    write`` is more than the gate's own credentials need), else ``client``."""
    notes: list[str] = []
    if result is None:
        return notes
    if publish.pr_comment:
        try:
            base = base_result(root, pr.base, options)
            text, url = post_summary(client, pr.number, result, base)
            write_step_summary(text)
            notes.append(f"summary comment: {url}")
        except LocalciError as exc:
            notes.append(f"summary comment not posted: {exc.message}")
    if publish.dispatch_on_failure and not accepted:
        secrets = tuple(t for t in (options.credentials.token, dispatch_token) if t)
        payload = dispatch_payload(
            result,
            pr=pr.number,
            repository=pr.repository,
            failed_checks=failed_checks,
            secrets=secrets,
        )
        try:
            _dispatch(client, options, dispatch_token, payload)
            notes.append(f"dispatched {DISPATCH_EVENT}")
        except LocalciError as exc:
            notes.append(f"{DISPATCH_EVENT} not dispatched: {exc.message}")
    return notes


def _dispatch(
    client: Any, options: PublishOptions, token: str | None, payload: dict[str, Any]
) -> None:
    if token is None:
        client.dispatch(DISPATCH_EVENT, payload)
        return
    from localci.publish.deliver import github_settings
    from localci.publish.github import GitHubClient

    settings = replace(github_settings(options), token=token, app_id=None)
    with GitHubClient(settings) as own:
        own.dispatch(DISPATCH_EVENT, payload)
