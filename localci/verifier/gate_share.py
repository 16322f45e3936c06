"""What the gate adds for a pull request once it has decided: annotations only where the
change is, the PR summary comment with the job summary, and the opt-in ``localci-failure``
dispatch.

- :func:`narrow_annotations`: the result whose findings become the gating Check Run's
  annotations, filtered by the base policy's ``publish.annotations`` on the diff of the
  judged head against its base (:func:`localci.context.pr.changed_only`); the Check Run's
  summary and text still count everything.
- :func:`share_outcome`: for every judgement of a pull request event (not a merge group,
  whose pull requests were already summarised), post or update the summary comment with
  deltas against the base's result and append it to ``$GITHUB_STEP_SUMMARY``.

Only a result whose schema, signature and subject verified is ever shared: nothing from
an untrusted document reaches a comment. Sharing is best-effort: a refused comment
becomes a note, never a gate failure, since the Check Run is what branch protection reads.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from localci.context.pr import PullRequest, changed_only, share_verdict
from localci.publish.deliver import PublishOptions
from localci.result.model import Result
from localci.verifier.judge import Judgement

__all__ = ["PR_EVENTS", "narrow_annotations", "share_judgements", "trusted_result"]

PR_EVENTS = ("pull_request_target", "pull_request")
"""Events whose outcome is shared on the pull request."""


def trusted_result(j: Judgement) -> Result | None:
    """The judgement's result when its schema, signature and subject held, else ``None``."""
    if j.verdict is None or j.verdict.result is None:
        return None
    if {"schema", "signature", "subject"} & {c.name for c in j.verdict.failed}:
        return None
    return j.verdict.result


def narrow_annotations(root: Path, j: Judgement, result: Result) -> Result:
    """``result`` with only the findings ``publish.annotations`` of the judgement's base
    policy lets through on the diff of its head against its base (unchanged without a
    policy or when the diff cannot be computed)."""
    if j.policy is None:
        return result
    return changed_only(root, j.subject.base, j.subject.sha, result, j.policy.publish)


def share_judgements(
    client: Any,
    root: Path,
    options: PublishOptions,
    event: str,
    judgements: tuple[Judgement, ...],
    dispatch_token: str | None = None,
) -> tuple[str, ...]:
    """Share every trusted judgement of a pull request event (:data:`PR_EVENTS`) on its
    pull request; one note per thing done or refused. A failing verdict is dispatched
    as ``localci-failure`` (``publish.dispatch_on_failure``) only with ``dispatch_token``,
    its own token: the gate's App never needs ``contents: write``."""
    if event not in PR_EVENTS:
        return ()
    notes: list[str] = []
    for j in judgements:
        result = trusted_result(j)
        if j.subject.pull is None or j.policy is None or j.verdict is None or result is None:
            continue
        pr = PullRequest(
            number=j.subject.pull, head=j.subject.sha, base=j.subject.base, repository=options.repo
        )
        publish = j.policy.publish
        if publish.dispatch_on_failure and dispatch_token is None:
            publish = replace(publish, dispatch_on_failure=False)
            if not j.verdict.accepted:
                notes.append("localci-failure not dispatched: no LOCALCI_DISPATCH_TOKEN")
        notes += share_verdict(
            client,
            root,
            pr,
            result,
            accepted=j.verdict.accepted,
            failed_checks=tuple(c.name for c in j.verdict.failed),
            publish=publish,
            options=options,
            dispatch_token=dispatch_token,
        )
    return tuple(notes)
