"""The gating Check Run's content: one run per head, the strictest conclusion over every
judgement, and a section per judgement (which base, which result, every check).

Limits (REST docs, "Create a check run"): ``output.title`` is kept under 255 characters,
``summary`` and ``text`` under 65535 bytes (:func:`~localci.publish.payloads.truncate_bytes`).
Annotations come only from a result whose signature and subject verified, and only when
the conclusion is not ``success``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localci.publish.payloads import CheckRunPayload, annotations_for, text_for, truncate_bytes
from localci.result.digest import sha256_hex
from localci.result.model import Result
from localci.result.store import utc_now
from localci.verifier.judge import RANK, Conclusion, Judgement
from localci.verifier.targets import GateTarget

__all__ = ["NEXT_STEPS", "gate_payload", "title_for"]

NEXT_STEPS = (
    "Run on your machine, in a clean checkout of this commit:\n\n"
    "```sh\nlocalci run --sign --post-results\n```\n\n"
    "or install the pre-push hook (`localci hook install`) so every push carries "
    "a signed result."
)
_MARK = {"success": "✅", "failure": "❌", "action_required": "⏳"}


def title_for(
    conclusion: Conclusion, judgements: tuple[Judgement, ...], problem: str | None
) -> str:
    """``localci: verified`` / ``localci: rejected (checks…)`` / ``localci: no result…``."""
    if problem is not None:
        return "localci: cannot verify this merge group"
    if conclusion == "success":
        return "localci: verified"
    if conclusion == "action_required":
        return "localci: no result for this commit"
    failed = sorted({c.name for j in judgements if j.verdict for c in j.verdict.failed})
    return f"localci: rejected ({', '.join(failed)})" if failed else "localci: rejected"


def gate_payload(
    check_name: str,
    target: GateTarget,
    conclusion: Conclusion,
    judgements: tuple[Judgement, ...],
    *,
    narrow: Callable[[Judgement, Result], Result] | None = None,
) -> CheckRunPayload:
    """The Check Run for ``target``; ``external_id`` digests everything it states, so a
    re-run with the same outcome resumes the same run instead of adding one. ``narrow``
    filters the findings that become annotations (the summary and text keep them all)."""
    title = title_for(conclusion, judgements, target.problem)
    lines = [f"**{title}**", "", f"Commit `{target.head}` ({target.event})."]
    if target.problem is not None:
        lines += ["", target.problem]
    for judgement in judgements:
        lines += ["", *_section(judgement)]
    if conclusion == "action_required":
        lines += ["", NEXT_STEPS]
    worst_j = _worst_trusted(judgements) if conclusion != "success" else None
    worst = worst_j.verdict.result if worst_j is not None and worst_j.verdict else None
    shown = narrow(worst_j, worst) if narrow and worst_j and worst else worst
    identity = {
        "head": target.head,
        "conclusion": conclusion,
        "problem": target.problem,
        "judgements": [_identity(j) for j in judgements],
    }
    now = utc_now()
    summary = truncate_bytes("\n".join(lines))
    return CheckRunPayload(
        name=check_name,
        head_sha=target.head,
        external_id=sha256_hex(identity),
        conclusion=conclusion,
        started_at=now,
        completed_at=now,
        title=title[:255],
        summary=summary,
        text=_text(worst, judgements, summary),
        annotations=annotations_for(shown) if shown is not None else (),
    )


def _section(j: Judgement) -> list[str]:
    lines = [f"### {_MARK[j.conclusion]} {j.subject.label}: {j.conclusion}"]
    lines.append(f"Result for `{j.subject.sha}`; policy from base `{j.subject.base}`; {j.reason}.")
    verdict = j.verdict
    if verdict is None:
        return lines
    if verdict.signer:
        lines.append(f"Signed by `{verdict.signer}` (issuer `{verdict.issuer}`).")
    lines += ["", "| Check | Result | Reason |", "|---|---|---|"]
    lines += [
        f"| {c.name} | {'✅ pass' if c.passed else '❌ fail'} | {c.reason} |"
        for c in verdict.checks
    ]
    lines += [f"\n⚠️ {w}" for w in verdict.warnings]
    return lines


def _worst_trusted(judgements: tuple[Judgement, ...]) -> Judgement | None:
    """The strictest judgement whose signature and subject verified."""
    trusted = [
        j
        for j in judgements
        if j.verdict is not None
        and j.verdict.result is not None
        and not ({"schema", "signature", "subject"} & {c.name for c in j.verdict.failed})
    ]
    return max(trusted, key=lambda j: RANK[j.conclusion], default=None)


def _text(worst: Result | None, judgements: tuple[Judgement, ...], summary: str) -> str:
    """The failing result's own report when it can be trusted, else the failed checks."""
    if worst is not None:
        return text_for(worst)
    return _failed_text(judgements) or summary


def _failed_text(judgements: tuple[Judgement, ...]) -> str:
    return "\n".join(
        f"- {j.subject.label}: {c.name}: {c.reason}"
        for j in judgements
        if j.verdict is not None
        for c in j.verdict.failed
    )


def _identity(j: Judgement) -> dict[str, Any]:
    return {
        "sha": j.subject.sha,
        "base": j.subject.base,
        "conclusion": j.conclusion,
        "reason": j.reason,
        "verdict": j.verdict.to_dict() if j.verdict else None,
    }
