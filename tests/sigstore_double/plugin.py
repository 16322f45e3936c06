"""pytest fixtures for the Sigstore double; register with
``pytest_plugins = ["tests.sigstore_double.plugin"]`` in the top-level ``tests/conftest.py``.

- ``sigstore_double`` (session): a started :class:`SigstoreDouble`.
- ``sigstore_trust_config`` (function): a fresh copy of its trust config in ``tmp_path``.
- ``mint_identity_token`` (function): ``sigstore_double.mint_token``.
- ``sigstore_home`` (function): XDG cache/data dirs in ``tmp_path``, so sigstore's TUF
  cache (``Verifier.staging(offline=True)``) never touches the user's home, and no CI
  ambient-credential variables leak in from the machine running the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .double import SigstoreDouble

__all__ = ["mint_identity_token", "sigstore_double", "sigstore_home", "sigstore_trust_config"]

# What `id.detect_credential` looks at; a test run inside CI must not pick up the real one.
_AMBIENT_VARIABLES = (
    "GITHUB_ACTIONS",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "GOOGLE_SERVICE_ACCOUNT_NAME",
    "SIGSTORE_ID_TOKEN",
)


@pytest.fixture(scope="session")
def sigstore_double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigstoreDouble]:
    """A Sigstore double serving on 127.0.0.1 for the whole session."""
    with SigstoreDouble(tmp_path_factory.mktemp("sigstore-double")) as double:
        yield double


@pytest.fixture
def sigstore_trust_config(sigstore_double: SigstoreDouble, tmp_path: Path) -> Path:
    """Path of a ``ClientTrustConfig`` JSON for the double, written into ``tmp_path``."""
    return sigstore_double.write_trust_config(tmp_path / "trust_config.json")


@pytest.fixture
def mint_identity_token(sigstore_double: SigstoreDouble) -> Callable[..., str]:
    """``mint(identity, *, issuer=None, algorithm="RS256", lifetime=600, **claims) -> str``."""
    return sigstore_double.mint_token


@pytest.fixture
def sigstore_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Isolate sigstore's on-disk state and ambient credentials; returns the XDG root."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for name in _AMBIENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home
