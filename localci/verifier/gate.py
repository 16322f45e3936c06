"""``localci gate``: what the verifier workflow does, as testable Python.

For each commit under review: the policy is read from the BASE commit (never from the
change under test), the signed result is fetched (notes ref, then Check Run output), the
verifier decides, and the gating Check Run (default ``localci / verify``) is created:
``success`` with a summary of every check; ``failure`` with the failing checks and
annotations re-derived from the signed result; ``action_required`` with instructions when
no result exists. Nothing from the change is executed: git only reads objects.

Which commits (GitHub Actions event payloads, "Events that trigger workflows"):

- ``pull_request``: ``pull_request.head.sha`` against ``pull_request.base.sha``;
- ``status``: only for localci's own status context; the status's ``sha`` against the
  base of every open pull request whose head it is;
- ``workflow_dispatch``: input ``sha``, which must be the head of an open pull request:
  the gate never gates a sha nobody proposed for review.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from localci.errors import UsageError
from localci.publish.deliver import PublishOptions, github_settings
from localci.publish.payloads import CheckRunPayload, annotations_for, text_for, truncate_bytes
from localci.result.digest import sha256_hex
from localci.result.store import utc_now
from localci.verifier.check import Verdict, verify_result
from localci.verifier.sources import commit_config_sha256, config_at, tree_of

__all__ = ["GateOutcome", "GateRequest", "GateTarget", "gate", "git_auth_env", "targets_for"]

DEFAULT_CHECK_NAME = "localci / verify"


@dataclass(frozen=True, kw_only=True)
class GateTarget:
    """A commit to gate (``head``) and the base whose policy applies."""

    head: str
    base: str


@dataclass(frozen=True, kw_only=True)
class GateRequest:
    """Inputs of one gate run; ``publish`` carries the GitHub settings and notes ref."""

    root: Path
    publish: PublishOptions
    check_name: str = DEFAULT_CHECK_NAME
    config_path: str = ".localci.yml"
    event_name: str | None = None
    event: dict[str, Any] | None = None
    sha: str | None = None
    base_sha: str | None = None
    trust_config: Path | None = None
    staging: bool = False
    offline: bool = False
    attest: bool = False
    """Also sign the verdict as a SLSA VSA and store it (:mod:`localci.verifier.evidence`)."""


@dataclass(frozen=True, kw_only=True)
class GateOutcome:
    """What the gate decided for one target and where the Check Run is."""

    target: GateTarget
    conclusion: Literal["success", "failure", "action_required"]
    verdict: Verdict | None
    url: str | None
    reason: str


def git_auth_env(remote_url: str, token: str | None) -> dict[str, str]:
    """Environment that lets git fetch from an https remote with ``token``, without
    writing it to disk (``http.<url>.extraheader`` through ``GIT_CONFIG_*``, the way
    actions/checkout authenticates). Empty for other remotes or without a token."""
    parts = urlsplit(remote_url)
    if not token or parts.scheme != "https" or not parts.hostname:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.https://{parts.hostname}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def targets_for(request: GateRequest, client: Any) -> tuple[list[GateTarget], str]:
    """The commits to gate and a one-line explanation (why none, when empty).

    :raises UsageError: for an event the gate cannot use, or a dispatch of a sha that is
        no open pull request's head.
    """
    if request.sha:
        base = request.base_sha
        if base is None:
            raise UsageError("--sha needs --base-sha: the policy comes from the base commit")
        return [GateTarget(head=request.sha, base=base)], "given on the command line"
    event, name = request.event or {}, request.event_name
    if name in ("pull_request", "pull_request_review"):
        pr = event.get("pull_request") or {}
        return [GateTarget(head=pr["head"]["sha"], base=pr["base"]["sha"])], "pull request"
    if name == "status":
        context = request.publish.publish.status_context
        if event.get("context") != context:
            return [], f"status {event.get('context')!r} is not localci's ({context!r})"
        return _open_pulls(client, str(event["sha"])), "status for an open PR"
    if name == "workflow_dispatch":
        sha = (event.get("inputs") or {}).get("sha")
        if not sha:
            raise UsageError("workflow_dispatch needs the input `sha` (a pull request's head)")
        found = _open_pulls(client, str(sha))
        if not found:
            raise UsageError(
                f"{sha} is not the head of an open pull request; the gate "
                "only verifies commits under review"
            )
        return found, "dispatch of an open PR's head"
    raise UsageError(
        f"the gate does not handle {name!r} events",
        hint="Trigger it on pull_request, status or workflow_dispatch.",
    )


def _open_pulls(client: Any, sha: str) -> list[GateTarget]:
    pulls = client.pulls_for_commit(sha)
    return [
        GateTarget(head=sha, base=p["base_sha"])
        for p in pulls
        if p["state"] == "open" and p["head_sha"] == sha
    ]


def gate(request: GateRequest) -> list[GateOutcome]:
    """Gate every target of ``request``; post one Check Run each.

    :raises UsageError, DeliveryError: when GitHub cannot be reached or refuses.
    """
    from localci.publish.github import GitHubClient

    with GitHubClient(github_settings(request.publish)) as client:
        targets, _ = targets_for(request, client)
        return [_gate_one(request, client, t) for t in targets]


def _gate_one(request: GateRequest, client: Any, target: GateTarget) -> GateOutcome:
    from localci.publish.fetch import fetch_result

    policy = config_at(request.root, target.base, request.config_path)
    publish = replace(
        request.publish,
        publish=replace(request.publish.publish, notes_ref=policy.publish.notes_ref),
    )
    try:
        fetched = fetch_result(request.root, target.head, publish, local=False)
    except UsageError as exc:
        return _post(client, request, target, None, "action_required", exc.message)
    tree = tree_of(request.root, target.head)
    verdict = verify_result(
        result_doc=fetched.note.result,
        bundle_json=fetched.note.bundle_json(),
        test_result_bundle_json=fetched.note.test_result_bundle_json(),
        policy=policy,
        sha=target.head,
        tree=tree,
        commit_config_sha256=commit_config_sha256(request.root, target.head, request.config_path),
        trust_config=request.trust_config,
        staging=request.staging,
        offline=request.offline,
    )
    conclusion: Literal["success", "failure"] = "success" if verdict.accepted else "failure"
    reason = f"result from {fetched.channel}; policy from base {target.base[:12]}"
    if request.attest and request.publish.repo is not None:
        from localci.verifier.evidence import EvidenceRequest, gate_identity, store_evidence

        evidence = EvidenceRequest(
            repo=request.publish.repo,
            head=target.head,
            base=target.base,
            policy=policy,
            note=fetched.note,
            verdict=verdict,
            trust_config=request.trust_config,
            staging=request.staging,
            verifier_id=gate_identity(),
        )
        reason += "; " + store_evidence(client, evidence)
    return _post(client, request, target, verdict, conclusion, reason)


def _post(
    client: Any,
    request: GateRequest,
    target: GateTarget,
    verdict: Verdict | None,
    conclusion: Literal["success", "failure", "action_required"],
    reason: str,
) -> GateOutcome:
    payload = _payload(request, target, verdict, conclusion, reason)
    posted = client.post_check_run(payload)
    return GateOutcome(
        target=target, conclusion=conclusion, verdict=verdict, url=posted.url, reason=reason
    )


def _payload(
    request: GateRequest,
    target: GateTarget,
    verdict: Verdict | None,
    conclusion: str,
    reason: str,
) -> CheckRunPayload:
    now = utc_now()
    identity = {
        "head": target.head,
        "base": target.base,
        "conclusion": conclusion,
        "verdict": verdict.to_dict() if verdict else None,
        "reason": reason,
    }
    if verdict is None:
        title = "localci: no result for this commit"
        summary = (
            f"No localci result was found for `{target.head}` ({reason}).\n\n"
            "Run on your machine, in a clean checkout of this commit:\n\n"
            "```sh\nlocalci run --sign --post-results\n```\n\n"
            "or install the pre-push hook (`localci hook install`) so every push carries "
            "a signed result."
        )
        return CheckRunPayload(
            name=request.check_name,
            head_sha=target.head,
            external_id=sha256_hex(identity),
            conclusion=conclusion,
            started_at=now,
            completed_at=now,
            title=title,
            summary=summary,
            text=summary,
            annotations=(),
        )
    failed = verdict.failed
    title = (
        "localci: verified"
        if verdict.accepted
        else f"localci: rejected ({', '.join(c.name for c in failed)})"
    )
    lines = [
        f"**{title}**",
        "",
        f"Commit `{target.head}`; policy from base `{target.base}`; {reason}.",
    ]
    if verdict.signer:
        lines.append(f"Signed by `{verdict.signer}` (issuer `{verdict.issuer}`).")
    lines += ["", "| Check | Result | Reason |", "|---|---|---|"]
    lines += [
        f"| {c.name} | {'✅ pass' if c.passed else '❌ fail'} | {c.reason} |"
        for c in verdict.checks
    ]
    result = verdict.result
    trusted = result is not None and not (
        {"schema", "signature", "subject"} & {c.name for c in failed}
    )
    annotations = annotations_for(result) if trusted and result is not None else ()
    text = (
        text_for(result)
        if trusted and result is not None
        else "\n".join(f"- {c.name}: {c.reason}" for c in failed) or "All checks passed."
    )
    return CheckRunPayload(
        name=request.check_name,
        head_sha=target.head,
        external_id=sha256_hex(identity),
        conclusion=conclusion,
        started_at=now,
        completed_at=now,
        title=title[:255],
        summary=truncate_bytes("\n".join(lines)),
        text=text,
        annotations=annotations if not verdict.accepted else (),
    )


def load_event(path: Path | None) -> dict[str, Any]:
    """The event payload GitHub Actions wrote to ``GITHUB_EVENT_PATH`` (``{}`` if none).

    :raises UsageError: when the file is unreadable or not JSON.
    """
    if path is None:
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the event payload: {exc}") from None
    return doc if isinstance(doc, dict) else {}
