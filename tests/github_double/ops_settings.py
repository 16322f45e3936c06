"""Repository settings the gate's set-up writes: deployment environments, their branch
policies, and rulesets.

REST docs: "REST API endpoints for deployment environments", "... for deployment branch
policies", "... for rules" (repository rulesets). Only a user with admin rights may
manage them; an app or workflow token gets "Resource not accessible by integration".
"""

from __future__ import annotations

from typing import Any

from . import resources
from .call import Call, Reply, principal_of, repo_of
from .errors import ApiError, forbidden, not_found, validation_failed
from .state import Environment, Repo, TokenKind, now

__all__ = [
    "create_branch_policy",
    "create_ruleset",
    "get_environment",
    "get_ruleset",
    "list_branch_policies",
    "list_rulesets",
    "put_environment",
    "update_ruleset",
]


def _admin_repo(call: Call) -> Repo:
    repo = repo_of(call)
    principal = principal_of(call)
    if principal.kind not in (TokenKind.CLASSIC, TokenKind.FINE_GRAINED):
        raise forbidden("Resource not accessible by integration", call.op.doc_url)
    return repo


def _environment(call: Call, repo: Repo) -> Environment:
    env = repo.environments.get(call.params["environment_name"])
    if env is None:
        raise not_found(call.op.doc_url)
    return env


def get_environment(call: Call) -> Reply:
    """REST "Get an environment"."""
    repo = _admin_repo(call)
    return Reply(200, resources.environment(call.base, repo, _environment(call, repo)))


def put_environment(call: Call) -> Reply:
    """REST "Create or update an environment": ``deployment_branch_policy`` ``null``
    allows every branch; otherwise exactly one of its two switches must be true."""
    repo = _admin_repo(call)
    name = call.params["environment_name"]
    body = call.body or {}
    policy = body.get("deployment_branch_policy")
    if policy is not None and policy["protected_branches"] == policy["custom_branch_policies"]:
        raise validation_failed(
            call.op.doc_url,
            resource="Environment",
            field="deployment_branch_policy",
            message="exactly one of protected_branches and custom_branch_policies must be true",
        )
    with call.state.lock:
        env = repo.environments.get(name)
        if env is None:
            env = Environment(id=call.state.next_id(), name=name, created_at=now())
            repo.environments[name] = env
        env.updated_at = now()
        env.branch_policy = None if policy is None else dict(policy)
        if policy is None or not policy["custom_branch_policies"]:
            env.branch_policies.clear()
    return Reply(200, resources.environment(call.base, repo, env))


def list_branch_policies(call: Call) -> Reply:
    """REST "List deployment branch policies"."""
    repo = _admin_repo(call)
    env = _environment(call, repo)
    items = [resources.branch_policy(p) for p in env.branch_policies]
    return Reply(200, {"total_count": len(items), "branch_policies": items})


def create_branch_policy(call: Call) -> Reply:
    """REST "Create a deployment branch policy": 404 unless the environment uses custom
    branch policies (as GitHub answers)."""
    repo = _admin_repo(call)
    env = _environment(call, repo)
    if not (env.branch_policy or {}).get("custom_branch_policies"):
        raise not_found(call.op.doc_url)
    item = {
        "id": call.state.next_id(),
        "name": call.body["name"],
        "type": call.body.get("type", "branch"),
    }
    with call.state.lock:
        env.branch_policies.append(item)
    return Reply(200, resources.branch_policy(item))


def list_rulesets(call: Call) -> Reply:
    """REST "Get all repository rulesets"."""
    repo = _admin_repo(call)
    return Reply(200, [resources.ruleset(call.base, repo, r) for r in repo.rulesets.values()])


def get_ruleset(call: Call) -> Reply:
    """REST "Get a repository ruleset"."""
    repo = _admin_repo(call)
    return Reply(200, resources.ruleset(call.base, repo, _ruleset(call, repo)))


def _ruleset(call: Call, repo: Repo) -> dict[str, Any]:
    found = repo.rulesets.get(int(call.params["ruleset_id"]))
    if found is None:
        raise not_found(call.op.doc_url)
    return found


def create_ruleset(call: Call) -> Reply:
    """REST "Create a repository ruleset": names are unique within the repository."""
    repo = _admin_repo(call)
    _unique_name(call, repo, call.body["name"], None)
    stored = {"id": call.state.next_id(), "created_at": now(), **_ruleset_fields(call.body)}
    with call.state.lock:
        repo.rulesets[stored["id"]] = stored
    return Reply(201, resources.ruleset(call.base, repo, stored))


def update_ruleset(call: Call) -> Reply:
    """REST "Update a repository ruleset": the given fields replace the stored ones."""
    repo = _admin_repo(call)
    stored = _ruleset(call, repo)
    if "name" in call.body:
        _unique_name(call, repo, call.body["name"], stored["id"])
    with call.state.lock:
        stored.update(_ruleset_fields(call.body, partial=True))
    return Reply(200, resources.ruleset(call.base, repo, stored))


def _ruleset_fields(body: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "target": "branch",
        "enforcement": "disabled",
        "conditions": {},
        "rules": [],
        "bypass_actors": [],
    }
    keys = ("name", *defaults)
    given = {k: body[k] for k in keys if k in body}
    return {**({} if partial else defaults), **given, "updated_at": now()}


def _unique_name(call: Call, repo: Repo, name: str, own: int | None) -> None:
    if any(r["name"] == name and r["id"] != own for r in repo.rulesets.values()):
        raise ApiError(
            422,
            {
                "message": "Validation Failed",
                "errors": ["Name must be unique"],
                "documentation_url": call.op.doc_url,
                "status": "422",
            },
        )
