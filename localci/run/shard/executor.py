"""The thin Dask side of sharding: connect, submit one task per shard, wait, merge.

:class:`DaskExecutor` is a context manager holding one ``distributed.Client`` for the
run. Its :meth:`~DaskExecutor.run_stage` has :func:`localci.run.stage.run_stage`'s shape:
a pytest ``tests`` stage with a JUnit report is sharded, any other stage runs here on the
coordinator as usual. Faults: a worker that dies mid-shard is Dask's to handle (the
scheduler reschedules the task on another worker, up to its ``allowed-failures``); a
shard whose task raises is retried ``retries`` times; after that the stage is an
``error`` naming the shard and the worker. Setting the run's cancel event (Ctrl-C,
``--fail-fast``) runs :func:`~localci.run.shard.worker.cancel_shards` on every worker,
which stops the shard's process group.
"""

from __future__ import annotations

import contextlib
import platform
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from localci import git as gitrepo
from localci.config.loader import StageConfig
from localci.errors import EXIT_DELIVERY, LocalciError, UsageError
from localci.result.model import ShardRecord, StageResult
from localci.result.store import utc_now
from localci.run.shard import durations as stored
from localci.run.shard.merge import check_manifests, merged_durations, merged_outcome
from localci.run.shard.place import place_files
from localci.run.shard.settings import DaskSettings
from localci.run.shard.spec import ShardOutcome, ShardSpec
from localci.run.stage import StageContext, judge_outcome, run_stage, stage_argv

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["DaskExecutor", "SchedulerUnreachable", "shardable"]

_POLL = 0.2
_STOP_GRACE = 15.0
"""Seconds to wait for shards to stop their processes after a cancel."""


class SchedulerUnreachable(LocalciError):
    """The Dask scheduler did not answer, or no worker joined, within the bounded wait
    (exit 5, like any unreachable remote)."""

    exit_code = EXIT_DELIVERY


def shardable(stage: StageConfig) -> bool:
    """A ``tests`` stage judged by a JUnit report (pytest's) can be sharded."""
    return stage.kind == "tests" and stage.report is not None and stage.report.format == "junit"


class DaskExecutor:
    """Runs stages for one run, sharding the pytest ones over a Dask cluster.

    ``root`` is the repository (``.localci/durations/`` lives there), ``commit`` and
    ``tree`` the commit under test and its tree id.
    """

    def __init__(self, settings: DaskSettings, *, root: Path, commit: str, tree: str) -> None:
        self.settings = settings
        self.root = root
        self.commit = commit
        self.tree = tree
        self.token = uuid.uuid4().hex[:12]
        self._client: Client | None = None
        self._archive: Future[bytes] | None = None

    def __enter__(self) -> DaskExecutor:
        self._client = _connect(self.settings)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            self._client.close(timeout=10)
            self._client = None

    @property
    def client(self) -> Client:
        """The connected client.

        :raises UsageError: outside the ``with`` block.
        """
        if self._client is None:
            raise UsageError("the Dask executor is used outside its `with` block")
        return self._client

    def run_stage(self, stage: StageConfig, ctx: StageContext) -> StageResult:
        """Run ``stage``: sharded when :func:`shardable`, else locally."""
        if not shardable(stage):
            return run_stage(stage, ctx)
        return self._sharded(stage, ctx)

    def shard_count(self) -> int:
        """``--shards`` when set, else the worker threads in the cluster (waiting up to
        ``connect_timeout`` for a first worker).

        :raises SchedulerUnreachable: when no worker joins in time.
        """
        if self.settings.shards is not None:
            return self.settings.shards
        try:
            self.client.wait_for_workers(1, timeout=self.settings.connect_timeout)
        except TimeoutError:
            raise SchedulerUnreachable(
                f"no Dask worker joined {self.settings.scheduler} within "
                f"{self.settings.connect_timeout:g} s"
            ) from None
        return max(1, int(sum(self.client.nthreads().values())))

    def _archive_future(self) -> Future[bytes]:
        if self._archive is None:
            from localci.run.shard.worker import archive_bytes

            # A task, not scattered data: if the worker holding it dies, the scheduler
            # can compute it again from the task itself (scattered data would be lost).
            data = gitrepo.archive(self.root, self.commit)
            self._archive = self.client.submit(
                archive_bytes, data, key=f"localci-{self.token}-archive", pure=False
            )
        return self._archive

    def _specs(self, stage: StageConfig, count: int, cancel_name: str) -> list[ShardSpec]:
        try:
            packages = tuple((n, metadata.version(n)) for n in self.settings.packages)
        except metadata.PackageNotFoundError as exc:
            raise UsageError(
                f"executor.packages names {exc.name!r}, which is not installed here, so "
                "there is no version for the workers to match"
            ) from None
        durations = stored.load(self.root, stage.name)
        return [
            ShardSpec(
                stage=stage,
                index=i,
                count=count,
                tree=self.tree,
                python=platform.python_version(),
                packages=packages,
                durations=durations,
                cancel_name=cancel_name,
            )
            for i in range(count)
        ]

    def _sharded(self, stage: StageConfig, ctx: StageContext) -> StageResult:
        from localci.run.shard.worker import run_shard

        started, t0 = utc_now(), time.monotonic()
        name = f"localci-cancel-{self.token}-{stage.name}"
        specs = self._specs(stage, self.shard_count(), name)
        archive = self._archive_future()
        futures = [
            self.client.submit(
                run_shard,
                spec,
                archive,
                key=f"localci-{self.token}-{stage.name}-{spec.index}",
                retries=self.settings.retries,
                pure=False,
            )
            for spec in specs
        ]
        try:
            problem = _wait(futures, specs, ctx, lambda: self._cancel(name))
            outcomes = [f.result() for f in futures] if problem is None else []
        finally:
            self.client.cancel(futures)
        argv = stage_argv(stage, ctx)
        if problem is not None:
            return _error(stage, ctx, argv, started, time.monotonic() - t0, problem)
        return self._merge(stage, ctx, specs, outcomes, argv, started, time.monotonic() - t0)

    def _cancel(self, name: str) -> None:
        from localci.run.shard.worker import cancel_shards

        with contextlib.suppress(Exception):  # workers already gone have nothing to stop
            self.client.run(cancel_shards, name, wait=True)

    def _merge(
        self,
        stage: StageConfig,
        ctx: StageContext,
        specs: Sequence[ShardSpec],
        outcomes: Sequence[ShardOutcome],
        argv: list[str],
        started: str,
        wall: float,
    ) -> StageResult:
        outcome = merged_outcome(specs, outcomes, round(wall, 3))
        records = tuple(
            ShardRecord(
                index=o.index,
                worker=o.worker,
                duration=o.duration,
                tests=int((o.manifest or {}).get("selected", 0)),  # type: ignore[call-overload]
            )
            for o in outcomes
        )
        problem = None if outcome.cancelled else check_manifests(specs, outcomes)
        if problem is None and not outcome.cancelled:
            problem = place_files(stage, ctx, specs, outcomes, outcome.exit_code)
        if problem is not None:
            result = _error(stage, ctx, argv, started, wall, problem)
            return replace(result, shards=records)
        stored.save(self.root, stage.name, merged_durations(outcomes))
        result = judge_outcome(stage, ctx, outcome, argv=argv, started=started)
        return replace(result, shards=records)


def _connect(settings: DaskSettings) -> Client:
    """A client for ``settings.scheduler``, within ``connect_timeout`` seconds.

    :raises SchedulerUnreachable: when the scheduler does not answer in time, or refuses.
    """
    from distributed import Client
    from distributed.security import Security

    security = None
    if settings.tls is not None:
        security = Security(
            tls_ca_file=str(settings.tls.ca),
            tls_client_cert=str(settings.tls.cert),
            tls_client_key=str(settings.tls.key),
            require_encryption=True,
        )
    try:
        return Client(
            settings.scheduler,
            security=security,
            timeout=settings.connect_timeout,
            set_as_default=False,
        )
    except Exception as exc:  # OSError, TimeoutError, TLS and protocol errors alike
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {settings.scheduler} within "
            f"{settings.connect_timeout:g} s: {type(exc).__name__}: {exc}",
            hint="Is `dask scheduler` running there, and do address and certificates match?",
        ) from None


def _wait(
    futures: Sequence[Future[ShardOutcome]],
    specs: Sequence[ShardSpec],
    ctx: StageContext,
    stop: Callable[[], None],
) -> str | None:
    """Wait for every shard; why the stage must be an ``error``, or ``None``.

    On cancel: ``stop`` every shard's process, give the shards :data:`_STOP_GRACE` seconds to stop
    their processes, and return the run's cancel reason. A shard that errored for good
    stops the others.
    """
    while not all(f.done() for f in futures):
        if ctx.cancel.is_set():
            stop()
            deadline = time.monotonic() + _STOP_GRACE
            while time.monotonic() < deadline and not all(f.done() for f in futures):
                time.sleep(_POLL)
            return ctx.cancel_reason()
        failed = next((i for i, f in enumerate(futures) if f.status == "error"), None)
        if failed is not None:
            break
        time.sleep(_POLL)
    for spec, future in zip(specs, futures, strict=True):
        if future.status == "error":
            stop()
            return _describe(spec, future.exception())
    return None


def _describe(spec: ShardSpec, exc: BaseException | None) -> str:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        worker = getattr(exc.last_worker, "address", "unknown")
        return (
            f"{spec.label} was lost with its worker too many times (last on {worker}); "
            "Dask gave up on it"
        )
    return f"{spec.label} kept failing after retries: {exc}"


def _error(
    stage: StageConfig,
    ctx: StageContext,
    argv: list[str],
    started: str,
    wall: float,
    reason: str,
) -> StageResult:
    return StageResult(
        name=stage.name,
        kind=stage.kind,
        status="error",
        reason=reason,
        command=tuple(map(ctx.redactor, argv)),
        duration=round(wall, 3),
        started_at=started,
        finished_at=utc_now(),
        report_format=stage.report.format if stage.report else None,
    )
