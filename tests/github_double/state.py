"""The double's in-memory GitHub: repositories, commits, check runs, statuses, apps, tokens.

Plain mutable records guarded by :attr:`State.lock`; the HTTP layer holds the lock for
the whole of each request, so handlers see a consistent world.
"""

from __future__ import annotations

import datetime
import enum
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIONS_APP_ID",
    "App",
    "Attestation",
    "CheckRun",
    "Comment",
    "Commit",
    "Dispatch",
    "Installation",
    "Principal",
    "Pull",
    "Repo",
    "State",
    "Status",
    "TokenKind",
    "now",
]

#: The app id of ``github-actions``; check runs written with a ``GITHUB_TOKEN`` belong to
#: it (seen in "Invalid app_id `15368` - check run can only be modified by the GitHub App
#: that created it", databricks/cli#4563).
ACTIONS_APP_ID = 15368


def now() -> str:
    """The current UTC time as GitHub prints it: ``2018-05-04T01:14:52Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenKind(enum.Enum):
    """What kind of credential a request carried; logged instead of the token itself."""

    CLASSIC = "classic"
    """Classic personal access token, ``ghp_...``."""
    FINE_GRAINED = "fine_grained"
    """Fine-grained personal access token, ``github_pat_...``."""
    ACTIONS = "actions"
    """GitHub Actions ``GITHUB_TOKEN``, ``ghs_...``, acting as the ``github-actions`` app."""
    INSTALLATION = "installation"
    """App installation token, ``ghs_...``, minted from an App JWT."""
    APP_JWT = "app_jwt"
    """An RS256 JSON Web Token signed with an app's private key."""
    INVALID = "invalid"
    """A credential the double does not know (answered 401 ``Bad credentials``)."""


@dataclass(kw_only=True)
class Principal:
    """Who a credential authenticates as."""

    kind: TokenKind
    login: str
    """The user (personal tokens) or ``<slug>[bot]``."""
    app_id: int | None = None
    """The app for ACTIONS, INSTALLATION and APP_JWT credentials."""
    installation_id: int | None = None
    repos: frozenset[tuple[str, str]] | None = None
    """Lower-cased ``(owner, repo)`` the token may touch; ``None`` means any."""
    permissions: dict[str, str] | None = None
    """App permissions (``{"checks": "write", ...}``); ``None`` for personal tokens,
    whose scopes the double does not model."""

    def can_see(self, owner: str, repo: str) -> bool:
        """Whether the token reaches ``owner/repo``."""
        return self.repos is None or (owner.lower(), repo.lower()) in self.repos

    def may_write(self, permission: str) -> bool:
        """Whether an app credential holds ``<permission>: write`` (personal: always)."""
        return self.permissions is None or self.permissions.get(permission) == "write"


@dataclass(kw_only=True)
class Commit:
    """A commit GitHub knows about (i.e. one that has been pushed)."""

    sha: str
    message: str
    parents: tuple[str, ...]
    date: str


@dataclass(kw_only=True)
class Pull:
    """A pull request, as registered by a test."""

    id: int
    number: int
    head_sha: str
    head_ref: str
    base_ref: str
    base_sha: str
    title: str
    state: str
    """``open`` or ``closed``."""
    merged: bool
    commits: tuple[str, ...]
    """Every sha in the pull request (the head included)."""
    created_at: str


@dataclass(kw_only=True)
class Environment:
    """A deployment environment; ``branch_policy`` is its ``deployment_branch_policy``
    (``None``: every branch may deploy) and ``branch_policies`` its custom patterns."""

    id: int
    name: str
    created_at: str
    updated_at: str = ""
    branch_policy: dict[str, bool] | None = None
    branch_policies: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class Repo:
    """A repository and everything attached to its commits."""

    id: int
    owner: str
    name: str
    default_branch: str
    private: bool
    created_at: str
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    pulls: list[Pull] = field(default_factory=list)
    environments: dict[str, Environment] = field(default_factory=dict)
    rulesets: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"


@dataclass(kw_only=True)
class CheckRun:
    """A check run; remembers the app that created it."""

    id: int
    repo: Repo
    head_sha: str
    name: str
    app_id: int
    suite_id: int
    status: str
    conclusion: str | None
    external_id: str | None
    details_url: str | None
    started_at: str | None
    completed_at: str | None
    output: dict[str, str | None]
    """``title``, ``summary``, ``text``: replaced field by field on update."""
    annotations: list[dict[str, Any]] = field(default_factory=list)
    """Appended by every create/update that carries ``output.annotations``."""
    actions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class Status:
    """One commit status (GitHub keeps them all; the latest per context counts)."""

    id: int
    repo: Repo
    sha: str
    state: str
    description: str | None
    target_url: str | None
    context: str
    created_at: str
    creator: str


@dataclass(kw_only=True)
class Attestation:
    """A stored artifact attestation: a Sigstore bundle, found by its subjects' digests."""

    id: int
    repo: Repo
    bundle: dict[str, Any]
    digests: frozenset[str]
    """``sha256:HEX`` of every subject of the bundle's statement."""
    predicate_type: str
    initiator: str


@dataclass(kw_only=True)
class Comment:
    """An issue (pull request) comment."""

    id: int
    repo: Repo
    issue_number: int
    body: str
    author: str
    created_at: str
    updated_at: str


@dataclass(kw_only=True)
class Dispatch:
    """A ``repository_dispatch`` event that was accepted."""

    repo: Repo
    event_type: str
    client_payload: dict[str, Any]
    sender: str


@dataclass(kw_only=True)
class App:
    """A GitHub App whose JWTs the double accepts."""

    id: int
    slug: str
    name: str
    owner: str
    public_key_pem: str
    created_at: str


@dataclass(kw_only=True)
class Installation:
    """An installation of an app on an account, optionally limited to some repositories."""

    id: int
    app_id: int
    account: str
    repos: frozenset[tuple[str, str]] | None
    permissions: dict[str, str]
    created_at: str


@dataclass
class State:
    """Everything the double knows; mutate only while holding :attr:`lock`."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    repos: dict[tuple[str, str], Repo] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    attestations: list[Attestation] = field(default_factory=list)
    comments: dict[int, Comment] = field(default_factory=dict)
    dispatches: list[Dispatch] = field(default_factory=list)
    apps: dict[int, App] = field(default_factory=dict)
    installations: dict[int, Installation] = field(default_factory=dict)
    tokens: dict[str, Principal] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def next_id(self) -> int:
        """A fresh id, unique across all kinds of objects."""
        return next(self._ids)

    def repo(self, owner: str, name: str) -> Repo | None:
        """The repository, matched case-insensitively as GitHub does."""
        return self.repos.get((owner.lower(), name.lower()))

    def resolve(self, repo: Repo, ref: str) -> Commit | None:
        """A commit by full sha, branch (``main``/``heads/main``) or unambiguous prefix."""
        if ref in repo.commits:
            return repo.commits[ref]
        branch = repo.branches.get(ref.removeprefix("heads/"))
        if branch is not None:
            return repo.commits.get(branch)
        matches = [c for sha, c in repo.commits.items() if len(ref) >= 7 and sha.startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    def runs_for(self, repo: Repo, sha: str) -> list[CheckRun]:
        """Check runs on *sha*, oldest first."""
        return [r for r in self.check_runs.values() if r.repo is repo and r.head_sha == sha]

    def statuses_for(self, repo: Repo, sha: str) -> list[Status]:
        """Statuses on *sha*, newest first (as GitHub lists them)."""
        return [s for s in reversed(self.statuses) if s.repo is repo and s.sha == sha]
