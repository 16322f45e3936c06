"""A repository, its GitHub double and a developer, for end-to-end gate tests.

The harness: a bare "origin", a developer clone with the pre-push hook installed, the
Sigstore double (signing) and the GitHub double (pull requests, the gate's own GitHub
App, the gating Check Run). :meth:`World.run_workflow` runs the verifier workflow's own
``localci gate`` step (its ``run:`` script and ``env:`` from
``.github/workflows/localci-verify.yml``, expressions filled in the way GitHub Actions
would for the example caller) in a fresh clone of origin, as the job would.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT, commit_all, git
from tests.github_double import GitHubDouble, TokenKind, generate_app_key
from tests.sigstore_double import SigstoreDouble

__all__ = ["APP_ID", "CALC", "CONFIG", "INSTALLATION_ID", "REPO", "TESTS", "World", "make_world"]

REPO = "octo/demo"
APP_ID = 424242
INSTALLATION_ID = 77
VERIFIER = REPO_ROOT / ".github" / "workflows" / "localci-verify.yml"
CALLER = REPO_ROOT / "examples" / "github" / "localci.yml"

CONFIG = """\
stages:
  - name: tests
    kind: tests
    run: ["{python}", "-m", "coverage", "run", "--data-file={reports}/.coverage", "-m",
          "pytest", "-q", "-p", "no:cacheprovider", "--junitxml={reports}/junit.xml"]
    report: {format: junit, path: "{reports}/junit.xml"}
  - name: coverage
    kind: coverage
    after: [tests]
    run: ["{python}", "-m", "coverage", "json", "--data-file={reports}/.coverage",
          "-o", "{reports}/coverage.json"]
    report: {format: coverage-json, path: "{reports}/coverage.json"}
    min_percent: MIN_PERCENT
verify:
  signers:
    - {identity: dev@example.com, issuer: ISSUER}
  max_age: 1d
"""

CALC = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
TESTS = (
    "from calc import add, sub\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
    "def test_sub():\n    assert sub(3, 2) == 1\n"
)
UNTESTED = "".join(
    f"\n\ndef f{i}(x):\n    if x:\n        return {i}\n    return -{i}\n" for i in range(30)
)
_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
_app_key = functools.cache(generate_app_key)
"""The gate App's key pair, made once per process (each test has its own GitHub double)."""


@dataclass
class World:
    """Everything one end-to-end gate test touches."""

    tmp: Path
    origin: Path
    dev: Path
    sigstore: SigstoreDouble
    github: GitHubDouble
    trust: Path
    base: str
    app_key: str
    env: dict[str, str] = field(default_factory=dict)

    def config(self, min_percent: int, extra: str = "") -> str:
        """The configuration with ``min_percent`` and ``extra`` YAML lines appended."""
        text = CONFIG.replace("ISSUER", self.sigstore.issuer_url)
        return text.replace("MIN_PERCENT", str(min_percent)) + extra

    def try_push(
        self, *args: str, identity: str = "dev@example.com", remote: str = "origin"
    ) -> subprocess.CompletedProcess[str]:
        """``git push REMOTE ARGS`` from the developer clone, with the hook signing as
        ``identity``; whatever it did."""
        env = {
            **os.environ,
            **self.env,
            "SIGSTORE_ID_TOKEN": self.sigstore.mint_token(identity),
            "LOCALCI_TRUST_CONFIG": str(self.trust),
        }
        return subprocess.run(
            ["git", "push", "-q", remote, *args],
            cwd=self.dev,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def push(self, *args: str, identity: str = "dev@example.com", remote: str = "origin") -> None:
        """:meth:`try_push`, which must succeed."""
        proc = self.try_push(*args, identity=identity, remote=remote)
        assert proc.returncode == 0, proc.stderr

    def push_plain(self, *args: str, remote: str = "origin") -> None:
        """``git push --no-verify``: no hook, no result."""
        git(self.dev, "push", "-q", "--no-verify", remote, *args)

    def commit(self, files: dict[str, str], message: str, *, branch: str | None = None) -> str:
        """Commit ``files`` (on a new ``branch`` from the current HEAD when given)."""
        if branch is not None:
            git(self.dev, "checkout", "-q", "-B", branch)
        for rel, text in files.items():
            (self.dev / rel).write_text(text)
        sha = commit_all(self.dev, message)
        self.github.add_commits(REPO, sha)
        return sha

    def push_base(self, branch: str, files: dict[str, str], message: str) -> str:
        """Commit ``files`` on ``branch`` (from the current HEAD) and push it without the
        hook: a base for pull requests, such as a stricter ``main``."""
        sha = self.commit(files, message, branch=branch)
        self.push_plain(f"HEAD:refs/heads/{branch}")
        git(self.dev, "fetch", "-q", "origin")
        return sha

    def propose(
        self, note: str, number: int = 1, base_ref: str = "main", *, branch: str = "feature"
    ) -> str:
        """Commit a one-line change to ``calc.py`` (the comment ``note``) on ``branch``
        (from the current HEAD), push it with the hook and open pull request ``number``
        into ``base_ref``; its head."""
        head = self.commit({"calc.py": CALC + f"\n# {note}\n"}, note, branch=branch)
        self.push(branch)
        self.open_pull(number, head, base_ref)
        return head

    def pull_event(self, number: int, head: str, base_ref: str, **extra: Any) -> dict[str, Any]:
        """A ``pull_request_target`` payload (GitHub's shape, the fields the gate reads)."""
        base_sha = git(self.dev, "rev-parse", f"origin/{base_ref}")
        repo = {"full_name": REPO, "clone_url": str(self.origin)}
        return {
            "action": "opened",
            "number": number,
            "pull_request": {
                "number": number,
                "state": "open",
                "head": {"sha": head, "ref": f"feature-{number}", "repo": repo},
                "base": {"sha": base_sha, "ref": base_ref, "repo": repo},
            },
            **extra,
        }

    def open_pull(self, number: int, head: str, base_ref: str) -> None:
        """Register pull request ``number`` from ``head`` into ``base_ref`` on GitHub."""
        base_sha = git(self.dev, "rev-parse", f"origin/{base_ref}")
        self.github.add_pull(
            REPO,
            number=number,
            head_sha=head,
            head_ref=f"feature-{number}",
            base_ref=base_ref,
            base_sha=base_sha,
        )

    def run_workflow(
        self,
        event_name: str,
        event: dict[str, Any],
        *,
        app_key: str | None = None,
        token: str | None = None,
        extra_args: str = "",
        honour_if: bool = True,
        trust: Path | None = None,
        dispatch_token: str = "",
    ) -> subprocess.CompletedProcess[str]:
        """Run the verifier workflow's gate step for ``event`` in a fresh clone.

        The caller's job ``if:`` is honoured for ``status`` events; the step's ``env:``
        expressions come from the caller's ``with:``, the callee's input defaults, the
        environment secret ``LOCALCI_APP_PRIVATE_KEY`` (``app_key``, default the App's)
        and ``github.token`` (``token``, default a read-only workflow token).
        ``honour_if=False`` runs it whatever the caller's ``if:`` says (as after a
        user adapted it); ``trust`` replaces the Sigstore double's trust config.
        """
        if honour_if and event_name == "status" and not _caller_runs_on(event):
            return subprocess.CompletedProcess([], 0, "", "skipped by the caller's if:")
        clone = self.fresh_clone()
        event_path = self.tmp / f"{clone.name}.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        step = gate_step()
        context = {
            "inputs": {**_input_defaults(), **_caller_with()},
            "secrets": {
                "LOCALCI_APP_PRIVATE_KEY": self.app_key if app_key is None else app_key,
                "LOCALCI_DISPATCH_TOKEN": dispatch_token,
            },
            "github": {"token": token or self.read_only_token()},
        }
        env = {k: _render(str(v), context) for k, v in step["env"].items()}
        env = {k: v for k, v in env.items() if v}  # GitHub sets an unset secret to ""
        bin_dir = str(Path(sys.executable).parent)
        full_env = {
            **os.environ,
            **env,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.github.api_url,
            "LOCALCI_TRUST_CONFIG": str(trust or self.trust),
        }
        if not env.get("LOCALCI_APP_PRIVATE_KEY"):
            full_env.pop("LOCALCI_APP_ID", None)
        script = step["run"] + (f" {extra_args}" if extra_args else "")
        return subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=clone,
            env=full_env,
            capture_output=True,
            text=True,
            check=False,
        )

    def gate(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``localci gate --trust-config TRUST ARGS`` in a fresh clone, as a workflow
        job with its default ``GITHUB_TOKEN`` would run it (no App key)."""
        env = {
            **os.environ,
            "GITHUB_TOKEN": self.github.add_token(TokenKind.ACTIONS, repo=REPO),
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_REPOSITORY": REPO,
        }
        return subprocess.run(
            [sys.executable, "-m", "localci", "gate", "--trust-config", str(self.trust), *args],
            cwd=self.fresh_clone(),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def judge(self, head: str) -> Any:
        """:meth:`gate` ``head`` against ``main``'s base commit; the gating Check Run."""
        self.gate("--sha", head, "--base-sha", self.base)
        return self.verdict(head)

    def fresh_clone(self) -> Path:
        """A new clone of origin, as a workflow job checks it out."""
        clone = self.tmp / f"job-{len(list(self.tmp.glob('job-*')))}"
        git(self.tmp, "clone", "-q", str(self.origin), str(clone))
        return clone

    def read_only_token(self) -> str:
        """A workflow ``GITHUB_TOKEN`` as a fork's pull request gets it: read-only."""
        return self.github.add_token(
            TokenKind.ACTIONS,
            repo=REPO,
            permissions={"contents": "read", "pull_requests": "read", "checks": "read"},
        )

    def gate_runs(self, sha: str) -> list[Any]:
        """The gating Check Runs on ``sha``, oldest first."""
        return [r for r in self.github.check_runs(REPO, sha) if r.name == "localci / verify"]

    def verdict(self, sha: str) -> Any:
        """The newest gating Check Run on ``sha`` (asserting there is one)."""
        runs = self.gate_runs(sha)
        assert runs, "no gating Check Run was posted"
        return runs[-1]


def gate_step() -> dict[str, Any]:
    """The verifier workflow's step that runs ``localci gate``."""
    doc = yaml.safe_load(VERIFIER.read_text(encoding="utf-8"))
    [job] = doc["jobs"].values()
    [step] = [s for s in job["steps"] if "localci gate" in str(s.get("run", ""))]
    return dict(step)


def _input_defaults() -> dict[str, str]:
    doc = yaml.safe_load(VERIFIER.read_text(encoding="utf-8"))
    on = doc.get("on", doc.get(True))
    inputs = on["workflow_call"]["inputs"]
    return {k: str(v["default"]) for k, v in inputs.items() if "default" in v}


def _caller_job() -> dict[str, Any]:
    doc = yaml.safe_load(CALLER.read_text(encoding="utf-8"))
    [job] = doc["jobs"].values()
    return dict(job)


def _caller_with() -> dict[str, str]:
    with_ = {k: str(v) for k, v in (_caller_job().get("with") or {}).items()}
    return {**with_, "app-id": str(APP_ID)}  # the test App stands in for the user's


def _caller_runs_on(event: dict[str, Any]) -> bool:
    """The caller's ``if:`` for a ``status`` event: only localci's own context."""
    condition = str(_caller_job()["if"])
    match = re.search(r"github\.event\.context == '([^']+)'", condition)
    assert match, condition
    return event.get("context") == match.group(1)


def _render(text: str, context: dict[str, dict[str, str]]) -> str:
    """``${{ a.b }}`` replaced from ``context``; any other expression is a test error."""

    def value(match: re.Match[str]) -> str:
        scope, _, name = match.group(1).partition(".")
        if scope not in context or name not in context[scope]:
            raise AssertionError(f"the gate step uses ${{{{ {match.group(1)} }}}}: unknown here")
        return context[scope][name]

    return _EXPR.sub(value, text)


def make_world(
    tmp_path: Path, sigstore_double: SigstoreDouble, github_double: GitHubDouble
) -> World:
    """Origin with ``main`` (the base, min_percent 90) and ``weak`` (min_percent 10), a
    developer clone with the hook on branch ``feature``, and the gate's App installed."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    dev = tmp_path / "dev"
    git(tmp_path, "clone", "-q", str(origin), str(dev))
    private, public = _app_key()
    world = World(
        tmp=tmp_path,
        origin=origin,
        dev=dev,
        sigstore=sigstore_double,
        github=github_double,
        trust=sigstore_double.write_trust_config(tmp_path / "trust.json"),
        base="",
        app_key=private,
    )
    (dev / ".localci.yml").write_text(world.config(90))
    (dev / "calc.py").write_text(CALC)
    (dev / "tests").mkdir()
    (dev / "tests" / "test_calc.py").write_text(TESTS)
    (dev / ".gitignore").write_text(".localci/\n__pycache__/\n")
    world.base = commit_all(dev, "base")
    git(dev, "push", "-q", "--no-verify", "origin", "HEAD:refs/heads/main")
    git(dev, "checkout", "-q", "-b", "weak")
    (dev / ".localci.yml").write_text(world.config(10))
    weak = commit_all(dev, "a weak branch")
    git(dev, "push", "-q", "--no-verify", "origin", "HEAD:refs/heads/weak")
    git(dev, "fetch", "-q", "origin")
    git(dev, "checkout", "-q", "-b", "feature", "origin/main")
    github_double.add_repo(
        REPO, commits=[world.base, weak], branches={"main": world.base, "weak": weak}
    )
    github_double.add_app(APP_ID, public, slug="localci-gate")
    github_double.add_installation(APP_ID, INSTALLATION_ID, account="octo", repos=[REPO])
    subprocess.run(
        [sys.executable, "-m", "localci", "hook", "install"],
        cwd=dev,
        check=True,
        capture_output=True,
    )
    return world
