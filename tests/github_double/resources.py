"""JSON representations of the double's state, shaped after GitHub's REST answers.

Every URL is built from the double's own ``base`` (``http://127.0.0.1:<port>``):
PyGithub refuses to follow a URL on another host or port. ``html_url`` values use the
same base (GitHub's would be on github.com). Every answer is validated against the
OpenAPI description before it is sent, so a missing required member fails loudly.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from .state import App, CheckRun, Comment, Commit, Environment, Installation, Pull, Repo, Status

__all__ = [
    "annotation",
    "check_run",
    "combined_status",
    "commit",
    "full_repository",
    "installation",
    "integration",
    "issue_comment",
    "pull_minimal",
    "pull_simple",
    "rate_limit",
    "simple_status",
    "status",
    "user",
]

_TIMESTAMP = "2020-01-01T00:00:00Z"


def _user_id(login: str) -> int:
    return zlib.crc32(login.encode("utf-8")) % 10_000_000 + 1


def user(base: str, login: str, kind: str = "User") -> dict[str, Any]:
    """A ``simple-user`` (``kind``: ``User``, ``Organization`` or ``Bot``)."""
    url = f"{base}/users/{login}"
    return {
        "login": login,
        "id": _user_id(login),
        "node_id": f"U_{_user_id(login)}",
        "avatar_url": f"{base}/avatars/{login}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{base}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "site_admin": False,
        "user_view_type": "public",
    }


def _repo_urls(base: str, repo: Repo) -> dict[str, str]:
    api = f"{base}/repos/{repo.full_name}"
    templated = {
        "archive_url": "/{archive_format}{/ref}",
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "statuses_url": "/statuses/{sha}",
        "trees_url": "/git/trees{/sha}",
    }
    plain = ["contributors", "deployments", "downloads", "events", "forks", "hooks"]
    plain += ["languages", "merges", "stargazers", "subscribers", "subscription", "tags", "teams"]
    urls = {key: api + suffix for key, suffix in templated.items()}
    urls.update({f"{name}_url": f"{api}/{name}" for name in plain})
    return urls


def full_repository(base: str, repo: Repo) -> dict[str, Any]:
    """A ``full-repository`` (also valid as ``repository`` and ``minimal-repository``)."""
    html = f"{base}/{repo.full_name}"
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(base, repo.owner),
        "private": repo.private,
        "html_url": html,
        "description": None,
        "fork": False,
        "url": f"{base}/repos/{repo.full_name}",
        **_repo_urls(base, repo),
        "clone_url": f"{html}.git",
        "git_url": f"{html}.git",
        "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
        "svn_url": html,
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "default_branch": repo.default_branch,
        "visibility": "private" if repo.private else "public",
        "created_at": repo.created_at,
        "updated_at": repo.created_at,
        "pushed_at": repo.created_at,
        "license": None,
        **dict.fromkeys(("has_issues", "has_projects", "has_wiki", "has_downloads"), True),
        **dict.fromkeys(("has_pages", "has_discussions", "archived", "disabled"), False),
        **dict.fromkeys(
            ("forks", "forks_count", "open_issues", "open_issues_count", "size", "watchers"), 0
        ),
        **dict.fromkeys(
            ("stargazers_count", "watchers_count", "network_count", "subscribers_count"), 0
        ),
    }


def integration(base: str, app: App) -> dict[str, Any]:
    """An ``integration`` (GitHub App)."""
    return {
        "id": app.id,
        "slug": app.slug,
        "node_id": f"A_{app.id}",
        "client_id": f"Iv1.{app.id:016x}",
        "owner": user(base, app.owner, "Organization"),
        "name": app.name,
        "description": None,
        "external_url": f"{base}/apps/{app.slug}",
        "html_url": f"{base}/apps/{app.slug}",
        "created_at": app.created_at,
        "updated_at": app.created_at,
        "permissions": {"checks": "write", "statuses": "write", "metadata": "read"},
        "events": [],
    }


def pull_minimal(base: str, repo: Repo, pull: Pull) -> dict[str, Any]:
    """A ``pull-request-minimal`` (embedded in check runs)."""
    ref_repo = {"id": repo.id, "url": f"{base}/repos/{repo.full_name}", "name": repo.name}
    return {
        "id": pull.id,
        "number": pull.number,
        "url": f"{base}/repos/{repo.full_name}/pulls/{pull.number}",
        "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": ref_repo},
        "base": {"ref": pull.base_ref, "sha": pull.base_sha, "repo": ref_repo},
    }


def check_run(base: str, run: CheckRun, app: App, pulls: Iterable[Pull]) -> dict[str, Any]:
    """A ``check-run``; *pulls* are the open pull requests whose head is the run's sha."""
    url = f"{base}/repos/{run.repo.full_name}/check-runs/{run.id}"
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": f"CR_{run.id}",
        "external_id": run.external_id,
        "url": url,
        "html_url": f"{base}/{run.repo.full_name}/runs/{run.id}",
        "details_url": run.details_url or f"{base}/apps/{app.slug}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "output": {
            "title": run.output.get("title"),
            "summary": run.output.get("summary"),
            "text": run.output.get("text"),
            "annotations_count": len(run.annotations),
            "annotations_url": f"{url}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.suite_id},
        "app": integration(base, app),
        "pull_requests": [pull_minimal(base, run.repo, p) for p in pulls],
    }


def annotation(base: str, run: CheckRun, item: dict[str, Any]) -> dict[str, Any]:
    """A ``check-annotation`` from an annotation as it was sent."""
    blob = f"{base}/{run.repo.full_name}/blob/{run.head_sha}/{item['path']}"
    return {
        "path": item["path"],
        "blob_href": blob,
        "start_line": item["start_line"],
        "end_line": item["end_line"],
        "start_column": item.get("start_column"),
        "end_column": item.get("end_column"),
        "annotation_level": item["annotation_level"],
        "title": item.get("title"),
        "message": item["message"],
        "raw_details": item.get("raw_details"),
    }


def simple_status(base: str, item: Status) -> dict[str, Any]:
    """A ``simple-commit-status`` (inside a combined status)."""
    return {
        "id": item.id,
        "node_id": f"SC_{item.id}",
        "state": item.state,
        "description": item.description,
        "target_url": item.target_url,
        "context": item.context,
        "avatar_url": f"{base}/avatars/{item.creator}",
        "url": f"{base}/repos/{item.repo.full_name}/statuses/{item.sha}",
        "created_at": item.created_at,
        "updated_at": item.created_at,
    }


def status(base: str, item: Status) -> dict[str, Any]:
    """A ``status``, with its creator."""
    return {**simple_status(base, item), "creator": user(base, item.creator)}


def combined_status(
    base: str, repo: Repo, sha: str, state: str, latest: list[Status]
) -> dict[str, Any]:
    """A ``combined-commit-status``: *state* and the latest status per context."""
    api = f"{base}/repos/{repo.full_name}"
    return {
        "state": state,
        "statuses": [simple_status(base, s) for s in latest],
        "sha": sha,
        "total_count": len(latest),
        "repository": full_repository(base, repo),
        "commit_url": f"{api}/commits/{sha}",
        "url": f"{api}/commits/{sha}/status",
    }


def commit(base: str, repo: Repo, item: Commit) -> dict[str, Any]:
    """A ``commit`` (no files, no stats)."""
    api = f"{base}/repos/{repo.full_name}"
    person = {"name": repo.owner, "email": f"{repo.owner}@example.com", "date": item.date}
    return {
        "url": f"{api}/commits/{item.sha}",
        "sha": item.sha,
        "node_id": f"C_{item.sha[:12]}",
        "html_url": f"{base}/{repo.full_name}/commit/{item.sha}",
        "comments_url": f"{api}/commits/{item.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{item.sha}",
            "author": person,
            "committer": person,
            "message": item.message,
            "comment_count": 0,
            "tree": {"sha": "0" * 40, "url": f"{api}/git/trees/{'0' * 40}"},
        },
        "author": user(base, repo.owner),
        "committer": user(base, repo.owner),
        "parents": [
            {
                "sha": p,
                "url": f"{api}/commits/{p}",
                "html_url": f"{base}/{repo.full_name}/commit/{p}",
            }
            for p in item.parents
        ],
        "files": [],
    }


def _branch(base: str, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(base, repo.owner),
        "repo": full_repository(base, repo),
    }


def pull_simple(base: str, repo: Repo, pull: Pull) -> dict[str, Any]:
    """A ``pull-request-simple``."""
    api = f"{base}/repos/{repo.full_name}"
    html = f"{base}/{repo.full_name}/pull/{pull.number}"
    links = {
        "self": f"{api}/pulls/{pull.number}",
        "html": html,
        "issue": f"{api}/issues/{pull.number}",
        "comments": f"{api}/issues/{pull.number}/comments",
        "review_comments": f"{api}/pulls/{pull.number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{pull.number}/commits",
        "statuses": f"{api}/statuses/{pull.head_sha}",
    }
    closed_at = None if pull.state == "open" else pull.created_at
    return {
        "url": links["self"],
        "id": pull.id,
        "node_id": f"PR_{pull.id}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": links["issue"],
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "title": pull.title,
        "user": user(base, repo.owner),
        "body": None,
        "labels": [],
        "milestone": None,
        "created_at": pull.created_at,
        "updated_at": pull.created_at,
        "closed_at": closed_at,
        "merged_at": closed_at if pull.merged else None,
        "merge_commit_sha": None,
        "assignee": None,
        "head": _branch(base, repo, pull.head_ref, pull.head_sha),
        "base": _branch(base, repo, pull.base_ref, pull.base_sha),
        "_links": {name: {"href": href} for name, href in links.items()},
        "author_association": "OWNER",
        "auto_merge": None,
        "draft": False,
    }


def installation(base: str, inst: Installation, app: App) -> dict[str, Any]:
    """An ``installation`` of *app*."""
    api = f"{base}/app/installations/{inst.id}"
    return {
        "id": inst.id,
        "account": user(base, inst.account),
        "repository_selection": "all" if inst.repos is None else "selected",
        "access_tokens_url": f"{api}/access_tokens",
        "repositories_url": f"{base}/installation/repositories",
        "html_url": f"{base}/settings/installations/{inst.id}",
        "app_id": app.id,
        "app_slug": app.slug,
        "target_id": _user_id(inst.account),
        "target_type": "User",
        "permissions": dict(inst.permissions),
        "events": [],
        "created_at": inst.created_at,
        "updated_at": inst.created_at,
        "single_file_name": None,
        "suspended_by": None,
        "suspended_at": None,
    }


def rate_limit(reset: int) -> dict[str, Any]:
    """A ``rate-limit-overview`` that never runs out (faults simulate limits instead)."""
    limit = {"limit": 5000, "remaining": 4999, "reset": reset, "used": 1}
    return {"resources": {"core": limit, "search": limit, "graphql": limit}, "rate": limit}


def environment(base: str, repo: Repo, env: Environment) -> dict[str, Any]:
    """An ``environment``."""
    return {
        "id": env.id,
        "node_id": f"EN_{env.id}",
        "name": env.name,
        "url": f"{base}/repos/{repo.full_name}/environments/{env.name}",
        "html_url": (
            f"{base}/{repo.full_name}/deployments/activity_log?environments_filter={env.name}"
        ),
        "created_at": env.created_at,
        "updated_at": env.updated_at or env.created_at,
        "protection_rules": [],
        "deployment_branch_policy": dict(env.branch_policy) if env.branch_policy else None,
    }


def branch_policy(item: dict[str, Any]) -> dict[str, Any]:
    """A ``deployment-branch-policy``."""
    return {
        "id": item["id"],
        "node_id": f"DBP_{item['id']}",
        "name": item["name"],
        "type": item["type"],
    }


def ruleset(base: str, repo: Repo, stored: dict[str, Any]) -> dict[str, Any]:
    """A ``repository-ruleset`` as the repository-level endpoints return it."""
    api = f"{base}/repos/{repo.full_name}/rulesets/{stored['id']}"
    return {
        "id": stored["id"],
        "name": stored["name"],
        "target": stored["target"],
        "source_type": "Repository",
        "source": repo.full_name,
        "enforcement": stored["enforcement"],
        "bypass_actors": list(stored["bypass_actors"]),
        "current_user_can_bypass": "never",
        "node_id": f"RRS_{stored['id']}",
        "_links": {
            "self": {"href": api},
            "html": {"href": f"{base}/{repo.full_name}/rules/{stored['id']}"},
        },
        "conditions": stored["conditions"],
        "rules": list(stored["rules"]),
        "created_at": stored["created_at"],
        "updated_at": stored["updated_at"],
    }


def issue_comment(base: str, comment: Comment) -> dict[str, Any]:
    """An ``issue-comment``; a ``[bot]`` author is a ``Bot`` user."""
    repo = comment.repo
    api = f"{base}/repos/{repo.full_name}"
    kind = "Bot" if comment.author.endswith("[bot]") else "User"
    return {
        "id": comment.id,
        "node_id": f"IC_{comment.id}",
        "url": f"{api}/issues/comments/{comment.id}",
        "html_url": f"{base}/{repo.full_name}/pull/{comment.issue_number}"
        f"#issuecomment-{comment.id}",
        "issue_url": f"{api}/issues/{comment.issue_number}",
        "body": comment.body,
        "user": user(base, comment.author, kind),
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "author_association": "NONE",
    }
