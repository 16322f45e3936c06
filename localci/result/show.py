"""``localci show [<sha>]``: print a stored result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localci.git import repo_root, resolve_commit
from localci.result.model import Result
from localci.result.store import Store, load_result_file

__all__ = ["load_stored_result", "resolve_ref"]


def load_stored_result(cwd: Path, ref: str | None) -> tuple[Result, dict[str, Any]]:
    """The stored result for ``ref`` (a sha prefix or any git revision), or the newest.

    :raises UsageError: when there is no such result or it is not schema-valid.
    """
    root = repo_root(cwd)
    return load_result_file(Store(root).find_result(resolve_ref(root, ref)))


def resolve_ref(root: Path, ref: str | None) -> str | None:
    """A sha prefix stays as given; any other revision (``HEAD``, a branch) is resolved."""
    if ref is None or all(c in "0123456789abcdef" for c in ref.lower()):
        return ref
    return resolve_commit(root, ref)
