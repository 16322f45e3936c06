"""Configuration: find it, parse it with positions, validate it, and freeze it.

Lookup order (first that exists): ``--config PATH``, ``.localci.yml``, ``.localci.yaml``,
``[tool.localci]`` in ``pyproject.toml``, then :data:`DEFAULT_CONFIG_YAML`.
``schemas/config.v1.schema.json`` is the contract. Every error names ``file:line:col``
and the key path, and suggests a close match for an unknown key.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from localci.errors import ConfigError
from localci.result.digest import sha256_hex
from localci.result.model import Severity
from localci.schemas import CONFIG_SCHEMA, iter_errors

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

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
    "find_config",
    "find_config_at",
    "load_config",
    "parse_config",
    "parse_duration",
]

CONFIG_FILES = (".localci.yml", ".localci.yaml")
DEFAULT_PATH = "<default>"

DEFAULT_CONFIG_YAML = """\
# localci configuration (schema: schemas/config.v1.schema.json)
version: 1
stages:
  - name: tests
    kind: tests
    run: ["{python}", "-m", "coverage", "run", "--data-file={reports}/.coverage",
          "-m", "pytest", "--junitxml={reports}/junit.xml", "-q"]
    report: {format: junit, path: "{reports}/junit.xml"}
    max_failures: 0
  - name: coverage
    kind: coverage
    after: [tests]
    run: ["{python}", "-m", "coverage", "json", "--data-file={reports}/.coverage",
          "-o", "{reports}/coverage.json"]
    report: {format: coverage-json, path: "{reports}/coverage.json"}
  - name: lint
    kind: lint
    run: ["ruff", "check", "--output-format=json", "--output-file={reports}/ruff.json", "."]
    report: {format: ruff-json, path: "{reports}/ruff.json"}
    max_findings: 0
    skip_if_missing: true
"""
"""The embedded default for Python projects: pytest under coverage, coverage JSON, ruff."""

_REPORT_FORMATS: Mapping[str, tuple[str, ...]] = {
    "tests": ("junit",),
    "coverage": ("coverage-json", "cobertura"),
    "lint": ("sarif", "ruff-json"),
    "command": (),
}
_THRESHOLD_KIND = {"min_percent": "coverage", "max_failures": "tests", "max_findings": "lint"}
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

Pos = tuple[int, int]
KeyPath = tuple[str | int, ...]
_KEY = "\0key"  # positions of keys (not values) are stored under (_KEY, *path)


def _key_path(path: KeyPath, *more: str | int) -> KeyPath:
    return (_KEY, *path, *more)


@dataclass(frozen=True, kw_only=True)
class ReportSpec:
    """Where a stage writes its report and in which format (``junit``, ``sarif``, ...)."""

    format: str
    path: str


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """One stage as configured.

    ``run`` is an argv tuple, or a single shell string when ``shell`` is true.
    ``timeout`` is in seconds (``None``: no limit). ``env`` is a sorted tuple of
    ``(name, value)`` pairs added to the inherited environment. ``needs`` must have
    passed before the stage starts; ``after`` only orders (whatever their outcome).
    Thresholds apply by kind:
    ``min_percent`` (coverage), ``max_failures`` (tests), ``max_findings`` + ``severity``
    (lint).
    """

    name: str
    kind: Literal["tests", "coverage", "lint", "command"]
    run: tuple[str, ...] | str
    shell: bool = False
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    timeout: float | None = None
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    report: ReportSpec | None = None
    min_percent: float | None = None
    max_failures: int | None = None
    max_findings: int | None = None
    severity: Severity = "warning"
    skip_if_missing: bool = False
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Signer:
    """An allowlisted signer: exact ``identity`` or ``identity_regex``, and OIDC ``issuer``."""

    issuer: str
    identity: str | None = None
    identity_regex: str | None = None


@dataclass(frozen=True, kw_only=True)
class VerifyPolicy:
    """The ``verify:`` section. ``max_age`` is in seconds (``None``: no limit).

    ``required_stages`` defaults to every configured stage.
    """

    signers: tuple[Signer, ...] = ()
    require_signature: bool = True
    max_age: float | None = None
    accept_same_tree: bool = False
    required_stages: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PublishConfig:
    """The ``publish:`` section: where results go and under which names."""

    notes_ref: str = "refs/notes/localci"
    check_name: str = "localci"
    status_context: str = "localci"
    target_url: str | None = None
    remote: str = "origin"
    annotate_uncovered: bool = False


@dataclass(frozen=True, kw_only=True)
class Config:
    """A validated configuration.

    ``path`` is where it came from, relative to the repository root when inside it
    (``.localci.yml``, ``pyproject.toml``) or ``<default>``; ``sha256`` is the digest of
    ``document`` as RFC 8785 canonical JSON, recorded in every result.
    """

    path: str
    sha256: str
    document: Mapping[str, Any]
    stages: tuple[StageConfig, ...]
    verify: VerifyPolicy = field(default_factory=VerifyPolicy)
    publish: PublishConfig = field(default_factory=PublishConfig)
    cache_enabled: bool = True
    cache_inputs: tuple[str, ...] = ()
    retention_days: int = 14

    def stage(self, name: str) -> StageConfig | None:
        """The stage called ``name``, or ``None``."""
        return next((s for s in self.stages if s.name == name), None)


@dataclass(frozen=True, kw_only=True)
class ConfigSource:
    """Configuration text and where it came from.

    ``kind`` is ``yaml``, ``pyproject`` or ``default``; ``display`` names the file in
    messages (relative to the repository root when possible).
    """

    kind: Literal["yaml", "pyproject", "default"]
    display: str
    text: str


def find_config(root: Path, explicit: Path | None = None) -> ConfigSource:
    """The configuration for the repository at ``root`` (see the lookup order above).

    :raises ConfigError: when ``explicit`` does not exist or cannot be read.
    """
    if explicit is not None:
        kind: Literal["yaml", "pyproject"] = (
            "pyproject" if explicit.name == "pyproject.toml" else "yaml"
        )
        return ConfigSource(kind=kind, display=_display(explicit, root), text=_read(explicit))
    for name in CONFIG_FILES:
        if (root / name).is_file():
            return ConfigSource(kind="yaml", display=name, text=_read(root / name))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        text = _read(pyproject)
        if _pyproject_table(text, "pyproject.toml") is not None:
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
    if text is not None and _pyproject_table(text, "pyproject.toml") is not None:
        return ConfigSource(kind="pyproject", display="pyproject.toml", text=text)
    return ConfigSource(kind="default", display=DEFAULT_PATH, text=DEFAULT_CONFIG_YAML)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """:func:`find_config` then :func:`parse_config`.

    :raises ConfigError: for any unreadable, malformed or invalid configuration.
    """
    return parse_config(find_config(root, explicit))


def parse_config(source: ConfigSource) -> Config:
    """Parse, validate and freeze ``source``.

    :raises ConfigError: with ``file:line:col: key.path: problem`` lines.
    """
    if source.kind == "pyproject":
        data, positions = _load_pyproject(source)
    else:
        data, positions = _load_yaml(source)
    _validate(data, positions, source)
    _check_semantics(data, positions, source)
    return _freeze(data, source)


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


# -- reading ---------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from None


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _load_yaml(source: ConfigSource) -> tuple[Any, dict[KeyPath, Pos]]:
    try:
        loader = yaml.SafeLoader(source.text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source.display}:{mark.line + 1}:{mark.column + 1}" if mark else source.display
        raise ConfigError(
            f"{where}: not valid YAML: {exc.problem or exc.context}",
            hint="Check the indentation and quoting near that position.",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source.display}: not valid YAML: {exc}") from None
    positions: dict[KeyPath, Pos] = {}
    if node is not None:
        _record_positions(node, (), positions, source)
    return data, positions


def _record_positions(
    node: yaml.Node, path: KeyPath, out: dict[KeyPath, Pos], source: ConfigSource
) -> None:
    """Record each value's position under its key path, and each key's under ``KEY + path``."""
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            key_pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                raise ConfigError(
                    f"{source.display}:{key_pos[0]}:{key_pos[1]}: "
                    f"{_dotted(path + (key,))}: duplicate key"
                )
            seen.add(key)
            out[_key_path(path, key)] = key_pos
            _record_positions(value_node, path + (key,), out, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, path + (index,), out, source)


def _pyproject_table(text: str, display: str) -> Any:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display}: not valid TOML: {exc}") from None
    return doc.get("tool", {}).get("localci")


def _load_pyproject(source: ConfigSource) -> tuple[Any, dict[KeyPath, Pos]]:
    data = _pyproject_table(source.text, source.display)
    if data is None:
        raise ConfigError(f"{source.display}: no [tool.localci] table")
    return data, _toml_positions(source.text, data)


def _toml_positions(text: str, data: Any) -> dict[KeyPath, Pos]:
    """Best-effort positions for ``[tool.localci]`` keys: tomllib keeps none.

    Each key path maps to the first line, after the ``[tool.localci`` header, that
    assigns that key; nested list items map to their table's header.
    """
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("[tool.localci")), 0)
    out: dict[KeyPath, Pos] = {(): (start + 1, 1)}

    def walk(value: Any, path: KeyPath, after: int) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                hit = _find_key_line(lines, str(key), after)
                out[path + (key,)] = out[_key_path(path, key)] = hit
                walk(sub, path + (key,), hit[0] - 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                out[path + (index,)] = out.get(path, (after + 1, 1))
                walk(item, path + (index,), after)

    walk(data, (), start)
    return out


def _find_key_line(lines: Sequence[str], key: str, after: int) -> Pos:
    pattern = re.compile(rf'^(\s*)(?:"{re.escape(key)}"|{re.escape(key)})\s*=|[{{,]\s*{key}\s*=')
    for index in range(after, len(lines)):
        match = pattern.search(lines[index])
        if match:
            return index + 1, match.start() + 1 + len(match.group(1) or "")
    return after + 1, 1


# -- validation ------------------------------------------------------------------------


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _where(
    source: ConfigSource, positions: Mapping[KeyPath, Pos], path: KeyPath, *, key: bool = False
) -> str:
    """``file:line:col`` of ``path`` (of its key when ``key``), else of its nearest parent."""
    if key and _key_path(path) in positions:
        line, col = positions[_key_path(path)]
        return f"{source.display}:{line}:{col}"
    for cut in range(len(path), -1, -1):
        pos = positions.get(path[:cut])
        if pos is not None:
            return f"{source.display}:{pos[0]}:{pos[1]}"
    return f"{source.display}:1:1"


def _validate(data: Any, positions: Mapping[KeyPath, Pos], source: ConfigSource) -> None:
    messages: list[str] = []
    for error in iter_errors(CONFIG_SCHEMA, data):
        path: KeyPath = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            schema = error.schema if isinstance(error.schema, Mapping) else {}
            allowed = sorted(schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                messages.append(
                    f"{_where(source, positions, path + (key,), key=True)}: "
                    f"{_dotted(path + (key,))}: "
                    f"unknown key{_suggest(str(key), allowed)}"
                )
        else:
            messages.append(
                f"{_where(source, positions, path)}: {_dotted(path)}: {_explain(error)}"
            )
        if len(messages) >= 5:
            break
    if messages:
        raise ConfigError(
            "invalid configuration:\n" + "\n".join(messages),
            hint="See schemas/config.v1.schema.json, or run `localci init` for a starter file.",
        )


def _suggest(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean `{close[0]}`?"
    return f" (expected one of: {', '.join(allowed)})" if allowed else ""


def _explain(error: Any) -> str:
    if error.validator == "oneOf" and error.schema.get("description"):
        return f"{error.instance!r} is not valid here: {error.schema['description']}"
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    return str(error.message)


def _check_semantics(data: Any, positions: Mapping[KeyPath, Pos], source: ConfigSource) -> None:
    stages: list[dict[str, Any]] = data["stages"]
    names = [s["name"] for s in stages]
    problems: list[str] = []

    def fail(path: KeyPath, text: str) -> None:
        problems.append(f"{_where(source, positions, path)}: {_dotted(path)}: {text}")

    for index, stage in enumerate(stages):
        base: KeyPath = ("stages", index)
        if names.index(stage["name"]) != index:
            fail(base + ("name",), f"duplicate stage name {stage['name']!r}")
        _check_stage(stage, base, names, fail)
    if not problems:
        cycle = _find_cycle(stages)
        if cycle:
            fail(("stages",), "`needs`/`after` form a cycle: " + " -> ".join(cycle))
    for index, name in enumerate(data.get("verify", {}).get("required_stages", [])):
        if name not in names:
            fail(("verify", "required_stages", index), f"no stage is named {name!r}")
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(problems))


def _check_stage(stage: Mapping[str, Any], base: KeyPath, names: list[str], fail: Any) -> None:
    kind = stage.get("kind", "command")
    shell = stage.get("shell", False)
    if isinstance(stage["run"], str) and not shell:
        fail(base + ("run",), "a string command needs `shell: true`; or give an argv list")
    if shell and not isinstance(stage["run"], str):
        fail(base + ("run",), "with `shell: true`, `run` must be one string")
    for key in ("needs", "after"):
        for i, need in enumerate(stage.get(key, [])):
            if need not in names:
                fail(base + (key, i), f"no stage is named {need!r}{_suggest(need, names)}")
            elif need == stage["name"]:
                fail(base + (key, i), "a stage cannot wait for itself")
    report = stage.get("report")
    allowed = _REPORT_FORMATS[kind]
    if report is not None and report["format"] not in allowed:
        expected = ", ".join(allowed) if allowed else "no report"
        fail(base + ("report", "format"), f"a {kind} stage takes {expected}")
    if report is None and kind != "command":
        fail(base, f"a {kind} stage needs a `report` ({', '.join(allowed)})")
    for key, wanted in _THRESHOLD_KIND.items():
        if key in stage and kind != wanted:
            fail(base + (key,), f"`{key}` applies to {wanted} stages, not {kind}")


def _find_cycle(stages: Sequence[Mapping[str, Any]]) -> list[str] | None:
    needs = {s["name"]: [*s.get("needs", []), *s.get("after", [])] for s in stages}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for need in needs[name]:
            if state.get(need) == 1:
                return stack[stack.index(need) :] + [need]
            if need not in state:
                found = visit(need)
                if found:
                    return found
        stack.pop()
        state[name] = 2
        return None

    for name in needs:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


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
        required_stages=tuple(verify.get("required_stages", [s.name for s in stages])),
    )
    return Config(
        path=source.display,
        sha256=sha256_hex(data),
        document=data,
        stages=stages,
        verify=policy,
        publish=PublishConfig(**data.get("publish", {})),
        cache_enabled=cache.get("enabled", True),
        cache_inputs=tuple(cache.get("inputs", [])),
        retention_days=data.get("retention_days", 14),
    )


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
        max_findings=s.get("max_findings", 0 if kind == "lint" else None),
        severity=s.get("severity", "warning"),
        skip_if_missing=s.get("skip_if_missing", False),
        inputs=tuple(s.get("inputs", [])),
    )


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
