"""A shard's work without a cluster: refusals, the unpacked tree's check, and whole
shards run in-process (``run_shard`` is a plain function) whose merged reports equal
an unsharded run's: JUnit counts and coverage percent after path remapping."""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pytest

from localci import git as gitrepo
from localci.config.loader import ReportSpec, StageConfig
from localci.reports.junit import JunitParser
from localci.run.shard.merge import (
    check_manifests,
    combine_coverage,
    coverage_targets,
    merge_junit,
    merged_outcome,
)
from localci.run.shard.spec import ShardRefused, ShardSpec
from localci.run.shard.worker import check_environment, run_shard, unpack, verify_tree
from tests.conftest import commit_all
from tests.dask_project import write_project

STAGE = StageConfig(
    name="tests",
    kind="tests",
    run=(
        "{python}", "-m", "coverage", "run", "--data-file={reports}/.coverage",
        "-m", "pytest", "--junitxml={reports}/junit.xml", "-q", "-p", "no:cacheprovider",
    ),
    report=ReportSpec(format="junit", path="{reports}/junit.xml"),
)  # fmt: skip


def spec(index: int = 0, count: int = 1, tree: str = "0" * 40, **kw: object) -> ShardSpec:
    fields: dict[str, object] = {
        "stage": STAGE,
        "index": index,
        "count": count,
        "tree": tree,
        "python": platform.python_version(),
        "packages": (("pytest", metadata.version("pytest")),),
    }
    return ShardSpec(**(fields | kw))  # type: ignore[arg-type]


def test_a_different_python_or_package_is_refused() -> None:
    check_environment(spec(), "tcp://w:1")
    with pytest.raises(ShardRefused, match=r"worker tcp://w:1 refuses shard 1/1 .*Python"):
        check_environment(spec(python="2.7.18"), "tcp://w:1")
    wrong = (("pytest", "0.0.1"), ("no-such-dist-4711", "1.0"))
    with pytest.raises(ShardRefused) as caught:
        check_environment(spec(packages=wrong), "tcp://w:1")
    assert f"pytest {metadata.version('pytest')}, the coordinator asked for 0.0.1" in str(
        caught.value
    )
    assert "no-such-dist-4711 not installed" in str(caught.value)


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_an_archive_escaping_its_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ShardRefused, match="does not unpack"):
        unpack(_tar({"../evil.txt": b"x"}), tmp_path / "tree")
    assert not (tmp_path / "evil.txt").exists()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, bytes]:
    repo = tmp_path_factory.mktemp("proj")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    write_project(repo, files=6, tests_per_file=2, failing=((1, 0),))
    commit = commit_all(repo)
    tree = gitrepo.git(repo, "rev-parse", f"{commit}^{{tree}}")
    return repo, tree, gitrepo.archive(repo, commit)


def test_the_unpacked_tree_must_hash_to_the_commits_tree(
    project: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    _, tree, archive = project
    unpack(archive, tmp_path / "good")
    verify_tree(tmp_path / "good", tree, "tcp://w:1", "shard 1/2")
    unpack(archive, tmp_path / "bad")
    (tmp_path / "bad" / "src" / "proj" / "mod0.py").write_text("x = 1\n")
    with pytest.raises(ShardRefused, match=r"tcp://w:1 refuses shard 1/2: .* not the commit"):
        verify_tree(tmp_path / "bad", tree, "tcp://w:1", "shard 1/2")


def test_run_shard_refuses_a_tree_that_is_not_the_commits(
    project: tuple[Path, str, bytes],
) -> None:
    _, _, archive = project
    with pytest.raises(ShardRefused, match="not the commit's tree 000000000000"):
        run_shard(spec(), archive)


def _as_worker_tree(folder: Path, archive: bytes) -> Path:
    """Where a worker would unpack: ``.../localci-shard-*/tree``."""
    tree = folder / "localci-shard-test" / "tree"
    unpack(archive, tree)
    return tree


def test_shards_merge_into_the_unsharded_reports(
    project: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    repo, tree, archive = project
    specs = [spec(i, 2, tree) for i in range(2)]
    outcomes = [run_shard(s, archive) for s in specs]
    assert check_manifests(specs, outcomes) is None
    assert merged_outcome(specs, outcomes, 1.0).exit_code == 1
    assert sum(int(str(o.manifest["selected"])) for o in outcomes if o.manifest) == 6 * 2 + 2
    merge_junit([o.report for o in outcomes if o.report], tmp_path / "merged.xml")
    # The unsharded run, in a checkout of the same commit.
    whole = tmp_path / "whole"
    shutil.copytree(repo, whole, ignore=shutil.ignore_patterns(".git"))
    argv = [a.replace("{reports}", str(tmp_path)) for a in STAGE.run]
    argv[0] = sys.executable
    env = {**os.environ, "PYTHONPATH": f"{whole / 'src'}{os.pathsep}{whole}"}
    subprocess.run(argv, cwd=whole, env=env, capture_output=True, check=False)
    merged = JunitParser().parse(tmp_path / "merged.xml", root=whole)
    single = JunitParser().parse(tmp_path / "junit.xml", root=whole)
    assert merged.tests == single.tests
    assert sorted(f.test_id or "" for f in merged.findings) == ["tests/test_f001.py::test_0"]
    # Coverage: every shard's data re-rooted onto the coordinator's checkout.
    parts = []
    for rel, found in coverage_targets(outcomes).items():
        assert rel == "reports/.coverage"
        for index, name in found:
            parts.append(tmp_path / f"part{index}")
            parts[-1].write_bytes(outcomes[index].files[name])
    combine_coverage(parts, tmp_path / "combined", whole)
    percents = []
    for data in (tmp_path / "combined", tmp_path / ".coverage"):
        out = tmp_path / f"{data.name}.json"
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", str(out)],
            cwd=whole, check=True, capture_output=True,
        )  # fmt: skip
        report = json.loads(out.read_text())
        percents.append((report["totals"]["percent_covered"], sorted(report["files"])))
    assert percents[0] == percents[1]
    assert percents[0][1] == [
        f"src/proj/{n}" for n in ["__init__.py"] + [f"mod{m}.py" for m in range(7)]
    ]
