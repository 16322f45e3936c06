"""A local Sigstore instance (OIDC issuer, Fulcio, Rekor v1) for tests; see :mod:`.double`.

Register the fixtures with ``pytest_plugins = ["tests.sigstore_double.plugin"]``.
"""

from __future__ import annotations

from .double import GITHUB_ISSUER, SigstoreDouble

__all__ = ["GITHUB_ISSUER", "SigstoreDouble"]
