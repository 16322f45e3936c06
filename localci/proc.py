"""The one place that starts processes (stages, git, helpers like ``gh``).

Two layers, as in nox: :func:`run_process` owns the raw ``Popen`` (its own process group,
merged stdout+stderr streamed to a log file, a bounded tail kept in memory, a deadline,
a cancel event), and :mod:`localci.run.pipeline` gives the outcome its meaning.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from localci.redact import Redactor

__all__ = [
    "TAIL_BYTES",
    "TAIL_LINES",
    "Captured",
    "CommandNotFound",
    "ProcessOutcome",
    "capture",
    "run_captured",
    "run_process",
    "stop_on_signals",
]

TAIL_LINES = 200
"""Lines of output kept for a failed stage's ``log_tail`` (docs/architecture.md)."""
TAIL_BYTES = 32 * 1024
"""Byte cap on the kept tail (``docs/architecture.md``, "Failure context")."""
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


class _LineSink:
    """Splits output into lines, redacts each, writes it to the log and keeps the last
    ones: a ring buffer bounded in lines (:data:`TAIL_LINES`) and bytes (:data:`TAIL_BYTES`).

    Bytes that are not UTF-8 pass through unchanged (``surrogateescape``). A line longer
    than twice :data:`TAIL_BYTES` is written out in pieces, so memory stays bounded; a
    piece never ends inside a secret (the cut moves back to the secret's start), so a
    secret cannot escape redaction by straddling the cut.
    """

    def __init__(
        self,
        log: BinaryIO,
        redact: Redactor | Callable[[str], str] | None,
        on_line: Callable[[str], None] | None,
    ) -> None:
        self.log = log
        self.redactor = redact if isinstance(redact, Redactor) else None
        self.redact = redact.lines() if isinstance(redact, Redactor) else redact
        self.on_line = on_line
        self.lines: deque[str] = deque(maxlen=TAIL_LINES)
        self.pending = b""
        self.dropped = False

    def _emit(self, raw: bytes, *, newline: bool) -> str:
        text = raw.decode("utf-8", "surrogateescape")
        if self.redact is not None:
            text = self.redact(text)
        self.log.write(text.encode("utf-8", "surrogateescape") + (b"\n" if newline else b""))
        return text

    def feed(self, chunk: bytes) -> None:
        *complete, self.pending = (self.pending + chunk).split(b"\n")
        for raw in complete:
            self._keep(self._emit(raw, newline=True))
        if len(self.pending) > 2 * TAIL_BYTES:  # a huge line without a newline
            cut = self._safe_cut(len(self.pending) - TAIL_BYTES)
            head, self.pending = self.pending[:cut], self.pending[cut:]
            self._emit(head, newline=False)
            self.dropped = True

    def _safe_cut(self, cut: int) -> int:
        """``cut`` moved back to the start of a secret that spans it (never to 0)."""
        if self.redactor is None:
            return cut
        text = self.pending.decode("utf-8", "surrogateescape")
        prefix_len = len(self.pending[:cut].decode("utf-8", "surrogateescape"))
        for start, end in self.redactor.spans(text):
            if start < prefix_len < end and start > 0:
                return len(text[:start].encode("utf-8", "surrogateescape"))
        return cut

    def _keep(self, text: str) -> None:
        if len(self.lines) == self.lines.maxlen:
            self.dropped = True
        self.lines.append(text[-TAIL_BYTES:])
        if self.on_line is not None:
            self.on_line(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))

    def finish(self) -> tuple[str, bool]:
        if self.pending:
            self._keep(self._emit(self.pending, newline=False))
            self.pending = b""
        raw = "\n".join(self.lines).encode("utf-8", "surrogateescape")
        if len(raw) > TAIL_BYTES:
            raw = raw[-TAIL_BYTES:]
            cut = raw.find(b"\n")
            raw = raw[cut + 1 :] if 0 <= cut < len(raw) - 1 else raw
            self.dropped = True
        return raw.decode("utf-8", "replace"), self.dropped


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    on_line: Callable[[str], None] | None = None,
    redact: Redactor | Callable[[str], str] | None = None,
    on_start: Callable[[], None] | None = None,
) -> ProcessOutcome:
    """Run ``argv`` in its own process group, stream its output to ``log_path``.

    :param timeout: seconds before the whole group is terminated (then killed).
    :param cancel: when set, the whole group is terminated (fail-fast, Ctrl-C).
    :param on_line: called with each complete output line (for ``-v`` streaming).
    :param redact: applied to every line before it reaches the log, ``on_line`` or the
        tail, so no secret is ever written or shown (a :class:`~localci.redact.Redactor`
        also masks multi-line private keys and secrets cut by the long-line split).
    :param on_start: called on this thread once the process runs, before its output is
        read (the pipe holds it meanwhile); if it raises, the group is stopped.
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
        sink = _LineSink(log, redact, on_line)
        try:
            if on_start is not None:
                on_start()
            timed_out, cancelled = _pump(proc, sink, started, timeout, cancel)
        except BaseException:
            _stop_group(proc)
            raise
        finally:
            _kill_group(proc.pid)  # strays left in the group after the leader exited
            assert proc.stdout is not None
            proc.stdout.close()
        text, truncated = sink.finish()
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
    sink: _LineSink,
    started: float,
    timeout: float | None,
    cancel: threading.Event | None,
) -> tuple[bool, bool]:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    timed_out = cancelled = False
    idle_since_exit = 0.0
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            if sel.select(_POLL):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                sink.feed(chunk)
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


_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Treat SIGTERM and SIGHUP (a closed terminal, ``kill``, a CI runner's cancel) like
    Ctrl-C for the duration: ``KeyboardInterrupt`` in the main thread, so every running
    stage's process group is stopped and the temporary worktree removed. Outside the
    main thread (where handlers cannot be set) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _interrupt) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True)
class Captured:
    """A finished short command: exit code and raw stdout / stderr bytes."""

    returncode: int
    stdout: bytes
    stderr: bytes


def run_captured(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    input_bytes: bytes | None = None,
) -> Captured:
    """Run a short command (``git ...``) to completion with ``env`` as its whole
    environment, feeding ``input_bytes`` on stdin (or nothing), and capture its output.

    :raises FileNotFoundError: when the program is not installed;
    :raises NotADirectoryError: when ``cwd`` is not a directory.
    """
    proc = subprocess.run(
        list(argv),
        cwd=cwd,
        input=input_bytes,
        stdin=None if input_bytes is not None else subprocess.DEVNULL,
        capture_output=True,
        env=dict(env),
        check=False,
    )
    return Captured(proc.returncode, proc.stdout, proc.stderr)
