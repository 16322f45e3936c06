"""`localci fetch`: local results -> notes ref -> attestation store -> Check Run, each down in turn.

One signed result is published through every channel: the notes ref on a bare remote,
the Check Run (GitHub double), and the attestation store (as the gate stores it). Then
the channels go away one at a time, from the front, and `localci fetch` must answer from
the next one, listing why each earlier one had nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from localci.publish.attestations import store_bundles
from localci.publish.github import GitHubClient, GitHubSettings
from tests.conftest import git
from tests.github_double import GitHubDouble
from tests.sigstore_double import SigstoreDouble

from .conftest import CliResult, HostedRepo

pytestmark = pytest.mark.usefixtures("sigstore_home")

REPO = "octo/demo"
CONFIG = "stages:\n  - {name: build, run: [echo, built]}\n"


def test_each_channel_down_in_turn(
    host_repo: Callable[[str], HostedRepo],
    cli: Callable[..., CliResult],
    github_double: GitHubDouble,
    sigstore_double: SigstoreDouble,
    sigstore_trust_config: Path,
    tmp_path: Path,
) -> None:
    hosted = host_repo(CONFIG)
    repo, sha, token = hosted.repo, hosted.sha, hosted.token
    assert hosted.name == REPO
    env = hosted.env | {"SIGSTORE_ID_TOKEN": sigstore_double.mint_token("d@x.y")}
    run = cli("run", "--sign", "--trust-config", str(sigstore_trust_config), cwd=repo, env=env)
    assert run.code == 0, run.err
    assert cli("post", sha, cwd=repo, env=env).code == 0
    results = repo / ".localci" / "results"
    bundles = [
        json.loads((results / f"{sha}{s}").read_text())
        for s in (".sigstore.json", ".test-result.sigstore.json")
    ]
    settings = GitHubSettings(repo=REPO, api_url=github_double.api_url, token=token)
    with GitHubClient(settings) as client:
        store_bundles(client, bundles)
    expected = json.loads((results / f"{sha}.json").read_text())

    def fetch(*args: str) -> CliResult:
        out = cli("fetch", sha, "--json", *args, cwd=repo, env=env)
        assert out.code == 0, out.err
        assert out.json()["result"] == expected
        return out

    assert fetch().json()["tried"] == ["local"]
    no_local = fetch("--no-local").json()
    assert no_local["tried"] == ["notes"]
    assert no_local["test_result_bundle"] == bundles[1]

    git(repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))  # notes down
    stored = fetch("--no-local").json()
    assert stored["channel"] == "attestations"
    assert stored["tried"][0].startswith("notes: could not fetch refs/notes/localci")
    assert stored["tried"][1:] == ["attestations"]
    assert (stored["bundle"], stored["test_result_bundle"]) == (bundles[0], bundles[1])
    out = tmp_path / "evidence"
    fetch("--no-local", "--out", str(out))
    for name in (f"{sha}.json", f"{sha}.sigstore.json", f"{sha}.test-result.sigstore.json"):
        assert json.loads((out / name).read_text()) == json.loads((results / name).read_text())
    assert (out / f"{sha}.json").read_bytes() == (results / f"{sha}.json").read_bytes()

    github_double.fail("GET", r"/repos/octo/demo/attestations/.*", status=404, times=100)
    checked = fetch("--no-local").json()
    assert checked["channel"] == "check_run"
    assert checked["tried"][1].startswith("attestations: GitHub refused to list attestations")
    assert checked["tried"][2:] == ["check_run"]
    assert checked["bundle"] == bundles[0]

    github_double.fail("GET", r"/repos/octo/demo/commits/.*/check-runs", status=404, times=100)
    missing = cli("fetch", sha, "--no-local", cwd=repo, env=env)
    assert missing.code == 2
    lines = missing.err.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("- ")] == [
        "- notes",
        "- attestations",
        "- check_run",
    ]
