"""The retention sweep removes each kind of old file, and only old ones (clock injected)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from localci.result.flaky import load_flaky, record_flaky
from localci.result.retention import DAY, sweep
from localci.result.store import Store

NOW = 2_000_000_000.0  # 2033-05-18T03:33:20Z
REF = "refs/notes/localci"


def _aged(path: Path, days: float) -> Path:
    os.utime(path, (NOW - days * DAY, NOW - days * DAY))
    return path


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path)
    store.ensure()
    return store


def test_run_folders_older_than_retention_are_removed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    old, new = store.run_dir("old"), store.run_dir("new")
    for run in (old, new):
        run.mkdir(parents=True)
        (run / "tests.log").write_text("x", encoding="utf-8")
    _aged(old, 15)
    _aged(new, 13)
    assert sweep(store, 14, now=NOW).runs == 1
    assert not old.exists()
    assert new.is_dir()


def test_spool_entries_older_than_retention_are_removed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.spool.mkdir()
    old = store.spool / "a.json"
    old.write_text("{}", encoding="utf-8")
    _aged(old, 30)
    young = store.spool / "b.json"
    young.write_text("{}", encoding="utf-8")
    _aged(young, 1)
    assert sweep(store, 14, now=NOW).spool == 1
    assert sorted(p.name for p in store.spool.iterdir()) == ["b.json"]


def test_flaky_history_older_than_retention_is_forgotten(tmp_path: Path) -> None:
    store = _store(tmp_path)
    record_flaky(store.base, ["t::old"], commit="1" * 40, now="2033-05-01T00:00:00.000000Z")
    record_flaky(store.base, ["t::new"], commit="1" * 40, now="2033-05-10T00:00:00.000000Z")
    assert sweep(store, 14, now=NOW).flaky == 1
    assert load_flaky(store.base) == {"t::new": 1}


def _git(root: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if date:
        env |= {"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
    out = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_fetched_notes_older_than_retention_are_dropped(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "c")
    store = _store(tmp_path)
    cache = f"{REF}-remote"
    _git(tmp_path, "notes", f"--ref={cache}", "add", "-m", "{}", "HEAD", date="@1999000000 +0000")
    _git(tmp_path, "notes", f"--ref={REF}", "add", "-m", "{}", "HEAD", date="@1000000000 +0000")
    assert sweep(store, 14, notes_ref=REF, now=NOW).notes == 0  # 11.6 days old: kept
    assert sweep(store, 14, notes_ref=REF, now=NOW + 3 * DAY).notes == 1
    refs = _git(tmp_path, "for-each-ref", "--format=%(refname)", "refs/notes")
    assert refs.splitlines() == [REF]  # the published ref itself is never swept
