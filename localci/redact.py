"""Secret redaction for anything localci stores or shows (log tails, errors, requests).

Patterns (GitHub's documented token prefixes, "About authentication to GitHub": ``ghp_``
classic personal, ``gho_`` OAuth, ``ghu_`` user-to-server, ``ghs_`` server-to-server,
``ghr_`` refresh, ``github_pat_`` fine-grained), JSON Web Tokens (three base64url
segments, the first starting ``eyJ``), and the values of environment variables whose
names contain TOKEN, SECRET, PASSWORD or KEY (values shorter than 4 characters are left,
since masking ``1`` everywhere would destroy the log).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

__all__ = ["MASK", "Redactor", "secret_env_values"]

MASK = "***"
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.IGNORECASE)
_PATTERNS = (
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b"),
)
_MIN_SECRET_LEN = 4


def secret_env_values(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of variables in ``env`` (default ``os.environ``) whose names look secret."""
    env = os.environ if env is None else env
    values = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_LEN}
    return tuple(sorted(values, key=len, reverse=True))


class Redactor:
    """Replaces secrets in text with :data:`MASK`.

    :param extra: further literal secrets (a ``--token`` value, stage ``env`` values).
    :param env: the environment to take secret-named variables from (``os.environ``).
    """

    def __init__(self, extra: Iterable[str] = (), env: Mapping[str, str] | None = None) -> None:
        literals = set(secret_env_values(env)) | {s for s in extra if len(s) >= _MIN_SECRET_LEN}
        ordered = sorted(literals, key=len, reverse=True)
        self._literal = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """``text`` with every known secret masked."""
        if self._literal is not None:
            text = self._literal.sub(MASK, text)
        for pattern in _PATTERNS:
            text = pattern.sub(MASK, text)
        return text
