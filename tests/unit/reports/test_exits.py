"""Which exit codes mean "report written", per tool, and how other codes are explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from localci.reports.exits import explain_exit, report_exit_codes, tool_of


@pytest.mark.parametrize(
    ("kind", "argv", "codes"),
    [
        ("tests", ["{python}", "-m", "pytest", "-q"], {0, 1}),
        ("tests", ["python", "-m", "coverage", "run", "-m", "pytest"], {0, 1}),
        ("tests", ["coverage", "run", "--branch", "manage.py", "test"], {0, 1}),
        ("tests", ["npx", "jest", "--ci"], {0, 1}),
        ("tests", ["cargo", "nextest", "run", "--profile", "ci"], {0, 100}),
        ("tests", ["vendor/bin/phpunit", "--log-junit", "j.xml"], {0, 1, 2}),
        ("tests", ["go", "test", "./..."], {0, 1}),
        ("tests", ["ctest", "--output-junit", "j.xml"], {0, 8}),
        ("coverage", ["{python}", "-m", "coverage", "json"], {0, 2}),
        ("lint", ["ruff", "check", "--output-format=sarif"], {0, 1}),
        ("lint", ["unknown-linter"], {0, 1}),
        ("coverage", ["unknown-coverage"], {0, 2}),
    ],
)
def test_known_tools(kind: str, argv: list[str], codes: set[int]) -> None:
    assert report_exit_codes(kind, argv) == codes


def test_mocha_exits_with_the_number_of_failures() -> None:
    codes = report_exit_codes("tests", ["npx", "mocha", "--reporter", "mocha-junit-reporter"])
    assert {0, 1, 2, 17, 255} <= codes


def test_pylint_fatal_and_usage_bits_are_errors() -> None:
    codes = report_exit_codes("lint", ["pylint", "pkg"])
    assert {0, 2, 4, 6, 28} <= codes
    assert not {1, 3, 32} & codes


def test_shell_words_name_the_tool() -> None:
    assert tool_of("tests", ["cd", "web", "&&", "npx", "jest", "--ci"]) == "jest"


@pytest.mark.parametrize(
    ("code", "words"), [(2, "interrupted"), (3, "internal error"), (4, "bad arguments")]
)
def test_pytest_codes_are_named(code: int, words: str, tmp_path: Path) -> None:
    reason = explain_exit("tests", ["pytest"], code, "", tmp_path)
    assert reason is not None
    assert words in reason


def test_coverage_messages_are_quoted_without_local_paths(tmp_path: Path) -> None:
    output = f"Couldn't parse '{tmp_path}/pkg/gen.py' as Python source: 'invalid syntax' at line 1"
    reason = explain_exit("coverage", ["coverage", "json"], 1, output, tmp_path)
    assert reason == (
        "coverage.py failed (exit code 1): Couldn't parse 'pkg/gen.py' as Python source: "
        "'invalid syntax' at line 1; add --ignore-errors to the stage's coverage command to "
        "skip such files, or leave them out with omit under [run] in the coverage "
        "configuration"
    )


def test_no_coverage_data_says_which_stage_to_run(tmp_path: Path) -> None:
    reason = explain_exit("coverage", ["coverage", "json"], 1, "No data to report.\n", tmp_path)
    assert reason is not None
    assert "No data to report." in reason
    assert "coverage run" in reason


def test_unknown_output_is_left_to_the_exit_code(tmp_path: Path) -> None:
    assert explain_exit("coverage", ["coverage", "json"], 1, "Segmentation fault", tmp_path) is None
    assert explain_exit("lint", ["eslint"], 2, "Oops", tmp_path) is None
