"""``identity_regex`` advice: unanchored patterns and workflow identities that match ``@``.

The README once suggested ``.+@refs/heads/main$`` for GitHub Actions signers; ``.+``
crosses ``@``, so a workflow run on the (valid) branch ``refs/heads/evil@refs/heads/main``
matched it. Both the verifier and ``config --check`` now warn.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from localci.config.identity import ACTIONS_ISSUER, identity_regex_warnings, regex_warnings
from localci.config.loader import ConfigSource, Signer, parse_config

OLD_README = r"^https://github\.com/OWNER/REPO/\.github/workflows/.+@refs/heads/main$"
FIXED = r"^https://github\.com/OWNER/REPO/\.github/workflows/[A-Za-z0-9._/-]+@refs/heads/main$"
EVIL = "https://github.com/OWNER/REPO/.github/workflows/x.yml@refs/heads/evil@refs/heads/main"


def warnings_for(pattern: str, issuer: str = ACTIONS_ISSUER) -> list[str]:
    return regex_warnings(Signer(issuer=issuer, identity_regex=pattern))


def test_the_old_readme_example_really_accepts_the_evil_branch() -> None:
    assert re.fullmatch(OLD_README, EVIL)
    assert not re.fullmatch(FIXED, EVIL)


def test_the_old_example_warns_and_the_fixed_one_does_not() -> None:
    [warning] = warnings_for(OLD_README)
    assert "lets the workflow path or the ref match '@'" in warning
    assert warnings_for(FIXED) == []


@pytest.mark.parametrize(
    "pattern",
    [
        r"^https://github\.com/O/R/\.github/workflows/[^/]+@refs/heads/main$",
        r"^https://github\.com/O/R/\.github/workflows/x\.yml@refs/heads/\S+$",
        r"^https://github\.com/O/R/\.github/workflows/x\.yml@refs/heads/(main|.*)$",
        r"^https://github\.com/O/R/\.github/workflows/\W*x\.yml@refs/heads/main$",
    ],
)
def test_any_part_that_can_match_at_warns(pattern: str) -> None:
    assert any("match '@'" in w for w in warnings_for(pattern))


@pytest.mark.parametrize(
    "pattern",
    [
        r"^https://github\.com/O/R/\.github/workflows/[^@/]+@refs/heads/main$",
        r"^https://github\.com/O/R/\.github/workflows/x\.yml@refs/(heads/main|tags/v\d+)$",
    ],
)
def test_parts_that_cannot_match_at_do_not_warn(pattern: str) -> None:
    assert warnings_for(pattern) == []


@pytest.mark.parametrize("pattern", [FIXED[1:], FIXED[:-1], r"^a$|^b"])
def test_unanchored_patterns_warn(pattern: str) -> None:
    assert any("is not anchored" in w for w in warnings_for(pattern))


def test_email_patterns_are_not_judged_as_workflow_identities() -> None:
    assert warnings_for(r"^.+@example\.com$", issuer="https://github.com/login/oauth") == []


def test_warnings_name_the_file_and_key() -> None:
    text = (
        "stages: [{name: b, run: [make]}]\nverify:\n  signers:\n"
        "    - {identity: me@example.com, issuer: https://x}\n"
        f"    - identity_regex: '{OLD_README}'\n      issuer: {ACTIONS_ISSUER}\n"
    )
    config = parse_config(ConfigSource(kind="yaml", display=".localci.yml", text=text))
    [warning] = identity_regex_warnings(config)
    assert warning.startswith(".localci.yml: verify.signers[1].identity_regex: ")


def test_config_check_prints_the_warnings(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    text = (
        "stages: [{name: b, run: [make]}]\nverify:\n  signers:\n"
        f"    - identity_regex: '{OLD_README}'\n      issuer: {ACTIONS_ISSUER}\n"
    )
    (tmp_path / ".localci.yml").write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "localci", "config", "--check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning: .localci.yml: verify.signers[0].identity_regex:" in proc.stderr
    assert "lets the workflow path or the ref match '@'" in proc.stderr


def test_the_readme_example_is_anchored_and_keeps_at_out_of_the_path() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    [line] = [x for x in readme.splitlines() if "identity_regex:" in x and "workflows" in x]
    pattern = line.split('"')[1].encode().decode("unicode_escape")
    assert warnings_for(pattern) == []
    assert not re.fullmatch(pattern, EVIL)
    assert re.fullmatch(pattern, EVIL.replace("evil@refs/heads/main", "main"))
