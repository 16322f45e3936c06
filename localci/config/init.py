"""``localci init``: write a starter configuration for the current project."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from localci.config.loader import CONFIG_FILES, DEFAULT_CONFIG_YAML, ConfigSource, parse_config
from localci.errors import LocalciError, UsageError
from localci.fsutil import atomic_write_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["init_config", "init_project"]


def init_project(cwd: Path, *, pyproject: bool = False, force: bool = False) -> Path:
    """:func:`init_config` in the repository containing ``cwd`` (or ``cwd`` itself when it
    is in none)."""
    from localci.git import repo_root

    try:
        root = repo_root(cwd)
    except LocalciError:
        root = cwd
    return init_config(root, pyproject=pyproject, force=force)


def init_config(root: Path, *, pyproject: bool = False, force: bool = False) -> Path:
    """Write the starter configuration into ``root``; the path written.

    As ``.localci.yml``, or with ``pyproject`` as a ``[tool.localci]`` table appended to
    ``pyproject.toml`` (written by tomli-w; the rest of the file is kept byte for byte).

    :raises UsageError: when a configuration already exists (``.localci.yml`` without
        ``force``; a ``[tool.localci]`` table always: edit it by hand).
    """
    parse_config(ConfigSource(kind="default", display="<default>", text=DEFAULT_CONFIG_YAML))
    if pyproject:
        return _init_pyproject(root / "pyproject.toml")
    target = root / CONFIG_FILES[0]
    existing = [root / n for n in CONFIG_FILES if (root / n).exists()]
    if existing and not force:
        raise UsageError(f"{existing[0].name} already exists", hint="Use --force to overwrite it.")
    atomic_write_text(target, DEFAULT_CONFIG_YAML)
    return target


def _init_pyproject(path: Path) -> Path:
    import tomli_w

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path.name} is not valid TOML: {exc}") from None
    if "localci" in doc.get("tool", {}):
        raise UsageError(f"{path.name} already has a [tool.localci] table", hint="Edit it by hand.")
    table = yaml.safe_load(DEFAULT_CONFIG_YAML)
    addition = tomli_w.dumps({"tool": {"localci": table}})
    separator = (
        "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    )
    atomic_write_text(path, text + separator + addition)
    return path
