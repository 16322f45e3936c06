"""Sharding over a real Dask cluster: one ``dask scheduler`` and two ``dask worker``
processes on loopback, with TLS (certificates made by the fixture), shared by the module.

The must-show: a sharded run of a generated 42-file project with failing tests counts
the same tests, the same failing ids and the same coverage percent as an unsharded run,
and its one signed result passes the verifier; a worker killed mid-shard loses nothing;
Ctrl-C stops every shard (exit 130); an unreachable scheduler is exit 5.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import commit_all, process_running
from tests.dask_cluster import LoopbackCluster, make_tls
from tests.dask_project import write_project

from .conftest import CliResult, localci_subprocess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]

VERIFY = """\
verify:
  signers:
    - {identity: dev@example.com, issuer: ISSUER}
  max_age: 1d
"""

SLOW_TEST = """\
import json, os, time

def test_slow() -> None:
    marker = os.environ["SHARD_MARKER"]
    with open(marker + ".runs", "a") as fh:
        fh.write("run\\n")
    if not os.path.exists(marker):
        with open(marker + ".tmp", "w") as fh:
            json.dump({"pid": os.getpid(), "ppid": os.getppid()}, fh)
        os.replace(marker + ".tmp", marker)
        time.sleep(120)
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    folder = tmp_path_factory.mktemp("dask")
    running = LoopbackCluster(folder / "cluster", workers=2, tls=make_tls(folder / "tls"))
    try:
        yield running.start()
    finally:
        running.close()


def executor_yaml(cluster: LoopbackCluster, **extra: Any) -> str:
    assert cluster.tls is not None
    tls = cluster.tls
    lines = [
        "executor:",
        "  kind: dask",
        f"  scheduler: {cluster.address}",
        "  connect_timeout: 20",
        f"  tls: {{ca: {tls.ca}, cert: {tls.cert}, key: {tls.key}}}",
    ]
    lines += [f"  {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def stage_of(doc: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in doc["stages"] if s["name"] == "tests")


def coverage_of(doc: dict[str, Any]) -> dict[str, Any]:
    coverage: dict[str, Any] = next(s for s in doc["stages"] if s["name"] == "coverage")["metrics"][
        "coverage"
    ]
    return coverage


def failing_ids(stage: dict[str, Any]) -> list[str]:
    return sorted(f["test_id"] for f in stage["findings"] if f["kind"] == "test")


def test_sharded_run_equals_unsharded_and_verifies(
    cluster: LoopbackCluster,
    make_repo: Callable[..., Path],
    cli: Callable[..., CliResult],
    sigstore_trust_config: Path,
    mint_identity_token: Callable[..., str],
    sigstore_double: Any,
    sigstore_home: Path,
) -> None:
    repo = make_repo(commit=False)
    write_project(
        repo,
        executor=executor_yaml(cluster),
        tests_extra="    max_failures: 3",
        config_tail=VERIFY.replace("ISSUER", sigstore_double.issuer_url),
    )
    commit_all(repo)
    plain = cli("run", "--executor", "local", "--no-cache", "--json", cwd=repo)
    assert plain.code == 0, plain.err
    sharded = cli(
        "run",
        "--no-cache",
        "--json",
        "--sign",
        "--trust-config",
        str(sigstore_trust_config),
        cwd=repo,
        env={"SIGSTORE_ID_TOKEN": mint_identity_token("dev@example.com")},
    )
    assert sharded.code == 0, sharded.err
    one, many = stage_of(plain.json()), stage_of(sharded.json())
    assert "shards" not in one
    assert many["metrics"]["tests"] == one["metrics"]["tests"]
    assert one["metrics"]["tests"]["failed"] == 3
    assert (
        failing_ids(many)
        == failing_ids(one)
        == [
            "tests/test_f003.py::test_1",
            "tests/test_f017.py::test_0",
            "tests/test_f040.py::test_2",
        ]
    )
    assert coverage_of(sharded.json()) == coverage_of(plain.json())
    assert 0 < coverage_of(plain.json())["percent"] < 100
    shards = many["shards"]
    assert [s["index"] for s in shards] == [0, 1]
    assert all(s["worker"].startswith("tls://127.0.0.1:") and s["tests"] > 0 for s in shards)
    assert sum(s["tests"] for s in shards) == one["metrics"]["tests"]["total"]
    durations = json.loads((repo / ".localci/durations/tests.json").read_text())
    assert len(durations) == one["metrics"]["tests"]["total"]
    verdict = cli(
        "verify", "--policy", str(repo / ".localci.yml"), "--trust-config",
        str(sigstore_trust_config), "--json", cwd=repo,
    )  # fmt: skip
    assert verdict.code == 0, verdict.out + verdict.err
    assert verdict.json()["accepted"] is True


def test_shard_that_keeps_failing_is_a_stage_error_naming_shard_and_worker(
    cluster: LoopbackCluster, make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(commit=False)
    write_project(repo, files=2, executor=executor_yaml(cluster, retries=0, shards=2))
    config = (repo / ".localci.yml").read_text()
    (repo / ".localci.yml").write_text(
        config.replace('"{python}", "-m", "coverage", "run"', '"no-such-program-4711", "run"', 1)
    )
    commit_all(repo)
    result = cli("run", "--no-cache", "--json", cwd=repo)
    assert result.code == 1, result.err
    stage = stage_of(result.json())
    assert stage["status"] == "error"
    assert "shard 1/2" in stage["reason"] or "shard 2/2" in stage["reason"]
    assert "tls://127.0.0.1:" in stage["reason"]
    assert "no-such-program-4711" in stage["reason"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_scheduler_is_exit_5(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(commit=False)
    write_project(repo, files=1, executor="executor: {connect_timeout: 2}")
    commit_all(repo)
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = cli("run", "--no-cache", "--scheduler", address, cwd=repo)
    assert result.code == 5, result.err
    assert f"cannot reach the Dask scheduler at {address} within 2 s" in result.err


def test_plain_client_is_refused_by_the_tls_cluster(
    cluster: LoopbackCluster, make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(commit=False)
    write_project(repo, files=1, executor="executor: {connect_timeout: 3}")
    commit_all(repo)
    plain = cluster.address.replace("tls://", "tcp://")
    result = cli("run", "--no-cache", "--scheduler", plain, cwd=repo)
    assert result.code == 5, result.err
    assert "cannot reach the Dask scheduler" in result.err


def _wait_for(path: Path, timeout: float = 120) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while not path.is_file():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)
    return dict(json.loads(path.read_text()))


def _slow_project(repo: Path, cluster: LoopbackCluster, marker: Path) -> None:
    write_project(
        repo,
        files=4,
        failing=(),
        executor=executor_yaml(cluster, shards=2),
        tests_extra=f"    env: {{SHARD_MARKER: {marker}}}",
        extra_files={"tests/test_slow.py": SLOW_TEST},
    )
    commit_all(repo)


def test_ctrl_c_cancels_every_shard(
    cluster: LoopbackCluster, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo(commit=False)
    marker = tmp_path / "marker.json"
    _slow_project(repo, cluster, marker)
    proc = localci_subprocess("run", "--no-cache", cwd=repo)
    try:
        pid = _wait_for(marker)["pid"]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert not process_running(pid), "the shard's pytest process survived Ctrl-C"


def test_worker_killed_mid_shard_is_retried_elsewhere(
    cluster: LoopbackCluster, make_repo: Callable[..., Path], cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:  # fmt: skip
    repo = make_repo(commit=False)
    marker = tmp_path / "marker.json"
    _slow_project(repo, cluster, marker)

    def kill_the_worker() -> None:
        found = _wait_for(marker)
        os.kill(found["ppid"], signal.SIGKILL)  # the worker process running the shard
        os.killpg(os.getpgid(found["pid"]), signal.SIGKILL)  # its machine "went down"

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    try:
        result = cli("run", "--no-cache", "--json", cwd=repo)
    finally:
        killer.join(timeout=130)
    assert result.code == 0, result.err
    stage = stage_of(result.json())
    assert stage["status"] == "passed"
    assert stage["metrics"]["tests"]["total"] == 4 * 3 + 2 + 1
    assert sum(s["tests"] for s in stage["shards"]) == stage["metrics"]["tests"]["total"]
    assert Path(f"{marker}.runs").read_text().count("run") == 2  # killed once, then passed
    cluster.wait_for_workers(2)  # the nanny restarted the killed worker
