"""The one place that starts stage processes.

Two layers, as in nox: :func:`run_process` owns the raw ``Popen`` (its own process group,
merged stdout+stderr streamed to a log file, a bounded tail kept in memory, a deadline,
a cancel event), and :mod:`localci.runner` gives the outcome its meaning.

Memory stays bounded whatever a stage prints: output goes to disk in chunks, and only the
last :data:`TAIL_LINES` lines (each at most :data:`TAIL_BYTES`) are held.
POSIX only: process groups are signalled with ``os.killpg``.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "TAIL_BYTES",
    "TAIL_LINES",
    "CommandNotFound",
    "ProcessOutcome",
    "capture",
    "run_process",
]

TAIL_LINES = 200
"""Lines of output kept for a failed stage's ``log_tail`` (DESIGN.md)."""
TAIL_BYTES = 32 * 1024
"""Byte cap on the kept tail (DESIGN.md: "the last 200 lines (at most 32 KiB)")."""
KILL_GRACE = 3.0
"""Seconds between SIGTERM and SIGKILL when a process group is stopped."""
_POLL = 0.1


class CommandNotFound(Exception):
    """The program to run does not exist or is not executable (``argv[0]`` attached)."""

    def __init__(self, program: str, reason: str) -> None:
        super().__init__(program)
        self.program = program
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class ProcessOutcome:
    """How a process ended.

    ``exit_code`` is the process's status (negative: killed by that signal);
    ``timed_out`` / ``cancelled`` say localci killed it; ``duration`` is wall seconds;
    ``tail`` is the last lines of output (decoded UTF-8, undecodable bytes replaced),
    ``tail_truncated`` true when earlier output was dropped from it.
    """

    exit_code: int
    timed_out: bool
    cancelled: bool
    duration: float
    tail: str
    tail_truncated: bool


class _Tail:
    """A ring buffer of the last lines seen, bounded in lines and bytes."""

    def __init__(self) -> None:
        self.lines: deque[bytes] = deque(maxlen=TAIL_LINES)
        self.pending = b""
        self.dropped = False

    def feed(self, chunk: bytes, on_line: Callable[[str], None] | None) -> None:
        data = self.pending + chunk
        *complete, self.pending = data.split(b"\n")
        for line in complete:
            self._keep(line)
            if on_line is not None:
                on_line(line.decode("utf-8", "replace"))
        if len(self.pending) > 2 * TAIL_BYTES:  # a huge line without a newline
            self.pending = self.pending[-TAIL_BYTES:]
            self.dropped = True

    def _keep(self, line: bytes) -> None:
        if len(self.lines) == self.lines.maxlen:
            self.dropped = True
        self.lines.append(line[-TAIL_BYTES:])

    def finish(self, on_line: Callable[[str], None] | None) -> tuple[str, bool]:
        if self.pending:
            self._keep(self.pending)
            if on_line is not None:
                on_line(self.pending.decode("utf-8", "replace"))
            self.pending = b""
        text = b"\n".join(self.lines)
        if len(text) > TAIL_BYTES:
            text = text[-TAIL_BYTES:]
            cut = text.find(b"\n")
            text = text[cut + 1 :] if 0 <= cut < len(text) - 1 else text
            self.dropped = True
        return text.decode("utf-8", "replace"), self.dropped


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    on_line: Callable[[str], None] | None = None,
) -> ProcessOutcome:
    """Run ``argv`` in its own process group, stream its output to ``log_path``.

    :param timeout: seconds before the whole group is terminated (then killed).
    :param cancel: when set, the whole group is terminated (fail-fast, Ctrl-C).
    :param on_line: called with each complete output line (for ``-v`` streaming).
    :raises CommandNotFound: when ``argv[0]`` cannot be executed.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "wb") as log:
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
            raise CommandNotFound(argv[0], exc.strerror or str(exc)) from None
        tail = _Tail()
        try:
            timed_out, cancelled = _pump(proc, log, tail, started, timeout, cancel, on_line)
        except BaseException:
            _stop_group(proc)
            raise
        finally:
            _kill_group(proc.pid)  # strays left in the group after the leader exited
            assert proc.stdout is not None
            proc.stdout.close()
    text, truncated = tail.finish(on_line)
    return ProcessOutcome(
        exit_code=proc.returncode,
        timed_out=timed_out,
        cancelled=cancelled,
        duration=time.monotonic() - started,
        tail=text,
        tail_truncated=truncated,
    )


def _pump(
    proc: subprocess.Popen[bytes],
    log: object,
    tail: _Tail,
    started: float,
    timeout: float | None,
    cancel: threading.Event | None,
    on_line: Callable[[str], None] | None,
) -> tuple[bool, bool]:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    write = log.write  # type: ignore[attr-defined]
    timed_out = cancelled = False
    idle_since_exit = 0.0
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            if sel.select(_POLL):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                write(chunk)
                tail.feed(chunk, on_line)
                continue
            if proc.poll() is not None:
                # The leader is gone but something still holds the pipe: a grandchild in
                # the group (killed here) or one that left it (given up on after a second).
                _kill_group(proc.pid)
                idle_since_exit += _POLL
                if idle_since_exit > 1.0:
                    break
            elif timeout is not None and time.monotonic() - started > timeout:
                timed_out = True
                _stop_group(proc)
            elif cancel is not None and cancel.is_set():
                cancelled = True
                _stop_group(proc)
    proc.wait()
    return timed_out, cancelled


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group, wait :data:`KILL_GRACE` seconds, then SIGKILL it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=KILL_GRACE)
    _kill_group(proc.pid)
    proc.wait()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def capture(argv: Sequence[str], *, timeout: float = 10.0) -> str | None:
    """Run a short helper command (``gh auth token``) and return its stripped stdout;
    ``None`` when it is missing, fails or times out. Its stderr is discarded."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None
