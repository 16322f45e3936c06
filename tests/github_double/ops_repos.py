"""Commit, repository, pull request and rate limit operations.

REST docs: "REST API endpoints for commits", "... for repositories", "... for pull
requests", "... for rate limits".
"""

from __future__ import annotations

import datetime

from . import resources
from .call import Call, Reply, commit_of, paginate, repo_of

__all__ = ["get_commit", "get_rate_limit", "get_repo", "list_pulls", "pulls_for_commit"]


def get_commit(call: Call) -> Reply:
    """REST "Get a commit" (REST docs, "Commits")."""
    repo = repo_of(call)
    commit = commit_of(call, repo, call.params["ref"])
    return Reply(200, resources.commit(call.base, repo, commit))


def get_repo(call: Call) -> Reply:
    """REST "Get a repository"."""
    return Reply(200, resources.full_repository(call.base, repo_of(call)))


def pulls_for_commit(call: Call) -> Reply:
    """REST "List pull requests associated with a commit": those that contain the commit."""
    repo = repo_of(call)
    commit = commit_of(call, repo, call.params["commit_sha"])
    pulls = [p for p in repo.pulls if commit.sha in p.commits]
    chunk, headers = paginate(call, [resources.pull_simple(call.base, repo, p) for p in pulls])
    return Reply(200, chunk, headers)


def list_pulls(call: Call) -> Reply:
    """REST "List pull requests", filtered by ``state`` (default ``open``), ``head``, ``base``."""
    repo = repo_of(call)
    state, head, base = call.arg("state", "open"), call.arg("head"), call.arg("base")
    pulls = [
        p
        for p in repo.pulls
        if state in ("all", p.state)
        and (head is None or head in (f"{repo.owner}:{p.head_ref}", p.head_ref))
        and (base is None or base == p.base_ref)
    ]
    chunk, headers = paginate(call, [resources.pull_simple(call.base, repo, p) for p in pulls])
    return Reply(200, chunk, headers)


def get_rate_limit(call: Call) -> Reply:
    """REST "Get rate limit status for the authenticated user": never exhausted."""
    del call
    reset = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + 3600
    return Reply(200, resources.rate_limit(reset))
