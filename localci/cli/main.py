"""The ``localci`` command group and entry point: parse, dispatch, print, exit.

One module per command (``run``, ``show``, ``init``, ``config``, ``post``, ``fetch``,
``context``, ``sign``, ``verify``, ``hook``, ``gate``); each parses its flags, builds one
typed request and calls one core function. Only ``localci.cli`` imports click. Errors
from the core are :class:`~localci.errors.LocalciError` subclasses; :func:`main` prints
their diagnostics once and exits with their code. A traceback is shown only with
``--debug`` or for a true bug (exit 3). Heavy modules are imported inside the
commands that need them, so ``localci --help`` starts fast.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import traceback
from typing import NoReturn

import click

from localci import __version__
from localci.cli.config import config_cmd
from localci.cli.context import context
from localci.cli.fetch import fetch
from localci.cli.gate import gate
from localci.cli.hook import hook
from localci.cli.init import init
from localci.cli.post import post
from localci.cli.run import run
from localci.cli.setup import setup
from localci.cli.show import show
from localci.cli.sign import sign
from localci.cli.verify import verify
from localci.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    LocalciError,
    environment_error,
)
from localci.proc import stop_on_signals
from localci.redact import redacted_console

__all__ = ["cli", "main"]

_DEBUG = {"on": False}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="localci")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Run your project's CI on your machine, bind the result to the commit, sign and
    publish it, and let GitHub gate merges on it.

    \b
    Exit codes: 0 passed · 1 a check or threshold failed · 2 usage or configuration error
    · 3 internal error · 4 verification failed · 5 GitHub or git remote unreachable
    (result spooled) · 130 interrupted.
    """
    _DEBUG["on"] = debug
    if not debug:
        # sigstore logs advice meant for its own CLI (e.g. offline TUF notices) at WARNING.
        logging.getLogger("sigstore").setLevel(logging.ERROR)


for _command in (
    run,
    show,
    init,
    config_cmd,
    sign,
    verify,
    post,
    fetch,
    context,
    hook,
    gate,
    setup,
):
    cli.add_command(_command)


def entry() -> NoReturn:
    """The ``localci`` command (and ``python -m localci``): :func:`main`, then a fast exit.

    Once :func:`main` has finished (every file written and closed, every stage process
    gone), the exit handlers run and the process ends with :func:`os._exit`, skipping the
    interpreter's teardown of every module and object, which costs ~0.2 s after a run
    that parsed a large report (mypy ends the same way, its ``--fast-exit``). Tests call
    :func:`main`, which exits normally.
    """
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # as the interpreter does for a non-integer code
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken pipe: nothing to save
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code or 0)


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the CLI and turn every outcome into an exit code.

    Everything printed passes :class:`~localci.redact.RedactingWriter` (no credential
    reaches the terminal, whatever raised); SIGTERM and SIGHUP stop a run like Ctrl-C.
    """
    with redacted_console(), stop_on_signals():
        _main(argv)


def _main(argv: list[str] | None) -> NoReturn:
    try:
        code = cli.main(args=argv, prog_name="localci", standalone_mode=False)
    except LocalciError as exc:
        _fail(exc.diagnostics(), exc.exit_code)
    except click.exceptions.Abort:
        _fail("interrupted", EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code not in (0, 1) else exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:
        known = environment_error(exc)
        if known is not None:
            _fail(known.diagnostics(), known.exit_code)
        detail = traceback.format_exc()
        if _DEBUG["on"]:
            click.echo(detail, err=True)
        _fail(
            "localci hit an internal error (a bug): "
            + detail.strip().splitlines()[-1]
            + ("" if _DEBUG["on"] else "\nRun with --debug for the traceback."),
            EXIT_INTERNAL,
        )
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"localci: error: {message}", err=True)
    sys.exit(code)
