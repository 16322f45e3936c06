"""Issue comment and repository dispatch operations.

REST docs: "REST API endpoints for issue comments" (a pull request is an issue; a
comment ``body`` is at most 65536 characters, GitHub's "Body is too long (maximum is
65536 characters)"), and "Create a repository dispatch event" (``client_payload`` at
most 10 top-level keys, validated by the description, and under 64 KB in total).
"""

from __future__ import annotations

import json

from . import resources
from .call import Call, Reply, paginate, principal_of, repo_of
from .errors import forbidden, not_found, validation_failed
from .state import Comment, Dispatch, Repo, now

__all__ = ["create_comment", "create_dispatch", "list_comments", "update_comment"]

MAX_BODY = 65536
MAX_PAYLOAD_BYTES = 64 * 1024


def _writer(call: Call, *permissions: str) -> str:
    """The caller's login; an app credential needs one of ``permissions`` as write."""
    principal = principal_of(call)
    if principal.permissions is not None and not any(principal.may_write(p) for p in permissions):
        raise forbidden("Resource not accessible by integration", call.op.doc_url)
    return principal.login


def _issue(call: Call, repo: Repo) -> int:
    number = int(call.params["issue_number"])
    if not any(p.number == number for p in repo.pulls):
        raise not_found(call.op.doc_url)
    return number


def _check_body(call: Call, body: str) -> None:
    if len(body) > MAX_BODY:
        raise validation_failed(
            call.op.doc_url,
            resource="IssueComment",
            field="data",
            message=f"Body is too long (maximum is {MAX_BODY} characters)",
        )


def list_comments(call: Call) -> Reply:
    """REST "List issue comments", oldest first."""
    repo = repo_of(call)
    number = _issue(call, repo)
    found = [c for c in call.state.comments.values() if c.repo is repo and c.issue_number == number]
    chunk, headers = paginate(call, [resources.issue_comment(call.base, c) for c in found])
    return Reply(200, chunk, headers)


def create_comment(call: Call) -> Reply:
    """REST "Create an issue comment" (needs ``issues`` or ``pull_requests`` write)."""
    repo = repo_of(call)
    author = _writer(call, "issues", "pull_requests")
    number = _issue(call, repo)
    body = str(call.body["body"])
    _check_body(call, body)
    stamp = now()
    comment = Comment(
        id=call.state.next_id(),
        repo=repo,
        issue_number=number,
        body=body,
        author=author,
        created_at=stamp,
        updated_at=stamp,
    )
    call.state.comments[comment.id] = comment
    return Reply(201, resources.issue_comment(call.base, comment))


def update_comment(call: Call) -> Reply:
    """REST "Update an issue comment"; only its author may (else 403, as GitHub)."""
    repo = repo_of(call)
    author = _writer(call, "issues", "pull_requests")
    comment = call.state.comments.get(int(call.params["comment_id"]))
    if comment is None or comment.repo is not repo:
        raise not_found(call.op.doc_url)
    if comment.author != author:
        raise forbidden("Resource not accessible by integration", call.op.doc_url)
    body = str(call.body["body"])
    _check_body(call, body)
    comment.body, comment.updated_at = body, now()
    return Reply(200, resources.issue_comment(call.base, comment))


def create_dispatch(call: Call) -> Reply:
    """REST "Create a repository dispatch event" (needs ``contents`` write); 204."""
    repo = repo_of(call)
    sender = _writer(call, "contents")
    payload = call.body.get("client_payload") or {}
    if len(json.dumps(payload).encode("utf-8")) >= MAX_PAYLOAD_BYTES:
        raise validation_failed(
            call.op.doc_url,
            resource="Repository",
            field="client_payload",
            message="client_payload is too large",
        )
    call.state.dispatches.append(
        Dispatch(
            repo=repo,
            event_type=str(call.body["event_type"]),
            client_payload=dict(payload),
            sender=sender,
        )
    )
    return Reply(204, None)
