"""Validation of a configuration document: the JSON schema, then the rules a schema
cannot say (stage references, cycles, report formats and thresholds by kind).

Every message is ``file:line:col: key.path: problem``, with a close match for a typo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from localci.config.model import ConfigSource
from localci.config.source import KeyPath, Pos, dotted, key_path
from localci.errors import ConfigError
from localci.schemas import CONFIG_SCHEMA, iter_errors

__all__ = ["check_semantics", "suggest", "validate"]

_REPORT_FORMATS: Mapping[str, tuple[str, ...]] = {
    "tests": ("junit",),
    "coverage": ("coverage-json", "cobertura"),
    "lint": ("sarif", "ruff-json"),
    "command": (),
}
_THRESHOLD_KIND = {
    "min_percent": "coverage",
    "max_failures": "tests",
    "max_flaky": "tests",
    "max_findings": "lint",
}


def _where(
    source: ConfigSource, positions: Mapping[KeyPath, Pos], path: KeyPath, *, key: bool = False
) -> str:
    """``file:line:col`` of ``path`` (of its key when ``key``), else of its nearest parent."""
    if key and key_path(path) in positions:
        line, col = positions[key_path(path)]
        return f"{source.display}:{line}:{col}"
    for cut in range(len(path), -1, -1):
        pos = positions.get(path[:cut])
        if pos is not None:
            return f"{source.display}:{pos[0]}:{pos[1]}"
    return f"{source.display}:1:1"


def validate(data: Any, positions: Mapping[KeyPath, Pos], source: ConfigSource) -> None:
    messages: list[str] = []
    for error in iter_errors(CONFIG_SCHEMA, data):
        path: KeyPath = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            schema = error.schema if isinstance(error.schema, Mapping) else {}
            allowed = sorted(schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                messages.append(
                    f"{_where(source, positions, path + (key,), key=True)}: "
                    f"{dotted(path + (key,))}: "
                    f"unknown key{suggest(str(key), allowed)}"
                )
        else:
            messages.append(f"{_where(source, positions, path)}: {dotted(path)}: {_explain(error)}")
        if len(messages) >= 5:
            break
    if messages:
        raise ConfigError(
            "invalid configuration:\n" + "\n".join(messages),
            hint="See schemas/config.v1.schema.json, or run `localci init` for a starter file.",
        )


def suggest(key: str, allowed: Sequence[str]) -> str:
    import difflib  # only for a name that matches nothing

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


def check_semantics(data: Any, positions: Mapping[KeyPath, Pos], source: ConfigSource) -> None:
    stages: list[dict[str, Any]] = data["stages"]
    names = [s["name"] for s in stages]
    problems: list[str] = []

    def fail(path: KeyPath, text: str) -> None:
        problems.append(f"{_where(source, positions, path)}: {dotted(path)}: {text}")

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
                fail(base + (key, i), f"no stage is named {need!r}{suggest(need, names)}")
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
    if "report_exit_codes" in stage and stage.get("report") is None:
        fail(base + ("report_exit_codes",), "applies to stages with a `report`")


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
