"""The git notes channel against a real bare remote, including concurrent publishers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from localci import git as gitrepo
from localci.attest.signed import SignedResult
from localci.errors import DeliveryError
from localci.publish.notes import fetch_note, parse_note, publish_note, render_note
from tests.conftest import commit_all, git

REF = "refs/notes/localci"


def clone(remote: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(remote), str(where))
    return where


def test_round_trip_through_the_remote(
    make_repo: Callable[..., Path], bare_remote: Callable[[Path], Path], tmp_path: Path
) -> None:
    repo = make_repo({"a.txt": "1"})
    remote = bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    note = SignedResult(document={"conclusion": "success"}, bundle={"mediaType": "x"})
    assert publish_note(repo, sha, note, remote="origin", ref=REF) is True
    other = clone(remote, tmp_path / "other")
    fetched = fetch_note(other, sha, remote="origin", ref=REF)
    assert fetched == note
    assert fetched is not None
    assert fetched.bundle_json() == '{"mediaType": "x"}'


def test_a_missing_note_and_a_foreign_note(
    make_repo: Callable[..., Path], bare_remote: Callable[[Path], Path]
) -> None:
    repo = make_repo({"a.txt": "1"})
    bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    assert fetch_note(repo, sha, remote="origin", ref=REF) is None
    git(repo, "notes", "--ref=localci", "add", "-m", "not json", sha)
    assert fetch_note(repo, sha, remote=None, ref=REF) is None
    assert parse_note('{"format": "other"}') is None
    assert parse_note(render_note(SignedResult(document={"a": 1}))) == SignedResult(
        document={"a": 1}
    )


def test_concurrent_publishers_lose_nothing(
    make_repo: Callable[..., Path], bare_remote: Callable[[Path], Path], tmp_path: Path
) -> None:
    repo = make_repo({"a.txt": "0"})
    remote = bare_remote(repo)
    clones = [clone(remote, tmp_path / f"dev{i}") for i in range(2)]
    shas: list[list[str]] = [[], []]
    for i, dev in enumerate(clones):
        for n in range(3):
            (dev / f"dev{i}-{n}.txt").write_text(str(n))
            shas[i].append(commit_all(dev, f"dev{i} {n}"))
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def publish(i: int) -> None:
        try:
            barrier.wait()
            for sha in shas[i]:
                publish_note(
                    clones[i],
                    sha,
                    SignedResult(document={"by": i, "sha": sha}),
                    remote="origin",
                    ref=REF,
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reader = clone(remote, tmp_path / "reader")
    for i in range(2):
        for sha in shas[i]:
            note = fetch_note(reader, sha, remote="origin", ref=REF)
            assert note == SignedResult(document={"by": i, "sha": sha}), sha


def test_republishing_replaces_the_note(
    make_repo: Callable[..., Path], bare_remote: Callable[[Path], Path], tmp_path: Path
) -> None:
    repo = make_repo({"a.txt": "1"})
    remote = bare_remote(repo)
    sha = git(repo, "rev-parse", "HEAD")
    publish_note(repo, sha, SignedResult(document={"n": 1}), remote="origin", ref=REF)
    publish_note(repo, sha, SignedResult(document={"n": 2}), remote="origin", ref=REF)
    other = clone(remote, tmp_path / "other")
    assert fetch_note(other, sha, remote="origin", ref=REF) == SignedResult(document={"n": 2})


def test_unreachable_remote_is_a_delivery_error(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "1"})
    git(repo, "remote", "add", "origin", str(repo.parent / "nowhere.git"))
    sha = git(repo, "rev-parse", "HEAD")
    with pytest.raises(DeliveryError, match="could not push refs/notes/localci to origin"):
        publish_note(repo, sha, SignedResult(document={}), remote="origin", ref=REF)
    # The note is kept locally, to be pushed later.
    assert gitrepo.read_note(repo, REF, sha) is not None
