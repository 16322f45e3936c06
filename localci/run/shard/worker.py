"""The task a Dask worker runs for one shard: :func:`run_shard`.

In order: refuse when the worker's interpreter or a requested distribution differs from
the coordinator's; unpack the commit's archive in a fresh temporary directory; refuse
when the files there do not hash to the commit's tree; run the stage's command with the
shard plugin; send back the exit status, the output's tail and the report files. The
temporary directory is removed on every path. The cancel name in the spec lets the coordinator stop
the stage's process group (Ctrl-C on the coordinator): it calls :func:`cancel_shards`
on every worker.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from localci import git as gitrepo
from localci.errors import LocalciError
from localci.proc import CommandNotFound, run_process
from localci.redact import Redactor
from localci.run.shard.spec import (
    ENV_COUNT,
    ENV_DURATIONS,
    ENV_INDEX,
    ENV_MANIFEST,
    PLUGIN,
    ShardFailed,
    ShardOutcome,
    ShardRefused,
    ShardSpec,
)
from localci.run.stage import StageContext, expand, stage_argv, stage_env

__all__ = [
    "archive_bytes",
    "cancel_shards",
    "check_environment",
    "run_shard",
    "unpack",
    "verify_tree",
]

_MAX_FILE = 512 << 20
"""Report files larger than this are not sent back (a runaway log is not a report)."""


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def archive_bytes(data: bytes) -> bytes:
    """The commit's archive as a task result (so Dask can recompute it after a loss)."""
    return data


def check_environment(spec: ShardSpec, worker: str) -> None:
    """Refuse unless this interpreter and every requested distribution match the spec.

    :raises ShardRefused: naming the worker, what it has and what was asked for.
    """
    problems = []
    here = platform.python_version()
    if here != spec.python:
        problems.append(f"Python {here}, the coordinator asked for {spec.python}")
    for name, wanted in spec.packages:
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = "not installed"
        if have != wanted:
            problems.append(f"{name} {have}, the coordinator asked for {wanted}")
    if problems:
        raise ShardRefused(
            f"worker {worker} refuses {spec.label} of stage {spec.stage.name!r}: it has "
            + "; ".join(problems)
            + ". Workers need the project's environment (one image for the whole cluster)."
        )


def unpack(archive: bytes, dest: Path, worker: str = "local", label: str = "the shard") -> None:
    """Extract a gzipped tar into ``dest`` with tarfile's ``data`` filter (no absolute
    paths, no ``..``, no links leaving ``dest``, no device files).

    :raises ShardRefused: when the archive is unreadable or breaks those rules.
    """
    if not hasattr(tarfile, "data_filter"):  # Python 3.10.12+ / 3.11.4+ have it
        raise ShardRefused(
            f"worker {worker} refuses {label}: its Python has no tarfile data filter "
            "(3.10.12 / 3.11.4 or newer has it)"
        )
    dest.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ShardRefused(
            f"worker {worker} refuses {label}: the commit's archive does not unpack: {exc}"
        ) from None


def verify_tree(path: Path, tree: str, worker: str, label: str) -> None:
    """Refuse unless the files under ``path`` hash to ``tree`` (git's own tree id).

    :raises ShardRefused: on a mismatch or when git cannot hash the directory.
    """
    try:
        got = gitrepo.tree_of_directory(path, sha256=len(tree) == 64)
    except LocalciError as exc:
        raise ShardRefused(
            f"worker {worker} refuses {label}: cannot hash the unpacked tree ({exc.message})"
        ) from None
    if got != tree:
        raise ShardRefused(
            f"worker {worker} refuses {label}: the unpacked files hash to tree {got[:12]}, "
            f"not the commit's tree {tree[:12]} (export-ignore or export-subst attributes, "
            "or submodules, change what git archive sends)"
        )


_CANCELLED: set[str] = set()
_RUNNING: dict[str, list[threading.Event]] = {}
_LOCK = threading.Lock()


def cancel_shards(name: str) -> int:
    """Stop every shard of this worker process registered under ``name`` (and any that
    starts later); the number stopped. The coordinator calls it on every worker with
    ``Client.run`` on Ctrl-C or ``--fail-fast``."""
    with _LOCK:
        _CANCELLED.add(name)
        events = list(_RUNNING.get(name, ()))
    for event in events:
        event.set()
    return len(events)


@contextlib.contextmanager
def _cancel_watch(name: str | None) -> Iterator[threading.Event]:
    """A local event that :func:`cancel_shards` sets for ``name``."""
    local = threading.Event()
    if name is None:
        yield local
        return
    with _LOCK:
        _RUNNING.setdefault(name, []).append(local)
        if name in _CANCELLED:
            local.set()
    try:
        yield local
    finally:
        with _LOCK:
            _RUNNING[name].remove(local)
            if not _RUNNING[name]:
                del _RUNNING[name]


def _shard_env(
    spec: ShardSpec, ctx: StageContext, durations: Path, manifest: Path
) -> dict[str, str]:
    env = stage_env(spec.stage, ctx)
    addopts = env.get("PYTEST_ADDOPTS", "")
    env["PYTEST_ADDOPTS"] = f"{addopts} -p {PLUGIN}".strip()
    env[ENV_INDEX], env[ENV_COUNT] = str(spec.index), str(spec.count)
    env[ENV_DURATIONS], env[ENV_MANIFEST] = str(durations), str(manifest)
    return env


def _collect(base: Path) -> dict[str, bytes]:
    """Report files (everything under ``reports/``), coverage data in the tree root and
    the shard's log (``shard.log``)."""
    files: dict[str, bytes] = {}
    candidates = [p for p in (base / "reports").rglob("*") if p.is_file()]
    candidates += [p for p in (base / "tree").glob(".coverage*") if p.is_file()]
    candidates += [base / "shard.log"] if (base / "shard.log").is_file() else []
    for path in candidates:
        if path.stat().st_size <= _MAX_FILE:
            files[path.relative_to(base).as_posix()] = path.read_bytes()
    return files


def _report(spec: ShardSpec, ctx: StageContext) -> bytes | None:
    if spec.stage.report is None:
        return None
    path = Path(expand(spec.stage.report.path, ctx))
    path = path if path.is_absolute() else ctx.workspace / path
    return path.read_bytes() if path.is_file() and path.stat().st_size <= _MAX_FILE else None


def run_shard(spec: ShardSpec, archive: bytes) -> ShardOutcome:
    """Run one shard on this worker; see the module docstring.

    :raises ShardRefused: for an environment or tree mismatch (Dask then retries the
        shard, possibly elsewhere, up to the coordinator's retry count).
    """
    worker = _worker_address()
    try:
        return _run_checked(spec, archive, worker)
    except ShardFailed:
        raise
    except Exception as exc:  # anything else still names the shard and the worker
        raise ShardFailed(
            f"{spec.label} failed on worker {worker}: {type(exc).__name__}: {exc}"
        ) from None


def _run_checked(spec: ShardSpec, archive: bytes, worker: str) -> ShardOutcome:
    check_environment(spec, worker)
    with tempfile.TemporaryDirectory(prefix="localci-shard-") as tmp:
        base = Path(tmp)
        unpack(archive, base / "tree", worker, spec.label)
        verify_tree(base / "tree", spec.tree, worker, spec.label)
        (base / "reports").mkdir()
        durations, manifest = base / "durations.json", base / "manifest.json"
        durations.write_text(json.dumps(spec.durations), encoding="utf-8")
        with _cancel_watch(spec.cancel_name) as cancel:
            ctx = StageContext(
                workspace=base / "tree",
                reports=base / "reports",
                logs=base,
                redactor=Redactor(env={**os.environ, **dict(spec.stage.env)}),
                cancel=cancel,
            )
            return _execute(spec, ctx, worker, durations, manifest)


def _execute(
    spec: ShardSpec, ctx: StageContext, worker: str, durations: Path, manifest: Path
) -> ShardOutcome:
    stage = spec.stage
    argv = stage_argv(stage, ctx)
    cwd = ctx.workspace / stage.cwd if stage.cwd else ctx.workspace
    try:
        outcome = run_process(
            argv,
            cwd=cwd,
            env=_shard_env(spec, ctx, durations, manifest),
            log_path=ctx.logs / "shard.log",
            timeout=stage.timeout,
            cancel=ctx.cancel,
            redact=ctx.redactor,
        )
    except CommandNotFound as exc:
        raise ShardRefused(
            f"worker {worker} cannot run {exc.program!r} for {spec.label}: {exc.reason}"
        ) from None
    found = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else None
    return ShardOutcome(
        index=spec.index,
        worker=worker,
        exit_code=outcome.exit_code,
        timed_out=outcome.timed_out,
        cancelled=outcome.cancelled,
        duration=round(outcome.duration, 3),
        tail=outcome.tail.replace(str(ctx.workspace), "."),
        tail_truncated=outcome.tail_truncated,
        files=_collect(ctx.logs),
        report=_report(spec, ctx),
        manifest=found,
    )
