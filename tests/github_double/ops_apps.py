"""GitHub App operations (REST docs, "REST API endpoints for GitHub Apps").

https://docs.github.com/rest/apps/apps
"""

from __future__ import annotations

import datetime

from . import resources
from .auth import mint_token
from .call import Call, Reply, app_of, principal_of
from .errors import ApiError, bad_credentials, not_found
from .state import App, Installation, Principal, TokenKind

__all__ = ["create_installation_token", "get_app", "get_repo_installation"]


def _jwt_app(call: Call) -> App:
    """The app of an App JWT; other credentials get GitHub's 401."""
    principal = principal_of(call)
    if principal.kind is not TokenKind.APP_JWT or principal.app_id is None:
        raise bad_credentials("A JSON web token could not be decoded")
    return app_of(call, principal.app_id)


def get_app(call: Call) -> Reply:
    """REST "Get the authenticated app" (App JWT, installation or Actions token)."""
    principal = principal_of(call)
    if principal.app_id is None:
        raise bad_credentials("A JSON web token could not be decoded")
    return Reply(200, resources.integration(call.base, app_of(call, principal.app_id)))


def get_repo_installation(call: Call) -> Reply:
    """REST "Get a repository installation for the authenticated app" (App JWT only)."""
    app = _jwt_app(call)
    owner, name = call.params["owner"], call.params["repo"]
    for inst in call.state.installations.values():
        if inst.app_id == app.id and _covers(inst, owner, name):
            return Reply(200, resources.installation(call.base, inst, app))
    raise not_found(call.op.doc_url)


def _covers(inst: Installation, owner: str, name: str) -> bool:
    if inst.account.lower() != owner.lower():
        return False
    return inst.repos is None or (owner.lower(), name.lower()) in inst.repos


def create_installation_token(call: Call) -> Reply:
    """REST "Create an installation access token for an app": a ``ghs_`` token for one hour.

    Requested ``permissions`` must be a subset of the installation's (422 otherwise).
    """
    app = _jwt_app(call)
    inst = call.state.installations.get(int(call.params["installation_id"]))
    if inst is None or inst.app_id != app.id:
        raise not_found(call.op.doc_url)
    wanted = (call.body or {}).get("permissions") or dict(inst.permissions)
    if not _granted(inst, wanted):
        raise ApiError(
            422,
            {
                "message": "The permissions requested are not granted to this installation.",
                "documentation_url": call.op.doc_url,
                "status": "422",
            },
        )
    token = mint_token(TokenKind.INSTALLATION)
    call.state.tokens[token] = Principal(
        kind=TokenKind.INSTALLATION,
        login=f"{app.slug}[bot]",
        app_id=app.id,
        installation_id=inst.id,
        repos=_token_repos(inst, (call.body or {}).get("repositories")),
        permissions=dict(wanted),
    )
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    body = {
        "token": token,
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "permissions": dict(wanted),
        "repository_selection": "all" if inst.repos is None else "selected",
    }
    return Reply(201, body)


_LEVELS = {"read": 1, "write": 2, "admin": 3}


def _granted(inst: Installation, wanted: dict[str, str]) -> bool:
    """Whether every requested permission is at most what the installation holds."""
    held = inst.permissions
    return all(_LEVELS.get(held.get(k, ""), 0) >= _LEVELS.get(v, 9) for k, v in wanted.items())


def _token_repos(inst: Installation, names: list[str] | None) -> frozenset[tuple[str, str]] | None:
    """The repositories a new token reaches: the installation's, narrowed by *names*."""
    if names is None:
        return inst.repos
    wanted = frozenset((inst.account.lower(), n.lower()) for n in names)
    return wanted if inst.repos is None else wanted & inst.repos
