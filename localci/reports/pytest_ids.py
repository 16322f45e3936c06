"""Where a test of a pytest JUnit report lives: its node id and its file.

pytest's JUnit XML gives each case a dotted ``classname`` (``tests.test_x.TestK``) and a
``name``; the node id (``tests/test_x.py::TestK::test_y[p]``) and the file are worked out
from the files that exist under pytest's rootdir, once per module for the whole report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from localci.reports.paths import is_dir, is_file, relative_path

__all__ = ["Modules", "Where", "locate", "node_prefix"]


Modules = dict[tuple[tuple[str, ...], bool], tuple[str, list[str], str | None]]


@dataclass(frozen=True)
class Where:
    """Where test files are looked up: ``root`` (the repository), ``base`` (pytest's
    rootdir), and the modules already found in this report."""

    root: Path
    base: Path
    modules: Modules


def locate(
    classname: str, name: str, file_attr: str | None, where: Where
) -> tuple[str | None, str | None]:
    """The pytest node id and the test file (relative to ``root``, if it exists there).

    Node ids are relative to pytest's rootdir, taken to be ``base`` (the directory the
    stage ran in). A collection error has an empty ``classname`` and the dotted module
    (or directory) as ``name``; its node id is the file (or directory) alone.
    """
    segments = classname.split(".") if classname else name.split(".") if name else []
    leaf = [name] if classname else []
    if file_attr:  # xunit1: relative to pytest's rootdir, with the OS's separators
        module = file_attr.replace("\\", "/")
        rest = segments[len(PurePosixPath(module).with_suffix("").parts) :]
        path = _repository_path(module, where)
    else:
        module, rest, path = _module_of(segments, where, collection=not classname)
    if not module:
        return None, None
    return "::".join([module, *rest, *leaf]), path


def _module_of(
    segments: list[str], where: Where, *, collection: bool
) -> tuple[str, list[str], str | None]:
    """The module file, the class names after it and the file's repository path for
    dotted ``segments``, looked up once per report (:func:`_split_module`)."""
    key = (tuple(segments), collection)
    if key not in where.modules:
        module, rest = _split_module(segments, where.base, collection=collection)
        where.modules[key] = (module, rest, _repository_path(module, where))
    return where.modules[key]


def _repository_path(module: str, where: Where) -> str | None:
    found = where.base / module
    return relative_path(found, where.root) if module and is_file(found) else None


def _split_module(segments: list[str], base: Path, *, collection: bool) -> tuple[str, list[str]]:
    """Split dotted ``segments`` into a module file and the class names after it.

    The longest prefix naming a ``.py`` file under ``base`` wins; a collection error may
    also name a directory. When nothing exists (pytest's rootdir is elsewhere), the
    classes are taken to start at the first capitalised segment (``TestX``).
    """
    for end in range(len(segments), 0, -1):
        stem = "/".join(segments[:end])
        if is_file(base / f"{stem}.py"):
            return f"{stem}.py", segments[end:]
        if collection and end == len(segments) and is_dir(base / stem):
            return stem, []
    end = next((i for i, s in enumerate(segments) if s[:1].isupper()), len(segments))
    stem = "/".join(segments[:end])
    return (f"{stem}.py" if stem else ""), segments[end:]


def node_prefix(classname: str, where: Where) -> str | None:
    """The ``module::Class`` part of the node id of every case with this ``classname``
    and no ``file`` attribute (what :func:`locate` would build before the name)."""
    module, rest, _ = _module_of(classname.split("."), where, collection=False)
    return "::".join([module, *rest]) if module else None
