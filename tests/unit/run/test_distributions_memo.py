"""The distributions memo (:mod:`localci.run.sitememo`): a real virtual environment's
distributions are remembered, and asked for again as soon as anything that decides them
changes: an install, an upgrade, an edit in place, a ``.pth``, ``pyvenv.cfg``. A memo
that was changed after it was written reads back as written, which is how these tests
tell that the interpreter did not run."""

from __future__ import annotations

import json
import os
import platform
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from localci.run import sitememo
from localci.run.interpreter import Interpreter, probe


@pytest.fixture
def env(tmp_path: Path) -> Path:
    """A fresh virtual environment (its ``python`` a link to this test's binary)."""
    root = tmp_path / "venv"
    venv.create(root, with_pip=False)
    return root


@pytest.fixture
def no_racy_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files made a moment ago count as settled (the tests make them just before)."""
    monkeypatch.setattr(sitememo, "RACY_NS", 0)


def _site(env: Path) -> Path:
    rel = sysconfig.get_path("purelib", vars={"base": ".", "platbase": "."})
    return (env / rel).resolve()


def _interp(env: Path) -> Interpreter:
    return Interpreter(executable=env / "bin" / "python", label=".venv/bin/python", source=".venv")


def _dists(env: Path, memo: Path) -> tuple[str, ...]:
    return probe(_interp(env), distributions=True, memo=memo).distributions


def _install(site: Path, name: str, version: str) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return info


def _mark(memo: Path) -> Path:
    """Add ``marker==0`` to the remembered list: a probe that answers with it did not
    run the interpreter."""
    (stored,) = memo.glob("dists-*.json")
    doc = json.loads(stored.read_text())
    doc["facts"]["distributions"].append("marker==0")
    stored.write_text(json.dumps(doc))
    return stored


def _remembered(env: Path, tmp_path: Path) -> Path:
    """The memo folder, once ``env``'s list is remembered there and marked."""
    memo = tmp_path / "memo"
    _dists(env, memo)
    _mark(memo)
    return memo


@pytest.mark.usefixtures("no_racy_wait")
def test_the_distributions_are_remembered_while_nothing_changes(env: Path, tmp_path: Path) -> None:
    memo = tmp_path / "memo"
    _install(_site(env), "demo", "1.0")
    first = probe(_interp(env), distributions=True, memo=memo)
    assert first.version == platform.python_version()
    assert "demo==1.0" in first.distributions
    _mark(memo)
    again = probe(_interp(env), distributions=True, memo=memo)
    assert "marker==0" in again.distributions
    assert (again.version, again.implementation) == (first.version, sys.implementation.name)


@pytest.mark.usefixtures("no_racy_wait")
def test_an_install_an_upgrade_and_a_removal_are_each_seen(env: Path, tmp_path: Path) -> None:
    memo, site = tmp_path / "memo", _site(env)
    assert "demo==1.0" not in _dists(env, memo)
    _mark(memo)
    old = _install(site, "demo", "1.0")
    assert "demo==1.0" in _dists(env, memo)
    _mark(memo)
    (old / "METADATA").unlink()
    old.rmdir()
    _install(site, "demo", "2.0")
    found = _dists(env, memo)
    assert "demo==2.0" in found
    assert "demo==1.0" not in found
    assert "marker==0" not in found
    _mark(memo)
    for path in sorted((site / "demo-2.0.dist-info").iterdir()):
        path.unlink()
    (site / "demo-2.0.dist-info").rmdir()
    assert not any(d.startswith(("demo==", "marker==")) for d in _dists(env, memo))


@pytest.mark.usefixtures("no_racy_wait")
def test_metadata_edited_in_place_with_its_size_and_mtime_kept_is_seen(
    env: Path, tmp_path: Path
) -> None:
    memo = tmp_path / "memo"
    meta = _install(_site(env), "demo", "1.0") / "METADATA"
    assert "demo==1.0" in _dists(env, memo)
    _mark(memo)
    before = meta.stat()
    meta.write_text(meta.read_text().replace("1.0", "1.1"))
    os.utime(meta, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or `touch -r`
    assert meta.stat().st_size == before.st_size
    assert "demo==1.1" in _dists(env, memo)


@pytest.mark.usefixtures("no_racy_wait")
def test_a_new_pth_file_and_what_it_adds_are_seen(env: Path, tmp_path: Path) -> None:
    memo = _remembered(env, tmp_path)
    extra = tmp_path / "extra"
    extra.mkdir()
    info = extra / "added-3.0.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: added\nVersion: 3.0\n")
    (_site(env) / "extra.pth").write_text(f"{extra}\n")
    assert "added==3.0" in _dists(env, memo)
    _mark(memo)
    (info / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: added\nVersion: 3.1\n")
    assert "added==3.1" in _dists(env, memo)
    _mark(memo)
    other = tmp_path / "other"
    other.mkdir()
    (other / "moved-4.0.egg-info").write_text("Metadata-Version: 1.1\nName: moved\nVersion: 4.0\n")
    (_site(env) / "extra.pth").write_text(f"{other}\n")  # in place: its folder is as it was
    found = _dists(env, memo)
    assert "moved==4.0" in found
    assert "added==3.1" not in found


@pytest.mark.usefixtures("no_racy_wait")
def test_a_changed_pyvenv_cfg_is_asked_again(env: Path, tmp_path: Path) -> None:
    memo = _remembered(env, tmp_path)
    cfg = env / "pyvenv.cfg"
    cfg.write_text(cfg.read_text() + "# edited\n")
    assert "marker==0" not in _dists(env, memo)


def test_a_state_changed_just_before_it_was_looked_at_is_not_remembered(
    env: Path, tmp_path: Path
) -> None:
    # The environment was made a moment ago: within RACY_NS of the look, so a change in
    # the same clock tick could hide; the list is asked for again next time.
    memo = tmp_path / "memo"
    assert sitememo.RACY_NS >= 1_000_000_000
    _dists(env, memo)
    assert list(memo.glob("dists-*.json")) == []


@pytest.mark.usefixtures("no_racy_wait")
def test_each_environment_has_its_own_memo_though_they_share_a_binary(tmp_path: Path) -> None:
    memo = tmp_path / "memo"
    one, two = tmp_path / "one", tmp_path / "two"
    venv.create(one, with_pip=False)
    venv.create(two, with_pip=False)
    _install(_site(one), "only-in-one", "1.0")
    assert "only-in-one==1.0" in _dists(one, memo)
    assert "only-in-one==1.0" not in _dists(two, memo)
    assert len(list(memo.glob("dists-*.json"))) == 2


@pytest.mark.usefixtures("no_racy_wait")
@pytest.mark.parametrize(
    "edit",
    [
        lambda doc: "{",
        lambda doc: "[]",
        lambda doc: json.dumps({**doc, "extra": 1}),
        lambda doc: json.dumps({**doc, "paths": []}),
        lambda doc: json.dumps({**doc, "paths": [["only", "two", "three"]]}),
        lambda doc: json.dumps({**doc, "facts": {**doc["facts"], "version": ""}}),
        lambda doc: json.dumps({**doc, "facts": {**doc["facts"], "distributions": "x==1"}}),
        lambda doc: json.dumps({**doc, "facts": {**doc["facts"], "more": 1}}),
        lambda doc: json.dumps({**doc, "paths": [[p, [0, 0, 0, 0, 0]] for p, _ in doc["paths"]]}),
    ],
)
def test_a_memo_not_as_written_is_ignored(env: Path, tmp_path: Path, edit: object) -> None:
    memo = _remembered(env, tmp_path)
    (stored,) = memo.glob("dists-*.json")
    stored.write_text(edit(json.loads(stored.read_text())))  # type: ignore[operator]
    assert "marker==0" not in _dists(env, memo)


def test_nothing_is_remembered_when_the_probe_says_not_to(tmp_path: Path) -> None:
    facts = {"version": "3.12.0", "implementation": "cpython", "distributions": []}
    undecodable = os.fsdecode(b"caf\xe9.dist-info")  # not UTF-8: a lone surrogate in Python
    for looked in (
        None,
        {},
        {"at": 1},
        {"at": "1", "paths": [["/", None]]},
        {"at": 10**19, "paths": [[undecodable, None]]},
        {"at": 10**19, "paths": [["/", [1, 2, 3]]]},
    ):
        sitememo.remember(tmp_path, Path("/x/python"), "k", facts, looked)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_racy_wait")
@pytest.mark.parametrize("failure", ["PermissionError", "RuntimeError"])
def test_a_look_that_fails_only_costs_the_memo(env: Path, tmp_path: Path, failure: str) -> None:
    """A folder on ``sys.path`` that cannot be listed (or anything else going wrong while
    looking) leaves the version and the list as they are, and nothing remembered."""
    memo = tmp_path / "memo"
    # In the project's interpreter, listing a folder fails for the probe's look alone.
    (_site(env) / "sitecustomize.py").write_text(
        "import os, sys\n"
        "listdir = os.listdir\n"
        "def only_for_look(*a):\n"
        "    if sys._getframe(1).f_code.co_name == '_look':\n"
        f"        raise {failure}(13, 'denied')\n"
        "    return listdir(*a)\n"
        "os.listdir = only_for_look\n"
    )
    _install(_site(env), "demo", "1.0")
    facts = probe(_interp(env), distributions=True, memo=memo)
    assert facts.version == platform.python_version()
    assert "demo==1.0" in facts.distributions
    assert list(memo.glob("dists-*.json")) == []
    (_site(env) / "sitecustomize.py").unlink()
    assert "demo==1.0" in _dists(env, memo)
    assert len(list(memo.glob("dists-*.json"))) == 1
