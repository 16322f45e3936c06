"""A real Dask cluster on loopback for tests and benchmarks: ``dask scheduler`` plus
``dask worker`` processes, optionally with TLS certificates made with ``cryptography``.

Every process runs in its own session; :meth:`LoopbackCluster.close` stops each group
(SIGTERM, then SIGKILL) and is safe to call twice, so a failing test leaves nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LoopbackCluster", "TlsMaterial", "make_tls"]

_DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
_WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


@dataclass(frozen=True)
class TlsMaterial:
    """PEM files: a CA, and one certificate + key (for 127.0.0.1) that everyone uses."""

    ca: Path
    cert: Path
    key: Path

    def args(self) -> list[str]:
        """The ``dask scheduler`` / ``dask worker`` TLS options."""
        return [
            "--tls-ca-file",
            str(self.ca),
            "--tls-cert",
            str(self.cert),
            "--tls-key",
            str(self.key),
        ]


def make_tls(folder: Path) -> TlsMaterial:
    """A throw-away CA and a certificate for 127.0.0.1 signed by it (EC P-256)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localci test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    out = TlsMaterial(ca=folder / "ca.pem", cert=folder / "cert.pem", key=folder / "key.pem")
    out.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    out.key.chmod(0o600)
    return out


@dataclass
class LoopbackCluster:
    """One scheduler and ``workers`` single-threaded workers on 127.0.0.1."""

    folder: Path
    workers: int = 2
    tls: TlsMaterial | None = None
    address: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _spawn(self, argv: list[str], name: str) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.folder
        )
        log.close()
        self.procs.append(proc)
        return proc

    def start(self, timeout: float = 120.0) -> LoopbackCluster:
        """Start everything and wait until every worker has joined."""
        self.folder.mkdir(parents=True, exist_ok=True)
        sched_file = self.folder / "scheduler.json"
        tls = self.tls.args() if self.tls else []
        host = "tls://127.0.0.1" if self.tls else "127.0.0.1"
        self._spawn(
            [
                *_DASK,
                "--host",
                host,
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
                *tls,
            ],
            "scheduler",
        )
        self._wait_for(lambda: sched_file.is_file() and sched_file.stat().st_size > 0, timeout)
        import json

        self.address = json.loads(sched_file.read_text())["address"]
        for i in range(self.workers):
            self.add_worker(f"w{i}")
        self.wait_for_workers(self.workers, timeout)
        return self

    def add_worker(self, name: str) -> subprocess.Popen[bytes]:
        """Start one more single-threaded worker (with a nanny that restarts it)."""
        tls = self.tls.args() if self.tls else []
        return self._spawn(
            [
                *_WORKER,
                self.address,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--name",
                name,
                "--no-dashboard",
                "--memory-limit",
                "0",
                "--death-timeout",
                "60",
                *tls,
            ],
            f"worker-{name}",
        )

    def wait_for_workers(self, count: int, timeout: float = 120.0) -> None:
        """Block until ``count`` workers are connected."""
        self._wait_for(lambda: self.worker_count() >= count, timeout)

    def worker_count(self) -> int:
        """Workers the scheduler knows now."""
        from distributed import Client
        from distributed.security import Security

        security = None
        if self.tls:
            security = Security(
                tls_ca_file=str(self.tls.ca),
                tls_client_cert=str(self.tls.cert),
                tls_client_key=str(self.tls.key),
                require_encryption=True,
            )
        try:
            with Client(self.address, security=security, timeout=10, set_as_default=False) as c:
                return len(c.nthreads())
        except OSError:
            return 0

    def _wait_for(self, ready: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():  # type: ignore[operator]
            if time.monotonic() > deadline:
                logs = "\n".join(
                    p.read_text(errors="replace")[-2000:] for p in self.folder.glob("*.log")
                )
                raise TimeoutError(f"the Dask cluster did not come up:\n{logs}")
            if any(p.poll() is not None for p in self.procs[:1]):
                raise RuntimeError((self.folder / "scheduler.log").read_text(errors="replace"))
            time.sleep(0.2)

    def close(self) -> None:
        """Stop every process group (workers first); idempotent."""
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
