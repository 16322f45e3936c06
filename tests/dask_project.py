"""A generated Python project for sharding tests and benchmarks.

``files`` test modules under ``tests/``, each with ``tests_per_file`` tests over a small
package ``src/proj`` whose branches only some tests reach (so coverage is partial);
``failing`` names (file index, test index) pairs whose test fails; one test per project
is skipped and one xfails. ``.localci.yml`` has the default tests + coverage stages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["CONFIG", "write_project"]

CONFIG = """\
version: 1
stages:
  - name: tests
    kind: tests
    run: ["{python}", "-m", "coverage", "run", "--data-file={reports}/.coverage",
          "-m", "pytest", "--junitxml={reports}/junit.xml", "-q", "-p", "no:cacheprovider"]
    report: {format: junit, path: "{reports}/junit.xml"}
%(tests_extra)s
  - name: coverage
    kind: coverage
    after: [tests]
    run: ["{python}", "-m", "coverage", "json", "--data-file={reports}/.coverage",
          "-o", "{reports}/coverage.json"]
    report: {format: coverage-json, path: "{reports}/coverage.json"}
    min_percent: 10
%(executor)s
%(tail)s
"""

_MODULE = """\
def grade_{i}(x: int) -> str:
    if x > 10:
        return "high"
    if x > 5:
        return "mid"
    if x < -100:
        return "never"
    return "low"
"""

_PYPROJECT = """\
[tool.coverage.run]
branch = true
source = ["proj"]
"""


def _test_file(i: int, count: int, failing: set[tuple[int, int]], extra: str) -> str:
    lines = [f"from proj.mod{i % 7} import grade_{i % 7}", "import pytest", ""]
    for j in range(count):
        value = (i * 3 + j) % 12
        expected = "high" if value > 10 else "mid" if value > 5 else "low"
        if (i, j) in failing:
            expected = "wrong"
        lines += [
            f"def test_{j}() -> None:",
            f"    assert grade_{i % 7}({value}) == {expected!r}",
            "",
        ]
    if i == 0:
        lines += [
            '@pytest.mark.skip(reason="shown as skipped")',
            "def test_skipped() -> None:",
            "    pass",
            "",
        ]
        lines += [
            '@pytest.mark.xfail(reason="known", strict=True)',
            "def test_xfail() -> None:",
            "    assert False",
            "",
        ]
    return "\n".join(lines) + extra


def write_project(
    root: Path,
    *,
    files: int = 42,
    tests_per_file: int = 3,
    failing: Iterable[tuple[int, int]] = ((3, 1), (17, 0), (40, 2)),
    executor: str = "",
    tests_extra: str = "",
    extra_files: Mapping[str, str] | None = None,
    config_tail: str = "",
) -> None:
    """Write the project into ``root`` (which may already be a git repository)."""
    bad = set(failing)
    (root / "src" / "proj").mkdir(parents=True, exist_ok=True)
    (root / "src" / "proj" / "__init__.py").write_text("")
    for m in range(7):
        (root / "src" / "proj" / f"mod{m}.py").write_text(_MODULE.format(i=m))
    (root / "tests").mkdir(exist_ok=True)
    for i in range(files):
        (root / "tests" / f"test_f{i:03d}.py").write_text(_test_file(i, tests_per_file, bad, ""))
    (root / "pyproject.toml").write_text(_PYPROJECT)
    (root / ".gitignore").write_text(".localci/\n")
    (root / ".localci.yml").write_text(
        CONFIG % {"executor": executor, "tests_extra": tests_extra, "tail": config_tail}
    )
    for rel, text in (extra_files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
