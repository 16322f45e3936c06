"""The interpreter probe's memo: a binary's version is remembered by the identity of its
file, never for a script, never taken for the distributions (those have a memo of their
own: ``test_distributions_memo.py``), and never trusted when it is not as written.
Real interpreters: a ``venv`` with a copied binary, and a shell shim."""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
import venv
from pathlib import Path

import pytest

from localci.run.interpreter import Interpreter, probe


@pytest.fixture
def copied_python(tmp_path: Path) -> Path:
    """A working interpreter whose binary is a file of the test's own (``--copies``)."""
    env = tmp_path / "venv"
    venv.create(env, with_pip=False, symlinks=False)
    return env / "bin" / "python"


def _interp(path: Path) -> Interpreter:
    return Interpreter(executable=path, label=path.name, source="--python")


def _memo_files(memo: Path) -> list[Path]:
    return sorted(memo.glob("*.json")) if memo.is_dir() else []


def test_the_version_is_remembered_and_read_back_without_running(
    copied_python: Path, tmp_path: Path
) -> None:
    memo = tmp_path / "memo"
    first = probe(_interp(copied_python), memo=memo)
    assert first.version == platform.python_version()
    assert first.implementation == sys.implementation.name
    (stored,) = _memo_files(memo)
    assert json.loads(stored.read_text()) == {
        "version": first.version,
        "implementation": first.implementation,
    }
    # What the memo says is what the next probe answers: the binary did not run.
    stored.write_text(json.dumps({"version": "9.9.9", "implementation": "cpython"}))
    assert probe(_interp(copied_python), memo=memo).version == "9.9.9"


def test_a_changed_binary_is_asked_again(copied_python: Path, tmp_path: Path) -> None:
    memo = tmp_path / "memo"
    probe(_interp(copied_python), memo=memo)
    (stored,) = _memo_files(memo)
    stored.write_text(json.dumps({"version": "9.9.9", "implementation": "cpython"}))
    # Replaced by an upgrade: same path, a new file (and a new mtime).
    data = copied_python.read_bytes()
    copied_python.unlink()
    copied_python.write_bytes(data)
    copied_python.chmod(0o755)
    os.utime(copied_python, ns=(1, 1))
    assert probe(_interp(copied_python), memo=memo).version == platform.python_version()
    assert len(_memo_files(memo)) == 2


def test_a_script_shim_is_never_remembered(tmp_path: Path) -> None:
    shim = tmp_path / "python"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    shim.chmod(0o755)
    memo = tmp_path / "memo"
    assert probe(_interp(shim), memo=memo).version == platform.python_version()
    assert _memo_files(memo) == []


def test_the_version_memo_does_not_answer_for_the_distributions(
    copied_python: Path, tmp_path: Path
) -> None:
    memo = tmp_path / "memo"
    probe(_interp(copied_python), memo=memo)
    (stored,) = _memo_files(memo)
    stored.write_text(json.dumps({"version": "9.9.9", "implementation": "cpython"}))
    facts = probe(_interp(copied_python), distributions=True, memo=memo)
    assert facts.version == platform.python_version()
    assert isinstance(facts.distributions, tuple)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"version": "3.12.0"}',
        '{"version": 3, "implementation": "cpython"}',
        '{"version": "", "implementation": "cpython"}',
        '{"version": "3.12.0", "implementation": "cpython", "extra": 1}',
    ],
)
def test_a_memo_not_as_written_is_ignored_and_rewritten(
    copied_python: Path, tmp_path: Path, text: str
) -> None:
    memo = tmp_path / "memo"
    probe(_interp(copied_python), memo=memo)
    (stored,) = _memo_files(memo)
    stored.write_text(text)
    assert probe(_interp(copied_python), memo=memo).version == platform.python_version()
    assert json.loads(stored.read_text())["version"] == platform.python_version()


def test_an_unwritable_memo_folder_only_costs_the_probe(
    copied_python: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    facts = probe(_interp(copied_python), memo=blocked / "memo")
    assert facts.version == platform.python_version()


def _gated_shim(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A shim that says it started, then answers only once ``go`` exists (it gives up,
    answering nothing, after about 10 s): (shim, started, go)."""
    started, go = tmp_path / "started", tmp_path / "go"
    shim = tmp_path / "gated-python"
    shim.write_text(
        "#!/bin/sh\n"
        f': > "{started}"\n'
        "i=0\n"
        f'while [ ! -e "{go}" ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 1; sleep 0.01; done\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    shim.chmod(0o755)
    return shim, started, go


def test_meanwhile_runs_on_this_thread_while_the_interpreter_is_asked(tmp_path: Path) -> None:
    shim, started, go = _gated_shim(tmp_path)
    seen: list[int] = []

    def meanwhile() -> None:
        for _ in range(1000):  # the interpreter is running: it said so
            if started.exists():
                break
            time.sleep(0.01)
        assert started.exists()
        seen.append(threading.get_ident())
        go.touch()  # only now may it answer: the probe cannot have returned before

    facts = probe(_interp(shim), distributions=True, meanwhile=meanwhile)
    assert facts.version == platform.python_version()
    assert facts.distributions  # asked afresh, with the distributions
    assert seen == [threading.get_ident()]


def test_meanwhile_is_not_called_when_nothing_is_asked(copied_python: Path, tmp_path: Path) -> None:
    memo = tmp_path / "memo"
    probe(_interp(copied_python), memo=memo)
    called: list[bool] = []
    again = probe(_interp(copied_python), memo=memo, meanwhile=lambda: called.append(True))
    assert again.version == platform.python_version()
    assert called == []  # the memo answered: no process to overlap with


def test_what_meanwhile_raises_comes_after_the_answer(tmp_path: Path) -> None:
    shim, started, go = _gated_shim(tmp_path)

    def meanwhile() -> None:
        go.touch()
        raise RuntimeError("meanwhile failed")

    with pytest.raises(RuntimeError, match="meanwhile failed"):
        probe(_interp(shim), distributions=True, meanwhile=meanwhile)
    assert started.exists()
