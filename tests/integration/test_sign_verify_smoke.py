"""`localci run --sign` then `localci verify`, through the CLI, against the Sigstore double."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import CliResult

CONFIG = """\
stages:
  - {name: hello, run: [echo, hi]}
verify:
  signers:
    - {identity: dev@example.com, issuer: ISSUER}
  max_age: 1d
"""


def test_sign_then_verify(
    make_repo: Callable[..., Path],
    cli: Callable[..., CliResult],
    sigstore_trust_config: Path,
    mint_identity_token: Callable[..., str],
    sigstore_double: object,
    sigstore_home: Path,
) -> None:
    issuer = sigstore_double.issuer_url  # type: ignore[attr-defined]
    repo = make_repo({".localci.yml": CONFIG.replace("ISSUER", issuer)})
    token = mint_identity_token("dev@example.com")
    signed = cli(
        "run",
        "--sign",
        "--trust-config",
        str(sigstore_trust_config),
        cwd=repo,
        env={"SIGSTORE_ID_TOKEN": token},
    )
    assert signed.code == 0, signed.err
    assert f"signed by dev@example.com (issuer {issuer})" in signed.err
    assert token not in signed.err + signed.out
    verdict = cli(
        "verify",
        "--policy",
        str(repo / ".localci.yml"),
        "--trust-config",
        str(sigstore_trust_config),
        "--json",
        cwd=repo,
    )
    assert verdict.code == 0, verdict.out + verdict.err
    assert verdict.json()["accepted"] is True
    assert [c["name"] for c in verdict.json()["checks"]] == [
        "schema",
        "signature",
        "signer",
        "subject",
        "test_result",
        "commit",
        "clean",
        "config",
        "complete",
        "age",
        "stages",
        "thresholds",
    ]
