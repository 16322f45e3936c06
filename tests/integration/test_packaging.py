"""The wheel carries the JSON Schemas, and the installed package finds them."""

from __future__ import annotations

import json
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
    # Found as installed: unpacked (read beside the module) and zipped (importlib.resources).
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    read = (
        "import localci.schemas as s; print(s.__file__); "
        "print(s.load_schema('result.v1.schema.json')['$id'])"
    )
    for where in (unpacked, wheel):
        done = subprocess.run(
            [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(where)!r}); {read}"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        module, schema_id = done.stdout.split()
        assert module.startswith(str(where))
        assert schema_id == json.loads(packaged)["$id"]
