"""Terminal progress for ``localci run``, on stderr (results go to stdout with ``--json``).

- One line per stage start and end, with duration, metrics and the reason it failed.
- A stage that did not pass shows its output as one block when it ends (the last lines,
  secrets redacted), so parallel stages never interleave. ``-v`` streams every line as it
  comes instead, prefixed with the stage name.
- On an interactive terminal (and without ``NO_COLOR``, https://no-color.org/) a live
  status line shows what is running and for how long; in CI logs, plain lines only.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from localci.config.loader import StageConfig
from localci.redact import printable
from localci.result.model import StageResult
from localci.result.render import metrics_summary

__all__ = ["ConsoleReporter", "use_color"]

_MARK = {
    "passed": ("ok", "32"),
    "failed": ("FAIL", "31"),
    "error": ("ERROR", "31"),
    "timed_out": ("TIMEOUT", "31"),
    "skipped": ("skip", "33"),
}
_TICK = 0.25


def use_color(stream: TextIO) -> bool:
    """True when ``stream`` is a terminal and ``NO_COLOR`` is not set."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


class ConsoleReporter:
    """Thread-safe progress printer (stages finish on worker threads).

    :param live: force the live status line on or off (default: :func:`use_color`).
    """

    def __init__(
        self, stream: TextIO | None = None, *, verbose: bool = False, live: bool | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.verbose = verbose
        self.color = use_color(self.stream)
        self.live = self.color if live is None else live
        self._lock = threading.Lock()
        self._running: dict[str, float] = {}
        self._ticker: threading.Thread | None = None
        self._status_shown = False

    # -- output primitives -----------------------------------------------------------------

    def _say(self, text: str) -> None:
        with self._lock:
            self._clear_status()
            self.stream.write(text + "\n")
            self._draw_status()
            self.stream.flush()

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r\033[K")
            self._status_shown = False

    def _draw_status(self) -> None:
        if not self.live or not self._running:
            return
        now = time.monotonic()
        parts = [f"{name} {now - t:.0f}s" for name, t in self._running.items()]
        self.stream.write("\r\033[K" + self._paint("running: " + " · ".join(parts), "2"))
        self._status_shown = True

    def _tick(self) -> None:
        while True:
            time.sleep(_TICK)
            with self._lock:
                if not self._running:
                    self._clear_status()
                    self.stream.flush()
                    self._ticker = None
                    return
                self._clear_status()
                self._draw_status()
                self.stream.flush()

    # -- Reporter protocol -----------------------------------------------------------------

    def notice(self, text: str) -> None:
        """Print ``text`` as a notice line."""
        self._say(f"localci: {text}")

    def stage_started(self, stage: StageConfig) -> None:
        """Print that ``stage`` started and add it to the live status line."""
        with self._lock:
            self._running[stage.name] = time.monotonic()
            if self.live and self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()
        self._say(f"  ..    {stage.name} started")

    def stage_finished(self, result: StageResult) -> None:
        """Print the stage's status line; for a stage that did not pass, its output block."""
        with self._lock:
            self._running.pop(result.name, None)
        label, code = _MARK[result.status]
        line = f"  {self._paint(label.ljust(5), code)} {result.name} ({result.duration:.1f}s)"
        summary = metrics_summary(result) if result.status != "skipped" else ""
        if summary:
            line += f" {summary}"
        if result.reason:
            line += f": {result.reason}"
        if result.log_tail and not self.verbose:
            cut = ", earlier lines in the log" if result.log_tail_truncated else ""
            # Stage output is not localci's: no escape sequence of it reaches the terminal.
            body = "\n".join(f"  | {ln}" for ln in printable(result.log_tail).splitlines())
            line += f"\n  ┌── output of {result.name}{cut}\n{body}\n  └──"
        self._say(line)

    def output_line(self, stage: str, line: str) -> None:
        """Print one line of stage output, prefixed by the stage name (``-v``)."""
        self._say(f"  [{stage}] {printable(line)}")
