"""The kept checkout: re-used between runs, yet every run sees exactly its commit."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import commit_all, git

from .conftest import CliResult

CONFIG = (
    "stages:\n"
    "  - name: value\n"
    "    kind: command\n"
    "    shell: true\n"
    '    run: \'{python} -c "import m, os; print(m.X, os.getcwd())"'
    ' > "$LOCALCI_REPORTS/value"\'\n'
    "  - name: leftovers\n"
    "    kind: command\n"
    "    after: [value]\n"
    "    run: [sh, -c, 'test ! -e junk.txt && test ! -e build && touch junk.txt"
    " && mkdir -p build && touch build/out']\n"
)


def _log(repo: Path, doc: dict, stage: str) -> str:  # type: ignore[type-arg]
    """What ``stage`` wrote to ``$LOCALCI_REPORTS/<stage>`` (logs name paths as
    placeholders such as ``{workspace}``)."""
    run_id: str = doc["run_id"]
    return (repo / ".localci" / "runs" / run_id / "reports" / stage).read_text()


def test_a_kept_checkout_is_reset_to_each_commit(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    repo = make_repo({".localci.yml": CONFIG, "m.py": "X = 1\n", ".gitignore": "build/\n"})
    first = cli("run", "--json", "--no-cache", cwd=repo)
    assert first.code == 0, first.err
    doc1 = json.loads(first.out)
    value, where = _log(repo, doc1, "value").split()
    assert value == "1"
    # Same size, most likely the same second: cached bytecode must not be served.
    (repo / "m.py").write_text("X = 2\n")
    commit_all(repo, "two")
    second = cli("run", "--json", "--no-cache", cwd=repo)
    assert second.code == 0, second.err  # junk.txt and build/ of run 1 are gone
    doc2 = json.loads(second.out)
    value2, where2 = _log(repo, doc2, "value").split()
    assert value2 == "2"
    assert where2 == where  # the same checkout, re-used
    kept = Path(where)
    # Run 2's own leftovers only; the bytecode kept between runs sits in __pycache__.
    status = set(git(kept, "status", "--porcelain", "--ignored").splitlines())
    assert status == {"?? junk.txt", "?? __pycache__/", "!! build/"}
    assert list((kept / "__pycache__").glob("m.*.pyc"))
    assert not (kept.parent / "pycache").exists()
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    old = cli("run", "--json", "--no-cache", "--rev", "HEAD~1", cwd=repo)
    assert _log(repo, json.loads(old.out), "value").split()[0] == "1"


def test_a_busy_kept_checkout_falls_back_to_a_fresh_worktree(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    config = "stages:\n  - {name: pwd, run: 'pwd > \"$LOCALCI_REPORTS/pwd\"', shell: true}\n"
    repo = make_repo({".localci.yml": config})
    first = json.loads(cli("run", "--json", "--no-cache", cwd=repo).out)
    kept = Path(_log(repo, first, "pwd").strip())
    holder = subprocess.Popen(
        ["flock", str(kept.parent / "lock"), "sleep", "30"],
    )
    try:
        for _ in range(100):  # until flock holds the lock
            probe = subprocess.run(["flock", "-n", str(kept.parent / "lock"), "true"], check=False)
            if probe.returncode != 0:
                break
        second = json.loads(cli("run", "--json", "--no-cache", cwd=repo).out)
    finally:
        holder.kill()
        holder.wait()
    assert second["conclusion"] == "success"
    assert Path(_log(repo, second, "pwd").strip()) != kept


def test_kept_checkouts_unused_for_long_are_removed(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    from localci.run.reuse import UNUSED_DAYS, kept_checkout

    repo = make_repo({"a.txt": "a\n"})
    sha = git(repo, "rev-parse", "HEAD")
    parent = tmp_path / "kept"
    parent.mkdir()
    with kept_checkout(repo, sha, parent) as first:
        assert first is not None
        assert (first.path / "a.txt").read_text() == "a\n"
    stale = first.path.parent
    old = time.time() - (UNUSED_DAYS + 1) * 86400
    os.utime(stale / "lock", (old, old))
    other = make_repo({"b.txt": "b\n"})
    with kept_checkout(other, git(other, "rev-parse", "HEAD"), parent) as second:
        assert second is not None
    assert not stale.exists()
