"""``localci config --check``: validate the configuration and show the effective one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localci.config.loader import Config, find_config, find_config_at, load_config
from localci.config.model import ConfigSource
from localci.errors import GitError, LocalciError
from localci.git import repo_root, resolve_commit

__all__ = ["check_config", "effective_config", "isolated_config_note", "uncommitted_config"]


def check_config(cwd: Path, explicit: Path | None = None) -> Config:
    """Load and validate the configuration the repository at ``cwd`` would use.

    :raises ConfigError: for an invalid configuration; :raises GitError: outside a repo.
    """
    root = repo_root(cwd)
    return load_config(root, explicit.resolve() if explicit else None)


def effective_config(config: Config) -> dict[str, Any]:
    """The configuration with every default filled in, as plain data (YAML/JSON-ready)."""
    stages = []
    for s in config.stages:
        stage: dict[str, Any] = {
            "name": s.name,
            "kind": s.kind,
            "run": s.run if isinstance(s.run, str) else list(s.run),
            "shell": s.shell,
            "env": dict(s.env),
            "cwd": s.cwd or ".",
            "timeout": s.timeout,
            "needs": list(s.needs),
            "after": list(s.after),
            "report": {"format": s.report.format, "path": s.report.path} if s.report else None,
            "skip_if_missing": s.skip_if_missing,
        }
        if s.kind == "tests":
            stage["max_failures"] = s.max_failures
        if s.kind == "coverage":
            stage["min_percent"] = s.min_percent
        if s.kind == "lint":
            stage["max_findings"] = s.max_findings
            stage["severity"] = s.severity
        stages.append(stage)
    v = config.verify
    return {
        "source": config.path,
        "sha256": config.sha256,
        "version": 1,
        "stages": stages,
        "verify": {
            "signers": [
                {k: val for k, val in vars(sig).items() if val is not None} for sig in v.signers
            ],
            "require_signature": v.require_signature,
            "max_age_seconds": v.max_age,
            "accept_same_tree": v.accept_same_tree,
            "require_merge_result": v.require_merge_result,
            "required_stages": list(v.required_stages),
        },
        "publish": {**vars(config.publish), "annotations": dict(config.publish.annotations)},
        "cache": {"enabled": config.cache_enabled, "inputs": list(config.cache_inputs)},
        "retention_days": config.retention_days,
        "executor": dict(config.document.get("executor") or {"kind": "local"}),
        "python": config.python,
    }


def uncommitted_config(
    root: Path, commit: str, committed: ConfigSource | None = None
) -> str | None:
    """A sentence saying the work tree's configuration differs from ``commit``'s, which an
    isolated run uses (with the file and what to do); ``None`` when they agree.
    ``committed`` is ``commit``'s configuration when the caller has already read it.

    Never raises: a work-tree file that cannot be read is reported, not fatal.
    """
    committed = committed if committed is not None else find_config_at(root, commit)
    try:
        local = find_config(root)
    except LocalciError:
        return None
    # git show drops the trailing newlines of a file; compare the content without them.
    same_text = local.text.rstrip("\n") == committed.text.rstrip("\n")
    if local.display == committed.display and same_text:
        return None
    if local.display.startswith("<"):
        what = f"{committed.display} is missing from the work tree"
    elif committed.display != local.display:
        what = f"{local.display} is not committed"
    else:
        what = f"{local.display} has uncommitted changes"
    return (
        f"{what}: an isolated run of {commit[:12]} uses "
        f"{_described(committed.display)}. Commit it, or run with --in-place to use the "
        "work tree's."
    )


def isolated_config_note(cwd: Path, rev: str = "HEAD") -> str:
    """Which configuration an isolated ``localci run`` of ``rev`` uses, in one sentence.

    In a repository with no commits yet, the sentence says that an isolated run needs one.

    :raises GitError: outside a repository.
    """
    root = repo_root(cwd)
    try:
        commit = resolve_commit(root, rev)
    except GitError:
        return (
            f"no commit {rev} yet: an isolated run tests commits, so commit the configuration first"
        )
    warning = uncommitted_config(root, commit)
    if warning is not None:
        return warning
    return (
        f"an isolated run of {commit[:12]} uses {_described(find_config_at(root, commit).display)}"
    )


def _described(display: str) -> str:
    if display.startswith("<"):
        return "the embedded default configuration"
    return f"{display} as committed"
