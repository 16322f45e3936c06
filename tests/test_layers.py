"""The package's layers hold: a lower layer never imports a higher one, and the few
modules allowed to touch processes, git and the terminal are the only ones that do.
Modules and functions stay within their sizes but for the documented exceptions.

Layers, low to high (``docs/architecture.md``): foundations (``errors``, ``proc``, ``git``,
``fsutil``, ``secret_rules``, ``redact``, ``schemas``) < ``result`` < ``config`` <
``reports`` < ``run`` < ``attest`` < ``publish`` < ``context`` < ``verifier`` < ``hooks`` <
``cli``. Every
import counts, also those inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "localci"
LAYERS = (
    ("errors", "proc", "git", "fsutil", "secret_rules", "redact", "schemas"),
    ("result",),
    ("config",),
    ("reports",),
    ("run",),
    ("attest",),
    ("publish",),
    ("context",),
    ("verifier",),
    ("hooks",),
    ("cli", "__main__"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
RAW_GIT = {"git", "git_ok", "git_bytes"}  # localci.git's runners: git subcommands
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


def top(path: Path) -> str:
    """``localci/publish/deliver.py`` -> ``publish``; ``localci/git.py`` -> ``git``."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, imported names) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [a.name for a in node.names]


def localci_target(module: str, names: list[str]) -> list[str]:
    """The top-level localci parts an import reaches (``from localci import git`` ->
    ``git``; ``from localci import __version__`` -> nothing)."""
    parts = module.split(".")
    if parts[0] != "localci":
        return []
    if len(parts) > 1:
        return [parts[1]]
    return [n for n in names if n in RANK]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_lower_layer_imports_a_higher_one(path: Path) -> None:
    here = top(path)
    assert here in RANK, f"{path}: add {here!r} to the layer list (and the architecture doc)"
    for line, module, names in imports(path):
        for target in localci_target(module, names):
            assert target in RANK, f"{path}:{line}: unknown part localci.{target}"
            assert RANK[target] <= RANK[here], (
                f"{path.relative_to(REPO_ROOT)}:{line}: {here} (layer {RANK[here]}) imports "
                f"{module} ({target}, layer {RANK[target]})"
            )


def test_only_the_allowed_modules_touch_processes_git_and_the_terminal() -> None:
    offenders = []
    for path in modules():
        rel = path.relative_to(PACKAGE).as_posix()
        for line, module, names in imports(path):
            if module.split(".")[0] == "subprocess" and rel != "proc.py":
                offenders.append(f"{rel}:{line}: subprocess outside localci/proc.py")
            if module.split(".")[0] == "click" and not rel.startswith("cli/"):
                offenders.append(f"{rel}:{line}: click outside localci/cli/")
            if module == "localci.git" and RAW_GIT & set(names):
                offenders.append(f"{rel}:{line}: runs git subcommands outside localci/git.py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
                continue
            if node.value.id == "gitrepo" and node.attr in RAW_GIT:
                offenders.append(f"{rel}:{node.lineno}: git subcommand outside localci/git.py")
            if (node.value.id, node.attr) == ("sys", "exit") and not rel.startswith("cli/"):
                offenders.append(f"{rel}:{node.lineno}: sys.exit outside localci/cli/")
    assert offenders == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The import walk finds imports inside functions and TYPE_CHECKING blocks."""
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from localci.cli.main import cli\n"
        "def f():\n    from localci import publish\n"
    )
    found = [localci_target(m, n) for _, m, n in imports(source)]
    assert found == [[], ["cli"], ["publish"]]


def test_the_architecture_document_maps_every_module() -> None:
    """docs/architecture.md and the tree tell the same story: every subpackage has a
    section, every module is named, and every layer is in the layer table."""
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for path in modules():
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) > 1 and f"`{rel.parts[0]}/`" not in doc:
            missing.append(f"section for {rel.parts[0]}/")
        if path.name not in ("__init__.py", "__main__.py") and (
            f"`{path.name}`" not in doc and f"`{path.stem}`" not in doc
        ):
            missing.append(str(rel))
    missing += [f"layer {name}" for name in RANK if f"`{name}" not in doc]
    assert missing == [], f"add to docs/architecture.md: {sorted(set(missing))}"


def size_exceptions() -> set[str]:
    """The entries of docs/architecture.md's "Size exceptions" section: ``git.py`` for a
    module, ``run/pipeline.py:run_stages`` for a function."""
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("\n## Size exceptions\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE))


def oversized(path: Path, rel: str) -> list[str]:
    """``rel`` when the module at ``path`` is over :data:`MAX_MODULE_LINES` lines, and
    ``rel:name`` for each function (or method) in it over :data:`MAX_FUNCTION_LINES`."""
    source = path.read_text(encoding="utf-8")
    found = [rel] if len(source.splitlines()) > MAX_MODULE_LINES else []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno is not None
            if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                found.append(f"{rel}:{node.name}")
    return found


def test_modules_and_functions_stay_small_but_for_the_documented_exceptions() -> None:
    found = {
        item for path in modules() for item in oversized(path, path.relative_to(PACKAGE).as_posix())
    }
    allowed = size_exceptions()
    assert sorted(found - allowed) == [], "split them, or list them under Size exceptions"
    assert sorted(allowed - found) == [], "no longer over the limit: drop from Size exceptions"


def test_the_size_check_sees_a_long_function(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    source.write_text(f"def short():\n    pass\n\n\ndef long():\n{body}")
    assert oversized(source, "m.py") == ["m.py:long"]
