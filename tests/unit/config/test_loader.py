"""The config loader: lookup order, schema errors with file:line:col, semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from localci.config.loader import (
    DEFAULT_CONFIG_YAML,
    Config,
    ConfigSource,
    find_config,
    load_config,
    parse_config,
    parse_duration,
)
from localci.errors import ConfigError

STAGE = "stages:\n  - name: unit\n    run: [echo, hi]\n"


def parse(text: str, display: str = ".localci.yml") -> Config:
    return parse_config(ConfigSource(kind="yaml", display=display, text=text))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert info.value.exit_code == 2
    return info.value.diagnostics()


def test_default_config_is_valid_and_names_the_python_stages() -> None:
    config = parse_config(
        ConfigSource(kind="default", display="<default>", text=DEFAULT_CONFIG_YAML)
    )
    assert [s.name for s in config.stages] == ["tests", "coverage", "lint"]
    assert config.stage("lint").skip_if_missing  # type: ignore[union-attr]
    assert config.stage("tests").max_failures == 0  # type: ignore[union-attr]
    assert len(config.sha256) == 64


def test_lookup_order(tmp_path: Path) -> None:
    assert find_config(tmp_path).kind == "default"
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    assert find_config(tmp_path).kind == "default"  # no [tool.localci] table
    (tmp_path / "pyproject.toml").write_text(
        "[tool.localci]\n[[tool.localci.stages]]\nname = 'a'\nrun = ['true']\n"
    )
    assert find_config(tmp_path).kind == "pyproject"
    (tmp_path / ".localci.yaml").write_text(STAGE)
    assert find_config(tmp_path).display == ".localci.yaml"
    (tmp_path / ".localci.yml").write_text(STAGE)
    assert find_config(tmp_path).display == ".localci.yml"
    other = tmp_path / "ci" / "other.yml"
    other.parent.mkdir()
    other.write_text(STAGE.replace("unit", "explicit"))
    assert load_config(tmp_path, other).stages[0].name == "explicit"
    assert load_config(tmp_path, other).path == "ci/other.yml"


def test_missing_explicit_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path, tmp_path / "nope.yml")


def test_unknown_key_names_position_and_suggests() -> None:
    message = error_of(STAGE + "    timout: 30\n")
    assert ".localci.yml:4:5: stages[0].timout: unknown key; did you mean `timeout`?" in message


def test_unknown_top_level_key() -> None:
    message = error_of(STAGE + "verfy: {}\n")
    assert ".localci.yml:4:1: verfy: unknown key; did you mean `verify`?" in message


def test_wrong_type_names_position() -> None:
    message = error_of(STAGE + "    timeout: soon\n")
    assert ".localci.yml:4:14: stages[0].timeout: 'soon' is not of type 'number'" in message


def test_malformed_yaml_names_position() -> None:
    message = error_of("stages:\n  - name: [unclosed\n")
    assert message.startswith(".localci.yml:3:1: not valid YAML")


def test_duplicate_keys_are_rejected() -> None:
    message = error_of("stages:\n  - name: a\n    name: b\n    run: [x]\n")
    assert ".localci.yml:3:5: stages[0].name: duplicate key" in message


def test_not_a_mapping() -> None:
    assert "is not of type 'object'" in error_of("- just\n- a list\n")


def test_empty_file() -> None:
    assert "is not of type 'object'" in error_of("")


def test_string_run_requires_shell() -> None:
    assert "needs `shell: true`" in error_of("stages:\n  - name: a\n    run: make test\n")
    config = parse("stages:\n  - name: a\n    run: make test\n    shell: true\n")
    assert config.stages[0].run == "make test"


def test_needs_must_name_a_stage_and_suggest() -> None:
    text = STAGE + "  - name: lint\n    run: [x]\n    needs: [unti]\n"
    assert "stages[1].needs[0]: no stage is named 'unti'; did you mean `unit`?" in error_of(text)


def test_cycles_are_reported() -> None:
    text = "stages:\n  - {name: a, run: [x], needs: [b]}\n  - {name: b, run: [x], after: [a]}\n"
    assert "cycle: a -> b -> a" in error_of(text)


def test_duplicate_stage_names() -> None:
    assert "duplicate stage name 'unit'" in error_of(STAGE + "  - name: unit\n    run: [y]\n")


def test_report_format_must_fit_kind() -> None:
    text = "stages:\n  - {name: t, kind: tests, run: [x], report: {format: sarif, path: r}}\n"
    assert "a tests stage takes junit" in error_of(text)


def test_report_kinds_need_a_report() -> None:
    assert "needs a `report`" in error_of("stages:\n  - {name: t, kind: lint, run: [x]}\n")


def test_threshold_must_fit_kind() -> None:
    text = (
        "stages:\n  - {name: t, kind: tests, run: [x], min_percent: 80,"
        " report: {format: junit, path: r}}\n"
    )
    assert "`min_percent` applies to coverage stages, not tests" in error_of(text)


def test_required_stages_must_exist() -> None:
    text = STAGE + "verify:\n  required_stages: [unit, docs]\n"
    assert ".localci.yml:5:27: verify.required_stages[1]: no stage is named 'docs'" in error_of(
        text
    )


def test_signer_needs_an_identity() -> None:
    text = STAGE + "verify:\n  signers:\n    - issuer: https://x\n"
    assert "verify.signers[0]" in error_of(text)


def test_defaults_and_policy_are_frozen() -> None:
    config = parse(
        STAGE
        + "  - {name: lint, kind: lint, run: [x], report: {format: sarif, path: r}}\n"
        + "verify:\n  max_age: 7d\n  signers: [{identity: a@b.c, issuer: https://i}]\n"
    )
    assert config.stage("lint").max_findings == 0  # type: ignore[union-attr]
    assert config.stage("lint").severity == "warning"  # type: ignore[union-attr]
    assert config.verify.max_age == 7 * 86400
    assert config.verify.required_stages == ("unit", "lint")
    assert config.verify.signers[0].identity == "a@b.c"
    assert config.publish.notes_ref == "refs/notes/localci"


def test_env_values_become_strings() -> None:
    config = parse("stages:\n  - {name: a, run: [x], env: {N: 3, F: true, S: s}}\n")
    assert config.stages[0].env == (("F", "1"), ("N", "3"), ("S", "s"))


def test_digest_ignores_formatting() -> None:
    a = parse("stages: [{name: a, run: [x]}]\n")
    b = parse("# comment\nstages:\n  - run: [x]\n    name: a\n")
    assert a.sha256 == b.sha256


def test_pyproject_errors_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n[tool.localci]\n[[tool.localci.stages]]\n"
        "name = 'a'\nrun = ['true']\ntimout = 3\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "pyproject.toml:8:1: stages[0].timout: unknown key; did you mean `timeout`?" in (
        info.value.diagnostics()
    )


def test_pyproject_not_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.localci\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "seconds"), [("45s", 45), ("30m", 1800), ("12h", 43200), ("7d", 604800), (90, 90)]
)
def test_parse_duration(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_parse_duration_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


def test_default_lint_never_fixes() -> None:
    """Issue 11.1: `fix = true` in a project's ruff config must not edit the code under test."""
    config = parse_config(
        ConfigSource(kind="default", display="<default>", text=DEFAULT_CONFIG_YAML)
    )
    lint = config.stage("lint")
    assert lint is not None
    assert "--no-fix" in lint.run
