"""Canonical JSON and digests, shared by the config loader, the result store and signing.

Canonical form: RFC 8785 (JSON Canonicalization Scheme) via the ``rfc8785`` package, so
a digest does not depend on key order, whitespace or number formatting.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from localci.errors import InternalError

__all__ = ["canonical_json", "sha256_hex"]


def canonical_json(doc: Any) -> bytes:
    """``doc`` as RFC 8785 (JSON Canonicalization Scheme) UTF-8 bytes.

    :raises InternalError: ``doc`` holds a value JCS cannot encode (NaN, infinity,
        an integer beyond ±2**53, a non-string key, a non-JSON type).
    """
    try:
        return rfc8785.dumps(doc)
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise InternalError(f"the document cannot be canonicalized (RFC 8785): {exc}") from exc


def sha256_hex(doc: Any) -> str:
    """Lowercase hex sha256 of :func:`canonical_json` of ``doc`` (64 characters)."""
    return hashlib.sha256(canonical_json(doc)).hexdigest()
