"""Choosing the executor from the command line and the ``executor:`` section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from localci.config.loader import ConfigSource, parse_config
from localci.errors import ConfigError, UsageError
from localci.run.shard.settings import DEFAULT_PACKAGES, dask_settings


def test_local_unless_asked(tmp_path: Path) -> None:
    assert dask_settings({}, tmp_path) is None
    assert dask_settings({"executor": {"kind": "dask"}}, tmp_path, executor="local") is None


def test_command_line_wins_and_scheduler_implies_dask(tmp_path: Path) -> None:
    doc = {"executor": {"kind": "local", "scheduler": "tcp://a:1", "shards": 3}}
    got = dask_settings(doc, tmp_path, scheduler="tcp://b:2", shards=5)
    assert got is not None
    assert (got.scheduler, got.shards, got.packages) == ("tcp://b:2", 5, DEFAULT_PACKAGES)
    assert dask_settings({"executor": {"kind": "dask", "scheduler": "tcp://a:1"}}, tmp_path)


@pytest.mark.parametrize(
    ("doc", "kw", "message"),
    [
        ({}, {"executor": "dask"}, "needs a scheduler address"),
        ({}, {"scheduler": "http://a:1"}, "must start with tcp:// or tls://"),
        ({}, {"scheduler": "tcp://a:1", "shards": 0}, "at least 1"),
        ({}, {"scheduler": "tls://a:1"}, "uses TLS but no certificates"),
        (
            {"executor": {"tls": {"ca": "ca.pem", "cert": "c.pem", "key": "k.pem"}}},
            {"scheduler": "tls://a:1"},
            "executor.tls.ca: no such file 'ca.pem'",
        ),
    ],
)
def test_unusable_settings_are_usage_errors(
    tmp_path: Path, doc: dict[str, object], kw: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        dask_settings(doc, tmp_path, **kw)  # type: ignore[arg-type]


def test_certificates_resolve_against_the_repository(tmp_path: Path) -> None:
    for name in ("ca.pem", "c.pem", "k.pem"):
        (tmp_path / name).write_text("x")
    doc = {"executor": {"tls": {"ca": "ca.pem", "cert": "c.pem", "key": "k.pem"}}}
    got = dask_settings(doc, tmp_path, scheduler="tls://a:1")
    assert got is not None
    assert got.tls is not None
    assert got.tls.key == tmp_path / "k.pem"


def test_the_schema_names_a_bad_executor_key() -> None:
    text = "stages:\n  - {name: t, run: [x]}\nexecutor:\n  kind: dask\n  shard: 2\n"
    source = ConfigSource(kind="yaml", text=text, display=".localci.yml")
    with pytest.raises(ConfigError, match=r"\.localci\.yml:5:\d+.*shard"):
        parse_config(source)


def test_importing_localci_does_not_import_distributed() -> None:
    code = (
        "import sys, localci.cli.main, localci.cli.run, localci.run.pipeline, "
        "localci.run.shard.runner, localci.run.shard.settings; "
        "print('distributed' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
