"""The failure context: what it keeps, how it bounds itself, and what it says it cut."""

from __future__ import annotations

import json

from localci.context.failure import build_context, split_params
from localci.context.render import context_json, context_markdown
from localci.redact import Redactor
from localci.result.model import Finding, Result
from tests.factories import SHA, failed_test, make_result, make_stage, ran_tests

NO_ENV = Redactor(env={})


def _failing_result(*, tail_lines: int = 5, tests: int = 1, lint: int = 1) -> Result:
    test_findings = tuple(
        failed_test(
            f"tests/test_calc.py::test_add[{i}-{i + 1}]",
            message=f"AssertionError: assert {i} == {i + 1}",
            path="tests/test_calc.py",
            line=10 + i,
        )
        for i in range(tests)
    )
    lint_findings = tuple(
        Finding(
            kind="lint",
            message="`os` imported but unused",
            severity="error",
            path="src/calc.py",
            line=i + 1,
            column=8,
            rule="F401",
        )
        for i in range(lint)
    )
    tail = "\n".join(f"line {i}" for i in range(tail_lines))
    return make_result(
        make_stage(
            "tests",
            "tests",
            status="failed",
            reason=f"{tests} tests failed (max_failures 0)",
            exit_code=1,
            metrics=ran_tests(5, 4, failed=1),
            findings=test_findings,
            findings_total=tests,
            log_tail=tail,
        ),
        make_stage(
            "lint",
            "lint",
            status="failed",
            reason="findings",
            command=("ruff", "check", "."),
            findings=lint_findings,
            findings_total=lint,
            log_tail="ruff says no",
        ),
        make_stage("build"),
        conclusion="failure",
    )


def test_split_params_takes_the_bracketed_tail() -> None:
    assert split_params("t.py::test_x[1-a[b]]") == ("t.py::test_x", "1-a[b]")
    assert split_params("t.py::C::test_y") == ("t.py::C::test_y", None)


def test_context_keeps_failed_stages_tests_findings_and_reproduce_commands() -> None:
    ctx = build_context(_failing_result(), redact=NO_ENV)
    assert [s.name for s in ctx.stages] == ["tests", "lint"]
    tests, lint = ctx.stages
    assert tests.tests[0].id == "tests/test_calc.py::test_add"
    assert tests.tests[0].params == "0-1"
    assert tests.tests[0].location == "tests/test_calc.py:10"
    assert tests.reproduce[0] == "python -m pytest 'tests/test_calc.py::test_add[0-1]'"
    assert lint.findings[0].location == "src/calc.py:1:8"
    assert lint.reproduce == ("ruff check src/calc.py", "localci run --stage lint")
    md = context_markdown(ctx)
    assert f"`{SHA}`" in md
    assert "sha256 `" + "c" * 64 in md
    assert "localci: 0.1.0" in md
    assert "`src/calc.py:1:8` **F401**" in md
    assert "with parameters `0-1` at `tests/test_calc.py:10`" in md
    assert "Cut to fit" not in md


def test_log_tails_are_bounded_per_stage_and_redacted_again() -> None:
    secret = "ghp_" + "a" * 36
    result = _failing_result(tail_lines=500)
    stage = result.stages[0]
    noisy = f"{stage.log_tail}\n" + "x" * 40000 + "\n" + f"token {secret}"
    from dataclasses import replace

    result = replace(result, stages=(replace(stage, log_tail=noisy),))
    ctx = build_context(result, redact=NO_ENV)
    tail = ctx.stages[0].tail
    assert tail[-1] == "token ***"
    assert len(tail) == 1
    assert ctx.stages[0].tail_cut
    assert secret not in context_markdown(ctx)


def test_the_whole_is_bounded_and_every_cut_is_stated() -> None:
    ctx = build_context(
        _failing_result(tail_lines=200, tests=300, lint=300),
        redact=NO_ENV,
    )
    full = context_markdown(ctx, max_bytes=10**7)
    assert "Cut to fit" not in full
    for limit in (64 * 1024, 16 * 1024, 4096):
        md = context_markdown(ctx, max_bytes=limit)
        assert len(md.encode()) <= limit
        assert "output cut to the last" in md or "cut at the" in md
        doc = context_json(ctx, max_bytes=limit)
        assert len(json.dumps(doc, indent=2, ensure_ascii=False).encode()) <= limit
        assert doc["cut"]
        assert doc["commit"] == SHA
    small = context_json(ctx, max_bytes=16 * 1024)
    assert any("failing tests cut to" in c or "findings cut to" in c for c in small["cut"])


def test_tiny_limit_still_fits_and_says_so() -> None:
    ctx = build_context(_failing_result(), redact=NO_ENV)
    md = context_markdown(ctx, max_bytes=300)
    assert len(md.encode()) <= 300
    assert md.endswith("limit)\n")


def test_flaky_history_relevant_to_the_result_is_mentioned() -> None:
    ctx = build_context(
        _failing_result(),
        redact=NO_ENV,
        flaky={"tests/test_calc.py::test_add[0-1]": 3, "tests/other.py::test_z": 1},
    )
    assert ctx.flaky == {"tests/test_calc.py::test_add[0-1]": 3}
    assert "flaky in 3 run(s)" in context_markdown(ctx)
