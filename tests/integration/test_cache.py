"""The result cache: hits, re-binding to a new commit, and invalidation by each key input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localci.config.loader import ConfigSource, parse_config
from localci.run import cache
from tests.conftest import commit_all, git

from .conftest import PYTEST_STAGE, CliResult

CONFIG = (
    "cache:\n  inputs: [DEMO_INPUT]\n"
    "stages:\n  - {name: count, run: 'echo run >> \"$COUNTER\"', shell: true}\n"
)


@pytest.fixture
def counted(make_repo: Callable[..., Path], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = make_repo({".localci.yml": CONFIG})
    counter = tmp_path / "runs.txt"
    return repo, {"COUNTER": str(counter)}


def runs(env: dict[str, str]) -> int:
    path = Path(env["COUNTER"])
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_second_run_of_the_same_tree_is_a_hit(
    counted: tuple[Path, dict[str, str]], cli: Callable[..., CliResult]
) -> None:
    repo, env = counted
    first = cli("run", "--json", cwd=repo, env=env)
    second = cli("run", "--json", cwd=repo, env=env)
    assert runs(env) == 1
    assert "cache hit" in second.err
    assert second.json() == first.json()  # same commit: the very same document
    cli("run", "--no-cache", cwd=repo, env=env)
    assert runs(env) == 2


def test_hit_is_rebound_to_a_new_commit_with_the_same_tree(
    counted: tuple[Path, dict[str, str]], cli: Callable[..., CliResult]
) -> None:
    repo, env = counted
    first = cli("run", "--json", cwd=repo, env=env).json()
    git(repo, "commit", "-q", "--amend", "-m", "reworded")
    second = cli("run", "--json", cwd=repo, env=env).json()
    assert runs(env) == 1
    assert second["git"]["commit"] == git(repo, "rev-parse", "HEAD") != first["git"]["commit"]
    assert second["git"]["tree"] == first["git"]["tree"]
    assert second["cached_from"]["commit"] == first["git"]["commit"]
    assert second["cached_from"]["run_id"] == first["run_id"]


def test_content_change_misses(
    counted: tuple[Path, dict[str, str]], cli: Callable[..., CliResult]
) -> None:
    repo, env = counted
    cli("run", cwd=repo, env=env)
    (repo / "new.txt").write_text("x")
    commit_all(repo, "content")
    cli("run", cwd=repo, env=env)
    assert runs(env) == 2


def test_config_change_misses(
    counted: tuple[Path, dict[str, str]], cli: Callable[..., CliResult]
) -> None:
    repo, env = counted
    cli("run", cwd=repo, env=env)
    (repo / ".localci.yml").write_text(CONFIG + "retention_days: 3\n")
    commit_all(repo, "config")
    cli("run", cwd=repo, env=env)
    assert runs(env) == 2


def test_declared_input_variable_misses(
    counted: tuple[Path, dict[str, str]], cli: Callable[..., CliResult]
) -> None:
    repo, env = counted
    cli("run", cwd=repo, env={**env, "DEMO_INPUT": "one"})
    cli("run", cwd=repo, env={**env, "DEMO_INPUT": "one", "UNDECLARED": "x"})
    assert runs(env) == 1
    cli("run", cwd=repo, env={**env, "DEMO_INPUT": "two"})
    assert runs(env) == 2


def test_failures_are_not_served_unless_asked(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    counter = tmp_path / "n.txt"
    repo = make_repo(
        {".localci.yml": "stages:\n  - {name: f, run: 'echo x >> \"$C\"; exit 1', shell: true}\n"}
    )
    env = {"C": str(counter)}
    assert cli("run", cwd=repo, env=env).code == 1
    assert cli("run", cwd=repo, env=env).code == 1
    assert len(counter.read_text().splitlines()) == 2
    hit = cli("run", "--cache-failures", cwd=repo, env=env)
    assert hit.code == 1
    assert "cache hit" in hit.err
    assert len(counter.read_text().splitlines()) == 2


def test_partial_and_dirty_runs_are_never_cached(
    counted: tuple[Path, dict[str, str]], cli: Callable[..., CliResult]
) -> None:
    repo, env = counted
    cli("run", "--stage", "count", cwd=repo, env=env)  # complete: one stage
    (repo / "dirty.txt").write_text("x")
    cli("run", "--in-place", cwd=repo, env=env)
    cli("run", "--in-place", cwd=repo, env=env)
    assert runs(env) == 3


def test_fingerprint_failure_fails_open(
    counted: tuple[Path, dict[str, str]],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo, env = counted

    def broken(*args: object, **kwargs: object) -> dict[str, object]:
        raise OSError("metadata unreadable")

    monkeypatch.setattr(cache, "environment_fingerprint", broken)
    cli("run", cwd=repo, env=env)
    second = cli("run", cwd=repo, env=env)
    assert runs(env) == 2
    assert "result cache skipped: cannot fingerprint" in second.err


def key_for(tree: str = "a" * 40, **env: str) -> str:
    config = parse_config(ConfigSource(kind="yaml", display="x", text=CONFIG))
    return cache.cache_key(tree, config, env).digest


def test_key_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    base = key_for()
    assert key_for() == base
    assert key_for(tree="b" * 40) != base
    assert key_for(DEMO_INPUT="1") != base
    assert key_for(OTHER="1") == base
    config = parse_config(ConfigSource(kind="yaml", display="x", text=CONFIG))
    assert cache.cache_key("a" * 40, config, {}, rerun_failures=2).digest != base
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert key_for() != base
    monkeypatch.undo()
    monkeypatch.setattr(cache, "_distributions", lambda: ["left-pad==1.0"])
    assert key_for() != base


FLAKY_CONFIG = "stages:\n" + PYTEST_STAGE + "    max_failures: 0\n"
# Fails in every full run and passes when run again by node id (a --rerun-failures run).
FLAKY_TEST = """\
import sys


def test_flaky():
    assert any("::" in arg for arg in sys.argv), "fails until re-run by node id"
"""


def test_re_runs_are_part_of_the_key(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """A result got with --rerun-failures (flaky, not failed) never stands in for a run
    without re-runs, nor the other way round, also with --cache-failures."""
    repo = make_repo({".localci.yml": FLAKY_CONFIG, "test_f.py": FLAKY_TEST})

    def run(*args: str) -> tuple[dict[str, Any], dict[str, int], bool]:
        result = cli("run", "--cache-failures", "--json", *args, cwd=repo)
        assert result.code == 1, result.err  # failed: 1 failed test, or 1 flaky one
        doc = result.json()
        (stage,) = doc["stages"]
        return doc, stage["metrics"]["tests"], "cache hit" in result.err

    plain, counts, hit = run()
    assert (counts["failed"], counts["flaky"], hit) == (1, 0, False)
    rerun, counts, hit = run("--rerun-failures", "1")
    assert (counts["failed"], counts["flaky"], hit) == (0, 1, False)
    assert rerun["run_id"] != plain["run_id"]
    again, counts, hit = run()
    assert (counts["flaky"], hit, again["run_id"]) == (0, True, plain["run_id"])
    again, counts, hit = run("--rerun-failures", "1")
    assert (counts["flaky"], hit, again["run_id"]) == (1, True, rerun["run_id"])
    assert not run("--rerun-failures", "2")[2]  # another count is another key


def test_a_run_stopped_by_fail_fast_is_never_served(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """--fail-fast is not in the key, so a run it stopped (stages not started) must not be
    stored: a later full run with --cache-failures runs every stage. A --fail-fast run
    that stopped nothing (the failing stage was the last) is a full verdict, and cached."""
    counter = tmp_path / "n.txt"
    stages = (
        "  - {name: broken, run: 'echo x >> \"$C\"; exit 1', shell: true}\n"
        "  - {name: later, run: ['true']}\n"
    )
    repo = make_repo({".localci.yml": "stages:\n" + stages})
    env = {"C": str(counter)}

    def run(*args: str) -> tuple[dict[str, str], bool]:
        result = cli("run", "--jobs", "1", "--cache-failures", "--json", *args, cwd=repo, env=env)
        assert result.code == 1, result.err
        statuses = {s["name"]: s["status"] for s in result.json()["stages"]}
        return statuses, "cache hit" in result.err

    stopped, hit = run("--fail-fast")
    assert (stopped["later"], hit) == ("skipped", False)
    assert run() == ({"broken": "failed", "later": "passed"}, False)
    assert run() == ({"broken": "failed", "later": "passed"}, True)
    assert len(counter.read_text().splitlines()) == 2

    (repo / ".localci.yml").write_text("stages:\n" + "".join(reversed(stages.splitlines(True))))
    commit_all(repo, "broken last")
    assert run("--fail-fast") == ({"later": "passed", "broken": "failed"}, False)
    assert run() == ({"later": "passed", "broken": "failed"}, True)
