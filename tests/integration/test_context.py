"""``localci context`` after a real failing run: from the local result, bounded, as JSON,
and from the notes ref on a remote when the local result is gone."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import git

from .conftest import CliResult


def test_context_after_a_failing_run(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    repo = make_repo(example="failing")
    assert cli("run", cwd=repo).code == 1

    md = cli("context", cwd=repo)
    assert md.code == 0
    sha = git(repo, "rev-parse", "HEAD")
    assert f"- commit: `{sha}`" in md.out
    assert "- config: `.localci.yml` (sha256 `" in md.out
    assert "`tests/test_shapes.py::test_perimeter` at `tests/test_shapes.py:9`" in md.out
    assert "assert 5 == 10" in md.out
    assert "`src/shapes/__init__.py:2:8` **F401** `os` imported but unused" in md.out
    assert "python -m pytest tests/test_shapes.py::test_perimeter" in md.out
    assert "ruff check src/shapes/__init__.py" in md.out
    assert "Lines 18-23 are not covered" in md.out

    small = cli("context", "--json", "--max-bytes", "2000", cwd=repo)
    assert len(small.out.encode()) <= 2001  # the document plus echo's newline
    doc = small.json()
    assert doc["commit"] == sha
    assert doc["cut"]
    assert cli("context", "--max-bytes", "10", cwd=repo).code == 2

    # The local result is gone; the note pushed to the remote still answers.
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    assert cli("post", "--no-github", cwd=repo).code == 0
    for path in (repo / ".localci" / "results").iterdir():
        path.unlink()
    git(repo, "update-ref", "-d", "refs/notes/localci")
    fetched = cli("context", sha[:10], "--json", cwd=repo)
    assert fetched.code == 0, fetched.err
    assert fetched.json()["source"] == "notes"
    assert [s["name"] for s in fetched.json()["stages"]] == ["tests", "coverage", "lint"]
