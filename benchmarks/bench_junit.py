"""Benchmark: time to parse a JUnit XML report of 62,000 test cases.

Usage: ``python benchmarks/bench_junit.py [--cases N] [--rounds N] [--producer P]``

Set-up: a temporary JUnit file shaped like the producer's (``pytest``: pytest 9's
``<testsuites name="pytest tests">`` with ``classname``/``name`` per test, 1 % failing
with a traceback, 1 % skipped, parametrised names; ``generic``: jest-junit's shape with a
``file`` attribute), in test modules that exist on disk so the pytest layer resolves
node ids as it does on a real project. Then ``N`` rounds of
:func:`localci.reports.parse_report` on it in this process, and the same file through
the XML parser alone (what any reader pays). It prints the median and min/max of each
against the target of 0.3 s for 62,000 cases. This is a measurement, never a test
assertion.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from xml.etree.ElementTree import XMLParser
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localci.reports import parse_report  # noqa: E402

TARGET_SECONDS = 0.3
MODULE_SIZE = 500  # tests per generated module
TRACEBACK = (
    "def test_value():\n&gt;       assert compute() == 2\nE       assert 1 == 2\n\n"
    "{path}:17: AssertionError"
)


def _case(i: int, producer: str) -> str:
    module = f"tests/test_mod{i // MODULE_SIZE}"
    if producer == "pytest":
        attrs = f'classname="{module.replace("/", ".")}.TestK" name="test_{i}[p{i}]"'
    else:
        title = quoteattr(f"suite {i // MODULE_SIZE} does thing {i}")
        attrs = f'classname={title} name={title} file="{module}.test.js"'
    if i % 100 == 0:
        text = TRACEBACK.format(path=f"{module}.py")
        child = f'<failure message="assert 1 == 2">{text}</failure>'
    elif i % 100 == 1:
        child = '<skipped type="pytest.skip" message="no"/>'
    else:
        return f'<testcase {attrs} time="0.001"/>'
    return f'<testcase {attrs} time="0.001">{child}</testcase>'


def write_report(directory: Path, cases: int, producer: str) -> Path:
    """Write a ``cases``-test report and its test modules under ``directory``."""
    tests = directory / "tests"
    tests.mkdir()
    for n in range(cases // MODULE_SIZE + 1):
        (tests / f"test_mod{n}.py").write_text("class TestK:\n    pass\n", encoding="utf-8")
    suites = '<testsuites name="pytest tests">' if producer == "pytest" else "<testsuites>"
    suite = "pytest" if producer == "pytest" else "jest tests"
    body = "".join(_case(i, producer) for i in range(cases))
    report = directory / "junit.xml"
    report.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>{suites}<testsuite name="{suite}" '
        f'tests="{cases}">{body}</testsuite></testsuites>',
        encoding="utf-8",
    )
    return report


def _time(action: object, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def _xml_only(report: Path) -> None:
    parser = XMLParser()  # noqa: S314 - the file this script just wrote
    parser.feed(report.read_bytes())
    parser.close()


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--cases", type=int, default=62_000)
    args.add_argument("--rounds", type=int, default=5)
    args.add_argument("--producer", choices=["pytest", "generic"], default="pytest")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory(prefix="localci-bench-junit-") as tmp:
        root = Path(tmp)
        report = write_report(root, opts.cases, opts.producer)
        data = parse_report("junit", report, root=root)
        assert data.tests is not None
        assert data.tests.total == opts.cases
        parse = _time(lambda: parse_report("junit", report, root=root), opts.rounds)
        xml = _time(lambda: _xml_only(report), opts.rounds)
    print(f"JUnit report: {opts.cases} cases ({opts.producer}), {opts.rounds} rounds")
    for label, times in (("parse_report", parse), ("XML alone", xml)):
        print(
            f"  {label:<13} median {statistics.median(times):.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f})"
        )
    verdict = "meets" if statistics.median(parse) <= TARGET_SECONDS else "misses"
    print(f"  target {TARGET_SECONDS} s: {verdict} it")


if __name__ == "__main__":
    main()
