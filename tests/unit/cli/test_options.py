"""The CLI's shared option groups collapse into one typed value each; nothing is resolved."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from localci.attest.signing import SigningOptions
from localci.cli.options import publish_options, signing_options
from localci.publish.credentials import PublishFlags


def _capture() -> tuple[click.Command, list[object]]:
    seen: list[object] = []

    @click.command()
    @click.option("--other", default="x")
    @signing_options
    @publish_options
    def probe(other: str, signing: SigningOptions, publish: PublishFlags) -> None:
        seen.extend([other, signing, publish])

    return probe, seen


def test_defaults_become_typed_values() -> None:
    probe, seen = _capture()
    result = CliRunner().invoke(probe, [], env={"GITHUB_API_URL": "", "SIGSTORE_ID_TOKEN": ""})
    assert result.exit_code == 0, result.output
    other, signing, publish = seen
    assert other == "x"
    assert publish == PublishFlags()
    assert isinstance(signing, SigningOptions)
    assert signing.identity_token is None


def test_flags_map_onto_the_request(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text("-----BEGIN-----\n")
    probe, seen = _capture()
    args = [
        "--token", "ghp_secret", "--app-id", "7", "--app-private-key", str(key),
        "--installation-id", "9", "--api-url", "https://ghe.example/api/v3", "--repo", "o/r",
        "--remote", "up", "--no-notes", "--no-github", "--max-wait", "1.5",
        "--identity-token", "jwt", "--staging", "--oauth-force-oob",
    ]  # fmt: skip
    result = CliRunner().invoke(probe, args)
    assert result.exit_code == 0, result.output
    _, signing, publish = seen
    assert publish == PublishFlags(
        token="ghp_secret",
        app_id=7,
        app_private_key=key,
        installation_id=9,
        api_url="https://ghe.example/api/v3",
        repo="o/r",
        remote="up",
        notes=False,
        github=False,
        max_wait=1.5,
    )
    assert "ghp_secret" not in repr(publish)  # a secret never reaches a repr
    assert isinstance(signing, SigningOptions)
    assert (signing.identity_token, signing.staging, signing.oauth_force_oob) == ("jwt", True, True)
