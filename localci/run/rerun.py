"""``--rerun-failures N``: re-run a tests stage's failed tests by node id, and record the
ones that then pass as *flaky*, never as passed.

Only for stages whose report is JUnit XML: the failed and errored node ids of the first
report are run again with ``{python} -m pytest -q -p no:cacheprovider
--junitxml=<reports>/<stage>-rerun-<k>.xml <ids...>``, where ``{python}`` is the stage's
interpreter (the project's, never localci's own), in the same worktree and with the
stage's environment (:func:`~localci.run.stage.stage_env`), up to ``N`` times, each time
only the ids still failing. A test that passes on a re-run is *flaky*: it leaves
``failed``/``errors`` for ``flaky`` in the counts, its finding becomes a ``warning`` with
rule ``flaky``, and its inventory outcome ``flaky``. Whether flaky tests fail the stage
is the ``max_flaky`` threshold (default 0).
"""

from __future__ import annotations

from dataclasses import replace

from localci.config.loader import StageConfig
from localci.errors import ReportError
from localci.proc import CommandNotFound, run_process
from localci.reports import ReportData, parse_report
from localci.result.model import Finding, Inventory, TestCounts
from localci.run.stage import StageContext, stage_env

__all__ = ["mark_flaky", "rerun_failures"]

_BAD = ("failed", "error")


def _failing(data: ReportData) -> set[str]:
    if data.inventory is None:
        return set()
    return {node for node, outcome in data.inventory.tests if outcome in _BAD}


def rerun_failures(
    stage: StageConfig, ctx: StageContext, data: ReportData, attempts: int
) -> ReportData:
    """``data`` with the tests that passed on one of ``attempts`` re-runs marked flaky.

    A re-run that cannot run or leaves no usable report ends the re-runs; the tests it
    covered stay failed.
    """
    remaining = _failing(data)
    flaky: dict[str, int] = {}
    for k in range(1, attempts + 1):
        if not remaining or ctx.cancel.is_set():
            break
        passed = _rerun_once(stage, ctx, sorted(remaining), k)
        if passed is None:
            break
        flaky |= {node: k for node in passed & remaining}
        remaining -= passed
    return mark_flaky(data, flaky)


def _rerun_once(stage: StageConfig, ctx: StageContext, ids: list[str], k: int) -> set[str] | None:
    report = ctx.reports / f"{stage.name}-rerun-{k}.xml"
    argv = [ctx.python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    argv += [f"--junitxml={report}", *ids]
    cwd = ctx.workspace / stage.cwd if stage.cwd else ctx.workspace
    try:
        run_process(
            argv,
            cwd=cwd,
            env=stage_env(stage, ctx),
            log_path=ctx.logs / f"{stage.name}-rerun-{k}.log",
            timeout=stage.timeout,
            cancel=ctx.cancel,
            redact=ctx.redactor,
        )
        again = parse_report("junit", report, root=ctx.workspace)
    except (CommandNotFound, ReportError):
        return None
    if again.inventory is None:
        return None
    return {node for node, outcome in again.inventory.tests if outcome == "passed"}


def mark_flaky(data: ReportData, flaky: dict[str, int]) -> ReportData:
    """``data`` with each of ``flaky`` (node id -> the re-run it passed on) moved from
    failed/errored to flaky in the counts, findings and inventory."""
    if not flaky or data.tests is None or data.inventory is None:
        return data
    before = dict(data.inventory.tests)
    was_error = sum(1 for node in flaky if before.get(node) == "error")
    was_failed = len(flaky) - was_error
    tests: TestCounts = replace(
        data.tests,
        failed=max(0, data.tests.failed - was_failed),
        errors=max(0, data.tests.errors - was_error),
        flaky=data.tests.flaky + len(flaky),
    )
    inventory = Inventory(
        tests=tuple((n, "flaky" if n in flaky else o) for n, o in data.inventory.tests),
        files=data.inventory.files,
    )
    findings = tuple(_flaky_finding(f, flaky) for f in data.findings)
    return replace(data, tests=tests, inventory=inventory, findings=findings)


def _flaky_finding(f: Finding, flaky: dict[str, int]) -> Finding:
    if f.kind != "test" or f.test_id not in flaky:
        return f
    attempt = flaky[f.test_id]
    message = f"flaky: failed, then passed on re-run {attempt}. First failure: {f.message}"
    return replace(f, rule="flaky", severity="warning", message=message[:4096])
