"""How commands print what the core returned (stdout for documents, stderr for progress)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from localci.attest.document import SignOutcome
    from localci.publish.deliver import ChannelOutcome, PublishReport
    from localci.publish.flow import RunReport
    from localci.verifier.check import Verdict

__all__ = [
    "emit_json",
    "print_channels",
    "print_checks",
    "print_outcomes",
    "print_run_report",
    "print_signed",
]


def emit_json(doc: Any) -> None:
    """``doc`` as indented JSON on stdout."""
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def print_signed(outcome: SignOutcome) -> None:
    """Who signed and where the bundles are (stderr)."""
    click.echo(f"signed by {outcome.identity} (issuer {outcome.issuer})", err=True)
    click.echo(f"bundle: {outcome.bundle_path}", err=True)
    if outcome.test_result_bundle_path is not None:
        click.echo(f"test-result bundle: {outcome.test_result_bundle_path}", err=True)


def print_checks(verdict: Verdict, *, err: bool) -> None:
    """One line per verifier check."""
    for check in verdict.checks:
        mark = "ok  " if check.passed else "FAIL"
        click.echo(f"  {mark} {check.name:<11} {check.reason}", err=err)
    for warning in verdict.warnings:
        click.echo(f"  warning: {warning}", err=True)


def print_outcomes(outcomes: Iterable[ChannelOutcome]) -> None:
    """One line per publish channel (stderr)."""
    for o in outcomes:
        where = f" {o.url}" if o.url else ""
        click.echo(f"  {o.channel}: {o.state}: {o.message}{where}", err=True)


def print_channels(drained: Iterable[ChannelOutcome], published: PublishReport | None) -> None:
    """What ``run`` and ``post`` published (stderr): the spooled posts delivered first
    (``drained``), then each channel of this result (``published``, when it was posted)."""
    print_outcomes(drained)
    if published is not None:
        print_outcomes(published.outcomes)


def print_run_report(report: RunReport, *, as_json: bool) -> None:
    """What ``localci run`` did: who signed, the result (the document on stdout with
    ``as_json``, else the table and its path on stderr), then each publish channel."""
    from localci.result.render import render_result

    if report.signed is not None:
        print_signed(report.signed)
    if as_json:
        emit_json(report.outcome.document)
    else:
        click.echo(render_result(report.outcome.result), err=True)
        click.echo(f"result: {report.outcome.result_path}", err=True)
    print_channels(report.drained, report.published)
