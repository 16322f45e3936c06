"""One error hierarchy for localci; each error knows its exit code and how to explain itself.

Exit codes (``docs/architecture.md``, "Exit codes"):

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

import errno
import os

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
    "environment_error",
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


_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "Free some space (old runs: .localci/runs)."),
    errno.EDQUOT: ("the disk quota is used up", "Free some space (old runs: .localci/runs)."),
    errno.EFBIG: (
        "a file grew past the allowed size",
        "Raise the file size limit (`ulimit -f`) or make the stage print less.",
    ),
    errno.EROFS: (
        "the file system is read-only",
        "Run from a writable checkout, or make .localci/ writable.",
    ),
    errno.EACCES: ("permission denied", "Check the owner and mode of the path (and .localci/)."),
    errno.EPERM: ("operation not permitted", "Check the owner and mode of the path."),
    errno.ENOENT: ("no such file or directory", "Check the path (and LOCALCI_WORKTREE_DIR)."),
    errno.ENOTDIR: ("a path component is not a directory", "Check the path."),
    errno.EMFILE: ("too many open files", "Raise the limit (`ulimit -n`) or use fewer --jobs."),
    errno.ENAMETOOLONG: ("a file name is too long", "Use a shorter path."),
}


def environment_error(exc: BaseException) -> LocalciError | None:
    """The user-facing error for a failure of the machine rather than of localci: a full
    disk, a size limit, a read-only or unreadable path (:class:`OSError` by ``errno``), a
    file that is not UTF-8, input nested deeper than Python recurses. ``None`` for
    anything else (a bug: exit 3). The exit code is 2: the environment must change."""
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        what, hint = _OS_ERRORS[exc.errno]
        where = f": {os.fsdecode(exc.filename)}" if exc.filename else ""
        return UsageError(f"{what}{where}", hint=hint)
    if isinstance(exc, UnicodeDecodeError):
        return UsageError(
            f"an input is not UTF-8 text ({exc.reason} at byte {exc.start})",
            hint="Result, bundle, config and report files must be UTF-8.",
        )
    if isinstance(exc, RecursionError):
        return UsageError("an input is nested too deeply to read")
    return None
