"""Configuration: find it, parse it with positions, validate it, and freeze it.

Lookup order (first that exists): ``--config PATH``, ``.localci.yml``, ``.localci.yaml``,
``[tool.localci]`` in ``pyproject.toml``, then :data:`DEFAULT_CONFIG_YAML`.
``schemas/config.v1.schema.json`` is the contract. Every error names ``file:line:col``
and the key path, and suggests a close match for an unknown key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from localci.config.defaults import DEFAULT_CONFIG_YAML
from localci.config.model import (
    CONFIG_FILES,
    DEFAULT_ANNOTATIONS,
    DEFAULT_PATH,
    Config,
    ConfigSource,
    PublishConfig,
    ReportSpec,
    Signer,
    StageConfig,
    VerifyPolicy,
)
from localci.config.source import (
    display_path,
    load_pyproject,
    load_yaml,
    pyproject_table,
    read_text,
)
from localci.config.validate import check_semantics, validate
from localci.result.digest import sha256_hex

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_CONFIG_YAML",
    "Config",
    "ConfigSource",
    "PublishConfig",
    "ReportSpec",
    "Signer",
    "StageConfig",
    "VerifyPolicy",
    "config_from_document",
    "find_config",
    "find_config_at",
    "load_config",
    "parse_config",
    "parse_duration",
]

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def find_config(root: Path, explicit: Path | None = None) -> ConfigSource:
    """The configuration for the repository at ``root`` (see the lookup order above).

    :raises ConfigError: when ``explicit`` does not exist or cannot be read.
    """
    if explicit is not None:
        kind: Literal["yaml", "pyproject"] = (
            "pyproject" if explicit.name == "pyproject.toml" else "yaml"
        )
        return ConfigSource(
            kind=kind, display=display_path(explicit, root), text=read_text(explicit)
        )
    for name in CONFIG_FILES:
        if (root / name).is_file():
            return ConfigSource(kind="yaml", display=name, text=read_text(root / name))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        text = read_text(pyproject)
        if pyproject_table(text, "pyproject.toml") is not None:
            return ConfigSource(kind="pyproject", display="pyproject.toml", text=text)
    return ConfigSource(kind="default", display=DEFAULT_PATH, text=DEFAULT_CONFIG_YAML)


def find_config_at(root: Path, commit: str) -> ConfigSource:
    """Like :func:`find_config`, but reads the files as they are in ``commit`` (no
    checkout needed: the cache decides before any worktree exists)."""
    from localci.git import show_file

    for name in CONFIG_FILES:
        text = show_file(root, commit, name)
        if text is not None:
            return ConfigSource(kind="yaml", display=name, text=text)
    text = show_file(root, commit, "pyproject.toml")
    if text is not None and pyproject_table(text, "pyproject.toml") is not None:
        return ConfigSource(kind="pyproject", display="pyproject.toml", text=text)
    return ConfigSource(kind="default", display=DEFAULT_PATH, text=DEFAULT_CONFIG_YAML)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """:func:`find_config` then :func:`parse_config`.

    :raises ConfigError: for any unreadable, malformed or invalid configuration.
    """
    return parse_config(find_config(root, explicit))


def parse_config(source: ConfigSource) -> Config:
    """Parse, validate and freeze ``source`` (:func:`config_from_document` for a document
    parsed and validated before).

    :raises ConfigError: with ``file:line:col: key.path: problem`` lines.
    """
    if source.kind == "pyproject":
        data, positions = load_pyproject(source)
    else:
        data, positions = load_yaml(source)
    if isinstance(data, dict) and "stages" not in data and source.kind != "default":
        # A file that only sets the policy (verify:, publish:) keeps the default stages.
        data = {**data, "stages": _default_stages()}
    validate(data, positions, source)
    check_semantics(data, positions, source)
    return _freeze(data, source)


def config_from_document(data: Mapping[str, Any], source: ConfigSource) -> Config:
    """The :class:`Config` of ``data``, the document :func:`parse_config` made of
    ``source`` before (a caller that remembers it skips the YAML or TOML parser and the
    JSON-schema pass); the semantic rules run again.

    :raises ConfigError: when a semantic rule fails; the positions in the text are not
        known here, so each problem is placed at ``file:1:1`` (parse the text with
        :func:`parse_config` for the exact ones).
    """
    check_semantics(data, {}, source)
    return _freeze(data, source)


def _default_stages() -> list[Any]:
    import yaml

    stages: list[Any] = yaml.safe_load(DEFAULT_CONFIG_YAML)["stages"]
    return stages


def parse_duration(value: str | int) -> float:
    """Seconds in ``7d`` / ``12h`` / ``30m`` / ``45s`` / ``2w`` or a plain integer.

    :raises ValueError: for anything else.
    """
    if isinstance(value, int):
        return float(value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 7d, 12h, 30m)")
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


# -- freezing --------------------------------------------------------------------------


def _freeze(data: Mapping[str, Any], source: ConfigSource) -> Config:
    stages = tuple(_freeze_stage(s) for s in data["stages"])
    verify = data.get("verify", {})
    cache = data.get("cache", {})
    policy = VerifyPolicy(
        signers=tuple(Signer(**s) for s in verify.get("signers", [])),
        require_signature=verify.get("require_signature", True),
        max_age=parse_duration(verify["max_age"]) if "max_age" in verify else None,
        accept_same_tree=verify.get("accept_same_tree", False),
        require_merge_result=verify.get("require_merge_result", False),
        required_stages=tuple(verify.get("required_stages", [s.name for s in stages])),
    )
    return Config(
        path=source.display,
        sha256=sha256_hex(data),
        document=data,
        stages=stages,
        verify=policy,
        publish=_freeze_publish(data.get("publish", {})),
        cache_enabled=cache.get("enabled", True),
        cache_inputs=tuple(cache.get("inputs", [])),
        retention_days=data.get("retention_days", 14),
        python=data.get("python"),
    )


def _freeze_publish(p: Mapping[str, Any]) -> PublishConfig:
    fields = dict(p)
    modes = fields.pop("annotations", None)
    if isinstance(modes, str):
        fields["annotations"] = tuple((kind, modes) for kind, _ in DEFAULT_ANNOTATIONS)
    elif isinstance(modes, Mapping):
        fields["annotations"] = tuple(sorted({**dict(DEFAULT_ANNOTATIONS), **modes}.items()))
    return PublishConfig(**fields)


def _freeze_stage(s: Mapping[str, Any]) -> StageConfig:
    kind = s.get("kind", "command")
    report = s.get("report")
    return StageConfig(
        name=s["name"],
        kind=kind,
        run=s["run"] if isinstance(s["run"], str) else tuple(s["run"]),
        shell=s.get("shell", False),
        env=tuple(sorted((k, _env_str(v)) for k, v in s.get("env", {}).items())),
        cwd=s.get("cwd"),
        timeout=float(s["timeout"]) if "timeout" in s else None,
        needs=tuple(s.get("needs", [])),
        after=tuple(s.get("after", [])),
        report=ReportSpec(**report) if report else None,
        min_percent=s.get("min_percent"),
        max_failures=s.get("max_failures", 0 if kind == "tests" else None),
        max_flaky=s.get("max_flaky", 0 if kind == "tests" else None),
        max_findings=s.get("max_findings", 0 if kind == "lint" else None),
        severity=s.get("severity", "warning"),
        skip_if_missing=s.get("skip_if_missing", False),
        inputs=tuple(s.get("inputs", [])),
        report_exit_codes=frozenset(s["report_exit_codes"]) if "report_exit_codes" in s else None,
    )


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
