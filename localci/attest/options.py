"""How to sign, as the command line says it: no Sigstore import, so a command that may
never sign (``localci run`` without ``--sign``) does not pay for loading sigstore."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SigningOptions"]


@dataclass(frozen=True, kw_only=True)
class SigningOptions:
    """How to sign: which identity token and which Sigstore instance."""

    identity_token: str | None = field(default=None, repr=False)  # a secret: never printed
    """An OIDC ID token (audience ``sigstore``); ``None`` looks elsewhere."""
    trust_config: Path | None = None
    """A ``ClientTrustConfig`` JSON selecting a private instance; wins over ``staging``."""
    staging: bool = False
    """Use Sigstore's staging instance instead of production."""
    oauth_force_oob: bool = False
    """Interactive sign-in: print a URL and read the code instead of opening a browser."""
    interactive: bool = False
    """Allow the interactive browser sign-in when no other token is found."""
