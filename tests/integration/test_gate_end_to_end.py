"""Gating merges end to end, offline: pre-push hook -> notes ref -> `localci gate`.

The harness: a bare "origin", a developer clone with the hook installed, the Sigstore
double (signing) and the GitHub double (the gating Check Run). The developer commits and
runs a real `git push`; the verifier then runs as the workflow would, from a fresh clone,
with the policy read from the base commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import commit_all, git
from tests.github_double import GitHubDouble, TokenKind
from tests.integration.gate_world import CALC, CONFIG, REPO, TESTS
from tests.sigstore_double import SigstoreDouble


@dataclass
class World:
    tmp: Path
    origin: Path
    dev: Path
    sigstore: SigstoreDouble
    github: GitHubDouble
    trust: Path
    base: str
    actions_token: str
    env: dict[str, str] = field(default_factory=dict)

    def push(
        self, *args: str, identity: str = "dev@example.com"
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **self.env,
            "SIGSTORE_ID_TOKEN": self.sigstore.mint_token(identity),
            "LOCALCI_TRUST_CONFIG": str(self.trust),
        }
        return subprocess.run(
            ["git", "push", "origin", *args],
            cwd=self.dev,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def commit(self, files: dict[str, str], message: str) -> str:
        for rel, text in files.items():
            (self.dev / rel).write_text(text)
        sha = commit_all(self.dev, message)
        self.github.add_commits(REPO, sha)
        return sha

    def gate(self, *args: str) -> subprocess.CompletedProcess[str]:
        verifier = self.tmp / f"verifier-{len(list(self.tmp.glob('verifier-*')))}"
        git(self.tmp, "clone", "-q", str(self.origin), str(verifier))
        env = {
            **os.environ,
            "GITHUB_TOKEN": self.actions_token,
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_REPOSITORY": REPO,
        }
        return subprocess.run(
            [sys.executable, "-m", "localci", "gate", "--trust-config", str(self.trust), *args],
            cwd=verifier,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def verify_run(self, sha: str) -> object:
        runs = [r for r in self.github.check_runs(REPO, sha) if r.name == "localci / verify"]
        assert runs, "no gating Check Run was posted"
        return runs[-1]


@pytest.fixture
def world(
    tmp_path: Path,
    sigstore_double: SigstoreDouble,
    github_double: GitHubDouble,
    sigstore_home: Path,
) -> World:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    dev = tmp_path / "dev"
    git(tmp_path, "clone", "-q", str(origin), str(dev))
    config = CONFIG.replace("ISSUER", sigstore_double.issuer_url).replace("MIN_PERCENT", "90")
    (dev / ".localci.yml").write_text(config)
    (dev / "calc.py").write_text(CALC)
    (dev / "tests").mkdir()
    (dev / "tests" / "test_calc.py").write_text(TESTS)
    (dev / ".gitignore").write_text(".localci/\n__pycache__/\n")
    base = commit_all(dev, "base")
    git(dev, "push", "-q", "--no-verify", "origin", "HEAD:refs/heads/main")
    git(dev, "checkout", "-q", "-b", "feature")
    github_double.add_repo(REPO, commits=[base])
    token = github_double.add_token(TokenKind.ACTIONS, repo=REPO)
    trust = sigstore_double.write_trust_config(tmp_path / "trust.json")
    subprocess.run(
        [sys.executable, "-m", "localci", "hook", "install"],
        cwd=dev,
        check=True,
        capture_output=True,
    )
    return World(
        tmp=tmp_path,
        origin=origin,
        dev=dev,
        sigstore=sigstore_double,
        github=github_double,
        trust=trust,
        base=base,
        actions_token=token,
    )


def test_push_signs_publishes_and_the_gate_passes(world: World) -> None:
    head = world.commit(
        {
            "calc.py": CALC + "\n\ndef mul(a, b):\n    return a * b\n",
            "tests/test_more.py": "from calc import mul\n\n\ndef test_mul():\n"
            "    assert mul(2, 3) == 6\n",
        },
        "add mul",
    )
    pushed = world.push("feature")
    assert pushed.returncode == 0, pushed.stderr
    assert "signed by dev@example.com" in pushed.stderr
    assert git(world.origin, "rev-parse", "refs/heads/feature") == head
    assert git(world.origin, "notes", "--ref=localci", "show", head)
    gated = world.gate("--sha", head, "--base-sha", world.base)
    assert gated.returncode == 0, gated.stderr
    run = world.verify_run(head)
    assert run.conclusion == "success"  # type: ignore[attr-defined]
    assert "localci: verified" in run.output["title"]  # type: ignore[attr-defined]
    assert world.github.check_runs(REPO, head)[0].app_id is not None


def test_failing_tests_block_the_push(world: World) -> None:
    world.commit({"calc.py": CALC.replace("a - b", "a + b")}, "break sub")
    pushed = world.push("feature")
    assert pushed.returncode != 0
    assert "push blocked: tests did not pass" in pushed.stderr
    assert "git push --no-verify" in pushed.stderr
    assert "refs/heads/feature" not in git(world.origin, "for-each-ref")


def test_no_verify_push_needs_action(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# comment\n"}, "unchecked")
    assert world.push("--no-verify", "feature").returncode == 0
    assert world.gate("--sha", head, "--base-sha", world.base).returncode == 0
    run = world.verify_run(head)
    assert run.conclusion == "action_required"  # type: ignore[attr-defined]
    assert "localci run --sign --post-results" in run.output["summary"]  # type: ignore[attr-defined]


def test_a_result_for_an_older_commit_is_rejected(world: World) -> None:
    first = world.commit({"calc.py": CALC + "\n# one\n"}, "one")
    assert world.push("feature").returncode == 0
    second = world.commit({"calc.py": CALC.replace("a - b", "a + b")}, "two: breaks sub")
    git(world.dev, "notes", "--ref=localci", "copy", first, second)
    git(
        world.dev,
        "push",
        "-q",
        "--no-verify",
        "origin",
        "feature",
        "refs/notes/localci:refs/notes/localci",
    )
    world.gate("--sha", second, "--base-sha", world.base)
    run = world.verify_run(second)
    assert run.conclusion == "failure"  # type: ignore[attr-defined]
    assert "the result is for commit" in run.output["summary"]  # type: ignore[attr-defined]


def test_the_base_policy_applies_not_the_pull_requests(world: World) -> None:
    lowered = (world.dev / ".localci.yml").read_text().replace("min_percent: 90", "min_percent: 10")
    untested = "".join(
        f"\n\ndef f{i}(x):\n    if x:\n        return {i}\n    return -{i}\n" for i in range(30)
    )
    head = world.commit({".localci.yml": lowered, "calc.py": CALC + untested}, "lower the bar")
    assert world.push("feature").returncode == 0  # passes under its own, lowered config
    world.gate("--sha", head, "--base-sha", world.base)
    run = world.verify_run(head)
    assert run.conclusion == "failure"  # type: ignore[attr-defined]
    assert "is below min_percent 90" in run.output["summary"]  # type: ignore[attr-defined]


def test_an_unallowlisted_signer_is_rejected(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# other\n"}, "other signer")
    assert world.push("feature", identity="mallory@example.com").returncode == 0
    world.gate("--sha", head, "--base-sha", world.base)
    run = world.verify_run(head)
    assert run.conclusion == "failure"  # type: ignore[attr-defined]
    assert "mallory@example.com" in run.output["summary"]  # type: ignore[attr-defined]
    assert "not on the allowlist" in run.output["summary"]  # type: ignore[attr-defined]


def test_an_edited_note_is_rejected(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# edit\n"}, "to be edited")
    assert world.push("feature").returncode == 0
    note = json.loads(git(world.dev, "notes", "--ref=localci", "show", head))
    for stage in note["result"]["stages"]:
        if stage["metrics"].get("coverage"):
            stage["metrics"]["coverage"]["percent"] = 100.0
    note["result"]["stages"][0]["duration"] = 0.001
    (world.tmp / "note.json").write_text(json.dumps(note))
    git(world.dev, "notes", "--ref=localci", "add", "-f", "-F", str(world.tmp / "note.json"), head)
    git(world.dev, "push", "-q", "--no-verify", "origin", "refs/notes/localci")
    world.gate("--sha", head, "--base-sha", world.base)
    run = world.verify_run(head)
    assert run.conclusion == "failure"  # type: ignore[attr-defined]
    assert "subject" in run.output["title"]  # type: ignore[attr-defined]


def test_a_status_posted_by_hand_counts_for_nothing(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# forged\n"}, "forged status")
    assert world.push("--no-verify", "feature").returncode == 0
    world.github.add_pull(
        REPO, number=7, head_sha=head, head_ref="feature", base_ref="main", base_sha=world.base
    )
    personal = world.github.add_token(TokenKind.CLASSIC, repo=REPO)
    from github import Auth, Github

    with Github(auth=Auth.Token(personal), base_url=world.github.api_url, retry=None) as gh:
        gh.get_repo(REPO).get_commit(head).create_status(
            state="success", context="localci", description="all good, trust me"
        )
    event = world.tmp / "event.json"
    event.write_text(json.dumps({"sha": head, "context": "localci", "state": "success"}))
    gated = world.gate("--event-name", "status", "--event-path", str(event))
    assert gated.returncode == 0, gated.stderr
    assert world.verify_run(head).conclusion == "action_required"  # type: ignore[attr-defined]


def test_dispatch_of_an_unproposed_sha_is_refused(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# lone\n"}, "not in a PR")
    event = world.tmp / "dispatch.json"
    event.write_text(json.dumps({"inputs": {"sha": head}}))
    gated = world.gate("--event-name", "workflow_dispatch", "--event-path", str(event))
    assert gated.returncode == 2
    assert "not the head of an open pull request" in gated.stderr
    assert world.github.check_runs(REPO, head) == []
