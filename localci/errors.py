"""One error hierarchy for localci; each error knows its exit code and how to explain itself.

Exit codes (DESIGN.md, "Exit codes"):

====  ==========================================================================
0     all checks passed
1     a check or threshold failed (:class:`CheckFailed`)
2     usage or configuration error (:class:`UsageError`, :class:`ConfigError`)
3     internal error (:class:`InternalError`, and any unexpected exception)
4     verification failed: signature, identity, binding (:class:`VerificationError`)
5     GitHub or git remote unreachable after retries (:class:`DeliveryError`)
130   interrupted (:class:`Interrupted`)
====  ==========================================================================

Core code raises these; only :mod:`localci.cli.main` catches them, prints
:meth:`LocalciError.diagnostics` and exits with :attr:`LocalciError.exit_code`.
"""

from __future__ import annotations

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_DELIVERY",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_VERIFICATION",
    "CheckFailed",
    "ConfigError",
    "DeliveryError",
    "GitError",
    "InternalError",
    "Interrupted",
    "LocalciError",
    "ReportError",
    "UsageError",
    "VerificationError",
]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_VERIFICATION = 4
EXIT_DELIVERY = 5
EXIT_INTERRUPTED = 130


class LocalciError(Exception):
    """Base of every error localci reports to a user.

    :param message: what went wrong and where, in one paragraph.
    :param hint: optional next step for the user ("run `localci init`").
    """

    exit_code: int = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The text printed to stderr: the message, then the hint on its own line."""
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message


class UsageError(LocalciError):
    """The command line, the repository state or an input file is not usable (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A configuration file is malformed or violates ``schemas/config.v1.schema.json``.

    The message names ``file:line:col`` and the key path (exit 2).
    """


class GitError(UsageError):
    """A git command failed or the directory is not a usable repository (exit 2)."""


class ReportError(LocalciError):
    """A stage's report is missing, truncated or malformed.

    Never escapes a run: the runner turns it into a stage ``error`` with this message.
    """

    exit_code = EXIT_CHECK_FAILED


class CheckFailed(LocalciError):
    """A check or threshold failed (exit 1)."""

    exit_code = EXIT_CHECK_FAILED


class VerificationError(LocalciError):
    """Signature, signer identity or commit binding could not be established (exit 4)."""

    exit_code = EXIT_VERIFICATION


class DeliveryError(LocalciError):
    """GitHub or the git remote stayed unreachable after retries; the post is spooled (exit 5)."""

    exit_code = EXIT_DELIVERY


class InternalError(LocalciError):
    """A bug or an environment failure localci cannot explain better (exit 3)."""

    exit_code = EXIT_INTERNAL


class Interrupted(LocalciError):
    """The user pressed Ctrl-C; running stages were killed (exit 130)."""

    exit_code = EXIT_INTERRUPTED
