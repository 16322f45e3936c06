"""Spool entries: typed in memory, schema-validated JSON on disk, never a credential."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localci.attest.signed import SignedResult
from localci.errors import UsageError
from localci.publish.spool import SpoolTarget, list_entries, new_entry, read_entry, spool
from localci.result.codec import result_to_dict
from localci.result.store import Store
from tests.factories import SHA, make_result

TARGET = SpoolTarget(
    repo="octo/demo",
    api_url="https://api.github.com",
    remote="origin",
    notes_ref="refs/notes/localci",
    check_name="localci",
    status_context="localci",
)


def _spooled(tmp_path: Path) -> Path:
    signed = SignedResult(document=result_to_dict(make_result()), bundle={"mediaType": "b"})
    return spool(Store(tmp_path), new_entry("github", SHA, "unreachable", "down", TARGET, signed))


def test_an_entry_round_trips_typed(tmp_path: Path) -> None:
    path = _spooled(tmp_path)
    entry = read_entry(path)
    assert (entry.channel, entry.sha, entry.reason, entry.attempts) == (
        "github",
        SHA,
        "unreachable",
        1,
    )
    assert entry.target == TARGET
    assert entry.signed.origin == "spool"
    assert entry.signed.result.git.commit == SHA
    assert "token" not in path.read_text().lower()
    assert list_entries(Store(tmp_path)) == [entry]


@pytest.mark.parametrize(
    ("where", "value", "problem"),
    [
        (("target", "notes_ref"), "refs/heads/main", "does not match"),
        (("target", "remote"), "--upload-pack=evil", "does not match"),
        (("target", "token"), "ghp_x", "Additional properties"),
        (("channel",), "shell", "is not one of"),
        (("sha",), "HEAD", "does not match"),
    ],
)
def test_an_edited_entry_is_refused(
    tmp_path: Path, where: tuple[str, ...], value: str, problem: str
) -> None:
    path = _spooled(tmp_path)
    doc = json.loads(path.read_text())
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match=problem):
        read_entry(path)
    assert list_entries(Store(tmp_path)) == []


def test_a_result_that_is_not_a_result_is_refused(tmp_path: Path) -> None:
    path = _spooled(tmp_path)
    doc = json.loads(path.read_text())
    doc["note"]["result"] = {"conclusion": "success"}
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match="not a valid localci result"):
        read_entry(path)
