"""``localci show [<sha>]``: print a stored result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localci.gitrepo import repo_root, resolve_commit
from localci.model import Result
from localci.store import Store, load_result_file

__all__ = ["load_stored_result"]


def load_stored_result(cwd: Path, ref: str | None) -> tuple[Result, dict[str, Any]]:
    """The stored result for ``ref`` (a sha prefix or any git revision), or the newest.

    :raises UsageError: when there is no such result or it is not schema-valid.
    """
    root = repo_root(cwd)
    store = Store(root)
    if ref is not None and not all(c in "0123456789abcdef" for c in ref.lower()):
        ref = resolve_commit(root, ref)
    return load_result_file(store.find_result(ref))
