"""The GitHub channel: Check Runs and commit statuses through PyGithub.

The only module that imports PyGithub. Rules it follows (``docs/architecture.md``,
"Publishing limits"; GitHub REST docs "Rate limits for the REST API" and "Checks"):

- Only GitHub Apps (an installation token, or GitHub Actions' ``GITHUB_TOKEN``) can write
  Check Runs; a personal token gets a 403, and localci falls back to a commit status.
- PyGithub's own retry and write throttling are off; :meth:`GitHubClient._call` retries
  instead: ``Retry-After`` is honoured, but never below :data:`MIN_WAIT`; a secondary
  rate limit without it waits at least 60 s, then doubles; a primary limit waits for
  ``x-ratelimit-reset``; 5xx back off exponentially (1, 2, 4 ... s). The waits of one
  client add up to at most ``max_wait`` (:data:`DEFAULT_MAX_WAIT` at a terminal; the
  verifier workflow passes a longer one), and one request is tried at most
  :data:`MAX_ATTEMPTS` times (the client's :class:`~localci.publish.retry.RetryBudget`);
  past either a :class:`~localci.errors.DeliveryError` asks for a spool.
- A connection that is refused or reset is retried only after :data:`CONNECT_WAITS`; one
  that cannot be established within :data:`CONNECT_TIMEOUT` is not retried: an offline
  machine spools within seconds. A read that times out counts like a 5xx.
- A create that failed with a 5xx may still have happened, so every retry first looks for
  a Check Run with the same ``name`` + ``external_id`` on the head sha and resumes it:
  annotations continue from its ``annotations_count`` (PATCHes append), never duplicate.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from localci.errors import DeliveryError, LocalciError, UsageError
from localci.publish.channel import AwaitingPush
from localci.publish.payloads import CheckRunPayload, StatusPayload
from localci.publish.remotes import parse_repo_url, token_kind
from localci.publish.retry import (
    CONNECT_TIMEOUT,
    CONNECT_WAITS,
    DEFAULT_MAX_WAIT,
    MAX_ATTEMPTS,
    MIN_WAIT,
    RetryBudget,
    check_api_url,
    error_message,
    wait_for,
)

if TYPE_CHECKING:
    from github.CheckRun import CheckRun
    from github.Repository import Repository

__all__ = [
    "CONNECT_TIMEOUT",
    "CONNECT_WAITS",
    "DEFAULT_API_URL",
    "DEFAULT_MAX_WAIT",
    "MAX_ATTEMPTS",
    "MIN_WAIT",
    "CheckRunsForbidden",
    "GitHubClient",
    "GitHubSettings",
    "NotOnGitHub",
    "Posted",
    "check_api_url",
    "parse_repo_url",
    "token_kind",
]

DEFAULT_API_URL = "https://api.github.com"
_T = TypeVar("_T")


class NotOnGitHub(AwaitingPush):
    """GitHub does not know the commit yet (422 "No commit found for SHA"): push first."""


class CheckRunsForbidden(LocalciError):
    """The token may not write Check Runs (a personal token): use a commit status."""


@dataclass(frozen=True, kw_only=True)
class GitHubSettings:
    """Where and as whom to post.

    ``repo`` is ``owner/name``. Authenticate with ``token``, or as a GitHub App with
    ``app_id`` + ``app_private_key`` (PEM text) and optionally ``installation_id``
    (discovered from the repository otherwise). ``max_wait`` bounds the seconds spent
    waiting between retries; ``sleep`` is injectable so tests need no real minutes.
    """

    repo: str
    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    app_id: int | None = None
    app_private_key: str | None = field(default=None, repr=False)
    installation_id: int | None = None
    max_wait: float = DEFAULT_MAX_WAIT
    timeout: float = CONNECT_TIMEOUT
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class Posted:
    """What GitHub confirmed: ``kind`` is ``check_run`` or ``status``; ``url`` its page."""

    kind: Literal["check_run", "status", "comment"]
    url: str | None
    id: int | None = None
    resumed: bool = False


class GitHubClient:
    """A connection to one repository. Use as a context manager (closes the session)."""

    def __init__(self, settings: GitHubSettings) -> None:
        from github import Github

        self.settings = settings
        self._integration: Any = None
        self.kind = "app" if settings.app_id is not None else token_kind(settings.token)
        self.requests = 0
        self._budget = RetryBudget(max_wait=settings.max_wait, sleep=settings.sleep)
        self._gh = Github(
            auth=self._auth(),
            base_url=settings.api_url,
            timeout=max(1, round(settings.timeout)),
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )
        self._repo: Repository = self._gh.get_repo(settings.repo)

    def _auth(self) -> Any:
        from github import Auth, GithubIntegration

        s = self.settings
        if s.app_id is not None:
            if not s.app_private_key:
                raise UsageError("--app-id needs --app-private-key (the App's PEM key)")
            app = Auth.AppAuth(s.app_id, s.app_private_key)
            installation = s.installation_id
            if installation is None:
                self._integration = GithubIntegration(auth=app, base_url=s.api_url, retry=None)
                owner, name = s.repo.split("/", 1)
                installation = self._call(
                    "find the App installation",
                    lambda: self._integration.get_repo_installation(owner, name).id,
                )
            return app.get_installation_auth(installation)
        if s.token:
            return Auth.Token(s.token)
        raise UsageError(
            "no GitHub credentials",
            hint="Pass --token, set GITHUB_TOKEN or GH_TOKEN, log in with `gh auth login`, "
            "or use --app-id and --app-private-key.",
        )

    def close(self) -> None:
        """Close HTTP sessions (the client and any App integration)."""
        self._gh.close()
        if self._integration is not None:
            self._integration.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- posting -------------------------------------------------------------------------

    def post_check_run(self, payload: CheckRunPayload) -> Posted:
        """Create (or resume) the Check Run and send every annotation batch.

        :raises CheckRunsForbidden: the token may not write Check Runs (403).
        :raises NotOnGitHub: the commit is not on GitHub yet (422).
        :raises DeliveryError: GitHub stayed unreachable or rate limited past ``max_wait``.
        """
        annotations = list(payload.annotations)
        existing = self._call("look for an existing Check Run", lambda: self._find(payload))
        resumed = existing is not None
        if existing is None:
            first = annotations[:50]
            existing = self._call(
                "create the Check Run",
                lambda: self._create(payload, first),
                before_retry=lambda: self._find(payload),
            )
        run = existing
        sent = _annotations_count(run)
        while sent < len(annotations):
            batch = annotations[sent : sent + 50]
            # A PATCH that failed (5xx, dropped) may have appended its batch after all:
            # re-read the run before retrying, and resume from what GitHub holds.
            run = self._call(
                "add annotations",
                functools.partial(self._edit, run, payload, batch),
                before_retry=functools.partial(self._advanced, run, sent),
            )
            sent = max(_annotations_count(run), sent + len(batch))
        return Posted(kind="check_run", url=run.html_url, id=run.id, resumed=resumed)

    def _find(self, payload: CheckRunPayload) -> CheckRun | None:
        self.requests += 1
        # filter=all: the default (latest) hides this run once a newer one has the same name.
        commit = self._repo.get_commit(payload.head_sha)
        runs = commit.get_check_runs(check_name=payload.name, filter="all")
        for run in runs:
            if run.external_id == payload.external_id:
                return run
        return None

    def _create(self, payload: CheckRunPayload, batch: list[Any]) -> CheckRun:
        self.requests += 1
        body = payload.create_body(batch)
        for key in ("started_at", "completed_at"):
            body[key] = _datetime(body[key])  # PyGithub takes datetimes and formats them
        return self._repo.create_check_run(**body)

    def _edit(self, run: CheckRun, payload: CheckRunPayload, batch: list[Any]) -> CheckRun:
        self.requests += 1
        run.edit(output=payload.output(batch))  # updates ``run`` from the answer
        return run

    def _advanced(self, run: CheckRun, sent: int) -> CheckRun | None:
        """The run re-read from GitHub when it holds more than ``sent`` annotations."""
        self.requests += 1
        fresh = self._repo.get_check_run(run.id)
        return fresh if _annotations_count(fresh) > sent else None

    def post_status(self, payload: StatusPayload) -> Posted:
        """Create the commit status.

        :raises NotOnGitHub: the commit is not on GitHub yet (422).
        :raises DeliveryError: GitHub stayed unreachable or rate limited past ``max_wait``.
        """

        def create() -> Any:
            self.requests += 1
            return self._repo.get_commit(payload.sha).create_status(**payload.body())

        status = self._call("create the commit status", create)
        return Posted(kind="status", url=getattr(status, "url", None), id=status.id)

    def upsert_comment(self, number: int, body: str, marker: str) -> Posted:
        """Update the newest comment on pull request ``number`` whose body starts with
        ``marker``, or create one (``POST``/``PATCH`` of REST "Issue comments"). A marked
        comment this credential may not edit (someone else wrote it) is left alone and a
        new comment is created.

        :raises UsageError: the token may not comment (``pull_requests: write``).
        :raises DeliveryError: GitHub stayed unreachable past ``max_wait``.
        """
        issue = self._repo.get_issue(number)  # lazy: no request

        def marked() -> list[Any]:
            self.requests += 1
            return [c for c in issue.get_comments() if (c.body or "").startswith(marker)]

        for comment in reversed(self._call("list the pull request's comments", marked)):
            try:
                self._call(
                    "update the summary comment",
                    functools.partial(self._edit_comment, comment, body),
                )
            except UsageError:
                continue
            return Posted(kind="comment", url=comment.html_url, id=comment.id, resumed=True)

        def create() -> Any:
            self.requests += 1
            return issue.create_comment(body)

        made = self._call("create the summary comment", create)
        return Posted(kind="comment", url=made.html_url, id=made.id)

    def _edit_comment(self, comment: Any, body: str) -> None:
        self.requests += 1
        comment.edit(body)

    def dispatch(self, event_type: str, client_payload: dict[str, Any]) -> None:
        """Send a ``repository_dispatch`` event (REST "Create a repository dispatch
        event"; needs ``contents: write``).

        :raises UsageError: GitHub refused (403/404), e.g. a token without the permission.
        :raises DeliveryError: GitHub refused otherwise (422) or stayed unreachable.
        """

        def send() -> bool:
            self.requests += 1
            return self._repo.create_repository_dispatch(event_type, client_payload)

        self._call("send the repository_dispatch event", send)

    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        """Pull requests whose head is ``sha`` or that contain it
        (``GET /repos/{owner}/{repo}/commits/{sha}/pulls``): ``number``, ``state``,
        ``head_sha``, ``base_sha``, ``base_ref`` (the base branch's name) and ``fork``
        (whether the head lives in another repository)."""

        def pulls() -> list[dict[str, Any]]:
            self.requests += 1
            return [_pull_facts(p) for p in self._repo.get_commit(sha).get_pulls()]

        return self._call("list the pull requests of a commit", pulls)

    def open_pulls(self, base_ref: str) -> list[dict[str, Any]]:
        """Open pull requests into branch ``base_ref`` (``GET /repos/{owner}/{repo}/pulls``
        with ``state=open&base=...``): the same fields as :meth:`pulls_for_commit`."""

        def pulls() -> list[dict[str, Any]]:
            self.requests += 1
            return [_pull_facts(p) for p in self._repo.get_pulls(state="open", base=base_ref)]

        return self._call("list the open pull requests", pulls)

    def check_run_text(self, sha: str, name: str) -> str | None:
        """``output.text`` of the newest Check Run called ``name`` on ``sha``, if any."""

        def newest() -> str | None:
            self.requests += 1
            runs = list(self._repo.get_commit(sha).get_check_runs(check_name=name))
            runs.sort(key=lambda r: r.id, reverse=True)
            return runs[0].output.text if runs and runs[0].output else None

        return self._call("read the Check Run", newest)

    def rest(self, what: str, verb: str, path: str, *, body: Any = None, query: Any = None) -> Any:
        """A JSON request to ``path`` under the repository (``/attestations`` ->
        ``/repos/{owner}/{repo}/attestations``) with the same retries; the parsed answer.

        :raises UsageError, DeliveryError: as for the other calls (``what`` names it).
        """
        url = f"/repos/{self.settings.repo}{path}"

        def send() -> Any:
            self.requests += 1
            return self._gh.requester.requestJsonAndCheck(verb, url, query, None, body)[1]

        return self._call(what, send)

    # -- retrying ------------------------------------------------------------------------

    def _call(
        self,
        what: str,
        fn: Callable[[], _T],
        *,
        before_retry: Callable[[], Any] | None = None,
    ) -> _T:
        """Run ``fn``, retrying as the module docstring says. If ``before_retry`` returns
        a value on a retry (e.g. the Check Run a failed create made after all), that
        value is the result."""
        import requests
        from github import GithubException

        attempt = 0
        while True:
            try:
                # Inside the try: the look-up before a retry can fail like any request.
                if attempt and before_retry is not None:
                    found = before_retry()
                    if found is not None:
                        return found  # type: ignore[no-any-return]
                return fn()
            except GithubException as exc:
                wait = wait_for(exc, attempt)
                if wait is None:
                    raise self._classify(what, exc) from None
                problem = f"GitHub answered {exc.status}"
            except (requests.ConnectionError, requests.Timeout) as exc:
                wait, problem = self._budget.connection_wait(what, exc, attempt)
            self._budget.spend(what, problem, wait, attempt)
            attempt += 1

    def _classify(self, what: str, exc: Any) -> LocalciError:
        message = error_message(exc)
        if exc.status == 422 and "no commit found" in message.lower():
            return NotOnGitHub(f"GitHub does not have the commit yet: {message}")
        if exc.status == 403 and "check" in what.lower() and "Check Run" in what:
            return CheckRunsForbidden(f"this token cannot write Check Runs: {message}")
        if exc.status in (401, 403, 404):
            return UsageError(
                f"GitHub refused to {what} in {self.settings.repo} ({exc.status}: {message})",
                hint="Check the token's access to the repository and its permissions "
                "(checks: write for Check Runs, statuses: write for commit statuses).",
            )
        return DeliveryError(f"GitHub refused to {what} ({exc.status}: {message})")


def _pull_facts(pull: Any) -> dict[str, Any]:
    head_repo = pull.head.repo
    base_repo = pull.base.repo
    fork = head_repo is None or (
        base_repo is not None and head_repo.full_name != base_repo.full_name
    )
    return {
        "number": pull.number,
        "state": pull.state,
        "head_sha": pull.head.sha,
        "base_sha": pull.base.sha,
        "base_ref": pull.base.ref,
        "fork": fork,
    }


def _annotations_count(run: CheckRun) -> int:
    return run.output.annotations_count if run.output else 0


def _datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
