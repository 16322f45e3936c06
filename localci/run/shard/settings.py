"""Which executor a run uses, from the command line and the ``executor:`` section (pure).

``executor: {kind: dask, scheduler: tls://HOST:8786, shards: 8, connect_timeout: 30,
retries: 2, packages: [...], tls: {ca: PATH, cert: PATH, key: PATH}}``. Command-line
values (``--executor``, ``--scheduler``, ``--shards``) win over the configuration;
``--scheduler`` alone implies ``--executor dask``.
Relative certificate paths are relative to the repository root (the work tree, not the
commit: keys are never committed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localci.errors import UsageError

__all__ = ["DEFAULT_PACKAGES", "DaskSettings", "TlsFiles", "dask_settings"]

DEFAULT_PACKAGES = ("localci-signed", "pytest", "coverage")
"""Distributions every worker must have at the coordinator's exact versions."""


@dataclass(frozen=True, kw_only=True)
class TlsFiles:
    """PEM files for Dask's ``Security``: the CA that signs the cluster's certificates,
    and this client's certificate and private key."""

    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True, kw_only=True)
class DaskSettings:
    """How to reach and use a Dask cluster.

    ``scheduler``: ``tcp://`` or ``tls://`` address; ``shards``: fixed shard count
    (``None``: one per worker thread); ``connect_timeout``: seconds to wait for the
    scheduler and for a first worker; ``retries``: extra attempts for a shard whose task
    raised (a worker that died is handled by Dask's own rescheduling);
    ``packages``: distributions whose versions workers must match.
    """

    scheduler: str
    shards: int | None = None
    connect_timeout: float = 30.0
    retries: int = 2
    packages: tuple[str, ...] = DEFAULT_PACKAGES
    tls: TlsFiles | None = None


def dask_settings(
    document: Mapping[str, Any],
    root: Path,
    *,
    executor: str | None = None,
    scheduler: str | None = None,
    shards: int | None = None,
) -> DaskSettings | None:
    """The Dask settings for a run, or ``None`` for the local executor.

    :raises UsageError: for ``dask`` without a scheduler address, a scheme other than
        ``tcp://`` / ``tls://``, a ``tls://`` address without certificates, or
        ``--shards`` below 1.
    """
    section: Mapping[str, Any] = document.get("executor") or {}
    kind = executor or ("dask" if scheduler else section.get("kind", "local"))
    if kind == "local":
        return None
    address = scheduler or section.get("scheduler")
    if not address:
        raise UsageError(
            "the dask executor needs a scheduler address",
            hint="Pass --scheduler tcp://HOST:8786 or set executor.scheduler.",
        )
    if not address.startswith(("tcp://", "tls://")):
        raise UsageError(f"scheduler address {address!r} must start with tcp:// or tls://")
    count = shards if shards is not None else section.get("shards")
    if count is not None and count < 1:
        raise UsageError(f"--shards must be at least 1, not {count}")
    tls = _tls(section.get("tls"), root)
    if address.startswith("tls://") and tls is None:
        raise UsageError(
            f"scheduler {address} uses TLS but no certificates are configured",
            hint="Set executor.tls: {ca: ..., cert: ..., key: ...}.",
        )
    return DaskSettings(
        scheduler=address,
        shards=count,
        connect_timeout=float(section.get("connect_timeout", 30)),
        retries=int(section.get("retries", 2)),
        packages=tuple(section.get("packages", DEFAULT_PACKAGES)),
        tls=tls,
    )


def _tls(section: Mapping[str, str] | None, root: Path) -> TlsFiles | None:
    if not section:
        return None
    paths = {k: root / os.path.expanduser(section[k]) for k in ("ca", "cert", "key")}
    for key, path in paths.items():
        if not path.is_file():
            raise UsageError(f"executor.tls.{key}: no such file {section[key]!r}")
    return TlsFiles(**paths)
