"""Terminal progress for ``localci run``: plain, line-oriented, on stderr.

Colour only when stderr is a terminal and ``NO_COLOR`` is unset (https://no-color.org/).
Results go to stdout (``--json``), progress to stderr, so pipes stay clean.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from localci.config import StageConfig
from localci.model import StageResult
from localci.render import metrics_summary

__all__ = ["ConsoleReporter", "use_color"]

_MARK = {
    "passed": ("ok", "32"),
    "failed": ("FAIL", "31"),
    "error": ("ERROR", "31"),
    "timed_out": ("TIMEOUT", "31"),
    "skipped": ("skip", "33"),
}


def use_color(stream: TextIO) -> bool:
    """True when ``stream`` is a terminal and ``NO_COLOR`` is not set."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


class ConsoleReporter:
    """Prints one line per stage start and end; with ``verbose``, every output line.

    Thread-safe: stages finish on worker threads.
    """

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.verbose = verbose
        self.color = use_color(self.stream)
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def notice(self, text: str) -> None:
        """Print ``text`` as a notice line."""
        self._say(f"localci: {text}")

    def stage_started(self, stage: StageConfig) -> None:
        """Print that ``stage`` started."""
        self._say(f"  ..    {stage.name} started")

    def stage_finished(self, result: StageResult) -> None:
        """Print the stage's status, duration, and reason when it did not pass."""
        label, code = _MARK[result.status]
        line = f"  {self._paint(label.ljust(5), code)} {result.name} ({result.duration:.1f}s)"
        summary = metrics_summary(result) if result.status != "skipped" else ""
        if summary:
            line += f" {summary}"
        if result.reason:
            line += f": {result.reason}"
        self._say(line)

    def output_line(self, stage: str, line: str) -> None:
        """Print one line of stage output, prefixed by the stage name."""
        self._say(f"  [{stage}] {line}")
