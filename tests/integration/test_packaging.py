"""The wheel carries the JSON Schemas, and the installed package finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_wheel_contains_the_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    # The distribution is "localci-signed": "localci" on PyPI is an unrelated project.
    [wheel] = tmp_path.glob("localci_signed-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "localci = localci.cli.main:entry" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "localci/schemas/result.v1.schema.json" in names
    assert "localci/schemas/config.v1.schema.json" in names
    assert any(n.endswith("entry_points.txt") for n in names)
    packaged = zipfile.ZipFile(wheel).read("localci/schemas/result.v1.schema.json")
    assert packaged == (REPO_ROOT / "schemas" / "result.v1.schema.json").read_bytes()
