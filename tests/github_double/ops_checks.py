"""Check run operations (REST docs, "REST API endpoints for check runs").

https://docs.github.com/rest/checks/runs
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import resources
from .call import Call, Reply, app_of, commit_of, paginate, repo_of, writer_app
from .errors import forbidden, not_found
from .state import CheckRun, Pull, Repo, State, now

__all__ = [
    "create_check_run",
    "get_check_run",
    "list_annotations",
    "list_check_runs",
    "update_check_run",
]


def _open_pulls(repo: Repo, sha: str) -> list[Pull]:
    return [p for p in repo.pulls if p.state == "open" and p.head_sha == sha]


def _run_json(call: Call, run: CheckRun) -> dict[str, Any]:
    pulls = _open_pulls(run.repo, run.head_sha)
    return resources.check_run(call.base, run, app_of(call, run.app_id), pulls)


def create_check_run(call: Call) -> Reply:
    """REST "Create a check run": status defaults to ``queued``; a conclusion completes it."""
    app_id = writer_app(call, "checks")
    repo = repo_of(call)
    body = call.body
    commit_of(call, repo, body["head_sha"])
    state = call.state
    run = CheckRun(
        id=state.next_id(),
        repo=repo,
        head_sha=body["head_sha"],
        name=body["name"],
        app_id=app_id,
        suite_id=_suite_id(state, repo, body["head_sha"], app_id),
        status=body.get("status", "queued"),
        conclusion=None,
        external_id=body.get("external_id"),
        details_url=body.get("details_url"),
        started_at=body.get("started_at") or now(),
        completed_at=None,
        output={"title": None, "summary": None, "text": None},
    )
    _apply(run, body)
    state.check_runs[run.id] = run
    return Reply(201, _run_json(call, run))


def _suite_id(state: State, repo: Repo, sha: str, app_id: int) -> int:
    """GitHub keeps one check suite per app and head sha."""
    for run in state.runs_for(repo, sha):
        if run.app_id == app_id:
            return run.suite_id
    return state.next_id()


def _apply(run: CheckRun, body: Mapping[str, Any]) -> None:
    """Apply create/update parameters: output fields replace, annotations append."""
    for key in ("name", "details_url", "external_id", "started_at", "status", "completed_at"):
        if key in body:
            setattr(run, key, body[key])
    if "conclusion" in body:
        # "Providing conclusion will automatically set the status parameter to completed."
        run.conclusion = body["conclusion"]
        run.status = "completed"
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = now()
    output = body.get("output") or {}
    for key in ("title", "summary", "text"):
        if key in output:
            run.output[key] = output[key]
    run.annotations.extend(output.get("annotations", []))
    if "actions" in body:
        run.actions = list(body["actions"])


def _run(call: Call) -> CheckRun:
    repo = repo_of(call)
    run = call.state.check_runs.get(int(call.params["check_run_id"]))
    if run is None or run.repo is not repo:
        raise not_found(call.op.doc_url)
    return run


def get_check_run(call: Call) -> Reply:
    """REST "Get a check run"."""
    return Reply(200, _run_json(call, _run(call)))


def update_check_run(call: Call) -> Reply:
    """REST "Update a check run": only the app that created the run may update it.

    403 message as GitHub sends it (argoproj-labs/argocd-commenter#631, databricks/cli#4563).
    """
    app_id = writer_app(call, "checks")
    run = _run(call)
    if run.app_id != app_id:
        raise forbidden(
            f"Invalid app_id `{app_id}` - check run can only be modified by the GitHub App"
            " that created it.",
            call.op.doc_url,
        )
    _apply(run, call.body)
    return Reply(200, _run_json(call, run))


def list_annotations(call: Call) -> Reply:
    """REST "List check run annotations", in the order they were added."""
    run = _run(call)
    items = [resources.annotation(call.base, run, a) for a in run.annotations]
    chunk, headers = paginate(call, items)
    return Reply(200, chunk, headers)


def list_check_runs(call: Call) -> Reply:
    """REST "List check runs for a Git reference", newest first.

    ``filter=latest`` (the default) keeps the newest run per name and app.
    """
    repo = repo_of(call)
    commit = commit_of(call, repo, call.params["ref"])
    runs = sorted(call.state.runs_for(repo, commit.sha), key=lambda r: -r.id)
    runs = [r for r in runs if _run_matches(call, r)]
    if call.arg("filter", "latest") == "latest":
        runs = _newest_per_name(runs)
    chunk, headers = paginate(call, runs)
    body = {"total_count": len(runs), "check_runs": [_run_json(call, r) for r in chunk]}
    return Reply(200, body, headers)


def _newest_per_name(runs: list[CheckRun]) -> list[CheckRun]:
    """The first (newest) run of each ``(name, app)`` from runs listed newest first."""
    seen: set[tuple[str, int]] = set()
    newest = []
    for run in runs:
        if (run.name, run.app_id) not in seen:
            seen.add((run.name, run.app_id))
            newest.append(run)
    return newest


def _run_matches(call: Call, run: CheckRun) -> bool:
    name, status, app_id = call.arg("check_name"), call.arg("status"), call.arg("app_id")
    return (
        (name is None or run.name == name)
        and (status is None or run.status == status)
        and (app_id is None or run.app_id == int(app_id))
    )
