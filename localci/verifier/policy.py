"""The policy checks: ``complete``, ``age``, ``stages`` and ``thresholds``.

All are decided under the POLICY's configuration (in a gate: the base branch's), from
the result's raw facts. The document's own ``status``, ``conclusion`` and ``passed``
flags are never trusted; a stage whose recorded status disagrees with the recomputed
verdict fails too (a stage the runner judged failed for a reason the verifier cannot
see is still failed).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from localci.config.loader import Config, StageConfig
from localci.config.thresholds import describe_failure, evaluate, report_is_clean
from localci.reports.exits import report_exit_codes
from localci.result.model import Result, StageResult
from localci.verifier.checklist import Checklist

__all__ = ["CLOCK_SKEW", "check_policy", "human", "parse_time", "stage_problems"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a result's ``finished_at`` may lie (clocks differ)."""


def check_policy(run: Checklist, result: Result, policy: Config, now: datetime) -> None:
    """Record ``complete``, ``age``, ``stages`` and ``thresholds`` for ``result``."""
    if result.partial:
        run.add("complete", False, "a partial run (--stage/--skip) never satisfies the gate")
    else:
        run.add("complete", True, "every configured stage was selected")
    _check_age(run, result, policy, now)
    _check_stages(run, result, policy)
    _check_thresholds(run, result, policy)


_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z")


def parse_time(text: str) -> datetime | None:
    """A result timestamp (``2026-11-21T04:00:00.123456Z``) as an aware UTC datetime.

    The schema allows any number of fraction digits (RFC 3339; Go writes nanoseconds), and
    its ``format: date-time`` is only enforced when jsonschema has a date-time checker
    installed, so a pattern-valid impossible time (month 13) can get here: ``None`` then.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    try:
        moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    micro = int((match.group(2) or "")[:6].ljust(6, "0"))
    return moment.replace(microsecond=micro, tzinfo=timezone.utc)


def _check_age(run: Checklist, result: Result, policy: Config, now: datetime) -> None:
    finished = parse_time(result.finished_at)
    if finished is None:
        run.add("age", False, f"finished_at {result.finished_at!r} is not a valid UTC time")
        return
    age = now - finished
    if finished - now > CLOCK_SKEW:
        run.add(
            "age",
            False,
            f"finished at {result.finished_at}, in the future by "
            f"{human(-age)} (clock skew allowed: {human(CLOCK_SKEW)})",
        )
    elif policy.verify.max_age is not None and age > timedelta(seconds=policy.verify.max_age):
        run.add(
            "age",
            False,
            f"{human(age)} old; the policy allows at most "
            f"{human(timedelta(seconds=policy.verify.max_age))}",
        )
    else:
        limit = (
            f" (max_age {human(timedelta(seconds=policy.verify.max_age))})"
            if policy.verify.max_age is not None
            else ""
        )
        run.add("age", True, f"{human(max(age, timedelta(0)))} old{limit}")


def human(delta: timedelta) -> str:
    """``delta`` for people: ``42s``, ``3.5m``, ``2.0h``, ``1.5d``."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds}s"


def _check_stages(run: Checklist, result: Result, policy: Config) -> None:
    problems = []
    for name in policy.verify.required_stages:
        stage = result.stage(name)
        if stage is None:
            problems.append(f"required stage {name!r} is missing")
        elif stage.status == "skipped":
            problems.append(f"required stage {name!r} was skipped ({stage.reason})")
    if problems:
        run.add("stages", False, "; ".join(problems))
    else:
        names = ", ".join(policy.verify.required_stages) or "none"
        run.add("stages", True, f"required stages present: {names}")


def _check_thresholds(run: Checklist, result: Result, policy: Config) -> None:
    problems: list[str] = []
    for wanted in policy.stages:
        stage = result.stage(wanted.name)
        if stage is None or stage.status == "skipped":
            continue  # reported by the `stages` check when required
        problems += stage_problems(wanted, stage)
    if problems:
        run.add("thresholds", False, "; ".join(problems))
    else:
        run.add(
            "thresholds",
            True,
            "every stage's verdict (exit code, timeout, report, thresholds) holds when "
            "recomputed under this policy",
        )


def stage_problems(wanted: StageConfig, stage: StageResult) -> list[str]:
    """Why ``stage`` does not pass under ``wanted``, recomputed from its raw facts.

    In order: the kind must match; a timeout or a stage that never ran fails; a
    ``command`` stage must exit 0; a report stage must exit with a code after which its
    tool has written the report (the policy stage's ``report_exit_codes``, else the
    tool's own, :func:`localci.reports.exits.report_exit_codes`), carry its metrics (the
    report's evidence), not exit non-zero over a clean report, and meet every threshold. When
    all of that holds, a recorded status other than ``passed`` is a disagreement and
    fails too. ``[]`` means the stage passes.
    """
    name = stage.name
    if stage.kind != wanted.kind:
        return [f"{name}: is a {stage.kind} stage, the policy expects {wanted.kind}"]
    if stage.status == "timed_out":
        return [f"{name}: timed out ({stage.reason or 'no reason recorded'})"]
    code = stage.exit_code
    if code is None:
        return [f"{name}: never ran to completion ({stage.reason or stage.status})"]
    problems = (
        _command_problems(stage, code)
        if wanted.kind == "command"
        else _report_problems(wanted, stage, code)
    )
    if not problems and stage.status != "passed":
        reason = f": {stage.reason}" if stage.reason else ""
        problems = [f"{name}: recorded as {stage.status}{reason}"]
    return problems


def _command_problems(stage: StageResult, code: int) -> list[str]:
    return [] if code == 0 else [f"{stage.name}: exited with {code}"]


def _report_problems(wanted: StageConfig, stage: StageResult, code: int) -> list[str]:
    argv = wanted.run.split() if isinstance(wanted.run, str) else wanted.run
    allowed = wanted.report_exit_codes or report_exit_codes(wanted.kind, argv)
    if code not in allowed:
        codes = ", ".join(map(str, sorted(allowed)))
        return [f"{stage.name}: exited with {code}; its report counts only after exit {codes}"]
    present = {
        "tests": stage.metrics.tests,
        "coverage": stage.metrics.coverage,
        "lint": stage.metrics.lint,
    }[wanted.kind]
    if present is None:
        # A report stage without its metrics produced no evidence (it errored or timed
        # out), whether or not the policy sets a threshold for it.
        return [f"{stage.name}: no {wanted.kind} metrics to check ({stage.reason or stage.status})"]
    outcomes = evaluate(wanted, stage.metrics)
    problems = [f"{stage.name}: {describe_failure(o)}" for o in outcomes if not o.passed]
    if not problems and code != 0 and report_is_clean(stage.metrics):
        problems.append(
            f"{stage.name}: exited with {code} although its report shows no failures "
            "(another command in the stage failed)"
        )
    return problems
