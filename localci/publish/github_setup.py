"""``localci setup github``: the repository settings that make the gate trustworthy.

Three things, through GitHub's REST API (PyGithub's requester; PyGithub has no wrappers
for rulesets or deployment branch policies):

1. a deployment environment (default ``localci-gate``) that holds the gate App's private
   key as a secret (``LOCALCI_APP_PRIVATE_KEY``), with a custom deployment branch policy
   naming only the protected branches, so no workflow run on another ref gets the key
   (REST docs, "Create or update an environment", "Create a deployment branch policy");
2. with ``merge_queue``, the merge queue's branches ``gh-readonly-queue/<branch>/*`` in
   that policy too, since ``merge_group`` runs have such a ref;
3. a repository ruleset (default ``localci gate``) on those branches requiring the
   status check ``localci / verify`` from the App (``integration_id``), so a check or
   status from anyone else with that name does not count (REST docs, "Create a
   repository ruleset", ``required_status_checks``).

Safe-automation habits: :func:`plan_setup` only reads; :func:`apply_setup` writes only
what the plan says, and refuses to change an existing ruleset of the same name unless
``replace`` is set. Secrets are never written: the plan says how to add the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from localci.errors import DeliveryError, LocalciError, UsageError

__all__ = [
    "KEY_SECRET",
    "Change",
    "SetupCommand",
    "SetupPlan",
    "SetupRequest",
    "apply_setup",
    "branch_patterns",
    "plan_setup",
    "ruleset_body",
    "setup_github_command",
]

KEY_SECRET = "LOCALCI_APP_PRIVATE_KEY"  # noqa: S105 - a secret's name, not its value
"""The environment secret the verifier workflow reads the App's private key from."""


@dataclass(frozen=True, kw_only=True)
class SetupRequest:
    """What to set up in ``repo`` (``owner/name``) at ``api_url``, authenticated by a
    user ``token`` with admin rights (never printed).

    ``app_id`` is the gate's GitHub App; ``branches`` the protected base branches (empty:
    the repository's default branch); ``replace`` allows updating an existing ruleset of
    the same name.
    """

    repo: str
    app_id: int
    token: str | None = field(default=None, repr=False)
    api_url: str = "https://api.github.com"
    check_name: str = "localci / verify"
    environment: str = "localci-gate"
    ruleset_name: str = "localci gate"
    branches: tuple[str, ...] = ()
    merge_queue: bool = False
    replace: bool = False


@dataclass(frozen=True, kw_only=True)
class Change:
    """One request of the plan: ``action`` ``create``/``update``/``keep``, what it is
    for, and the REST ``method``, ``path`` and JSON ``body`` (``None`` for ``keep``)."""

    action: Literal["create", "update", "keep", "refuse"]
    what: str
    method: str
    path: str
    body: dict[str, Any] | None = None

    def render(self) -> str:
        """``create  PUT /repos/o/r/environments/x  {body}`` for the dry run."""
        body = f"\n    {json.dumps(self.body, sort_keys=True)}" if self.body is not None else ""
        return f"{self.action:<7} {self.what}: {self.method} {self.path}{body}"


@dataclass(frozen=True, kw_only=True)
class SetupPlan:
    """Every change, in order, and the steps left to the user (adding the secret)."""

    changes: tuple[Change, ...]
    branches: tuple[str, ...]
    next_steps: tuple[str, ...]

    @property
    def refused(self) -> tuple[Change, ...]:
        """Changes that need ``replace`` before they may be applied."""
        return tuple(c for c in self.changes if c.action == "refuse")


def ruleset_body(request: SetupRequest, branches: tuple[str, ...]) -> dict[str, Any]:
    """The ruleset: on ``branches``, require ``check_name`` from the App, actively."""
    return {
        "name": request.ruleset_name,
        "target": "branch",
        "enforcement": "active",
        "conditions": {
            "ref_name": {"include": [f"refs/heads/{b}" for b in branches], "exclude": []}
        },
        "rules": [
            {
                "type": "required_status_checks",
                "parameters": {
                    "strict_required_status_checks_policy": False,
                    "required_status_checks": [
                        {"context": request.check_name, "integration_id": request.app_id}
                    ],
                },
            }
        ],
    }


def branch_patterns(request: SetupRequest, branches: tuple[str, ...]) -> list[str]:
    """The deployment branch policy's name patterns (fnmatch, ``*`` stops at ``/``)."""
    patterns = list(branches)
    if request.merge_queue:
        patterns += [f"gh-readonly-queue/{b}/*" for b in branches]
    return patterns


def plan_setup(request: SetupRequest) -> SetupPlan:
    """Read the repository and plan every change; writes nothing.

    :raises UsageError: without a token, or when GitHub refuses (not an admin).
    :raises DeliveryError: when GitHub cannot be reached.
    """
    with _Api(request) as api:
        return _plan(api, request)


def apply_setup(request: SetupRequest) -> SetupPlan:
    """Plan, then send every ``create``/``update``; the plan that was applied.

    :raises UsageError: when an existing ruleset would be replaced without ``replace``
        (nothing is written then), or when GitHub refuses.
    """
    with _Api(request) as api:
        plan = _plan(api, request)
        if plan.refused:
            raise UsageError(
                f"a ruleset named {request.ruleset_name!r} already exists and differs; "
                "nothing was changed",
                hint="Re-run with --replace to update it, or choose --ruleset-name.",
            )
        for change in plan.changes:
            if change.action in ("create", "update"):
                api.send(change.method, change.path, change.body)
        return plan


def _plan(api: _Api, request: SetupRequest) -> SetupPlan:
    branches = request.branches or (api.default_branch(),)
    base = f"/repos/{request.repo}"
    env_path = f"{base}/environments/{request.environment}"
    changes = [_environment_change(api, env_path, request.environment)]
    existing = set() if changes[0].action == "create" else api.branch_policies(env_path)
    for pattern in branch_patterns(request, branches):
        action: Literal["create", "keep"] = "keep" if pattern in existing else "create"
        body = None if action == "keep" else {"name": pattern, "type": "branch"}
        changes.append(
            Change(
                action=action,
                what=f"deployment branch policy {pattern!r}",
                method="POST",
                path=f"{env_path}/deployment-branch-policies",
                body=body,
            )
        )
    changes.append(_ruleset_change(api, request, base, branches))
    steps = (
        f"Add the App's private key as the secret {KEY_SECRET} of the environment "
        f"{request.environment!r}: gh secret set {KEY_SECRET} --env {request.environment} "
        f"--repo {request.repo} < app-private-key.pem",
        f"Install the App (id {request.app_id}) on {request.repo} with checks: write, "
        "contents: read, pull requests: read.",
        "Protect the branches themselves too (no force pushes, no deletion), and do "
        "not add other branch patterns to the environment.",
    )
    return SetupPlan(changes=tuple(changes), branches=branches, next_steps=steps)


_ENV_POLICY = {"protected_branches": False, "custom_branch_policies": True}


def _environment_change(api: _Api, path: str, name: str) -> Change:
    current = api.get(path)
    body = {"deployment_branch_policy": dict(_ENV_POLICY)}
    if current is None:
        return Change(
            action="create", what=f"environment {name!r}", method="PUT", path=path, body=body
        )
    if current.get("deployment_branch_policy") == _ENV_POLICY:
        return Change(action="keep", what=f"environment {name!r}", method="PUT", path=path)
    return Change(action="update", what=f"environment {name!r}", method="PUT", path=path, body=body)


def _ruleset_change(
    api: _Api, request: SetupRequest, base: str, branches: tuple[str, ...]
) -> Change:
    wanted = ruleset_body(request, branches)
    what = f"ruleset {request.ruleset_name!r}"
    found = next(
        (r for r in api.get_list(f"{base}/rulesets") if r.get("name") == request.ruleset_name), None
    )
    if found is None:
        return Change(
            action="create", what=what, method="POST", path=f"{base}/rulesets", body=wanted
        )
    path = f"{base}/rulesets/{found['id']}"
    current = api.get(path) or {}
    if all(current.get(k) == v for k, v in wanted.items()):
        return Change(action="keep", what=what, method="PUT", path=path)
    action: Literal["update", "refuse"] = "update" if request.replace else "refuse"
    return Change(action=action, what=what, method="PUT", path=path, body=wanted)


class _Api:
    """The few REST calls of the set-up, through PyGithub's requester."""

    def __init__(self, request: SetupRequest) -> None:
        from github import Auth, Github

        if not request.token:
            raise UsageError(
                "localci setup github needs a token of a repository admin",
                hint="Pass --token, set GITHUB_TOKEN or GH_TOKEN, or `gh auth login`.",
            )
        self.request = request
        self._gh = Github(auth=Auth.Token(request.token), base_url=request.api_url, retry=None)

    def __enter__(self) -> _Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._gh.close()

    def default_branch(self) -> str:
        repo = self.get(f"/repos/{self.request.repo}")
        if repo is None:
            raise UsageError(f"{self.request.repo}: no such repository, or no access to it")
        return str(repo["default_branch"])

    def branch_policies(self, env_path: str) -> set[str]:
        found = self.get(f"{env_path}/deployment-branch-policies") or {}
        return {str(p["name"]) for p in found.get("branch_policies", [])}

    def get(self, path: str) -> dict[str, Any] | None:
        """The JSON object at ``path``; ``None`` for 404."""
        data = self._request("GET", path, None, missing_ok=True)
        return data if isinstance(data, dict) else None

    def get_list(self, path: str) -> list[dict[str, Any]]:
        data = self._request("GET", path, None, missing_ok=True)
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []

    def send(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        self._request(method, path, body)

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None, *, missing_ok: bool = False
    ) -> Any:
        import requests
        from github import GithubException

        url = f"{self.request.api_url.rstrip('/')}{path}"
        try:
            _, data = self._gh.requester.requestJsonAndCheck(method, url, input=body)
        except GithubException as exc:
            if exc.status == 404 and missing_ok:
                return None
            message = exc.data.get("message") if isinstance(exc.data, dict) else exc.data
            raise UsageError(
                f"GitHub refused {method} {path} ({exc.status}: {message})",
                hint="The token must belong to an admin of the repository (rulesets and "
                "environments need admin rights).",
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise DeliveryError(
                f"cannot reach {self.request.api_url}: {type(exc).__name__}"
            ) from None
        return data


@dataclass(frozen=True, kw_only=True)
class SetupCommand:
    """What ``localci setup github`` was asked (see :class:`SetupRequest`); the token and
    the repository are resolved here: ``--token``, ``GITHUB_TOKEN``, ``GH_TOKEN``, ``gh
    auth token``; ``--repo``, ``GITHUB_REPOSITORY`` or the ``origin`` remote at ``cwd``."""

    cwd: Path
    app_id: int
    branches: tuple[str, ...] = ()
    merge_queue: bool = False
    environment: str = "localci-gate"
    check_name: str = "localci / verify"
    ruleset_name: str = "localci gate"
    apply: bool = False
    replace: bool = False
    token: str | None = field(default=None, repr=False)
    api_url: str = "https://api.github.com"
    repo: str | None = None


def setup_github_command(command: SetupCommand) -> SetupPlan:
    """Resolve the token and repository, then plan (and with ``apply``, apply).

    :raises UsageError: without a repository or token, or when GitHub refuses.
    """
    from localci import git as gitrepo
    from localci.publish.credentials import resolve_repo, resolve_token

    try:
        root: Path | None = gitrepo.repo_root(command.cwd)
    except LocalciError:
        root = None
    repo = command.repo or (resolve_repo(root, None, "origin") if root else None)
    if not repo:
        raise UsageError("which repository? Give --repo owner/name")
    request = SetupRequest(
        repo=repo,
        app_id=command.app_id,
        token=resolve_token(command.token),
        api_url=command.api_url.rstrip("/"),
        check_name=command.check_name,
        environment=command.environment,
        ruleset_name=command.ruleset_name,
        branches=command.branches,
        merge_queue=command.merge_queue,
        replace=command.replace,
    )
    return apply_setup(request) if command.apply else plan_setup(request)
