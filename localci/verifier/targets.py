"""Which commits the gate judges, and under which bases' policies, for each event.

A Check Run belongs to a head sha, not to a pull request: a head in two pull requests
shares one check. So every target lists one :class:`Subject` per open pull request whose
head it is, and the gate posts the strictest conclusion over all of them. Events (GitHub
Actions, "Events that trigger workflows"):

- ``pull_request_target`` / ``pull_request`` (``opened``, ``synchronize``, ``reopened``,
  ``edited`` when the base changed): the pull request's head, under the base of every open
  pull request with that head (the event's own base included);
- ``merge_group`` (``checks_requested``): the merge-group commit, on which the check is
  posted. By default each pull request in the group is judged by its head's result under
  the queue's base policy; with ``verify.require_merge_result`` the merge-group commit
  itself must carry a result. The group's pull requests are found from GitHub's
  ``gh-readonly-queue/<base>/pr-<number>-<sha>`` branches along the first parents of the
  merge-group commit;
- ``status`` (only for a base policy's own ``publish.status_context``) and
  ``workflow_dispatch`` (input ``sha``): the sha, as the head of open pull requests.

Only git objects and GitHub's metadata are read; nothing is checked out or executed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from localci import git as gitrepo
from localci.config.loader import Config
from localci.errors import LocalciError, UsageError

__all__ = [
    "EVENTS",
    "GateTarget",
    "PullSource",
    "Subject",
    "TargetRequest",
    "targets_for",
]

EVENTS = (
    "pull_request_target",
    "pull_request",
    "merge_group",
    "status",
    "workflow_dispatch",
)
"""The events the gate handles."""

_QUEUE_REF = re.compile(r"^refs/heads/gh-readonly-queue/(?P<base>.+)/pr-(?P<number>\d+)-[0-9a-f]+$")
_PR_ACTIONS = ("opened", "synchronize", "reopened", "edited", None)


@dataclass(frozen=True, kw_only=True)
class Subject:
    """One judgement: the result of ``sha`` under the policy of commit ``base``.

    ``label`` names it for people (``pull request #7 into main``); ``pull`` is the pull
    request's number (its head is fetched as ``refs/pull/<n>/head`` when missing);
    ``fork_url`` is the head repository's clone URL when it is a fork, where the
    contributor's notes ref lives.
    """

    sha: str
    base: str
    label: str
    pull: int | None = None
    fork_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class GateTarget:
    """A commit the gating Check Run is posted on, and every judgement that decides it.

    ``problem`` is set when the gate cannot even tell what to judge (a merge group whose
    pull requests cannot be identified): the check then fails with it as the reason.
    """

    head: str
    subjects: tuple[Subject, ...]
    event: str
    problem: str | None = None


@dataclass(frozen=True, kw_only=True)
class TargetRequest:
    """What selects the targets: the event (name and payload) or an explicit ``sha`` and
    ``base_sha``; ``root`` and ``remote`` for reading the merge queue's branches;
    ``git_env`` authenticates that read."""

    root: Path
    remote: str = "origin"
    event_name: str | None = None
    event: dict[str, Any] | None = None
    sha: str | None = None
    base_sha: str | None = None
    git_env: dict[str, str] | None = None


class PullSource(Protocol):
    """The GitHub reads the gate needs (:class:`localci.publish.github.GitHubClient`)."""

    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        """Pull requests containing ``sha``."""

    def open_pulls(self, base_ref: str) -> list[dict[str, Any]]:
        """Open pull requests into ``base_ref``."""


PolicyAt = Callable[[str], "Config | None"]


def targets_for(
    request: TargetRequest, client: PullSource, policy_at: PolicyAt
) -> tuple[list[GateTarget], str]:
    """The targets of ``request`` and a one-line explanation (why none, when empty).

    ``policy_at(base_sha)`` is the base's configuration (``None`` when unreadable).

    :raises UsageError: for an event the gate cannot use, or a dispatch of a sha that is
        no open pull request's head.
    """
    if request.sha:
        if request.base_sha is None:
            raise UsageError("--sha needs --base-sha: the policy comes from the base commit")
        subject = Subject(sha=request.sha, base=request.base_sha, label="given on the command line")
        return [GateTarget(head=request.sha, subjects=(subject,), event="command line")], ""
    name, event = request.event_name, request.event or {}
    if name in ("pull_request_target", "pull_request"):
        return _pull_request(name, event, client)
    if name == "merge_group":
        return _merge_group(request, event, client, policy_at)
    if name == "status":
        return _status(event, client, policy_at)
    if name == "workflow_dispatch":
        return _dispatch(event, client)
    raise UsageError(
        f"the gate does not handle {name!r} events",
        hint="Trigger it on " + ", ".join(EVENTS) + ".",
    )


def _pull_request(
    name: str, event: dict[str, Any], client: PullSource
) -> tuple[list[GateTarget], str]:
    action = event.get("action")
    if action not in _PR_ACTIONS:
        return [], f"pull request {action!r}: nothing to verify"
    if action == "edited" and "base" not in (event.get("changes") or {}):
        return [], "the pull request was edited without changing its base"
    pr = event.get("pull_request") or {}
    if pr.get("state", "open") != "open":
        return [], "the pull request is not open"
    head = str(pr["head"]["sha"])
    own = _subject(
        {
            "number": pr.get("number"),
            "head_sha": head,
            "base_sha": pr["base"]["sha"],
            "base_ref": pr["base"].get("ref", "?"),
        },
        fork_url=_fork_url(pr),
    )
    others = [s for s in _open_heads(client, head) if s.pull != own.pull]
    return [GateTarget(head=head, subjects=(own, *others), event=name)], ""


def _fork_url(pr: dict[str, Any]) -> str | None:
    head_repo = (pr.get("head") or {}).get("repo") or {}
    base_repo = (pr.get("base") or {}).get("repo") or {}
    if not head_repo or head_repo.get("full_name") == base_repo.get("full_name"):
        return None
    url = head_repo.get("clone_url")
    return str(url) if isinstance(url, str) else None


def _subject(pull: dict[str, Any], fork_url: str | None = None) -> Subject:
    number = pull.get("number")
    label = f"pull request #{number} into {pull.get('base_ref', '?')}"
    return Subject(
        sha=str(pull["head_sha"]),
        base=str(pull["base_sha"]),
        label=label,
        pull=int(number) if number is not None else None,
        fork_url=fork_url,
    )


def _open_heads(client: PullSource, sha: str) -> list[Subject]:
    """One subject per open pull request whose head is ``sha``."""
    return [
        _subject(p)
        for p in client.pulls_for_commit(sha)
        if p["state"] == "open" and p["head_sha"] == sha
    ]


def _status(
    event: dict[str, Any], client: PullSource, policy_at: PolicyAt
) -> tuple[list[GateTarget], str]:
    sha, context = str(event.get("sha") or ""), event.get("context")
    subjects = _open_heads(client, sha) if sha else []
    if not subjects:
        return [], f"{sha[:12] or 'the status'} is not the head of an open pull request"
    contexts = set()
    for subject in subjects:
        policy = policy_at(subject.base)
        if policy is None or policy.publish.status_context == context:
            break  # an unreadable base policy is judged (and fails) rather than skipped
        contexts.add(policy.publish.status_context)
    else:
        return [], f"status {context!r} is not localci's ({', '.join(sorted(contexts))})"
    return [GateTarget(head=sha, subjects=tuple(subjects), event="status")], ""


def _dispatch(event: dict[str, Any], client: PullSource) -> tuple[list[GateTarget], str]:
    sha = (event.get("inputs") or {}).get("sha")
    if not sha:
        raise UsageError("workflow_dispatch needs the input `sha` (a pull request's head)")
    subjects = _open_heads(client, str(sha))
    if not subjects:
        raise UsageError(
            f"{sha} is not the head of an open pull request; the gate "
            "only verifies commits under review"
        )
    return [GateTarget(head=str(sha), subjects=tuple(subjects), event="workflow_dispatch")], ""


def _merge_group(
    request: TargetRequest, event: dict[str, Any], client: PullSource, policy_at: PolicyAt
) -> tuple[list[GateTarget], str]:
    group = event.get("merge_group") or {}
    if event.get("action", "checks_requested") != "checks_requested":
        return [], f"merge group {event.get('action')!r}: nothing to verify"
    head, base = str(group["head_sha"]), str(group["base_sha"])
    base_ref = str(group.get("base_ref", "")).removeprefix("refs/heads/")
    policy = policy_at(base)
    if policy is not None and policy.verify.require_merge_result:
        subject = Subject(sha=head, base=base, label=f"merge-group commit into {base_ref}")
        return [GateTarget(head=head, subjects=(subject,), event="merge_group")], ""
    try:
        subjects = _group_pulls(request, head, base, base_ref, client)
    except UsageError as exc:  # fail closed, visibly: the queue waits for this check
        return [GateTarget(head=head, subjects=(), event="merge_group", problem=exc.message)], ""
    return [GateTarget(head=head, subjects=subjects, event="merge_group")], ""


def _group_pulls(
    request: TargetRequest, head: str, base: str, base_ref: str, client: PullSource
) -> tuple[Subject, ...]:
    """One subject per pull request in the group (its head, under the queue's base).

    :raises UsageError: when an entry of the group cannot be tied to an open pull request
        into ``base_ref`` (the gate cannot tell what the group contains).
    """
    try:
        entries = gitrepo.first_parent_chain(request.root, base, head)
        refs = gitrepo.ls_remote_heads(
            request.root,
            request.remote,
            f"refs/heads/gh-readonly-queue/{base_ref}/*",
            env=request.git_env,
        )
    except LocalciError as exc:
        raise UsageError(f"cannot read the merge group: {exc.message}") from None
    numbers = {}
    for ref, sha in refs.items():
        match = _QUEUE_REF.match(ref)
        if match and match["base"] == base_ref:
            numbers[sha] = int(match["number"])
    missing = [c[:12] for c in entries if c not in numbers]
    if not entries or missing:
        raise UsageError(
            f"cannot tell which pull requests the merge group {head[:12]} holds: "
            f"no gh-readonly-queue/{base_ref}/pr-<n> branch for {', '.join(missing) or head[:12]}"
        )
    open_pulls = {p["number"]: p for p in client.open_pulls(base_ref)}
    subjects = []
    for entry in reversed(entries):
        pull = open_pulls.get(numbers[entry])
        if pull is None:
            raise UsageError(f"pull request #{numbers[entry]} is not open into {base_ref}")
        subjects.append(
            Subject(
                sha=str(pull["head_sha"]),
                base=base,
                label=f"pull request #{pull['number']} in the merge queue for {base_ref}",
                pull=int(pull["number"]),
            )
        )
    return tuple(subjects)
