"""The fault and abuse matrix: every way the world or a hostile input can go wrong that
localci must survive (degrade, spool, clean up) or refuse (exit 2/4/5 with a message,
never 3), as one table. docs/robustness.md quotes it; ``test_the_docs_quote_the_matrix``
keeps the two equal (regenerate with ``python -m tests.integration.test_fault_matrix``).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from localci.attest.signed import SignedResult
from localci.config.loader import PublishConfig
from localci.publish.deliver import (
    Credentials,
    PublishOptions,
    drain_spool,
    publish,
    unreachable,
)
from localci.publish.github import DEFAULT_MAX_WAIT, MAX_ATTEMPTS, MIN_WAIT
from localci.publish.notes import parse_note, publish_note
from localci.publish.payloads import embedded_note, text_for
from localci.publish.post import retry_spool_briefly
from localci.result.codec import result_to_dict
from localci.result.model import Finding, GitInfo
from localci.result.store import Store
from tests.conftest import commit_all, git, process_running
from tests.factories import TREE, make_result, make_stage
from tests.github_double import GitHubDouble, TokenKind
from tests.github_double.spec import load_spec
from tests.secret_samples import SAMPLES

from .conftest import PYTEST_STAGE, CliResult, localci_subprocess
from .test_run_errors import _wait_for_pids

DOCS = Path(__file__).resolve().parents[2] / "docs" / "robustness.md"
REPO = "octo/demo"
Expect = Literal["survived", "refused"]


@dataclass(frozen=True)
class Case:
    """One row: ``area``, what is done (``fault``), what localci must do (``expect``:
    ``survived`` = works on, degraded or spooled; ``refused`` = a clear message and exit
    2/4/5), ``behaviour`` in words, and the check."""

    id: str
    area: str
    fault: str
    expect: Expect
    behaviour: str
    check: Callable[[pytest.FixtureRequest], None]


# --- the world --------------------------------------------------------------------------


def _sha(request: pytest.FixtureRequest, label: str) -> str:
    import hashlib

    return hashlib.sha1(f"{request.node.name}{label}".encode()).hexdigest()  # noqa: S324


@dataclass
class _Hub:
    double: GitHubDouble
    root: Path
    slept: list[float]

    def options(self, **kw: Any) -> PublishOptions:
        token = self.double.add_token(TokenKind.ACTIONS, repo=REPO)
        base: dict[str, Any] = {
            "publish": PublishConfig(),
            "notes": False,
            "repo": REPO,
            "api_url": self.double.api_url,
            "credentials": Credentials(token=token),
            "sleep": self.slept.append,
        }
        return PublishOptions(**{**base, **kw})

    def note(self, sha: str) -> SignedResult:
        self.double.add_commits(REPO, sha)
        return SignedResult(
            document=result_to_dict(
                make_result(make_stage("build"), git=GitInfo(commit=sha, tree=TREE))
            )
        )


def _hub(request: pytest.FixtureRequest) -> _Hub:
    double: GitHubDouble = request.getfixturevalue("github_double")
    root = request.getfixturevalue("make_repo")({"README.md": "x\n"})
    double.add_repo(REPO, commits=[git(root, "rev-parse", "HEAD")])
    return _Hub(double=double, root=root, slept=[])


# --- offline and rate limits ------------------------------------------------------------


def _github_unreachable(request: pytest.FixtureRequest) -> None:
    hub = _hub(request)
    sha = _sha(request, "offline")
    note = hub.note(sha)
    report = publish(hub.root, note, hub.options(api_url="http://127.0.0.1:1"))
    [outcome] = report.outcomes
    assert (outcome.state, outcome.exit_code) == ("spooled", 5)
    assert "unreachable" in outcome.message
    assert sum(hub.slept) <= 3.0  # 1 + 2 s, then the spool
    assert len(list(Store(hub.root).spool.glob("*.json"))) == 1


def _offline_with_a_full_spool(request: pytest.FixtureRequest) -> None:
    hub = _hub(request)
    options = hub.options(api_url="http://127.0.0.1:1")
    for i in range(5):
        publish(hub.root, hub.note(_sha(request, f"spooled-{i}")), options)
    assert len(list(Store(hub.root).spool.glob("*.json"))) == 5
    hub.slept.clear()
    outcomes = drain_spool(hub.root, options)
    assert [o.state for o in outcomes] == ["spooled"]  # one try; the other four wait
    assert sum(hub.slept) <= 3.0
    assert len(list(Store(hub.root).spool.glob("*.json"))) == 5


def _offline_post_after_the_spool_retry(request: pytest.FixtureRequest) -> None:
    hub = _hub(request)
    options = hub.options(api_url="http://127.0.0.1:1")
    publish(hub.root, hub.note(_sha(request, "earlier")), options)
    hub.slept.clear()
    # What `run --post-results` and `post` do: the spool first, briefly, then the new post.
    drained = retry_spool_briefly(hub.root, options)
    report = publish(hub.root, hub.note(_sha(request, "now")), options, down=unreachable(drained))
    [outcome] = report.outcomes
    assert (outcome.state, outcome.exit_code) == ("spooled", 5)
    assert "not tried again" in outcome.message
    assert sum(hub.slept) <= 3.0  # one failed connection's waits, not two
    assert len(list(Store(hub.root).spool.glob("*.json"))) == 2


def _server_errors_forever(request: pytest.FixtureRequest) -> None:
    hub = _hub(request)
    hub.double.fail(None, r"/repos/.*", times=1000)
    report = publish(hub.root, hub.note(_sha(request, "5xx")), hub.options())
    assert report.exit_code == 5
    assert sum(hub.slept) <= DEFAULT_MAX_WAIT
    assert "--max-wait" in report.outcomes[0].message


def _retry_after_zero(request: pytest.FixtureRequest) -> None:
    hub = _hub(request)
    hub.double.secondary_rate_limit(None, r"/repos/.*", retry_after=0, times=1000)
    report = publish(hub.root, hub.note(_sha(request, "ra0")), hub.options(max_wait=600))
    assert report.exit_code == 5
    assert hub.slept
    assert min(hub.slept) >= MIN_WAIT
    assert len(hub.double.requests) <= MAX_ATTEMPTS


def _concurrent_notes_publishers(request: pytest.FixtureRequest) -> None:
    make_repo = request.getfixturevalue("make_repo")
    origin = make_repo({"a.txt": "a\n"})
    remote = origin.parent / "shared.git"
    git(origin.parent, "clone", "-q", "--bare", str(origin), str(remote))
    clones: list[tuple[Path, str]] = []
    for i in range(6):
        clone = origin.parent / f"clone{i}"
        git(origin.parent, "clone", "-q", str(remote), str(clone))
        (clone / f"f{i}.txt").write_text(f"{i}\n")
        clones.append((clone, commit_all(clone, f"c{i}")))
    errors: list[BaseException] = []
    start = threading.Barrier(len(clones))

    def publisher(clone: Path, sha: str) -> None:
        note = SignedResult(
            document=result_to_dict(
                make_result(make_stage("build"), git=GitInfo(commit=sha, tree=TREE))
            )
        )
        start.wait()
        try:
            publish_note(clone, sha, note, remote="origin", ref="refs/notes/localci")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=publisher, args=c) for c in clones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    listed = git(remote, "notes", "--ref=refs/notes/localci", "list").splitlines()
    assert {line.split()[1] for line in listed} == {sha for _, sha in clones}


# --- signals and debris ------------------------------------------------------------------

_HANG = (
    'stages:\n  - name: hang\n    run: \'echo $$ > "$LOCALCI_REPORTS/pid";'
    ' sleep 60 & echo $! >> "$LOCALCI_REPORTS/pid"; wait\'\n    shell: true\n'
)


_FRESH = {"LOCALCI_FRESH_WORKTREE": "1"}
"""These cases are about temporary worktrees, not the kept checkout (localci.run.reuse)."""


def _worktrees(repo: Path) -> list[str]:
    listed = git(repo, "worktree", "list", "--porcelain").splitlines()
    return [line.split(" ", 1)[1] for line in listed if line.startswith("worktree ")][1:]


def _signal_like_ctrl_c(sig: signal.Signals) -> Callable[[pytest.FixtureRequest], None]:
    def check(request: pytest.FixtureRequest) -> None:
        repo = request.getfixturevalue("make_repo")({".localci.yml": _HANG})
        proc = localci_subprocess("run", cwd=repo, env=_FRESH)
        pids = _wait_for_pids(repo)
        [worktree] = _worktrees(repo)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "interrupted" in err
        for pid in pids:
            assert not process_running(pid)
        assert _worktrees(repo) == []
        assert not Path(worktree).parent.exists()

    return check


def _sigkill_then_next_run_prunes(request: pytest.FixtureRequest) -> None:
    repo = request.getfixturevalue("make_repo")({".localci.yml": _HANG})
    proc = localci_subprocess("run", cwd=repo, env=_FRESH)
    pids = _wait_for_pids(repo)
    [worktree] = _worktrees(repo)
    proc.kill()
    proc.communicate(timeout=30)
    assert all(process_running(pid) for pid in pids)  # SIGKILL cannot be handled
    git(repo, "worktree", "lock", worktree)  # as an interrupted `git worktree add` leaves it
    foreign = repo.parent / "foreign"
    git(repo, "worktree", "add", "--detach", "-q", str(foreign))
    (repo / ".localci.yml").write_text("stages:\n  - {name: ok, run: ['true']}\n")
    commit_all(repo, "quick")
    done = subprocess.run(
        [sys.executable, "-m", "localci", "run"], cwd=repo, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert _worktrees(repo) == [str(foreign)]  # ours pruned, the unmarked one kept
    assert not Path(worktree).parent.exists()
    for pid in pids:  # the stage processes left in it were killed first
        assert not process_running(pid)


# --- configuration and hostile input --------------------------------------------------------


def _cli(request: pytest.FixtureRequest) -> Callable[..., CliResult]:
    cli: Callable[..., CliResult] = request.getfixturevalue("cli")
    return cli


def _repo(request: pytest.FixtureRequest, files: dict[str, str]) -> Path:
    repo: Path = request.getfixturevalue("make_repo")(files)
    return repo


def _policy_only_config(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {".localci.yml": "verify:\n  max_age: 7d\npublish:\n  check_name: ci\n"})
    result = _cli(request)("config", "--check", "--json", cwd=repo)
    assert result.code == 0, result.err
    doc = result.json()
    assert [s["name"] for s in doc["stages"]] == ["tests", "coverage", "lint"]
    assert doc["publish"]["check_name"] == "ci"


def _alias_bomb() -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text


def _refused_config(text: str, expected: str) -> Callable[[pytest.FixtureRequest], None]:
    def check(request: pytest.FixtureRequest) -> None:
        repo = _repo(request, {".localci.yml": text})
        result = _cli(request)("config", "--check", cwd=repo)
        assert result.code == 2, result.err
        assert ".localci.yml" in result.err
        assert expected in result.err
        assert "internal error" not in result.err

    return check


def _remote_documents_bounded(request: pytest.FixtureRequest) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert parse_note('{"format": "localci-note/v1", "result": ' + deep + "}") is None
    bomb = gzip.compress(b"[" + b" " * (64 << 20) + b"]", mtime=0)
    text = f"<!-- localci-note:v1 {base64.b64encode(bomb).decode()} -->"
    assert embedded_note(text) is None


def _stage_config(stage: str) -> str:
    return f"stages:\n  - {stage}\n"


def _confined(stage: str, files: dict[str, str], expected: str) -> Callable[..., None]:
    def check(request: pytest.FixtureRequest) -> None:
        repo = _repo(request, {".localci.yml": _stage_config(stage), **files})
        result = _cli(request)("run", "--json", "--no-cache", cwd=repo)
        assert result.code == 1, result.err
        [only] = result.json()["stages"]
        assert only["status"] == "error"
        assert expected in only["reason"]

    return check


def _show_strips_terminal_control(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {"a.txt": "a\n"})
    sha = git(repo, "rev-parse", "HEAD")
    osc = "\x1b]8;;https://evil.example/\x07click me\x1b]8;;\x07\x1b[2J"
    failed = make_stage(
        "tests",
        "tests",
        status="failed",
        exit_code=1,
        reason=f"1 failed {osc}",
        findings=(Finding(kind="test", message=f"boom {osc}", test_id=f"t.py::x{osc}"),),
        findings_total=1,
    )
    result = make_result(failed, conclusion="failure", git=GitInfo(commit=sha, tree=TREE))
    Store(repo).write_result(result)
    shown = _cli(request)("show", sha, cwd=repo)
    assert "click me" in shown.out
    assert "\x1b" not in shown.out + shown.err
    assert "\x07" not in shown.out + shown.err


def _code_fence_cannot_be_closed(request: pytest.FixtureRequest) -> None:
    tail = "before\n```\n## injected heading\n`````\nafter"
    stage = make_stage("lint", status="failed", exit_code=1, log_tail=tail)
    text = text_for(make_result(stage, conclusion="failure"))
    fence = "``````"  # longer than the longest run (5)
    assert f"{fence}text\n{tail}\n{fence}" in text


def _token_with_trailing_newline(request: pytest.FixtureRequest) -> None:
    hub = _hub(request)
    (hub.root / ".localci.yml").write_text("stages:\n  - {name: a, run: ['true']}\n")
    commit_all(hub.root, "config")
    sha = git(hub.root, "rev-parse", "HEAD")
    hub.double.add_commits(REPO, sha)
    token = hub.double.add_token(TokenKind.ACTIONS, repo=REPO)
    env = {"GITHUB_TOKEN": token + "\r\n", "GITHUB_API_URL": hub.double.api_url}
    env["GITHUB_REPOSITORY"] = REPO
    cli = _cli(request)
    ran = cli("run", "--post-results", "--no-notes", cwd=hub.root, env=env)
    assert ran.code == 0, ran.err
    assert hub.double.check_runs(REPO, sha)
    assert token not in ran.out + ran.err


def _token_with_a_space(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {"a.txt": "a\n"})
    Store(repo).write_result(
        make_result(make_stage("a"), git=GitInfo(commit=git(repo, "rev-parse", "HEAD"), tree=TREE))
    )
    token = "ghp_" + "Wv3" * 12
    result = _cli(request)(
        "post", "--no-notes", "--repo", REPO, "--token", f"{token} {token}", cwd=repo
    )
    assert result.code == 2, result.err
    assert "spaces or control characters" in result.err
    assert token not in result.out + result.err


def _malformed_api_url(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {"a.txt": "a\n"})
    Store(repo).write_result(
        make_result(make_stage("a"), git=GitInfo(commit=git(repo, "rev-parse", "HEAD"), tree=TREE))
    )
    env = {"GITHUB_TOKEN": "ghs_" + "Kd8" * 12, "GITHUB_API_URL": "htps//api github com"}
    result = _cli(request)("post", "--no-notes", "--repo", REPO, cwd=repo, env=env)
    assert result.code == 2, result.err
    assert "--api-url" in result.err
    assert "internal error" not in result.err


def _missing_worktree_dir(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {".localci.yml": "stages:\n  - {name: a, run: ['true']}\n"})
    env = {"LOCALCI_WORKTREE_DIR": str(repo.parent / "does-not-exist")}
    result = _cli(request)("run", "--no-cache", cwd=repo, env=env)
    assert result.code == 2, result.err
    assert "LOCALCI_WORKTREE_DIR" in result.err


def _disk_full(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {".localci.yml": "stages:\n  - {name: a, run: ['true']}\n"})
    assert _cli(request)("run", cwd=repo).code == 0
    with open("/dev/full", "w") as full:  # every write: ENOSPC
        proc = subprocess.run(
            [sys.executable, "-m", "localci", "show", "--json"],
            cwd=repo,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert proc.returncode == 2, proc.stderr
    assert "no space left" in proc.stderr


def _file_too_large(request: pytest.FixtureRequest) -> None:
    import resource

    big = "stages:\n  - {name: loud, run: 'yes x | head -c 300000', shell: true}\n"
    repo = _repo(request, {".localci.yml": big})

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    proc = subprocess.run(
        [sys.executable, "-m", "localci", "run", "--no-cache"],
        cwd=repo,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "allowed size" in proc.stderr
    assert _worktrees(repo) == []


def _read_only_store(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {".localci.yml": "stages:\n  - {name: a, run: ['true']}\n"})
    (repo / ".localci").mkdir()
    script = (
        f"mount -t tmpfs -o ro,size=64k none {repo / '.localci'} || exit 99; "
        f"exec {sys.executable} -m localci run --no-cache"
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode == 99 or "unshare" in proc.stderr:
        pytest.skip("cannot mount a read-only file system here")
    assert proc.returncode == 2, proc.stderr
    assert "read-only" in proc.stderr


def _bundle_not_utf8(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {"a.txt": "a\n"})
    sha = git(repo, "rev-parse", "HEAD")
    store = Store(repo)
    store.write_result(make_result(make_stage("a"), git=GitInfo(commit=sha, tree=TREE)))
    store.bundle_path(sha).write_bytes(b'{"mediaType": "\xff\xfe"}')
    result = _cli(request)("post", "--dry-run", "--no-github", cwd=repo)
    assert result.code == 2, result.err
    assert "not UTF-8" in result.err


def _pre_commit_pre_push(request: pytest.FixtureRequest) -> None:
    config = (
        "repos:\n  - repo: local\n    hooks:\n      - id: localci\n        name: localci\n"
        f"        entry: {sys.executable} -m localci hook run pre-push\n"
        "        language: system\n        pass_filenames: false\n        always_run: true\n"
        "        stages: [pre-push]\n"
    )
    repo = _repo(
        request,
        {
            ".pre-commit-config.yaml": config,
            ".localci.yml": "stages:\n  - {name: a, run: ['true']}\n",
        },
    )
    remote = request.getfixturevalue("bare_remote")(repo)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    (repo / "b.txt").write_text("b\n")
    sha = commit_all(repo, "second")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    pushed = subprocess.run(
        ["git", "push", "origin", "HEAD:refs/heads/main"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert pushed.returncode == 0, pushed.stderr
    assert "Passed" in pushed.stdout
    assert git(remote, "rev-parse", "main") == sha
    note = json.loads(git(remote, "notes", "--ref=refs/notes/localci", "show", sha))
    assert note["result"]["conclusion"] == "success"


# --- secrets: each format on each path ----------------------------------------------------

_FORMATS = sorted(SAMPLES)


@dataclass
class _Leaky:
    """Everything localci let out of one run that saw every secret format: ``paths``
    maps result, log, console, spool, notes and check_run to their text."""

    paths: dict[str, str]
    workspace_markers: tuple[str, ...]
    remote: str


_TEST_FILE = """\
import os
import pytest

# A private key's body lines alone are not recognisable: only whole blocks are masked.
VALUES = [v for v in os.environ["LEAKS"].split("\\n") if v and "-----" not in v
          and not v.startswith("MIIEow")]


@pytest.mark.parametrize("value", VALUES)
def test_value(value):
    assert value == "never"
"""


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Leaky]:
    """One repository whose stages print every sample secret (output, parametrized test
    ids, a skipped stage's command), run, posted with GitHub failing (spooled), then
    delivered (Check Run) and pushed to a bare remote (notes)."""
    base = tmp_path_factory.mktemp("leaky")
    leaks = "\n".join(text for text, _ in SAMPLES.values())
    first_line = SAMPLES["github-classic"][0].split()[2]
    config = (
        "stages:\n"
        '  - name: leak\n    run: \'printf "%s\\n" "$LEAKS"; exit 1\'\n    shell: true\n'
        + PYTEST_STAGE
        + f"  - name: skipped\n    needs: [leak]\n    run: [echo, '{first_line}']\n"
    )
    repo = base / "repo"
    repo.mkdir()
    (repo / ".localci.yml").write_text(config)
    (repo / "test_leaks.py").write_text(_TEST_FILE)
    git(repo, "init", "-q")
    sha = commit_all(repo, "leaky")
    remote = base / "origin.git"
    git(base, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/main")
    double = GitHubDouble(load_spec()).start()
    try:
        double.add_repo(REPO, commits=[sha])
        token = double.add_token(TokenKind.ACTIONS, repo=REPO)
        env = {
            **os.environ,
            "LEAKS": leaks,
            "GITHUB_TOKEN": token,
            "GITHUB_API_URL": double.api_url,
            "GITHUB_REPOSITORY": REPO,
        }
        console: list[str] = []

        def localci(*args: str) -> None:
            proc = subprocess.run(
                [sys.executable, "-m", "localci", *args],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            console.append(proc.stdout + proc.stderr)

        localci("run", "-v", "--no-cache")
        localci("run", "--json", "--no-cache")
        localci("show")
        double.fail(None, r"/repos/.*", times=3)
        localci("post", "--max-wait", "0")
        spool = "\n".join(p.read_text() for p in (repo / ".localci" / "spool").glob("*.json"))
        localci("post", "--pending")
        assert double.check_runs(REPO, sha), console
        paths = {
            "result": (repo / ".localci" / "results" / f"{sha}.json").read_text(),
            "log": "\n".join(p.read_text() for p in (repo / ".localci").rglob("*.log")),
            "console": "\n".join(console),
            "spool": spool,
            "notes": git(remote, "notes", "--ref=refs/notes/localci", "show", sha),
            "check_run": json.dumps([r.output for r in double.check_runs(REPO)]),
        }
        markers = (str(base), str(Path.home()))
        yield _Leaky(paths=paths, workspace_markers=markers, remote=str(remote))
    finally:
        double.stop()


def _secret_format(name: str) -> Callable[[pytest.FixtureRequest], None]:
    def check(request: pytest.FixtureRequest) -> None:
        world: _Leaky = request.getfixturevalue("leaky")
        _, secret = SAMPLES[name]
        leaked = [path for path, text in world.paths.items() if secret in text]
        assert leaked == [], f"{name} leaked through {leaked}"
        assert "***" in world.paths["result"]

    return check


def _no_local_paths(request: pytest.FixtureRequest) -> None:
    world: _Leaky = request.getfixturevalue("leaky")
    for path in ("result", "notes", "check_run"):
        # The remote's URL is what the result is bound to; here it is a local bare repo.
        text = world.paths[path].replace(world.remote, "<remote>")
        for marker in world.workspace_markers:
            assert marker not in text, f"{marker} in the {path}"
        assert sys.executable not in text
    assert "{python}" in world.paths["result"]
    assert "{reports}" in world.paths["result"]


def _config_outside_the_repository(request: pytest.FixtureRequest) -> None:
    repo = _repo(request, {"a.txt": "a\n"})
    outside = repo.parent / "elsewhere" / "ci.yml"
    outside.parent.mkdir()
    outside.write_text("stages:\n  - {name: a, run: ['true']}\n")
    result = _cli(request)("run", "--json", "--config", str(outside), cwd=repo)
    assert result.code == 0, result.err
    assert result.json()["config"]["path"] == "{outside}/ci.yml"


# --- the table ----------------------------------------------------------------------------

CASES: tuple[Case, ...] = (
    Case(
        "github-unreachable",
        "offline",
        "GitHub refuses connections (`localci post`)",
        "survived",
        "retried after 1 s and 2 s, then spooled; exit 5",
        _github_unreachable,
    ),
    Case(
        "offline-full-spool",
        "offline",
        "five posts spooled, GitHub still refusing connections (`post --pending`)",
        "survived",
        "one entry is tried (1 + 2 s of waits); the rest wait for the next drain",
        _offline_with_a_full_spool,
    ),
    Case(
        "offline-post-after-spool",
        "offline",
        "a new post right after the spool retry found GitHub unreachable (`run --post-results`)",
        "survived",
        "not tried again: spooled at once, so the machine waits for one failed connection",
        _offline_post_after_the_spool_retry,
    ),
    Case(
        "server-errors-forever",
        "offline",
        "every request answers 500",
        "survived",
        f"waits stay within the {DEFAULT_MAX_WAIT:g} s default budget (`--max-wait`); spooled",
        _server_errors_forever,
    ),
    Case(
        "retry-after-zero",
        "offline",
        "secondary rate limit with `Retry-After: 0` on every request",
        "survived",
        f"waits at least {MIN_WAIT:g} s; at most {MAX_ATTEMPTS} tries; spooled",
        _retry_after_zero,
    ),
    Case(
        "concurrent-notes",
        "offline",
        "six publishers push notes to one remote at once",
        "survived",
        "rejected pushes fetch, merge and retry after a jittered wait; every note lands",
        _concurrent_notes_publishers,
    ),
    Case(
        "sigterm",
        "signals",
        "SIGTERM while a stage runs",
        "survived",
        "handled like Ctrl-C: stage process groups killed, worktree removed, exit 130",
        _signal_like_ctrl_c(signal.SIGTERM),
    ),
    Case(
        "sighup",
        "signals",
        "SIGHUP (the terminal closed) while a stage runs",
        "survived",
        "handled like Ctrl-C: stage process groups killed, worktree removed, exit 130",
        _signal_like_ctrl_c(signal.SIGHUP),
    ),
    Case(
        "sigkill-stale-worktree",
        "signals",
        "SIGKILL mid-run leaves a (locked) worktree",
        "survived",
        "the next run kills its leftover stage processes and prunes it (marker, owner "
        "gone); unmarked worktrees are kept",
        _sigkill_then_next_run_prunes,
    ),
    Case(
        "policy-only-config",
        "configuration",
        "a config file with only `verify:` and `publish:`",
        "survived",
        "the default stages apply",
        _policy_only_config,
    ),
    Case(
        "yaml-alias-bomb",
        "hostile input",
        "a 342-byte YAML alias bomb (9 levels of 9 aliases)",
        "refused",
        "exit 2 at once: expands to more than 100000 values",
        _refused_config(_alias_bomb(), "aliases"),
    ),
    Case(
        "yaml-deep-nesting",
        "hostile input",
        "YAML nested 10,000 levels deep",
        "refused",
        "exit 2 naming file:line:col: nested deeper than 64 levels",
        _refused_config("a: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested deeper"),
    ),
    Case(
        "yaml-oversized",
        "hostile input",
        "a 2 MiB configuration file",
        "refused",
        "exit 2: larger than 1024 KiB",
        _refused_config("# x\n" * (1 << 19), "larger than"),
    ),
    Case(
        "remote-documents",
        "hostile input",
        "a note nested 100,000 deep; a Check Run embedding a 64 MiB gzip bomb",
        "refused",
        "not taken as a result (size and depth bounded, decompression capped)",
        _remote_documents_bounded,
    ),
    Case(
        "cwd-outside",
        "hostile input",
        "a stage with `cwd: ../..`",
        "refused",
        "the stage is an error: cwd outside the checkout",
        _confined("{name: a, run: ['true'], cwd: ../..}", {}, "outside the checkout"),
    ),
    Case(
        "report-outside",
        "hostile input",
        "a stage whose `report.path` is absolute, outside the checkout",
        "refused",
        "the stage is an error: report path outside the checkout and {reports}",
        _confined(
            "{name: t, kind: tests, run: ['true'], report: {format: junit, path: /etc/hosts}}",
            {},
            "outside the checkout",
        ),
    ),
    Case(
        "stale-report",
        "hostile input",
        "a stage that passes on a committed report it never wrote",
        "refused",
        "the stage is an error: the report predates the stage",
        _confined(
            "{name: t, kind: tests, run: ['true'], report: {format: junit, path: junit.xml}}",
            {"junit.xml": '<testsuite name="s" tests="1"><testcase name="x"/></testsuite>\n'},
            "not written by this stage",
        ),
    ),
    Case(
        "osc-in-show",
        "hostile input",
        "OSC/CSI escapes in a stored result's findings (`localci show`)",
        "survived",
        "printed without control characters",
        _show_strips_terminal_control,
    ),
    Case(
        "code-fence",
        "hostile input",
        "a log tail with triple and quintuple backtick fences",
        "survived",
        "the Check Run text uses a longer fence; the tail cannot close it",
        _code_fence_cannot_be_closed,
    ),
    Case(
        "token-trailing-newline",
        "secrets",
        "GITHUB_TOKEN with a trailing CR LF",
        "survived",
        "stripped; the post is delivered; the token is never printed",
        _token_with_trailing_newline,
    ),
    Case(
        "token-with-space",
        "secrets",
        "a `--token` with a space in it",
        "refused",
        "exit 2 saying so, without printing the token",
        _token_with_a_space,
    ),
    Case(
        "api-url-malformed",
        "environment",
        "GITHUB_API_URL that is not an http(s) URL",
        "refused",
        "exit 2: not an http(s) base URL",
        _malformed_api_url,
    ),
    Case(
        "worktree-dir-missing",
        "environment",
        "LOCALCI_WORKTREE_DIR names a folder that does not exist",
        "refused",
        "exit 2: not a writable directory",
        _missing_worktree_dir,
    ),
    Case(
        "disk-full",
        "environment",
        "the output goes to a full device (/dev/full)",
        "refused",
        "exit 2: no space left on the device",
        _disk_full,
    ),
    Case(
        "file-too-large",
        "environment",
        "a file size limit (`ulimit -f`) below a stage's log",
        "refused",
        "exit 2: a file grew past the allowed size; the worktree is removed",
        _file_too_large,
    ),
    Case(
        "read-only-store",
        "environment",
        "`.localci/` on a read-only file system",
        "refused",
        "exit 2: the file system is read-only",
        _read_only_store,
    ),
    Case(
        "bundle-not-utf8",
        "environment",
        "a Sigstore bundle file that is not UTF-8",
        "refused",
        "exit 2: not a Sigstore bundle (not UTF-8 text)",
        _bundle_not_utf8,
    ),
    Case(
        "pre-commit-pre-push",
        "hooks",
        "the pre-commit framework's pre-push hook (no remote argument, no stdin)",
        "survived",
        "reads PRE_COMMIT_* variables; the push goes through with the note",
        _pre_commit_pre_push,
    ),
    *(
        Case(
            f"secret-{name}",
            "secrets",
            f"a {name} secret in stage output, a test id and a skipped stage's command",
            "survived",
            "masked in the result, logs, console, spool, notes and Check Run",
            _secret_format(name),
        )
        for name in _FORMATS
    ),
    Case(
        "config-outside",
        "secrets",
        "`--config` names a file outside the repository",
        "survived",
        "the result records {outside}/<file name>, not the absolute path",
        _config_outside_the_repository,
    ),
    Case(
        "local-paths",
        "secrets",
        "commands and output name the worktree, report folder and interpreter",
        "survived",
        "the result, notes and Check Run carry {workspace}, {reports}, {python} instead",
        _no_local_paths,
    ),
)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, request: pytest.FixtureRequest) -> None:
    case.check(request)


def render_docs() -> str:
    """docs/robustness.md: the table above, with counts."""
    refused = sum(c.expect == "refused" for c in CASES)
    lines = [
        "# Robustness: the fault and abuse matrix",
        "",
        "<!-- generated by `python -m tests.integration.test_fault_matrix`; "
        "a test keeps it equal to the table in that module -->",
        "",
        "Each row is a test case in `tests/integration/test_fault_matrix.py`. *survived*: "
        "localci carries on (degraded, spooled or cleaned up) and says so; *refused*: it "
        "stops with a message that says what and what next, and exit 2 (usage, "
        "configuration, environment) or 5 (remote unreachable), never 3 (kept for bugs).",
        "",
        f"Cases tried: {len(CASES)}; refused: {refused}; survived: {len(CASES) - refused}.",
        "",
        "| case | area | fault or abuse | expected | behaviour |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| `{c.id}` | {c.area} | {c.fault} | {c.expect} | {c.behaviour} |" for c in CASES]
    return "\n".join(lines) + "\n"


def test_the_docs_quote_the_matrix() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_docs(), (
        "docs/robustness.md is stale: python -m tests.integration.test_fault_matrix"
    )


if __name__ == "__main__":
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(render_docs(), encoding="utf-8")
