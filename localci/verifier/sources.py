"""What the verifier reads from git: a commit's configuration and tree, objects only.

Nothing here checks out or executes anything; ``git show``/``rev-parse`` read objects of
the local repository, so the change under review is data, never code.
"""

from __future__ import annotations

from pathlib import Path

from localci import git as gitrepo
from localci.config.loader import Config, ConfigSource, find_config_at, parse_config
from localci.errors import LocalciError

__all__ = ["LOOKUP_NAMES", "commit_config_sha256", "config_at", "tree_of"]

LOOKUP_NAMES = (".localci.yml", ".localci.yaml", "pyproject.toml")
"""Config paths that mean "the ordinary lookup" (README, "Configuration")."""


def config_at(root: Path, commit: str, config_path: str = ".localci.yml") -> Config:
    """The configuration as it is in ``commit`` (the embedded default when it has none).

    ``config_path`` names a file to read instead of the ordinary lookup; when ``commit``
    lacks it, the lookup applies.

    :raises GitError: when ``commit`` is not in the local repository.
    :raises ConfigError: when the committed configuration is invalid.
    """
    gitrepo.resolve_commit(root, commit)
    if config_path in LOOKUP_NAMES:
        return parse_config(find_config_at(root, commit))
    text = gitrepo.show_file(root, commit, config_path)
    if text is None:
        return parse_config(find_config_at(root, commit))
    display = f"{config_path}@{commit[:12]}"
    return parse_config(ConfigSource(kind="yaml", display=display, text=text))


def commit_config_sha256(
    root: Path | None, commit: str, config_path: str = ".localci.yml"
) -> str | None:
    """The digest of the configuration committed in ``commit``; ``None`` when there is no
    repository, the commit is unknown, or its configuration is invalid (a result cannot
    have been made under it, so the verifier's ``config`` check fails)."""
    if root is None:
        return None
    try:
        return config_at(root, commit, config_path).sha256
    except LocalciError:
        return None


def tree_of(root: Path | None, sha: str) -> str | None:
    """The tree id of commit ``sha``; ``None`` without a repository or such a commit."""
    return None if root is None else gitrepo.tree_of(root, sha)
