"""Regenerate tests/assets/reports/: report files written by the real producers.

Run from the repository root: ``python scripts/regenerate_report_fixtures.py``. It needs
``npm`` and ``node`` (jest, jest-junit, mocha, mocha-junit-reporter and nyc are installed
from npm into a temporary directory) and installs bandit from PyPI into a temporary
virtual environment. Nothing is installed into the repository or the current environment.

Each producer's own summary (jest's ``Tests:`` line, mocha's ``passing``/``failing``
lines, istanbul's text summary, bandit's severity totals) is saved beside its report as
``summary.txt``, and the figures the tests compare with in ``expected.json``. The
temporary directory's absolute path inside a report is replaced by ``@ROOT@``; the tests
put their own directory there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Mapping
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "assets" / "reports"
NPM_PACKAGES = [
    "jest@30.5.2",
    "jest-junit@17.0.0",
    "mocha@10.8.2",
    "mocha-junit-reporter@2.2.1",
    "nyc@18.0.0",
]
BANDIT = "bandit[sarif]==1.9.4"

MATH_JS = """\
function add(a, b) {
  return a + b;
}

function div(a, b) {
  if (b === 0) {
    throw new Error("division by zero");
  }
  return a / b;
}

function unused(x) {
  return x > 0 ? "pos" : "neg";
}

module.exports = { add, div, unused };
"""

MATH_TEST_JS = """\
const assert = require("assert");
const { add, div } = require("../src/math");

describe("math", () => {
  it("adds", () => {
    assert.strictEqual(add(1, 2), 3);
  });
  it("adds wrongly", () => {
    assert.strictEqual(add(1, 2), 4);
  });
  it("adds", () => {
    assert.strictEqual(add(2, 2), 4);
  });
  it.skip("divides later", () => {
    div(1, 0);
  });
  it("divides", () => {
    assert.strictEqual(div(4, 2), 2);
  });
});

describe("errors", () => {
  it("throws a TypeError", () => {
    null.foo();
  });
});
"""

JEST_EXTRA = """
test.todo("writes more tests");
test.each([[1, 1, 2], [1, 2, 4]])("add(%i, %i) is %i", (a, b, want) => {
  expect(add(a, b)).toBe(want);
});
"""

BANDIT_APP = """\
import pickle
import subprocess


def load(data):
    return pickle.loads(data)


def run(cmd):
    return subprocess.call(cmd, shell=True)


def check(x):
    assert x > 0
    password = "hunter2"  # nosec B105
    return password
"""


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``argv`` in ``cwd``; its exit code and its combined output."""
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout


def save(
    name: str, files: dict[str, Path], summary: str, expected: Mapping[str, object], root: Path
) -> None:
    """Write one producer's reports, its summary and the expected figures."""
    target = OUT / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for dest, src in files.items():
        text = src.read_text(encoding="utf-8").replace(str(root), "@ROOT@")
        (target / dest).write_text(text, encoding="utf-8")
    (target / "summary.txt").write_text(summary.replace(str(root), "@ROOT@"), encoding="utf-8")
    (target / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


def js_project(root: Path) -> None:
    (root / "src").mkdir()
    (root / "test").mkdir()
    (root / "jtests").mkdir()
    (root / "src" / "math.js").write_text(MATH_JS, encoding="utf-8")
    (root / "test" / "math.test.js").write_text(MATH_TEST_JS, encoding="utf-8")
    (root / "jtests" / "math.test.js").write_text(MATH_TEST_JS + JEST_EXTRA, encoding="utf-8")
    (root / "package.json").write_text('{"name": "fixture", "private": true}\n', encoding="utf-8")
    code, out = run(["npm", "install", "--no-audit", "--no-fund", *NPM_PACKAGES], root)
    if code != 0:
        sys.exit(f"npm install failed:\n{out}")


def number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


def jest(root: Path) -> None:
    env = {"JEST_JUNIT_OUTPUT_FILE": "jest-junit.xml", "JEST_JUNIT_ADD_FILE_ATTRIBUTE": "true"}
    argv = [
        "npx",
        "jest",
        "--ci",
        "--roots",
        "jtests",
        "--reporters=default",
        "--reporters=jest-junit",
        "--coverage",
        "--coverageReporters=cobertura",
        "--coverageReporters=text-summary",
        "--collectCoverageFrom=src/**/*.js",
    ]
    code, out = run(argv, root, env)
    line = next(x for x in out.splitlines() if x.startswith("Tests:"))
    expected = {
        "exit_code": code,
        "failed": number(r"(\d+) failed", line),
        "skipped": number(r"(\d+) skipped", line),
        "todo": number(r"(\d+) todo", line),
        "passed": number(r"(\d+) passed", line),
        "total": number(r"(\d+) total", line),
        "lines_percent": float(re.search(r"Lines\s+:\s+([\d.]+)%", out).group(1)),  # type: ignore[union-attr]
        "branches_percent": float(re.search(r"Branches\s+:\s+([\d.]+)%", out).group(1)),  # type: ignore[union-attr]
    }
    save(
        "jest",
        {
            "junit.xml": root / "jest-junit.xml",
            "cobertura.xml": root / "coverage" / "cobertura-coverage.xml",
        },
        out,
        expected,
        root,
    )


def mocha(root: Path) -> None:
    opts = "mochaFile=mocha-junit.xml,includePending=true"
    code, _ = run(
        [
            "npx",
            "mocha",
            "--reporter",
            "mocha-junit-reporter",
            "--reporter-options",
            opts,
            "test/math.test.js",
        ],
        root,
    )
    _, out = run(["npx", "mocha", "test/math.test.js"], root)  # the spec reporter's summary
    expected = {
        "exit_code": code,
        "passed": number(r"(\d+) passing", out),
        "pending": number(r"(\d+) pending", out),
        "failed": number(r"(\d+) failing", out),
    }
    save("mocha", {"junit.xml": root / "mocha-junit.xml"}, out, expected, root)


def nyc(root: Path) -> None:
    shutil.rmtree(root / "coverage", ignore_errors=True)
    run(["npx", "nyc", "--reporter=cobertura", "mocha", "test/math.test.js"], root)
    _, out = run(["npx", "nyc", "report", "--reporter=text-summary"], root)
    expected = {
        "lines_percent": float(re.search(r"Lines\s+:\s+([\d.]+)%", out).group(1)),  # type: ignore[union-attr]
        "branches_percent": float(re.search(r"Branches\s+:\s+([\d.]+)%", out).group(1)),  # type: ignore[union-attr]
    }
    save(
        "nyc", {"cobertura.xml": root / "coverage" / "cobertura-coverage.xml"}, out, expected, root
    )


def bandit(root: Path) -> None:
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    code, out = run([python, "-m", "pip", "install", "-q", BANDIT], root)
    if code != 0:
        sys.exit(f"pip install bandit failed:\n{out}")
    (root / "pkg").mkdir()
    (root / "pkg" / "app.py").write_text(BANDIT_APP, encoding="utf-8")
    code, _ = run(
        [python, "-m", "bandit", "-q", "-r", "pkg", "-f", "sarif", "-o", "bandit.sarif"], root
    )
    _, out = run([python, "-m", "bandit", "-q", "-r", "pkg"], root)
    block = out[out.index("Total issues (by severity)") :]
    expected = {
        "exit_code": code,
        "high": number(r"High: (\d+)", block),
        "medium": number(r"Medium: (\d+)", block),
        "low": number(r"Low: (\d+)", block),
    }
    save("bandit", {"bandit.sarif": root / "bandit.sarif"}, out, expected, root)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="localci-fixtures-") as tmp:
        root = Path(tmp).resolve()
        js = root / "js"
        js.mkdir()
        js_project(js)
        jest(js)
        mocha(js)
        nyc(js)
        py = root / "py"
        py.mkdir()
        bandit(py)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
