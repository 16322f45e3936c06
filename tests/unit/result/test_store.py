"""The store refuses a `.localci/` that git tracks: nothing that came with the code is used."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from localci.errors import UsageError
from localci.result.store import Store


def test_an_untracked_store_is_fine(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "1"})
    Store(repo).ensure()
    Store(repo).refuse_tracked()  # the store's own .gitignore keeps it out of git


def test_a_tracked_file_under_localci_is_refused(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({".localci/results/x.json": "{}"})
    with pytest.raises(UsageError, match=r"\.localci/results/x\.json is tracked") as info:
        Store(repo).refuse_tracked()
    assert info.value.exit_code == 2
    assert "git rm -r --cached .localci" in info.value.diagnostics()
