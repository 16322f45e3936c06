"""Gating merges end to end, offline: pre-push hook -> notes ref -> `localci gate`.

The harness: a bare "origin", a developer clone with the hook installed, the Sigstore
double (signing) and the GitHub double (the gating Check Run). The developer commits and
runs a real `git push`; the verifier then runs as the workflow would, from a fresh clone,
with the policy read from the base commit.
"""

from __future__ import annotations

import json

from tests.conftest import git
from tests.github_double import TokenKind
from tests.integration.gate_world import CALC, REPO, UNTESTED, World


def test_push_signs_publishes_and_the_gate_passes(world: World) -> None:
    head = world.commit(
        {
            "calc.py": CALC + "\n\ndef mul(a, b):\n    return a * b\n",
            "tests/test_more.py": "from calc import mul\n\n\ndef test_mul():\n"
            "    assert mul(2, 3) == 6\n",
        },
        "add mul",
    )
    pushed = world.try_push("feature")
    assert pushed.returncode == 0, pushed.stderr
    assert "signed by dev@example.com" in pushed.stderr
    assert git(world.origin, "rev-parse", "refs/heads/feature") == head
    assert git(world.origin, "notes", "--ref=localci", "show", head)
    gated = world.gate("--sha", head, "--base-sha", world.base)
    assert gated.returncode == 0, gated.stderr
    run = world.verdict(head)
    assert run.conclusion == "success"
    assert "localci: verified" in run.output["title"]
    assert world.github.check_runs(REPO, head)[0].app_id is not None


def test_failing_tests_block_the_push(world: World) -> None:
    world.commit({"calc.py": CALC.replace("a - b", "a + b")}, "break sub")
    pushed = world.try_push("feature")
    assert pushed.returncode != 0
    assert "push blocked: tests did not pass" in pushed.stderr
    assert "git push --no-verify" in pushed.stderr
    assert "refs/heads/feature" not in git(world.origin, "for-each-ref")


def test_no_verify_push_needs_action(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# comment\n"}, "unchecked")
    assert world.try_push("--no-verify", "feature").returncode == 0
    assert world.gate("--sha", head, "--base-sha", world.base).returncode == 0
    run = world.verdict(head)
    assert run.conclusion == "action_required"
    assert "localci run --sign --post-results" in run.output["summary"]


def test_a_result_for_an_older_commit_is_rejected(world: World) -> None:
    first = world.commit({"calc.py": CALC + "\n# one\n"}, "one")
    assert world.try_push("feature").returncode == 0
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
    run = world.judge(second)
    assert run.conclusion == "failure"
    assert "the result is for commit" in run.output["summary"]


def test_the_base_policy_applies_not_the_pull_requests(world: World) -> None:
    lowered = (world.dev / ".localci.yml").read_text().replace("min_percent: 90", "min_percent: 10")
    head = world.commit({".localci.yml": lowered, "calc.py": CALC + UNTESTED}, "lower the bar")
    assert world.try_push("feature").returncode == 0  # passes under its own, lowered config
    run = world.judge(head)
    assert run.conclusion == "failure"
    assert "is below min_percent 90" in run.output["summary"]


def test_an_unallowlisted_signer_is_rejected(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# other\n"}, "other signer")
    assert world.try_push("feature", identity="mallory@example.com").returncode == 0
    run = world.judge(head)
    assert run.conclusion == "failure"
    assert "mallory@example.com" in run.output["summary"]
    assert "not on the allowlist" in run.output["summary"]


def test_an_edited_note_is_rejected(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# edit\n"}, "to be edited")
    assert world.try_push("feature").returncode == 0
    note = json.loads(git(world.dev, "notes", "--ref=localci", "show", head))
    for stage in note["result"]["stages"]:
        if stage["metrics"].get("coverage"):
            stage["metrics"]["coverage"]["percent"] = 100.0
    note["result"]["stages"][0]["duration"] = 0.001
    (world.tmp / "note.json").write_text(json.dumps(note))
    git(world.dev, "notes", "--ref=localci", "add", "-f", "-F", str(world.tmp / "note.json"), head)
    git(world.dev, "push", "-q", "--no-verify", "origin", "refs/notes/localci")
    run = world.judge(head)
    assert run.conclusion == "failure"
    assert "subject" in run.output["title"]


def test_a_status_posted_by_hand_counts_for_nothing(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# forged\n"}, "forged status")
    assert world.try_push("--no-verify", "feature").returncode == 0
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
    assert world.verdict(head).conclusion == "action_required"


def test_dispatch_of_an_unproposed_sha_is_refused(world: World) -> None:
    head = world.commit({"calc.py": CALC + "\n# lone\n"}, "not in a PR")
    event = world.tmp / "dispatch.json"
    event.write_text(json.dumps({"inputs": {"sha": head}}))
    gated = world.gate("--event-name", "workflow_dispatch", "--event-path", str(event))
    assert gated.returncode == 2
    assert "not the head of an open pull request" in gated.stderr
    assert world.github.check_runs(REPO, head) == []
