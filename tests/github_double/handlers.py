"""The double's operations, one function per OpenAPI ``operationId``.

Each handler gets a :class:`Call` (an authenticated, spec-valid request) and returns a
:class:`Reply` or raises :class:`~tests.github_double.errors.ApiError`. Behaviour follows
the REST documentation section named in each docstring.
"""

from __future__ import annotations

from collections.abc import Callable

from .call import Call, Reply
from .ops_apps import create_installation_token, get_app, get_repo_installation
from .ops_attestations import create_attestation, list_attestations
from .ops_checks import (
    create_check_run,
    get_check_run,
    list_annotations,
    list_check_runs,
    update_check_run,
)
from .ops_comments import create_comment, create_dispatch, list_comments, update_comment
from .ops_repos import get_commit, get_rate_limit, get_repo, list_pulls, pulls_for_commit
from .ops_settings import (
    create_branch_policy,
    create_ruleset,
    get_environment,
    get_ruleset,
    list_branch_policies,
    list_rulesets,
    put_environment,
    update_ruleset,
)
from .ops_statuses import (
    combined_state,
    create_status,
    get_combined_status,
    latest_per_context,
    list_statuses,
)

__all__ = ["HANDLERS", "Call", "Reply", "combined_state", "latest_per_context"]

HANDLERS: dict[str, Callable[[Call], Reply]] = {
    "checks/create": create_check_run,
    "checks/get": get_check_run,
    "checks/update": update_check_run,
    "checks/list-annotations": list_annotations,
    "checks/list-for-ref": list_check_runs,
    "repos/create-commit-status": create_status,
    "repos/get-combined-status-for-ref": get_combined_status,
    "repos/list-commit-statuses-for-ref": list_statuses,
    "repos/get-commit": get_commit,
    "repos/get": get_repo,
    "repos/list-pull-requests-associated-with-commit": pulls_for_commit,
    "pulls/list": list_pulls,
    "apps/get-authenticated": get_app,
    "apps/get-repo-installation": get_repo_installation,
    "apps/create-installation-access-token": create_installation_token,
    "rate-limit/get": get_rate_limit,
    "repos/create-attestation": create_attestation,
    "repos/list-attestations": list_attestations,
    "repos/get-environment": get_environment,
    "repos/create-or-update-environment": put_environment,
    "repos/list-deployment-branch-policies": list_branch_policies,
    "repos/create-deployment-branch-policy": create_branch_policy,
    "repos/get-repo-rulesets": list_rulesets,
    "repos/create-repo-ruleset": create_ruleset,
    "repos/get-repo-ruleset": get_ruleset,
    "repos/update-repo-ruleset": update_ruleset,
    "issues/list-comments": list_comments,
    "issues/create-comment": create_comment,
    "issues/update-comment": update_comment,
    "repos/create-dispatch-event": create_dispatch,
}
