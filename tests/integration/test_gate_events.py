"""The verifier workflow's gate step, end to end, for every event it serves.

Each test runs the step exactly as ``.github/workflows/localci-verify.yml`` declares it
(its ``run:`` script and ``env:``), with the GitHub double standing in for GitHub: the
gate authenticates as its own GitHub App from the environment secret, reads pull requests
and posts the gating Check Run. Each hole of issue "The merge gate holds on real GitHub"
that these cover failed on the old gate: it ignored other bases, had no ``merge_group``,
read a fork's result nowhere, used the default ``status_context``, raised (no check) on an
unusable trust root, and exited 3 or 0 where 2 or the verdict belong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localci.context.summary import MARKER
from tests.conftest import git
from tests.github_double import TokenKind
from tests.integration.gate_world import (
    APP_ID,
    CALC,
    INSTALLATION_ID,
    REPO,
    TESTS,
    UNTESTED,
    World,
)


@pytest.mark.parametrize(
    ("event_name", "number"), [("pull_request_target", 1), ("workflow_dispatch", 3)]
)
def test_an_open_pull_requests_head_is_gated_by_the_gate_app(
    world: World, event_name: str, number: int
) -> None:
    head = world.propose("reviewed", number)
    if event_name == "workflow_dispatch":
        event: dict[str, Any] = {"inputs": {"sha": head}}
    else:
        event = world.pull_event(number, head, "main")
    out = world.run_workflow(event_name, event)
    assert out.returncode == 0, out.stderr
    run = world.verdict(head)
    assert run.conclusion == "success"
    assert run.app_id == APP_ID  # the user's App, not GitHub Actions
    assert f"pull request #{number} into main: success" in run.output["summary"]


def _weak_head(world: World) -> str:
    """A head branched from ``weak`` (min_percent 10) whose coverage is far below 90."""
    git(world.dev, "checkout", "-q", "-B", "feature", "origin/weak")
    head = world.commit({"calc.py": CALC + UNTESTED}, "untested code")
    world.push("feature")  # passes under its own (weak) configuration
    return head


def test_a_head_in_two_pull_requests_gets_the_strictest_verdict(world: World) -> None:
    head = _weak_head(world)
    world.open_pull(1, head, "weak")
    world.open_pull(2, head, "main")
    event = world.pull_event(1, head, "weak")
    out = world.run_workflow("pull_request_target", event, extra_args="--exit-code")
    assert out.returncode == 1, out.stderr  # --exit-code mirrors the verdict
    run = world.verdict(head)
    assert run.conclusion == "failure"
    assert "pull request #1 into weak: success" in run.output["summary"]
    assert "pull request #2 into main: failure" in run.output["summary"]
    assert "is below min_percent 90" in run.output["summary"]


def test_retargeting_to_a_stricter_base_runs_the_gate_again(world: World) -> None:
    head = _weak_head(world)
    world.open_pull(1, head, "weak")
    opened = world.run_workflow("pull_request_target", world.pull_event(1, head, "weak"))
    assert opened.returncode == 0, opened.stderr
    assert world.verdict(head).conclusion == "success"
    title_only = world.pull_event(1, head, "weak", action="edited", changes={"title": {}})
    assert world.run_workflow("pull_request_target", title_only).returncode == 0
    assert len(world.gate_runs(head)) == 1  # a title edit changes nothing
    moved = world.pull_event(1, head, "main", action="edited", changes={"base": {}})
    assert world.run_workflow("pull_request_target", moved).returncode == 0
    assert world.verdict(head).conclusion == "failure"


def _queue(world: World, heads: list[str], base_ref: str = "main") -> str:
    """Build GitHub's merge-queue branches for ``heads`` (in order) on origin; the newest
    merge-group commit."""
    git(world.dev, "checkout", "-q", "-B", "queue", f"origin/{base_ref}")
    below = git(world.dev, "rev-parse", "HEAD")
    group = below
    for number, head in enumerate(heads, start=1):
        git(world.dev, "merge", "-q", "--no-ff", "-m", f"merge #{number}", head)
        group = git(world.dev, "rev-parse", "HEAD")
        world.github.add_commits(REPO, group)
        world.push_plain(f"queue:refs/heads/gh-readonly-queue/{base_ref}/pr-{number}-{below}")
        below = group
    return group


def _group_event(world: World, head: str, base_ref: str = "main") -> dict[str, object]:
    base_sha = git(world.dev, "rev-parse", f"origin/{base_ref}")
    return {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": head,
            "head_ref": f"refs/heads/gh-readonly-queue/{base_ref}/pr-2-{base_sha}",
            "base_sha": base_sha,
            "base_ref": f"refs/heads/{base_ref}",
        },
    }


def test_a_merge_group_is_judged_by_each_pull_requests_head(world: World) -> None:
    first = world.commit({"calc.py": CALC + "\n# first\n"}, "first", branch="one")
    world.push("one")
    git(world.dev, "checkout", "-q", "-B", "two", "origin/main")
    second = world.commit({"tests/test_two.py": "def test_two():\n    pass\n"}, "second")
    world.push_plain("two")  # queued without a result
    world.open_pull(1, first, "main")
    world.open_pull(2, second, "main")
    group = _queue(world, [first, second])
    out = world.run_workflow("merge_group", _group_event(world, group))
    assert out.returncode == 0, out.stderr
    run = world.verdict(group)  # posted on the merge-group commit
    assert run.conclusion == "action_required"
    summary = run.output["summary"]
    assert "pull request #1 in the merge queue for main: success" in summary
    assert "pull request #2 in the merge queue for main: action_required" in summary


def test_require_merge_result_demands_a_result_for_the_merge_group_commit(world: World) -> None:
    stricter = world.config(90, "  require_merge_result: true\n")
    world.push_base("main", {".localci.yml": stricter}, "queue: demand merge results")
    head = world.propose("queued", branch="one")
    group = _queue(world, [head])
    event = _group_event(world, group)
    assert world.run_workflow("merge_group", event).returncode == 0
    run = world.verdict(group)
    assert run.conclusion == "action_required"  # the head's result does not count
    assert "merge-group commit into main" in run.output["summary"]
    # The pre-push hook signs the merge-group commit itself (pushed under another name).
    world.push(f"{group}:refs/heads/checked/{group[:12]}")
    assert world.run_workflow("merge_group", event).returncode == 0
    assert world.verdict(group).conclusion == "success"


def test_status_events_use_the_base_policys_own_context(world: World) -> None:
    renamed = world.config(90, "publish:\n  status_context: ci/localci\n")
    world.push_base("main", {".localci.yml": renamed}, "rename the status context")
    head = world.propose("status")
    default = world.run_workflow("status", {"sha": head, "context": "localci"}, honour_if=False)
    assert default.returncode == 0, default.stderr
    assert "status 'localci' is not localci's (ci/localci)" in default.stderr
    assert world.gate_runs(head) == []
    own = world.run_workflow("status", {"sha": head, "context": "ci/localci"}, honour_if=False)
    assert own.returncode == 0, own.stderr
    assert world.verdict(head).conclusion == "success"


def test_a_fork_pull_request_is_gated_from_the_forks_notes(world: World) -> None:
    fork = world.tmp / "fork.git"
    git(world.tmp, "clone", "-q", "--bare", str(world.origin), str(fork))
    git(world.dev, "remote", "add", "fork", str(fork))
    head = world.commit({"calc.py": CALC + "\n# from a fork\n"}, "fork change")
    world.push("feature", remote="fork")  # the contributor can only push to their fork
    world.push_plain(f"{head}:refs/pull/9/head")  # what GitHub keeps for every PR
    world.open_pull(9, head, "main")
    event = world.pull_event(9, head, "main")
    event["pull_request"]["head"]["repo"] = {"full_name": "forker/demo", "clone_url": str(fork)}
    out = world.run_workflow("pull_request_target", event)
    assert out.returncode == 0, out.stderr
    run = world.verdict(head)
    assert run.conclusion == "success", run.output["summary"]
    assert "result from notes" in run.output["summary"]


def test_credentials_that_cannot_write_checks_exit_2_with_what_to_do(world: World) -> None:
    head = world.propose("no key")
    event = world.pull_event(1, head, "main")
    # A run whose ref the environment does not admit gets no key: the read-only token.
    keyless = world.run_workflow("pull_request_target", event, app_key="")
    assert keyless.returncode == 2, keyless.stderr
    assert "the gate cannot create its Check Run" in keyless.stderr
    assert "Only a GitHub App may write Check Runs" in keyless.stderr
    personal = world.github.add_token(TokenKind.CLASSIC, repo=REPO)
    classic = world.run_workflow("pull_request_target", event, app_key="", token=personal)
    assert classic.returncode == 2, classic.stderr
    assert "You must authenticate via a GitHub App" in classic.stderr
    assert world.gate_runs(head) == []


def test_an_unusable_trust_root_posts_failure_with_the_reason(world: World) -> None:
    head = world.propose("trust")
    broken = world.tmp / "broken-trust.json"
    broken.write_text('{"mediaType": "nonsense"}', encoding="utf-8")
    out = world.run_workflow("pull_request_target", world.pull_event(1, head, "main"), trust=broken)
    assert out.returncode == 0, out.stderr
    run = world.verdict(head)
    assert run.conclusion == "failure"
    assert "could not verify the result" in run.output["summary"]


def _app_may_comment(world: World) -> None:
    """Re-install the gate's App with ``pull_requests: write`` (the summary comment)."""
    world.github.add_installation(
        APP_ID,
        INSTALLATION_ID,
        account="octo",
        repos=[REPO],
        permissions={
            "checks": "write",
            "contents": "read",
            "metadata": "read",
            "pull_requests": "write",
        },
    )


def test_a_pull_request_gets_one_summary_comment_updated_in_place(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app_may_comment(world)
    job_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    head = world.propose("reviewed")
    for _ in range(2):
        out = world.run_workflow("pull_request_target", world.pull_event(1, head, "main"))
        assert out.returncode == 0, out.stderr
        assert "summary comment: http" in out.stderr
    comments = world.github.comments(REPO, 1)
    assert len(comments) == 1  # found again by its hidden marker, updated in place
    assert comments[0].body.startswith(MARKER)
    assert head[:12] in comments[0].body
    assert MARKER in job_summary.read_text(encoding="utf-8")


def test_a_refused_comment_is_a_note_and_an_untrusted_result_is_never_commented(
    world: World,
) -> None:
    head = world.propose("reviewed")
    out = world.run_workflow("pull_request_target", world.pull_event(1, head, "main"))
    assert out.returncode == 0, out.stderr  # the App may not comment: still gated
    assert world.verdict(head).conclusion == "success"
    assert "summary comment not posted" in out.stderr
    _app_may_comment(world)
    forged = world.commit({"calc.py": CALC + "\n# unsigned\n"}, "no result")
    world.push_plain("HEAD:refs/heads/feature")
    world.open_pull(2, forged, "main")
    out = world.run_workflow("pull_request_target", world.pull_event(2, forged, "main"))
    assert out.returncode == 0, out.stderr
    assert world.github.comments(REPO, 2) == []


_LINT = """\
  - name: lint
    kind: lint
    run: ["{python}", "-m", "ruff", "check", "--no-cache", "--exit-zero",
          "--output-format=json", "--output-file={reports}/ruff.json", "."]
    report: {format: ruff-json, path: "{reports}/ruff.json"}
    max_findings: 10
verify:
"""


def _with_lint(world: World, min_percent: int, extra: str = "") -> str:
    return world.config(min_percent, extra).replace("verify:\n", _LINT, 1)


def test_annotations_are_only_where_the_pull_request_changed(world: World) -> None:
    # Two bases with an unused import and min_percent 90; the second annotates everything.
    lax = {"calc.py": "import os\n" + CALC, ".localci.yml": _with_lint(world, 90)}
    world.push_base("lax", lax, "an unused import")
    every = _with_lint(world, 90, "publish:\n  annotations: all\n")
    world.push_base("lax-all", {".localci.yml": every}, "annotate all")
    git(world.dev, "checkout", "-q", "-B", "feature", "origin/lax")
    # The head adds untested code in a new file under its own lower threshold: calc.py,
    # the file with the finding, is untouched by the pull request.
    untested = {
        "extra.py": UNTESTED,
        "tests/test_calc.py": "import extra  # noqa: F401\n" + TESTS,
        ".localci.yml": _with_lint(world, 10),
    }
    head = world.commit(untested, "untested code")
    world.push("feature")
    world.open_pull(1, head, "lax")
    out = world.run_workflow("pull_request_target", world.pull_event(1, head, "lax"))
    assert out.returncode == 0, out.stderr
    run = world.verdict(head)
    assert run.conclusion == "failure"
    assert "is below min_percent 90" in run.output["summary"]
    assert not [a for a in run.annotations if a["path"] == "calc.py"]
    moved = world.pull_event(1, head, "lax-all", action="edited", changes={"base": {}})
    world.open_pull(1, head, "lax-all")
    assert world.run_workflow("pull_request_target", moved).returncode == 0
    last = world.verdict(head)
    assert [a for a in last.annotations if a["path"] == "calc.py"]


def test_a_failing_verdict_is_dispatched_with_its_own_token_when_opted_in(world: World) -> None:
    _app_may_comment(world)
    opted = world.config(90, "publish:\n  dispatch_on_failure: true\n")
    world.push_base("main", {".localci.yml": opted}, "dispatch failures")
    head = world.commit(
        {".localci.yml": world.config(10), "calc.py": CALC + UNTESTED},
        "untested code",
        branch="feature",
    )
    world.push("feature")
    world.open_pull(1, head, "main")
    event = world.pull_event(1, head, "main")
    out = world.run_workflow("pull_request_target", event)
    assert out.returncode == 0, out.stderr
    assert "not dispatched: no LOCALCI_DISPATCH_TOKEN" in out.stderr
    assert world.github.dispatches(REPO) == []  # never with the gate's own App
    dispatcher = world.github.add_token(
        TokenKind.ACTIONS, repo=REPO, permissions={"contents": "write", "metadata": "read"}
    )
    out = world.run_workflow("pull_request_target", event, dispatch_token=dispatcher)
    assert out.returncode == 0, out.stderr
    (sent,) = world.github.dispatches(REPO)
    assert sent.event_type == "localci-failure"
    assert (sent.client_payload["sha"], sent.client_payload["pr"]) == (head, 1)
    assert sent.client_payload["failed_checks"] == ["thresholds"]
    assert dispatcher not in json.dumps(sent.client_payload)
    assert dispatcher not in out.stderr
