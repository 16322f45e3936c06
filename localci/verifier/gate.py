"""``localci gate``: what the verifier workflow does, as testable Python.

The steps, each a function with typed input and output (another step, such as a pull
request comment, hooks in after :func:`decide`):

1. :func:`~localci.verifier.targets.targets_for`: which heads to gate and, for each, every
   judgement (a result under a base's policy) that decides it;
2. :func:`decide`: :func:`~localci.verifier.judge.judge` each one and take the strictest
   conclusion (``failure`` > ``action_required`` > ``success``);
3. :func:`attest` (with ``--attest``): sign each verdict as a SLSA VSA and store it;
4. :func:`~localci.verifier.gate_report.gate_payload`: the Check Run's content, with
   annotations only where the change is (``publish.annotations``);
5. :func:`post`: create the Check Run (default name ``localci / verify``) with the
   credentials given: the user's own GitHub App in the verifier workflow
   (docs/threat-model.md explains why not the Actions token);
6. :func:`share`: for a pull request event, the PR summary comment (with deltas against
   the base's result) and ``$GITHUB_STEP_SUMMARY``, best-effort.

The policy always comes from a BASE commit, never from the change under test; nothing
from the change is executed: git only reads objects.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localci.config.loader import Config
from localci.errors import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    LocalciError,
    UsageError,
)
from localci.publish.deliver import PublishOptions, github_settings
from localci.publish.payloads import CheckRunPayload
from localci.result.model import Result
from localci.verifier.check import Verdict
from localci.verifier.gate_report import gate_payload
from localci.verifier.judge import Conclusion, JudgeContext, Judgement, judge, strictest
from localci.verifier.sources import config_at
from localci.verifier.targets import GateTarget, TargetRequest, targets_for

__all__ = [
    "DEFAULT_CHECK_NAME",
    "GateOutcome",
    "GateRequest",
    "GateRun",
    "decide",
    "gate",
    "git_auth_env",
    "load_event",
    "post",
    "share",
]

DEFAULT_CHECK_NAME = "localci / verify"


@dataclass(frozen=True, kw_only=True)
class GateRequest:
    """Inputs of one gate run; ``publish`` carries the GitHub settings and the remote."""

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
    dispatch_token: str | None = field(default=None, repr=False)
    """Own token (``contents: write``) for the ``localci-failure`` dispatch."""
    attest: bool = False
    """Also sign each verdict as a SLSA VSA and store it (:mod:`localci.verifier.evidence`)."""


@dataclass(frozen=True, kw_only=True)
class GateOutcome:
    """What the gate decided for one target, and where its Check Run is."""

    target: GateTarget
    conclusion: Conclusion
    judgements: tuple[Judgement, ...]
    url: str | None = None
    notes: tuple[str, ...] = ()
    """What else was done for the pull request (summary comment), or refused."""

    @property
    def reason(self) -> str:
        """One line: the problem, or each judgement's label and conclusion."""
        if self.target.problem is not None:
            return self.target.problem
        return "; ".join(f"{j.subject.label}: {j.conclusion}" for j in self.judgements)

    @property
    def verdict(self) -> Verdict | None:
        """The verdict of the strictest judgement that has one."""
        ranked = [j for j in self.judgements if j.verdict is not None]
        ranked.sort(key=lambda j: j.conclusion != self.conclusion)
        return ranked[0].verdict if ranked else None

    @property
    def exit_code(self) -> int:
        """0 for ``success``; else the worst verdict's code (4 integrity, 1 policy), or 1."""
        if self.conclusion == "success":
            return EXIT_OK
        codes = [j.verdict.exit_code for j in self.judgements if j.verdict is not None]
        return max([EXIT_CHECK_FAILED, *codes])


@dataclass(frozen=True, kw_only=True)
class GateRun:
    """Every outcome of one gate run; ``note`` says why there is none, when empty."""

    outcomes: tuple[GateOutcome, ...]
    note: str = ""

    @property
    def exit_code(self) -> int:
        """The worst outcome's :attr:`GateOutcome.exit_code` (0 with none)."""
        return max((o.exit_code for o in self.outcomes), default=EXIT_OK)


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


def gate(request: GateRequest) -> GateRun:
    """Gate every target of ``request``; post one Check Run each.

    :raises UsageError: for an unusable event, or credentials that cannot write Check
        Runs (a personal token, or a read-only workflow token): exit 2, with what to do.
    :raises DeliveryError: when GitHub stays unreachable.
    """
    from localci.publish.github import GitHubClient

    with GitHubClient(github_settings(request.publish)) as client:
        targets, note = targets_for(_target_request(request), client, _policy_reader(request))
        outcomes = [decide(request, t) for t in targets]
        if request.attest:
            outcomes = [attest(client, request, o) for o in outcomes]
        posted = [post(client, request.check_name, o, root=request.root) for o in outcomes]
        return GateRun(outcomes=tuple(share(client, request, o) for o in posted), note=note)


def _target_request(request: GateRequest) -> TargetRequest:
    return TargetRequest(
        root=request.root,
        remote=request.publish.publish.remote,
        event_name=request.event_name,
        event=request.event,
        sha=request.sha,
        base_sha=request.base_sha,
        git_env=dict(request.publish.git_env),
    )


def _policy_reader(request: GateRequest) -> Any:
    def policy_at(base: str) -> Config | None:
        try:
            return config_at(request.root, base, request.config_path)
        except LocalciError:
            return None

    return policy_at


def decide(request: GateRequest, target: GateTarget) -> GateOutcome:
    """Judge every subject of ``target``; the conclusion is the strictest of them
    (``failure`` when the target has a problem or nothing to judge)."""
    ctx = JudgeContext(
        root=request.root,
        publish=request.publish,
        config_path=request.config_path,
        trust_config=request.trust_config,
        staging=request.staging,
        offline=request.offline,
    )
    judgements = tuple(judge(ctx, s) for s in target.subjects)
    conclusion: Conclusion = (
        "failure" if target.problem else strictest([j.conclusion for j in judgements])
    )
    return GateOutcome(target=target, conclusion=conclusion, judgements=judgements)


def attest(client: Any, request: GateRequest, outcome: GateOutcome) -> GateOutcome:
    """Sign every verdict of ``outcome`` as a SLSA VSA and store it with the result's
    bundles in GitHub's attestation store; each judgement's reason says what happened."""
    from localci.verifier.evidence import EvidenceRequest, gate_identity, store_evidence

    if request.publish.repo is None:
        return outcome
    judged = []
    for j in outcome.judgements:
        if j.verdict is None or j.note is None or j.policy is None:
            judged.append(j)
            continue
        evidence = EvidenceRequest(
            repo=request.publish.repo,
            head=j.subject.sha,
            base=j.subject.base,
            policy=j.policy,
            note=j.note,
            verdict=j.verdict,
            trust_config=request.trust_config,
            staging=request.staging,
            verifier_id=gate_identity(),
        )
        judged.append(replace(j, reason=f"{j.reason}; {store_evidence(client, evidence)}"))
    return replace(outcome, judgements=tuple(judged))


def post(
    client: Any, check_name: str, outcome: GateOutcome, *, root: Path | None = None
) -> GateOutcome:
    """Create the gating Check Run for ``outcome``; the outcome with its URL. With
    ``root``, annotations are only where the change is (``publish.annotations``).

    :raises UsageError: when the credentials cannot write Check Runs.
    """
    from localci.publish.github import CheckRunsForbidden
    from localci.verifier.gate_share import narrow_annotations

    narrow = None
    if root is not None:
        where = root

        def narrow(j: Judgement, result: Result) -> Result:
            return narrow_annotations(where, j, result)

    payload: CheckRunPayload = gate_payload(
        check_name, outcome.target, outcome.conclusion, outcome.judgements, narrow=narrow
    )
    try:
        posted = client.post_check_run(payload)
    except CheckRunsForbidden as exc:
        raise UsageError(
            f"the gate cannot create its Check Run: {exc.message}",
            hint="Only a GitHub App may write Check Runs. Give the gate the App's "
            "credentials (--app-id and --app-private-key, or LOCALCI_APP_ID and "
            "LOCALCI_APP_PRIVATE_KEY in the workflow's environment), installed with "
            "checks: write; a personal token cannot, and a workflow token is read-only "
            "for pull requests from forks. See docs/threat-model.md.",
        ) from None
    return replace(outcome, url=posted.url)


def share(client: Any, request: GateRequest, outcome: GateOutcome) -> GateOutcome:
    """After the Check Run: for a pull request event, the summary comment and job summary
    (:mod:`localci.verifier.gate_share`); the outcome with one note per thing done."""
    from localci.verifier.gate_share import share_judgements

    notes = share_judgements(
        client,
        request.root,
        request.publish,
        outcome.target.event,
        outcome.judgements,
        dispatch_token=request.dispatch_token,
    )
    return replace(outcome, notes=outcome.notes + notes)


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
