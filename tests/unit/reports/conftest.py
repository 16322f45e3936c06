"""Real reports, written once per session by real pytest, coverage.py and ruff.

Each fixture builds a small project in a temporary directory, runs the tool on it through
``sys.executable -m ...`` and returns the report paths together with what the tool itself
said (pytest's summary line, ``coverage report --format=total``, ruff's ``Found N errors``),
so tests compare the parsers with the tools rather than with hand-copied numbers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# --- the project pytest runs --------------------------------------------------------------

TEST_MIX = """\
import pytest

from tests import helper


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")  # LINE:setup-error


@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown exploded")  # LINE:teardown-error


def test_pass():
    assert True


def test_fail():
    x = 1
    assert x == 2, "x should be two"  # LINE:fail


def test_fail_in_helper():
    helper.check(3)  # LINE:helper-call


def test_long_message():
    assert False, "x" * 20000


def test_setup_error(broken):
    pass


def test_teardown_error(bad_teardown):
    pass


def test_fail_and_teardown_error(bad_teardown):
    assert 0  # LINE:fail-and-teardown


def test_skip():
    pytest.skip("not today")


@pytest.mark.skip(reason="marked skip")
def test_skip_mark():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


def test_imperative_xfail():
    pytest.xfail("imperative")


@pytest.mark.xfail(reason="maybe", strict=False)
def test_xpass():
    pass


@pytest.mark.xfail(reason="strictly", strict=True)
def test_strict_xpass():
    pass


class TestK:
    def test_method(self):
        assert [1] == [2]  # LINE:method

    @pytest.mark.parametrize("v", [1, "a b", "x::y"])
    def test_param(self, v):
        assert v == 1  # LINE:param
"""

HELPER = """\
def check(value):
    assert value == 4, "helper says no"
"""

COLLECTION_ERROR = """\
import nonexistent_module_for_localci_tests


def test_never():
    pass
"""

MODULE_SKIP = """\
import pytest

pytest.skip("whole module", allow_module_level=True)


def test_never():
    pass
"""

_SUMMARY_ITEM = re.compile(r"(\d+) (failed|passed|skipped|xfailed|xpassed|errors?)\b")


def _clean_env() -> dict[str, str]:
    """The environment minus what would make the tools read the outer run's settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "COVERAGE_", "RUFF_")) and k != "PYTHONPATH"
    }
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run_tool(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <args>`` in ``cwd`` and return its output (exit code not checked)."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _pytest_summary(output: str) -> dict[str, int]:
    """pytest's own counts from its ``-q`` summary line (``3 failed, 2 passed in 0.1s``)."""
    last = output.strip().splitlines()[-1]
    counts = dict.fromkeys(("failed", "passed", "skipped", "xfailed", "xpassed", "errors"), 0)
    for number, word in _SUMMARY_ITEM.findall(last):
        counts["errors" if word.startswith("error") else word] = int(number)
    return counts


@pytest.fixture(scope="session")
def tested_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose tests produce every outcome pytest knows, including collection ones."""
    root = tmp_path_factory.mktemp("tested-project")
    _write(
        root,
        {
            "pytest.ini": "[pytest]\nxfail_strict = false\n",
            "tests/__init__.py": "",
            "tests/helper.py": HELPER,
            "tests/test_mix.py": TEST_MIX,
            "tests/broken/test_collect.py": COLLECTION_ERROR,
            "tests/skipped/test_module_skip.py": MODULE_SKIP,
            "tests/badconf/conftest.py": 'raise ValueError("broken conftest")\n',
            "tests/badconf/test_never.py": "def test_never():\n    pass\n",
        },
    )
    (root / "reports").mkdir()
    return root


def _run_pytest(root: Path, report: Path, *extra: str, cwd: Path) -> dict[str, int]:
    args = ["pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors"]
    result = _run_tool([*args, f"--junitxml={report}", *extra], cwd)
    assert result.returncode == 1, result.stdout + result.stderr
    return _pytest_summary(result.stdout)


@pytest.fixture(scope="session")
def junit_runs(tested_project: Path) -> dict[str, tuple[Path, dict[str, int]]]:
    """JUnit family -> (report written by pytest, pytest's own summary counts).

    ``xunit2`` is pytest's default; the ``xunit1`` run starts in a subdirectory, so its
    tracebacks name ``../tests/...`` while its node ids stay relative to the rootdir.
    """
    reports = tested_project / "reports"
    xunit2, xunit1 = reports / "xunit2.xml", reports / "xunit1.xml"
    return {
        "xunit2": (xunit2, _run_pytest(tested_project, xunit2, cwd=tested_project)),
        "xunit1": (
            xunit1,
            _run_pytest(
                tested_project,
                xunit1,
                "-o",
                "junit_family=xunit1",
                f"--rootdir={tested_project}",
                "../tests",
                cwd=reports,
            ),
        ),
    }


# --- the project coverage.py measures ----------------------------------------------------

MOD = """\
def used(x):
    if x:
        return 1
    return 2


def unused():
    a = 1

    b = 2
    return a + b


def partial(x):
    if x > 0:
        y = 1
    else:
        y = 2
    return y
"""

EXTERNAL = """\
def outside():
    return 1


def never():
    return 2
"""

DRIVER = """\
import sys

sys.path[:0] = ["src", "../outside"]

import ext
import nothing
from pkg.mod import partial, used

used(1)
partial(1)
ext.outside()
"""


@pytest.fixture(scope="session")
def coverage_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with uncovered lines and partial branches, plus a module outside it."""
    top = tmp_path_factory.mktemp("coverage-project")
    root = top / "proj"
    _write(
        root,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": MOD,
            "src/nothing/__init__.py": "",
            "run.py": DRIVER,
        },
    )
    _write(top / "outside", {"ext.py": EXTERNAL})
    return root


def _missing_column(report: str, name: str) -> str:
    """The "Missing" column of ``coverage report -m`` for the file ``name``."""
    row = next(line for line in report.splitlines() if line.startswith(name + " "))
    return row.partition("%")[2].strip()


def _measure(root: Path, name: str, *run_args: str) -> tuple[Path, Path, float, str]:
    data = f"--data-file=.coverage.{name}"
    run = _run_tool(["coverage", "run", data, *run_args, "run.py"], root)
    assert run.returncode == 0, run.stdout + run.stderr
    json_path, xml_path = root / f"{name}.json", root / f"{name}.xml"
    for args in (["json", "-o", str(json_path)], ["xml", "-o", str(xml_path)]):
        written = _run_tool(["coverage", *args, data, "-q"], root)
        assert written.returncode == 0, written.stdout + written.stderr
    total = _run_tool(["coverage", "report", data, "--format=total", "--precision=8"], root)
    table = _run_tool(["coverage", "report", data, "-m", "--precision=8"], root).stdout
    missing = _missing_column(table, "src/pkg/mod.py") if "src/pkg/mod.py" in table else ""
    return json_path, xml_path, float(total.stdout), missing


@pytest.fixture(scope="session")
def coverage_runs(coverage_project: Path) -> dict[str, tuple[Path, Path, float, str]]:
    """Measurement -> (``coverage json`` file, ``coverage xml`` file, coverage's total %,
    the "Missing" column coverage prints for ``src/pkg/mod.py``).

    ``branch`` measures branches of ``src`` and ``../outside``; ``line`` the same without
    branches; ``empty`` only a package with no statements.
    """
    sources = "--source=src/pkg,../outside"
    return {
        "branch": _measure(coverage_project, "branch", "--branch", sources),
        "line": _measure(coverage_project, "line", sources),
        "empty": _measure(coverage_project, "empty", "--source=src/nothing"),
    }


# --- the project ruff lints --------------------------------------------------------------

LINTED = """\
import os
import sys


def f(x):
    if x == None:
        return 1
    l = 1
    return l
"""


@pytest.fixture(scope="session")
def ruff_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with unused imports, a syntax error and a file name with a space."""
    root = tmp_path_factory.mktemp("ruff-project")
    _write(
        root,
        {
            "pkg/a.py": LINTED,
            "pkg/bad.py": "def broken(:\n    pass\n",
            "pkg/sp ace.py": "import json\n",
            "pkg/clean.py": "X = 1\n",
        },
    )
    return root


@pytest.fixture(scope="session")
def ruff_runs(ruff_project: Path) -> tuple[dict[str, Path], int]:
    """(``{"json": ..., "sarif": ...}`` written by ruff, the N of ruff's ``Found N errors``)."""
    base = ["ruff", "check", "--no-cache", "--isolated", "--select", "E,F,W"]
    reports = {}
    for fmt in ("json", "sarif"):
        path = ruff_project.parent / f"{ruff_project.name}.{fmt}"
        _run_tool([*base, f"--output-format={fmt}", f"--output-file={path}", "."], ruff_project)
        reports[fmt] = path
    text = _run_tool([*base, "."], ruff_project).stdout
    found = re.search(r"Found (\d+) errors?", text)
    assert found is not None, text
    return reports, int(found.group(1))
