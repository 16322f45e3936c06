"""The GitHub channel: a Check Run (App or Actions token) or a commit status (personal
token) on the result's commit (:class:`~localci.publish.channel.Channel`).

Sending and planning share one path: :func:`_post` decides what to send and builds every
payload; it talks to a :class:`Poster`, which is either the real
:class:`~localci.publish.github.GitHubClient` or :class:`_Planner`, which records the
requests the client would make (``localci post --dry-run``). Request bodies come from the
payloads' own ``create_body`` / ``output`` / ``body``, which the client sends as they are.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from localci.attest.signed import SignedResult
from localci.publish.channel import ChannelOutcome, NotFound, PlannedRequest, PublishOptions
from localci.publish.payloads import (
    CheckRunPayload,
    StatusPayload,
    check_run_payload,
    embedded_note,
    status_payload,
)

if TYPE_CHECKING:
    from localci.publish.github import GitHubSettings, Posted

__all__ = ["GitHubChannel", "Poster", "github_settings"]


class Poster(Protocol):
    """What :func:`_post` needs from a GitHub connection."""

    @property
    def kind(self) -> str:
        """``personal`` (no Check Runs), ``app`` or ``unknown``."""
        ...

    def post_check_run(self, payload: CheckRunPayload) -> Posted: ...

    def post_status(self, payload: StatusPayload) -> Posted: ...


def github_settings(options: PublishOptions) -> GitHubSettings:
    """The client settings for ``options`` (which must name a repository)."""
    from localci.publish.github import GitHubSettings

    c = options.credentials
    if options.repo is None:
        raise NotFound("no GitHub repository (use --repo or a GitHub remote)")
    settings = GitHubSettings(
        repo=options.repo,
        api_url=options.api_url,
        token=c.token,
        app_id=c.app_id,
        app_private_key=c.app_private_key,
        installation_id=c.installation_id,
        max_wait=options.max_wait,
    )
    return replace(settings, sleep=options.sleep) if options.sleep is not None else settings


def _post(signed: SignedResult, options: PublishOptions, poster: Poster) -> list[ChannelOutcome]:
    """A Check Run when the credentials may write one, else (or when GitHub refuses it
    with 403) a commit status."""
    from localci.publish.github import CheckRunsForbidden

    result, p = signed.result, options.publish
    out: list[ChannelOutcome] = []
    if poster.kind != "personal":
        payload = check_run_payload(
            result,
            name=p.check_name,
            external_id=signed.digest,
            note=signed.to_json(),
            uncovered=p.annotate_uncovered,
            details_url=p.target_url,
        )
        try:
            posted = poster.post_check_run(payload)
        except CheckRunsForbidden as exc:
            message = f"{exc.message}; posting a commit status instead"
            out.append(ChannelOutcome(channel="check_run", state="skipped", message=message))
        else:
            verb = "updated" if posted.resumed else "created"
            message = f"Check Run {p.check_name!r} {verb}"
            return [
                *out,
                ChannelOutcome(
                    channel="check_run", state="delivered", url=posted.url, message=message
                ),
            ]
    status = status_payload(result, context=p.status_context, target_url=p.target_url)
    posted = poster.post_status(status)
    message = f"commit status {p.status_context!r}: {status.state}"
    out.append(ChannelOutcome(channel="status", state="delivered", url=posted.url, message=message))
    return out


class _Planner:
    """A :class:`Poster` that records the requests the real client would make."""

    def __init__(self, options: PublishOptions) -> None:
        from localci.publish.github import token_kind

        c = options.credentials
        personal = token_kind(c.token) == "personal" and c.app_id is None
        self.kind = "personal" if personal else "app"
        self.base = f"/repos/{options.repo}"
        self.requests: list[PlannedRequest] = []

    def post_check_run(self, payload: CheckRunPayload) -> Posted:
        from localci.publish.github import Posted

        batches = payload.batches()
        query = f"check_name={payload.name}&filter=all"
        self.requests += [
            PlannedRequest(
                method="GET", path=f"{self.base}/commits/{payload.head_sha}/check-runs?{query}"
            ),
            PlannedRequest(
                method="POST",
                path=f"{self.base}/check-runs",
                body=payload.create_body(batches[0]),
            ),
        ]
        self.requests += [
            PlannedRequest(
                method="PATCH",
                path=f"{self.base}/check-runs/{{check_run_id}}",
                body={"output": payload.output(batch)},
            )
            for batch in batches[1:]
        ]
        return Posted(kind="check_run", url=None)

    def post_status(self, payload: StatusPayload) -> Posted:
        from localci.publish.github import Posted

        path = f"{self.base}/statuses/{payload.sha}"
        self.requests.append(PlannedRequest(method="POST", path=path, body=payload.body()))
        return Posted(kind="status", url=None)


class GitHubChannel:
    """Check Run or commit status on GitHub; the Check Run's ``output.text`` embeds the
    signed result so :meth:`fetch` can read it back."""

    @property
    def name(self) -> Literal["github"]:
        return "github"

    def enabled(self, options: PublishOptions) -> bool:
        return options.github

    def publish(
        self, root: Path, signed: SignedResult, options: PublishOptions
    ) -> list[ChannelOutcome]:
        from localci.publish.github import GitHubClient

        skipped = _skip_reason(options)
        if skipped is not None:
            return [ChannelOutcome(channel="github", state="skipped", message=skipped)]
        with GitHubClient(github_settings(options)) as client:
            return _post(signed, options, client)

    def fetch(self, root: Path, sha: str, options: PublishOptions) -> SignedResult:
        from localci.publish.github import GitHubClient

        c = options.credentials
        if options.repo is None or (not c.token and c.app_id is None):
            raise NotFound("no GitHub repository or credentials")
        name = options.publish.check_name
        with GitHubClient(github_settings(options)) as client:
            text = client.check_run_text(sha, name)
        found = SignedResult.from_json(embedded_note(text), "check_run")
        if found is None:
            raise NotFound(f"no {name!r} Check Run with a result")
        return found

    def plan(self, signed: SignedResult, options: PublishOptions) -> list[PlannedRequest]:
        if options.repo is None:
            return []
        planner = _Planner(options)
        _post(signed, options, planner)
        return planner.requests


def _skip_reason(options: PublishOptions) -> str | None:
    c = options.credentials
    if options.repo is None:
        return "no GitHub repository (use --repo or a GitHub remote)"
    if not c.token and c.app_id is None:
        return "no GitHub token: posted only through git notes"
    return None
