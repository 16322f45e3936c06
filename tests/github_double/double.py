"""A stateful GitHub REST double, validated against GitHub's OpenAPI description.

Usage (the ``github_double`` fixture does the start/stop and the final check)::

    double = GitHubDouble().start()
    double.add_repo("octo/hello", commits=[sha])
    token = double.add_token(TokenKind.ACTIONS, repo="octo/hello")
    gh = github.Github(auth=github.Auth.Token(token), base_url=double.api_url, retry=None)
    ...
    double.stop()
    double.verify()  # raises if a request broke the spec or the double misbehaved

How a request is served (faults, validation, the answer's own validation) is described
in :mod:`.pipeline`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from .auth import mint_token
from .errors import DoubleError
from .faults import (
    SECONDARY_RATE_LIMIT_DOCS,
    SECONDARY_RATE_LIMIT_MESSAGE,
    Fault,
    FaultKind,
    FaultQueue,
)
from .handlers import combined_state, latest_per_context
from .pipeline import Pipeline, RequestRecord, Violation
from .server import Server
from .spec import Spec, load_spec
from .state import (
    ACTIONS_APP_ID,
    App,
    Attestation,
    CheckRun,
    Comment,
    Commit,
    Dispatch,
    Environment,
    Installation,
    Principal,
    Pull,
    Repo,
    State,
    Status,
    TokenKind,
    now,
)

__all__ = ["GitHubDouble", "RequestRecord", "Violation"]

_DEFAULT_APP_PERMISSIONS = {
    "checks": "write",
    "statuses": "write",
    "contents": "read",
    "metadata": "read",
    "pull_requests": "read",
}


class GitHubDouble:
    """The double: state, faults, request log and an HTTP server once :meth:`start` ran."""

    def __init__(self, spec: Spec | None = None) -> None:
        self.spec = spec or load_spec()
        self.state = State()
        self.faults = FaultQueue()
        self._pipeline = Pipeline(self.spec, self.state, self.faults)
        self._server: Server | None = None
        self._add_app(ACTIONS_APP_ID, "", slug="github-actions", name="GitHub Actions")

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> GitHubDouble:
        """Start serving on ``127.0.0.1`` and a free port; returns ``self``."""
        if self._server is None:
            self._server = Server(self._pipeline.dispatch)
            self._pipeline.base = self._server.url
        return self

    def stop(self) -> None:
        """Stop serving and release every socket and thread (idempotent)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> GitHubDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:<port>``: pass it as PyGithub's ``base_url``."""
        if self._server is None:
            raise RuntimeError("the GitHub double is not started")
        return self._server.url

    # --- registration -----------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        commits: list[str] | tuple[str, ...] = (),
        branches: dict[str, str] | None = None,
        default_branch: str = "main",
        private: bool = False,
    ) -> None:
        """Register ``owner/name`` with pushed *commits* (each the parent of the next).

        *branches* maps branch names to shas; by default *default_branch* points at the
        last commit.
        """
        owner, name = _split(full_name)
        with self.state.lock:
            repo = Repo(
                id=self.state.next_id(),
                owner=owner,
                name=name,
                default_branch=default_branch,
                private=private,
                created_at=now(),
            )
            self.state.repos[owner.lower(), name.lower()] = repo
        self.add_commits(full_name, *commits)
        with self.state.lock:
            if branches is not None:
                repo.branches.update(branches)
            elif commits:
                repo.branches[default_branch] = commits[-1]

    def add_commits(self, full_name: str, *shas: str) -> None:
        """Push *shas* (in order, each the child of the previous) to the repository."""
        with self.state.lock:
            repo = self._repo(full_name)
            parent = next(reversed(repo.commits), None)
            for sha in shas:
                parents = (parent,) if parent else ()
                repo.commits[sha] = Commit(
                    sha=sha, message=f"commit {sha[:7]}", parents=parents, date=now()
                )
                parent = sha

    def add_pull(
        self,
        full_name: str,
        *,
        number: int,
        head_sha: str,
        head_ref: str = "feature",
        base_ref: str = "main",
        base_sha: str | None = None,
        state: str = "open",
        merged: bool = False,
        commits: list[str] | tuple[str, ...] | None = None,
        title: str = "A pull request",
    ) -> None:
        """Register a pull request; *commits* defaults to ``[head_sha]``."""
        with self.state.lock:
            repo = self._repo(full_name)
            repo.pulls.append(
                Pull(
                    id=self.state.next_id(),
                    number=number,
                    head_sha=head_sha,
                    head_ref=head_ref,
                    base_ref=base_ref,
                    base_sha=base_sha or repo.branches.get(base_ref, head_sha),
                    title=title,
                    state=state,
                    merged=merged,
                    commits=tuple(commits or (head_sha,)),
                    created_at=now(),
                )
            )

    def add_token(
        self,
        kind: TokenKind,
        *,
        login: str = "octocat",
        repo: str | None = None,
        permissions: dict[str, str] | None = None,
        token: str | None = None,
    ) -> str:
        """Register a credential and return it (a fresh ``ghp_``/``github_pat_``/``ghs_``).

        ``CLASSIC`` and ``FINE_GRAINED`` act as user *login*. ``ACTIONS`` is a workflow's
        ``GITHUB_TOKEN``: the ``github-actions`` app (id 15368), limited to *repo* when
        given, with *permissions* (default: checks and statuses write). For
        ``INSTALLATION`` tokens use :meth:`installation_token` or the App JWT flow.
        """
        if kind not in (TokenKind.CLASSIC, TokenKind.FINE_GRAINED, TokenKind.ACTIONS):
            raise ValueError(f"add_token() cannot register {kind}")
        token = token or mint_token(kind)
        if kind is TokenKind.ACTIONS:
            principal = Principal(
                kind=kind,
                login="github-actions[bot]",
                app_id=ACTIONS_APP_ID,
                repos=None if repo is None else frozenset({_key(repo)}),
                permissions=dict(permissions or _DEFAULT_APP_PERMISSIONS),
            )
        else:
            principal = Principal(kind=kind, login=login)
        with self.state.lock:
            self.state.tokens[token] = principal
        return token

    def add_app(
        self, app_id: int, public_key_pem: str, *, slug: str = "localci", name: str | None = None
    ) -> None:
        """Register a GitHub App whose RS256 JWTs verify with *public_key_pem*."""
        self._add_app(app_id, public_key_pem, slug=slug, name=name or slug)

    def _add_app(self, app_id: int, public_key_pem: str, *, slug: str, name: str) -> None:
        with self.state.lock:
            self.state.apps[app_id] = App(
                id=app_id,
                slug=slug,
                name=name,
                owner="github" if app_id == ACTIONS_APP_ID else "octo",
                public_key_pem=public_key_pem,
                created_at=now(),
            )

    def add_installation(
        self,
        app_id: int,
        installation_id: int,
        *,
        account: str,
        repos: list[str] | None = None,
        permissions: dict[str, str] | None = None,
    ) -> None:
        """Install app *app_id* on *account*: all its repositories, or only *repos*."""
        with self.state.lock:
            if app_id not in self.state.apps:
                raise KeyError(f"app {app_id} is not registered: call add_app() first")
            self.state.installations[installation_id] = Installation(
                id=installation_id,
                app_id=app_id,
                account=account,
                repos=None if repos is None else frozenset(_key(r) for r in repos),
                permissions=dict(permissions or _DEFAULT_APP_PERMISSIONS),
                created_at=now(),
            )

    def installation_token(self, installation_id: int) -> str:
        """Mint an installation token directly (as if the JWT exchange had happened)."""
        with self.state.lock:
            inst = self.state.installations[installation_id]
            app = self.state.apps[inst.app_id]
            token = mint_token(TokenKind.INSTALLATION)
            self.state.tokens[token] = Principal(
                kind=TokenKind.INSTALLATION,
                login=f"{app.slug}[bot]",
                app_id=app.id,
                installation_id=inst.id,
                repos=inst.repos,
                permissions=dict(inst.permissions),
            )
        return token

    # --- faults -----------------------------------------------------------------------

    def fail(
        self,
        method: str | None,
        path: str,
        *,
        times: int = 1,
        status: int = 500,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Answer the next *times* requests matching (*method*, *path* regex) with *status*.

        *path* must match the whole (percent-encoded) path; *method* ``None`` matches any.
        """
        return self.faults.add(
            Fault(
                kind=FaultKind.RESPOND,
                method=method,
                path=re.compile(path),
                status=status,
                body=body or {"message": "Server Error", "documentation_url": ""},
                headers=dict(headers or {}),
                remaining=times,
            )
        )

    def secondary_rate_limit(
        self,
        method: str | None,
        path: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        status: int = 403,
    ) -> Fault:
        """GitHub's secondary rate limit: 403 (or 429), with ``Retry-After`` if given."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        body = {
            "message": SECONDARY_RATE_LIMIT_MESSAGE,
            "documentation_url": SECONDARY_RATE_LIMIT_DOCS,
        }
        return self.fail(method, path, times=times, status=status, body=body, headers=headers)

    def too_many_requests(
        self, method: str | None, path: str, *, retry_after: int | None = None, times: int = 1
    ) -> Fault:
        """429 Too Many Requests (a secondary limit answered with 429)."""
        return self.secondary_rate_limit(
            method, path, retry_after=retry_after, times=times, status=429
        )

    def drop_connection(self, method: str | None, path: str, *, times: int = 1) -> Fault:
        """Close the connection without an answer (the request has no effect)."""
        return self.faults.add(
            Fault(kind=FaultKind.DROP, method=method, path=re.compile(path), remaining=times)
        )

    def fail_after_apply(
        self, method: str | None, path: str, *, times: int = 1, status: int = 500
    ) -> Fault:
        """Serve the request (e.g. the check run IS created), then answer *status*."""
        return self.faults.add(
            Fault(
                kind=FaultKind.AFTER_APPLY,
                method=method,
                path=re.compile(path),
                status=status,
                body={"message": "Server Error", "documentation_url": ""},
                remaining=times,
            )
        )

    def unknown_sha(self, sha: str, *, times: int = 1) -> Fault:
        """The next *times* lookups of *sha* answer 422 ``No commit found for SHA``."""
        return self.faults.add(Fault(kind=FaultKind.UNKNOWN_SHA, sha=sha, remaining=times))

    # --- inspection -------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request so far, oldest first."""
        with self.state.lock:
            return list(self._pipeline.log)

    def requests_to(self, method: str | None = None, path: str = ".*") -> list[RequestRecord]:
        """Requests whose method is *method* (any if ``None``) and path fully matches."""
        pattern = re.compile(path)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and pattern.fullmatch(r.path)
        ]

    @property
    def violations(self) -> list[Violation]:
        """Spec and rule violations recorded so far."""
        with self.state.lock:
            return list(self._pipeline.violations)

    def take_violations(self) -> list[Violation]:
        """Return and forget the violations (for tests that provoke them on purpose)."""
        with self.state.lock:
            taken = list(self._pipeline.violations)
            self._pipeline.violations.clear()
        return taken

    def check_runs(self, full_name: str, sha: str | None = None) -> list[CheckRun]:
        """Snapshots of the repository's check runs (on *sha* if given), oldest first."""
        with self.state.lock:
            repo = self._repo(full_name)
            return [
                dataclasses.replace(r, output=dict(r.output), annotations=list(r.annotations))
                for r in self.state.check_runs.values()
                if r.repo is repo and (sha is None or r.head_sha == sha)
            ]

    def attestations(self, full_name: str) -> list[Attestation]:
        """The repository's stored attestations, oldest first."""
        with self.state.lock:
            repo = self._repo(full_name)
            return [a for a in self.state.attestations if a.repo is repo]

    def environment(self, full_name: str, name: str) -> Environment | None:
        """A snapshot of deployment environment *name* (``None`` when absent)."""
        with self.state.lock:
            env = self._repo(full_name).environments.get(name)
            if env is None:
                return None
            return dataclasses.replace(
                env,
                branch_policy=dict(env.branch_policy) if env.branch_policy else None,
                branch_policies=[dict(p) for p in env.branch_policies],
            )

    def rulesets(self, full_name: str) -> list[dict[str, Any]]:
        """Copies of the repository's rulesets as stored (request fields, id, times)."""
        with self.state.lock:
            return [dict(r) for r in self._repo(full_name).rulesets.values()]

    def comments(self, full_name: str, number: int) -> list[Comment]:
        """Snapshots of the comments on pull request *number*, oldest first."""
        with self.state.lock:
            repo = self._repo(full_name)
            return [
                dataclasses.replace(c)
                for c in self.state.comments.values()
                if c.repo is repo and c.issue_number == number
            ]

    def dispatches(self, full_name: str) -> list[Dispatch]:
        """The ``repository_dispatch`` events accepted for the repository, oldest first."""
        with self.state.lock:
            repo = self._repo(full_name)
            return [dataclasses.replace(d) for d in self.state.dispatches if d.repo is repo]

    def statuses(self, full_name: str, sha: str) -> list[Status]:
        """The statuses on *sha*, newest first."""
        with self.state.lock:
            return self.state.statuses_for(self._repo(full_name), sha)

    def combined_state(self, full_name: str, sha: str) -> str:
        """The combined status state GitHub would report for *sha*."""
        return combined_state(latest_per_context(self.statuses(full_name, sha)))

    @property
    def errors(self) -> list[str]:
        """Bugs in the double (invalid answers, handler crashes); a live, clearable list."""
        return self._pipeline.errors

    def problems(self) -> list[str]:
        """Every recorded violation and double bug, as readable text."""
        with self.state.lock:
            return [str(v) for v in self._pipeline.violations] + list(self._pipeline.errors)

    def verify(self) -> None:
        """Raise :class:`DoubleError` if any violation or double bug was recorded."""
        problems = self.problems()
        if problems:
            raise DoubleError(
                "GitHub double: requests broke GitHub's API contract or the double failed:\n"
                + "\n".join(problems)
            )

    def _repo(self, full_name: str) -> Repo:
        repo = self.state.repo(*_split(full_name))
        if repo is None:
            raise KeyError(f"{full_name} is not registered: call add_repo() first")
        return repo


def _split(full_name: str) -> tuple[str, str]:
    owner, sep, name = full_name.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"expected 'owner/name', got {full_name!r}")
    return owner, name


def _key(full_name: str) -> tuple[str, str]:
    owner, name = _split(full_name)
    return owner.lower(), name.lower()
