"""The detect-secrets rule set is loaded from a memo after the first import, and a memo
that is stale, corrupt or unwritable never weakens redaction.

Each load runs in a fresh interpreter (the rules are loaded once per process), with
``XDG_CACHE_HOME`` pointing at the test's own folder.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from localci import secret_rules
from tests.secret_samples import SAMPLES

PROBE = """
import json, sys
from localci.redact import Redactor
from localci.secret_rules import detect_secrets_rules
values, headers = detect_secrets_rules()
samples = json.loads(sys.argv[1])
print(json.dumps({
    "imported": "detect_secrets" in sys.modules,
    "values": [[p.pattern, p.flags] for p in values],
    "headers": [[p.pattern, p.flags] for p in headers],
    "masked": all(secret not in Redactor(env={})(text) for text, secret in samples),
}))
"""


def load(cache: Path) -> dict[str, object]:
    """Load the rules in a fresh interpreter; what it saw."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(SAMPLES.values()))],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: dict[str, object] = json.loads(done.stdout)
    return loaded


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The rules as a first load (no memo) takes them from detect-secrets."""
    first = load(tmp_path_factory.mktemp("first"))
    assert first["imported"] is True
    return first


def test_the_memo_is_written_once_and_then_read_without_importing(
    tmp_path: Path, imported: dict[str, object]
) -> None:
    first = load(tmp_path)
    (memo,) = (tmp_path / "localci").iterdir()
    assert memo.name.startswith(secret_rules.MEMO_PREFIX)
    assert first["imported"] is True
    assert stat.S_IMODE(memo.stat().st_mode) == 0o600
    second = load(tmp_path)
    assert second["imported"] is False
    for run in (first, second):
        assert run["values"] == imported["values"]
        assert run["headers"] == imported["headers"]
        assert run["masked"] is True


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"key": "x"}',
        "[]",
        "WRONG-KEY",
        "BAD-REGEX",
        "NO-RULES",
        "FLAGS-AS-TEXT",
    ],
)
def test_a_stale_or_corrupt_memo_is_ignored_and_rewritten(
    tmp_path: Path, imported: dict[str, object], content: str
) -> None:
    load(tmp_path)
    (memo,) = (tmp_path / "localci").iterdir()
    doc = json.loads(memo.read_text())
    edits = {
        "WRONG-KEY": {**doc, "key": "0" * 64},
        "BAD-REGEX": {**doc, "values": [["(unclosed", 0]]},
        "NO-RULES": {**doc, "values": []},
        "FLAGS-AS-TEXT": {**doc, "values": [[p, str(f)] for p, f in doc["values"]]},
    }
    memo.write_text(json.dumps(edits[content]) if content in edits else content)
    again = load(tmp_path)
    assert again["imported"] is True
    assert again["values"] == imported["values"]
    assert again["masked"] is True
    assert json.loads(memo.read_text()) == doc


def test_an_upgraded_detect_secrets_changes_the_key(tmp_path: Path) -> None:
    """The key covers the plugin files' sizes and times: a memo written for other files
    is never read."""
    installed = secret_rules.plugins_folder()
    assert installed is not None
    copy = tmp_path / "plugins"
    shutil.copytree(installed, copy)
    key = secret_rules.memo_key(copy)
    assert key is not None
    assert key != secret_rules.memo_key(installed)  # another folder
    aws = copy / "aws.py"
    before = aws.stat()
    os.utime(aws, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert secret_rules.memo_key(copy) not in (None, key)
    aws.write_text(aws.read_text() + "\n")
    os.utime(aws, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert secret_rules.memo_key(copy) not in (None, key)
    aws.unlink()
    assert secret_rules.memo_key(copy) is None


def test_an_unwritable_cache_only_costs_the_import(
    tmp_path: Path, imported: dict[str, object]
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    for _ in range(2):
        run = load(blocked)
        assert run["imported"] is True
        assert run["values"] == imported["values"]
        assert run["masked"] is True
