"""What the project under test already declares about its own checks.

Today: coverage.py's ``fail_under``. When a coverage stage sets no ``min_percent``, the
project's own ``[report] fail_under`` becomes that threshold, read by coverage.py's own
configuration reader from the files and in the order coverage.py itself uses
(``.coveragerc``, ``.coveragerc.toml``, ``setup.cfg``, ``tox.ini``, ``pyproject.toml``;
https://coverage.readthedocs.io/en/latest/config.html), in the folder the stage runs in.
Its ``[report] precision`` comes along: the threshold is then judged by coverage.py's own
rule (:func:`localci.config.thresholds.evaluate`), so a total of 79.96 passes
``fail_under = 80`` at precision 0 and fails it at precision 2, as coverage.py's exit
code says.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from localci.config.loader import StageConfig

__all__ = ["FailUnder", "coverage_fail_under", "with_project_thresholds"]


@dataclass(frozen=True, kw_only=True)
class FailUnder:
    """coverage.py's ``fail_under`` (percent, 0-100), its ``precision`` (digits after the
    decimal point the total is rounded to, >= 0) and the file it came from (relative)."""

    percent: float
    source: str
    precision: int = 0


def coverage_fail_under(folder: Path) -> FailUnder | None:
    """The ``fail_under`` coverage.py would apply when run in ``folder``; ``None`` when
    unset (coverage's default 0), when no configuration file can be read, or when the
    ``fail_under`` or ``precision`` is one coverage.py itself rejects (it then fails the
    stage with its own message)."""
    if not _may_set_fail_under(folder):
        return None
    from coverage.config import CoverageConfig, config_files_to_try

    config = CoverageConfig()
    for name, our_file, specified in config_files_to_try(True):
        path = Path(name) if os.path.isabs(name) else folder / name
        if not path.is_file():
            if specified:
                return None
            continue
        with contextlib.suppress(Exception):  # an unreadable file: coverage.py will say so
            if config.from_file(str(path), warn=lambda _msg: None, our_file=our_file):
                percent, precision = float(config.fail_under), int(config.precision)
                if not 0 < percent <= 100 or precision < 0:
                    return None
                return FailUnder(percent=percent, source=name, precision=precision)
        if specified:
            return None
    return None


_CONFIG_FILES = (".coveragerc", ".coveragerc.toml", "setup.cfg", "tox.ini", "pyproject.toml")
"""The files coverage.py 7 reads its configuration from, in a folder (its docs, above)."""


def _may_set_fail_under(folder: Path) -> bool:
    """Whether any configuration coverage.py could read in ``folder`` mentions
    ``fail_under``: when none does, importing coverage.py's reader (~0.05 s, before the
    first stage) is skipped. ``COVERAGE_RCFILE`` (a file named elsewhere) always reads."""
    if os.environ.get("COVERAGE_RCFILE"):
        return True
    for name in _CONFIG_FILES:
        with contextlib.suppress(OSError):
            if b"fail_under" in (folder / name).read_bytes():
                return True
    return False


def with_project_thresholds(
    stages: Sequence[StageConfig], workspace: Path
) -> tuple[tuple[StageConfig, ...], tuple[str, ...]]:
    """``stages`` with each coverage stage's unset ``min_percent`` taken from the project's
    ``fail_under``, and one notice per threshold so adopted."""
    out: list[StageConfig] = []
    notices: list[str] = []
    for stage in stages:
        if stage.kind == "coverage" and stage.min_percent is None:
            found = coverage_fail_under(workspace / stage.cwd if stage.cwd else workspace)
            if found is not None:
                stage = replace(stage, min_percent=found.percent, precision=found.precision)
                notices.append(
                    f"{stage.name}: min_percent {found.percent:g} from the project's "
                    f"coverage fail_under ({found.source}), judged at its precision "
                    f"{found.precision}"
                )
        out.append(stage)
    return tuple(out), tuple(notices)
