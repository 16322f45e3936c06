"""Reading configuration text into data plus the ``line:col`` of every key and value.

YAML keeps marks on its nodes; tomllib keeps none, so ``[tool.localci]`` positions are
found by a best-effort line search. Positions are keyed by the key path
(``("stages", 0, "run")``); the position of a key itself is stored under ``KEY + path``.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localci.config.model import ConfigSource
from localci.errors import ConfigError

if TYPE_CHECKING:
    import yaml

if TYPE_CHECKING or sys.version_info >= (3, 11):
    _TOML = "tomllib"
else:  # pragma: no cover - Python 3.10
    _TOML = "tomli"

__all__ = [
    "KeyPath",
    "Pos",
    "display_path",
    "dotted",
    "key_path",
    "load_pyproject",
    "load_yaml",
    "pyproject_table",
    "read_text",
]

Pos = tuple[int, int]
KeyPath = tuple[str | int, ...]
_KEY = "\0key"  # positions of keys (not values) are stored under (_KEY, *path)


def key_path(path: KeyPath, *more: str | int) -> KeyPath:
    return (_KEY, *path, *more)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from None


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_yaml(source: ConfigSource) -> tuple[Any, dict[KeyPath, Pos]]:
    import yaml  # here, not at the top: a remembered configuration needs no YAML parser

    from localci.config.yamlsafe import BoundedLoader

    try:
        loader = BoundedLoader(source.text, source.display)  # aliases, depth, size bounded
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
    import yaml

    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            key_pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                raise ConfigError(
                    f"{source.display}:{key_pos[0]}:{key_pos[1]}: "
                    f"{dotted(path + (key,))}: duplicate key"
                )
            seen.add(key)
            out[key_path(path, key)] = key_pos
            _record_positions(value_node, path + (key,), out, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, path + (index,), out, source)


def pyproject_table(text: str, display: str) -> Any:
    toml = importlib.import_module(_TOML)  # on first use: most runs read no pyproject
    try:
        doc = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{display}: not valid TOML: {exc}") from None
    return doc.get("tool", {}).get("localci")


def load_pyproject(source: ConfigSource) -> tuple[Any, dict[KeyPath, Pos]]:
    data = pyproject_table(source.text, source.display)
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
                out[path + (key,)] = out[key_path(path, key)] = hit
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


def dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
