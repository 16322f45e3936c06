"""Which Python runs the stages: the project's, never by accident localci's own.

localci lives in an environment of its own (``pipx install`` / ``uv tool install``), so
``{python}`` in a stage's ``run`` names the project's interpreter, chosen in this order:

1. ``--python`` (a path, or a command name looked up on ``PATH``);
2. the configuration's ``python:`` (a path relative to the repository root, or a name);
3. an active virtual environment (``VIRTUAL_ENV``);
4. ``.venv/`` at the repository root;
5. otherwise the interpreter running localci, with a notice.

A result records the choice as a label that never holds an absolute local path
(``.venv/bin/python``, ``$VIRTUAL_ENV/bin/python``, ``python3.12``) and the version the
interpreter itself reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from localci.errors import UsageError
from localci.fsutil import read_memo, write_memo
from localci.proc import capture
from localci.run import sitememo

__all__ = ["Interpreter", "InterpreterFacts", "probe", "resolve_interpreter"]

Source = Literal["--python", "config", "VIRTUAL_ENV", ".venv", "localci"]

_PROBE = (
    "import json, platform, sys\n"
    f"{sitememo.LOOK}"
    "out = {'version': platform.python_version(), 'implementation': sys.implementation.name}\n"
    "if '--distributions' in sys.argv:\n"
    "    from importlib import metadata\n"
    "    try:\n"
    "        out['looked'] = _look()\n"
    "    except Exception:\n"
    "        out['looked'] = None\n"
    "    names = set()\n"
    "    for d in metadata.distributions():\n"
    "        m = d.metadata\n"
    "        if m and m['Name']:\n"
    "            names.add(m['Name'].lower() + '==' + str(m['Version']))\n"
    "    out['distributions'] = sorted(names)\n"
    "print(json.dumps(out))\n"
)


@dataclass(frozen=True, kw_only=True)
class Interpreter:
    """The chosen interpreter: ``executable`` (absolute, what ``{python}`` becomes; its
    folder goes first on the stages' ``PATH``), ``label`` (for results and messages; never
    an absolute local path) and ``source`` (which rule chose it)."""

    executable: Path
    label: str
    source: Source


@dataclass(frozen=True, kw_only=True)
class InterpreterFacts:
    """What the interpreter says about itself: ``version`` (``3.12.1``),
    ``implementation`` (``cpython``) and, when asked, its installed ``distributions``
    (``name==version``, sorted; part of the result cache's key)."""

    version: str
    implementation: str
    distributions: tuple[str, ...] = ()


def resolve_interpreter(
    root: Path,
    *,
    option: str | None = None,
    configured: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Interpreter:
    """The interpreter for the stages of a run in the repository at ``root``.

    :raises UsageError: when ``--python`` or ``python:`` names nothing runnable.
    """
    env = os.environ if env is None else env
    if option:
        return Interpreter(
            executable=_named(option, root, "--python"),
            label=_label(option, root, env),
            source="--python",
        )
    if configured:
        return Interpreter(
            executable=_named(configured, root, "python: in the configuration"),
            label=_label(configured, root, env),
            source="config",
        )
    venv = env.get("VIRTUAL_ENV")
    if venv and _python_in(Path(venv)) is not None:
        exe = _python_in(Path(venv))
        assert exe is not None
        return Interpreter(
            executable=exe,
            label="$VIRTUAL_ENV/" + exe.relative_to(venv).as_posix(),
            source="VIRTUAL_ENV",
        )
    local = _python_in(root / ".venv")
    if local is not None:
        return Interpreter(
            executable=local, label=local.relative_to(root).as_posix(), source=".venv"
        )
    own = Path(sys.executable)
    return Interpreter(executable=own, label=f"<localci>/{own.name}", source="localci")


def _python_in(venv: Path) -> Path | None:
    for rel in ("bin/python", "Scripts/python.exe"):
        candidate = venv / rel
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _named(value: str, root: Path, where: str) -> Path:
    """An absolute path for ``value``: a path (relative to ``root``), else a command."""
    if os.sep in value or "/" in value:
        path = Path(value).expanduser()
        path = path if path.is_absolute() else root / path
        if path.is_dir():
            found = _python_in(path)
            if found is not None:
                return found
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise UsageError(
            f"{where}: no Python interpreter at {value!r}",
            hint="Give the interpreter's path (e.g. .venv/bin/python) or a virtual "
            "environment folder.",
        )
    found_cmd = shutil.which(value)
    if found_cmd is None:
        raise UsageError(f"{where}: {value!r} is not on PATH", hint="Give a path instead.")
    return Path(found_cmd)


def _label(value: str, root: Path, env: Mapping[str, str]) -> str:
    """``value`` as a result may show it: relative to the repository or the active
    virtual environment, a bare command name, or only its last part."""
    if "/" not in value and os.sep not in value:
        return value
    path = Path(os.path.normpath(Path(value).expanduser()))
    path = path if path.is_absolute() else Path(os.path.normpath(root / path))
    bases = [(root, "")]
    if env.get("VIRTUAL_ENV"):
        bases.append((Path(env["VIRTUAL_ENV"]), "$VIRTUAL_ENV/"))
    for base, shown in bases:
        if path.is_relative_to(base):
            return shown + path.relative_to(base).as_posix()
    return f"<python>/{path.name}"


def probe(
    interpreter: Interpreter,
    *,
    distributions: bool = False,
    memo: Path | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> InterpreterFacts:
    """Ask the interpreter for its version (and installed distributions).

    ``memo`` is a folder where the answer is remembered, keyed by the identity of the
    executable's resolved file (device, inode, size, mtime and ctime in ns), so a later
    run with the same binary does not start it: the version alone (``<key>.json``, ~0.05
    s spared), or the distributions too while every file that decides them is unchanged
    (:mod:`localci.run.sitememo`, ~0.1 s and more spared). A script (a pyenv shim, whose
    answer depends on the folder and the environment) is never remembered.
    ``meanwhile`` is called on this thread while the interpreter answers (when it is
    asked at all); what it raises is raised here, after the answer came.

    :raises UsageError: when it cannot be run or does not answer.
    """
    binary = None if memo is None else _binary_key(interpreter.executable)
    if memo is not None and binary is not None:
        known = _recall(memo, interpreter.executable, binary, distributions=distributions)
        if known is not None:
            return known
    if meanwhile is None:
        facts, looked = _ask(interpreter, distributions=distributions)
    else:
        with ThreadPoolExecutor(1, thread_name_prefix="localci-probe") as pool:
            asked = pool.submit(_ask, interpreter, distributions=distributions)
            try:
                meanwhile()
            finally:
                facts, looked = asked.result()
    if memo is None or binary is None:
        return facts
    if distributions:
        answer = {
            "version": facts.version,
            "implementation": facts.implementation,
            "distributions": list(facts.distributions),
        }
        sitememo.remember(memo, interpreter.executable, binary, answer, looked)
    else:
        write_memo(
            memo / f"{binary}.json",
            {"version": facts.version, "implementation": facts.implementation},
        )
    return facts


def _recall(
    memo: Path, executable: Path, binary: str, *, distributions: bool
) -> InterpreterFacts | None:
    if distributions:
        return _facts(sitememo.recall(memo, executable, binary), distributions=True)
    return _facts(read_memo(memo / f"{binary}.json"), distributions=False)


def _ask(interpreter: Interpreter, *, distributions: bool) -> tuple[InterpreterFacts, Any]:
    """The interpreter's answer, and what it looked at before listing the distributions
    (``None`` without them)."""
    argv = [str(interpreter.executable), "-I", "-c", _PROBE]
    if distributions:
        argv.append("--distributions")
    answer = capture(argv, timeout=60.0)
    data: Any = None
    if answer:
        try:
            data = json.loads(answer.splitlines()[-1])
        except ValueError:
            data = None
    if not isinstance(data, dict):
        raise UsageError(
            f"the project's Python ({interpreter.label}) did not run",
            hint="Check --python, `python:` in the configuration, or the virtual environment.",
        )
    facts = InterpreterFacts(
        version=str(data["version"]),
        implementation=str(data["implementation"]),
        distributions=tuple(data.get("distributions", ())),
    )
    return facts, data.get("looked")


def _binary_key(executable: Path) -> str | None:
    """The memo key of ``executable``'s resolved file; ``None`` for a script (``#!``) or
    a file that cannot be read."""
    try:
        real = os.path.realpath(executable)
        with open(real, "rb") as f:
            if f.read(2) == b"#!":
                return None
            st = os.fstat(f.fileno())
    except OSError:
        return None
    ident = [real, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:32]


def _facts(data: Any, *, distributions: bool) -> InterpreterFacts | None:
    """The facts a memo holds (with ``distributions``: the list too), or ``None`` when
    it is not as :func:`probe` writes it."""
    keys = {"version", "implementation"} | ({"distributions"} if distributions else set())
    if not isinstance(data, dict) or set(data) != keys:
        return None
    if not all(isinstance(data[k], str) and data[k] for k in ("version", "implementation")):
        return None
    names = data.get("distributions", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return InterpreterFacts(
        version=data["version"], implementation=data["implementation"], distributions=tuple(names)
    )
