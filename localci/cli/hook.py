"""``localci hook install|uninstall|run``: the pre-push hook."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["hook"]


@click.group()
def hook() -> None:
    """The pre-push hook: run, sign and publish before a push leaves the machine."""


@hook.command("install")
@click.option("--force", is_flag=True, help="Replace a foreign pre-push hook (not kept).")
def hook_install(force: bool) -> None:
    """Install the pre-push hook (core.hooksPath respected; a foreign hook is kept as
    pre-push.legacy and still run first)."""
    from localci.hooks.prepush import install_in

    click.echo(f"installed {install_in(Path.cwd(), force=force)}")


@hook.command("uninstall")
def hook_uninstall() -> None:
    """Remove localci's pre-push hook (and restore a legacy one)."""
    from localci.hooks.prepush import uninstall_in

    removed = uninstall_in(Path.cwd())
    click.echo("removed the pre-push hook" if removed else "no localci pre-push hook found")


@hook.command("run", hidden=True)
@click.argument("hook_type", type=click.Choice(["pre-push"]))
@click.argument("remote", required=False)
@click.argument("url", required=False)
def hook_run(hook_type: str, remote: str | None, url: str | None) -> None:
    """What the installed hook calls: git passes REMOTE and URL and the pushed refs on
    stdin; pre-commit passes nothing and sets PRE_COMMIT_* variables instead."""
    from localci.hooks.prepush import pre_push_in
    from localci.run.console import ConsoleReporter

    code = pre_push_in(
        Path.cwd(),
        remote,
        lambda: sys.stdin.read().splitlines(),
        reporter=ConsoleReporter(),
    )
    sys.exit(code)
