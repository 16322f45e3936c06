"""Other verifiers accept what localci signs: sigstore-python's own CLI on the stored files.

`localci run --sign` against the Sigstore double, then `sigstore --trust-config <the
double> verify identity --bundle <bundle> … <sha>.json` as a real process, for the result
bundle and for the in-toto test-result bundle; one edited byte makes both fail, and
`localci verify` too.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from localci.attest.statements import PREDICATE_TYPE
from localci.attest.test_result import TEST_RESULT_PREDICATE_TYPE

from .conftest import SignedRepo

SIGSTORE = str(Path(sys.executable).with_name("sigstore"))


def _sigstore_verify(
    signed: SignedRepo, bundle: Path, artifact: Path
) -> subprocess.CompletedProcess[str]:
    args = [SIGSTORE, "--trust-config", str(signed.trust_config), "verify", "identity"]
    args += ["--bundle", str(bundle), "--cert-identity", "dev@example.com"]
    args += ["--cert-oidc-issuer", signed.issuer, str(artifact)]
    return subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), check=False)


def _files(results: Path) -> tuple[Path, Path, Path]:
    (result,) = [p for p in results.glob("*.json") if len(p.stem) == 40]
    sha = result.stem
    return result, results / f"{sha}.sigstore.json", results / f"{sha}.test-result.sigstore.json"


def _statement(bundle: Path) -> dict[str, object]:
    payload = json.loads(bundle.read_text())["dsseEnvelope"]["payload"]
    statement: dict[str, object] = json.loads(base64.b64decode(payload))
    return statement


def test_sigstore_cli_accepts_the_stored_result_and_both_bundles(signed_repo: SignedRepo) -> None:
    result, bundle, tests = _files(signed_repo.results)
    assert _statement(bundle)["predicateType"] == PREDICATE_TYPE
    assert _statement(tests)["predicateType"] == TEST_RESULT_PREDICATE_TYPE
    assert _statement(tests)["predicate"]["result"] == "PASSED"  # type: ignore[index]
    for signed in (bundle, tests):
        done = _sigstore_verify(signed_repo, signed, result)
        assert done.returncode == 0, done.stderr
        assert f"OK: {result}" in done.stderr


def test_one_edited_byte_fails_sigstore_and_localci(signed_repo: SignedRepo) -> None:
    result, bundle, tests = _files(signed_repo.results)
    data = bytearray(result.read_bytes())
    data[data.index(b'"hello"') + 1] = ord("j")  # the stage is now called "jello"
    result.write_bytes(bytes(data))
    for signed in (bundle, tests):
        done = _sigstore_verify(signed_repo, signed, result)
        assert done.returncode != 0
        assert "no subject for digest" in done.stderr
    verdict = signed_repo.verify()
    assert verdict.code == 4, verdict.out + verdict.err
    failed = {c["name"]: c["reason"] for c in verdict.json()["checks"] if not c["passed"]}
    assert "edited after signing" in failed["subject"]
