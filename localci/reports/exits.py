"""Which exit codes mean "the tool ran and wrote its report", and what the others mean.

A stage with a report passes or fails on what the report says, but only when the tool
exited with a code that means it finished and wrote the report (possibly listing
failures). Any other code is an ``error``. The codes are the stage's
``report_exit_codes`` when configured, else the defaults of the tool the command runs,
found by name in the command (the first known program; ``python -m X`` counts as ``X``):

===============  =================  ==========================================================
tool             report written     source
===============  =================  ==========================================================
pytest           0, 1               ``pytest.ExitCode``: 1 tests failed, 2 interrupted, ...
jest             0, 1               jest CLI: 1 when a test failed
mocha            0-255              mocha exits with the number of failures (at most 255)
cargo-nextest    0, 100             nextest ``TEST_RUN_FAILED`` = 100
phpunit          0, 1, 2            PHPUnit ``TestRunner``: 1 failure, 2 error in a test
go (test)        0, 1               ``go test``: 1 when a test failed
gotestsum        0, 1               the exit code of ``go test``
ctest            0, 8               CTest: 8 when a test failed
mvn, gradle      0, 1               build failed because of test failures
ruff, eslint,    0, 1               1 when findings were reported
bandit, semgrep,
flake8, mypy
pylint           0, 2-30 (even)     bit flags; 1 (fatal) and 32 (usage) are errors
coverage         0, 2               coverage.py: 2 "total below fail-under"
===============  =================  ==========================================================

Unknown tools: ``tests`` and ``lint`` stages 0 and 1, ``coverage`` stages 0 and 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath

__all__ = ["explain_exit", "report_exit_codes", "tool_of"]

_RANGE_255 = frozenset(range(256))
_PYLINT = frozenset(c for c in range(32) if not c & 1)
TOOL_REPORT_EXIT_CODES: Mapping[str, frozenset[int]] = {
    "pytest": frozenset({0, 1}),
    "py.test": frozenset({0, 1}),
    "jest": frozenset({0, 1}),
    "vitest": frozenset({0, 1}),
    "mocha": _RANGE_255,
    "_mocha": _RANGE_255,
    "nextest": frozenset({0, 100}),
    "cargo-nextest": frozenset({0, 100}),
    "phpunit": frozenset({0, 1, 2}),
    "go": frozenset({0, 1}),
    "gotestsum": frozenset({0, 1}),
    "ctest": frozenset({0, 8}),
    "mvn": frozenset({0, 1}),
    "mvnw": frozenset({0, 1}),
    "gradle": frozenset({0, 1}),
    "gradlew": frozenset({0, 1}),
    "ruff": frozenset({0, 1}),
    "eslint": frozenset({0, 1}),
    "bandit": frozenset({0, 1}),
    "semgrep": frozenset({0, 1}),
    "flake8": frozenset({0, 1}),
    "mypy": frozenset({0, 1}),
    "pylint": _PYLINT,
    "coverage": frozenset({0, 2}),
}
"""Exit codes after which each known tool has written its report."""

_KIND_DEFAULT: Mapping[str, frozenset[int]] = {
    "tests": frozenset({0, 1}),
    "lint": frozenset({0, 1}),
    "coverage": frozenset({0, 2}),
}
_PYTEST_EXIT = {
    2: "pytest was interrupted (exit code 2): a collection error, Ctrl-C or -x/--maxfail",
    3: "pytest hit an internal error (exit code 3)",
    4: "pytest was called with bad arguments (exit code 4)",
    5: "pytest collected no tests (exit code 5)",
}
# coverage.py's own messages (``coverage/exceptions.py`` and the reporters); the ones a
# project fixes with ``--ignore-errors`` or ``[run] omit``, then the others.
_COVERAGE_SOURCE = re.compile(
    r"^(?:No source for code: .*|Couldn't parse .* as Python source: .*)$", re.MULTILINE
)
_COVERAGE_NO_DATA = re.compile(r"^(?:No data to report\.|No data was collected\.)$", re.MULTILINE)
_COVERAGE_OTHER = re.compile(
    r"^(?:Can't combine .*|Couldn't use data file .*|Couldn't read .*)$", re.MULTILINE
)
_SOURCE_FIX = (
    "add --ignore-errors to the stage's coverage command to skip such files, or leave "
    "them out with omit under [run] in the coverage configuration"
)
_NO_DATA_FIX = (
    "the tests stage recorded no coverage data; run the tests under `coverage run` with "
    "the same --data-file, and run that stage too"
)


def _program(token: str) -> str:
    name = PurePath(token).name.lower()
    for suffix in (".exe", ".cmd", ".js", ".bat", ".phar"):
        name = name.removesuffix(suffix)
    return name


def _known(argv: Sequence[str]) -> list[str]:
    return [name for name in map(_program, argv) if name in TOOL_REPORT_EXIT_CODES]


def tool_of(kind: str, argv: Sequence[str]) -> str | None:
    """The known tool a ``kind`` stage running ``argv`` is judged as, or ``None``.

    The first known program name among the words (``python -m coverage``, ``npx jest``,
    ``cargo nextest run``, a shell string's words). A ``tests`` stage run under coverage.py
    (``coverage run -m pytest``) is judged as the test runner, whose exit code
    ``coverage run`` passes on; pytest when the runner is not named.
    """
    known = _known(argv)
    if not known:
        return None
    if kind == "tests" and known[0] == "coverage":
        return next((k for k in known if k != "coverage"), "pytest")
    return known[0]


def report_exit_codes(kind: str, argv: Sequence[str]) -> frozenset[int]:
    """The exit codes after which a ``kind`` stage running ``argv`` has written its report."""
    tool = tool_of(kind, argv)
    if tool is not None:
        return TOOL_REPORT_EXIT_CODES[tool]
    return _KIND_DEFAULT.get(kind, frozenset({0}))


def explain_exit(
    kind: str, argv: Sequence[str], code: int, output: str | None, workspace: Path
) -> str | None:
    """Why a stage's exit ``code`` means it did not complete, in the tool's own words.

    ``output`` is the end of the stage's output. pytest's codes are named; a coverage.py
    failure quotes coverage.py's message (paths made relative to ``workspace``) and the
    fix. ``None`` when there is nothing more to say than the code.
    """
    tool = tool_of(kind, argv)
    if tool in ("pytest", "py.test"):
        return _PYTEST_EXIT.get(code)
    if tool == "coverage" and output:
        return _coverage_reason(code, output, workspace)
    return None


def _coverage_reason(code: int, output: str, workspace: Path) -> str | None:
    for pattern, fix in (
        (_COVERAGE_SOURCE, _SOURCE_FIX),
        (_COVERAGE_NO_DATA, _NO_DATA_FIX),
        (_COVERAGE_OTHER, None),
    ):
        found = pattern.findall(output)
        if found:
            message = _relative(found[-1].strip(), workspace)
            advice = f"; {fix}" if fix else ""
            return f"coverage.py failed (exit code {code}): {message}{advice}"
    return None


def _relative(message: str, workspace: Path) -> str:
    """``message`` with the workspace's path taken out (no local path in a result): its
    absolute path, or the ``{workspace}`` that stage output already shows in its place."""
    prefixes = {str(workspace.resolve()), str(workspace), "{workspace}"}
    for prefix in sorted(prefixes, key=len, reverse=True):
        message = message.replace(prefix + "/", "").replace(prefix, ".")
    return message
