"""Commit status operations (REST docs, "REST API endpoints for commit statuses").

https://docs.github.com/rest/commits/statuses
"""

from __future__ import annotations

from collections.abc import Iterable

from . import resources
from .call import Call, Reply, commit_of, paginate, principal_of, repo_of
from .errors import forbidden, validation_failed
from .rules import STATUSES_PER_CONTEXT
from .state import Status, now

__all__ = [
    "combined_state",
    "create_status",
    "get_combined_status",
    "latest_per_context",
    "list_statuses",
]


def create_status(call: Call) -> Reply:
    """REST "Create a commit status"; at most 1000 per sha and context."""
    principal = principal_of(call)
    if not principal.may_write("statuses"):
        raise forbidden("Resource not accessible by integration", call.op.doc_url)
    repo = repo_of(call)
    commit = commit_of(call, repo, call.params["sha"])
    body = call.body
    context = body.get("context", "default")
    same = [s for s in call.state.statuses_for(repo, commit.sha) if _same_context(s, context)]
    if len(same) >= STATUSES_PER_CONTEXT:
        raise validation_failed(
            call.op.doc_url,
            resource="Status",
            field="context",
            message="This SHA and context has reached the maximum number of statuses.",
        )
    item = Status(
        id=call.state.next_id(),
        repo=repo,
        sha=commit.sha,
        state=body["state"],
        description=body.get("description"),
        target_url=body.get("target_url"),
        context=context,
        created_at=now(),
        creator=principal.login,
    )
    call.state.statuses.append(item)
    location = f"{call.base}/repos/{repo.full_name}/statuses/{commit.sha}"
    return Reply(201, resources.status(call.base, item), {"Location": location})


def _same_context(item: Status, context: str) -> bool:
    """``context`` "is case-insensitive" (REST docs, "Create a commit status")."""
    return item.context.lower() == context.lower()


def latest_per_context(statuses: Iterable[Status]) -> list[Status]:
    """The newest status of each context, from statuses listed newest first."""
    seen: set[str] = set()
    latest = []
    for item in statuses:
        if item.context.lower() not in seen:
            seen.add(item.context.lower())
            latest.append(item)
    return latest


def combined_state(latest: list[Status]) -> str:
    """The combined state (REST docs, "Get the combined status for a specific reference").

    ``failure`` if any context is ``error`` or ``failure``; else ``pending`` if there are
    no statuses or any is ``pending``; else ``success``.
    """
    states = {s.state for s in latest}
    if states & {"error", "failure"}:
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"


def get_combined_status(call: Call) -> Reply:
    """REST "Get the combined status for a specific reference"."""
    repo = repo_of(call)
    commit = commit_of(call, repo, call.params["ref"], status=404)
    latest = latest_per_context(call.state.statuses_for(repo, commit.sha))
    chunk, headers = paginate(call, latest)
    body = resources.combined_status(call.base, repo, commit.sha, combined_state(latest), chunk)
    body["total_count"] = len(latest)
    return Reply(200, body, headers)


def list_statuses(call: Call) -> Reply:
    """REST "List commit statuses for a reference", newest first."""
    repo = repo_of(call)
    commit = commit_of(call, repo, call.params["ref"], status=404)
    items = [resources.status(call.base, s) for s in call.state.statuses_for(repo, commit.sha)]
    chunk, headers = paginate(call, items)
    return Reply(200, chunk, headers)
