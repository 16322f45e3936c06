"""What every operation handler gets and returns, and the lookups they share.

A handler gets a :class:`Call` (an authenticated request that passed validation) and
returns a :class:`Reply` or raises :class:`~tests.github_double.errors.ApiError`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import ApiError, bad_credentials, forbidden, not_found
from .spec import Operation
from .state import App, Commit, Principal, Repo, State, TokenKind

__all__ = [
    "Call",
    "Reply",
    "app_of",
    "commit_of",
    "paginate",
    "principal_of",
    "repo_of",
    "writer_app",
]

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Call:
    """An authenticated request that passed validation."""

    state: State
    base: str
    """``http://127.0.0.1:<port>``."""
    op: Operation
    path: str
    params: Mapping[str, str]
    query: Mapping[str, list[str]]
    body: Any
    principal: Principal | None
    hides: Callable[[str], bool]
    """Whether an ``UNKNOWN_SHA`` fault hides a sha from this lookup."""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The last value of query parameter *name*."""
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass(frozen=True)
class Reply:
    """An answer: status, JSON body, extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def repo_of(call: Call) -> Repo:
    """The path's repository; 404 if unknown or out of the token's reach (as GitHub)."""
    owner, name = call.params["owner"], call.params["repo"]
    repo = call.state.repo(owner, name)
    if repo is None or (call.principal is not None and not call.principal.can_see(owner, name)):
        raise not_found(call.op.doc_url)
    return repo


def commit_of(call: Call, repo: Repo, ref: str, status: int = 422) -> Commit:
    """The commit for *ref*; GitHub answers ``No commit found for SHA: <ref>`` otherwise.

    That message is what GitHub sends for statuses and check runs on an unpushed commit
    (e.g. kubernetes/test-infra#21987); *status* is 422 for writes, 404 for some reads.
    """
    found = None if call.hides(ref) else call.state.resolve(repo, ref)
    if found is None:
        body = {"message": f"No commit found for SHA: {ref}", "documentation_url": call.op.doc_url}
        raise ApiError(status, {**body, "status": str(status)})
    return found


def writer_app(call: Call, permission: str) -> int:
    """The app id behind a Checks write; personal tokens get GitHub's real 403s.

    REST docs, "REST API endpoints for check runs": write access to checks is only
    available to GitHub Apps (an Actions ``GITHUB_TOKEN`` acts as one); users and OAuth
    apps may only read. Messages as GitHub sends them: classic tokens in
    EnricoMi/publish-unit-test-result-action#53, fine-grained ones per
    ``docs/architecture.md``, "Publishing limits".
    An app credential without ``<permission>: write`` gets "Resource not accessible by
    integration".
    """
    principal = principal_of(call)
    if principal.kind is TokenKind.CLASSIC:
        raise forbidden("You must authenticate via a GitHub App.", call.op.doc_url)
    if principal.kind is TokenKind.FINE_GRAINED:
        raise forbidden("Resource not accessible by personal access token", call.op.doc_url)
    if principal.kind is TokenKind.APP_JWT or principal.app_id is None:
        raise forbidden("Resource not accessible by integration", call.op.doc_url)
    if not principal.may_write(permission):
        raise forbidden("Resource not accessible by integration", call.op.doc_url)
    return principal.app_id


def principal_of(call: Call) -> Principal:
    """The caller; 401 ``Requires authentication`` when anonymous."""
    if call.principal is None:
        raise bad_credentials("Requires authentication")
    return call.principal


def app_of(call: Call, app_id: int) -> App:
    """A registered app (every check run's app is)."""
    return call.state.apps[app_id]


def paginate(call: Call, items: list[T]) -> tuple[list[T], dict[str, str]]:
    """Slice *items* by ``page``/``per_page`` (default 30, at most 100) with a ``Link``.

    REST docs, "Using pagination in the REST API".
    """
    per_page = int(call.arg("per_page") or 30)
    per_page = min(per_page, 100) if per_page > 0 else 30
    page = max(int(call.arg("page") or 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    links = {"prev": page - 1, "next": page + 1, "first": 1, "last": last}
    wanted: tuple[str, ...] = ("next", "last") if page < last else ()
    wanted += ("first", "prev") if page > 1 else ()
    header = ", ".join(f'<{_page_url(call, links[rel])}>; rel="{rel}"' for rel in wanted)
    chunk = items[(page - 1) * per_page : page * per_page]
    return chunk, ({"Link": header} if header else {})


def _page_url(call: Call, page: int) -> str:
    query = {k: v[-1] for k, v in call.query.items()}
    query["page"] = str(page)
    return f"{call.base}{call.path}?{urllib.parse.urlencode(query)}"
