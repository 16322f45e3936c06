"""The detect-secrets rule set that :mod:`localci.redact` applies, loaded cheaply.

The rules are the regular expressions (``denylist``) of the detect-secrets plugins named in
:data:`RULE_PLUGINS`, taken as data. Importing detect-secrets costs about 0.3 s of CPU
(its package imports ``requests``), so the patterns (source text and flags) are also kept
in a memo file in the user's cache folder (``$XDG_CACHE_HOME/localci``, else
``~/.cache/localci``), named and keyed by :data:`RULE_PLUGINS` and the size and modification time
of every plugin file: an upgrade of detect-secrets changes the key, and the next load
imports it again. A memo that is missing, unreadable, of another key or malformed is
ignored and rewritten; a cache folder that cannot be written only costs the import.

The memo is written only by this module, with mode 0600. It is as trusted as the user's
own environment (whoever can edit it could edit the installed detect-secrets); localci's
own patterns and literal secrets never depend on it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
from pathlib import Path

from localci.fsutil import read_memo, write_memo

__all__ = ["RULE_PLUGINS", "detect_secrets_rules"]

RULE_PLUGINS: tuple[str, ...] = (
    "aws:AWSKeyDetector",
    "azure_storage_key:AzureStorageKeyDetector",
    "basic_auth:BasicAuthDetector",
    "discord:DiscordBotTokenDetector",
    "github_token:GitHubTokenDetector",
    "gitlab_token:GitLabTokenDetector",
    "jwt:JwtTokenDetector",
    "mailchimp:MailchimpDetector",
    "npm:NpmDetector",
    "openai:OpenAIDetector",
    "pypi_token:PypiTokenDetector",
    "sendgrid:SendGridDetector",
    "slack:SlackDetector",
    "square_oauth:SquareOAuthDetector",
    "stripe:StripeDetector",
    "telegram_token:TelegramBotTokenDetector",
    "twilio:TwilioKeyDetector",
)
"""detect-secrets plugins (``module:class`` under ``detect_secrets.plugins``) whose
``denylist`` patterns are applied. Left out on purpose: the keyword and high-entropy
plugins (they flag ordinary identifiers and hashes) and the vendor rules that need a
keyword context (Cloudant, IBM, Softlayer)."""

MEMO_PREFIX = "redaction-rules-"
"""The memo's file name in the cache folder: this, 16 hex digits of its key, ``.json``
(so each installation of localci, a ``pipx`` one beside a development one, has its own)."""

_Specs = list[tuple[str, int]]


def detect_secrets_rules() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """(the plugins' value patterns, the private-key plugin's header patterns), compiled.

    :raises ImportError: when detect-secrets is not installed (it is a dependency).
    """
    plugins = plugins_folder()
    key = memo_key(plugins) if plugins is not None else None
    memo = memo_path(key) if key is not None else None
    specs = _read_memo(memo, key) if key is not None and memo is not None else None
    if specs is None:
        specs = _imported_specs()
        if key is not None and memo is not None:
            write_memo(memo, {"key": key, "values": specs[0], "headers": specs[1]}, mode=0o600)
    values, headers = specs
    return (
        tuple(re.compile(p, f) for p, f in values),
        tuple(re.compile(p, f) for p, f in headers),
    )


def _imported_specs() -> tuple[_Specs, _Specs]:
    values: _Specs = []
    for spec in RULE_PLUGINS:
        module, cls = spec.split(":")
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)
        values += [(p.pattern, p.flags) for p in plugin.denylist]
    from detect_secrets.plugins.private_key import PrivateKeyDetector

    headers = [(p.pattern, p.flags) for p in PrivateKeyDetector.denylist]
    return values, headers


def memo_path(key: str) -> Path | None:
    """The memo file for ``key`` (``None`` without an absolute cache folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = f"{MEMO_PREFIX}{key[:16]}.json"
    return Path(base) / "localci" / name if os.path.isabs(base) else None


def plugins_folder() -> Path | None:
    """detect-secrets' ``plugins`` folder, found without importing it (``None`` when it
    is not installed as a regular package)."""
    try:
        spec = importlib.util.find_spec("detect_secrets")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "plugins"


def memo_key(plugins: Path) -> str | None:
    """A digest of :data:`RULE_PLUGINS` and of the path, size and modification time of
    every plugin file under ``plugins``; ``None`` when one is missing."""
    digest = hashlib.sha256(repr(RULE_PLUGINS).encode())
    for name in sorted({s.split(":")[0] for s in RULE_PLUGINS} | {"private_key"}):
        try:
            st = os.stat(plugins / f"{name}.py")
        except OSError:
            return None
        digest.update(f"{plugins}/{name}.py {st.st_size} {st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _read_memo(path: Path, key: str) -> tuple[_Specs, _Specs] | None:
    doc = read_memo(path)
    try:
        if not isinstance(doc, dict) or doc.get("key") != key:
            return None
        specs = (_specs(doc["values"]), _specs(doc["headers"]))
        for pattern, flags in (*specs[0], *specs[1]):
            re.compile(pattern, flags)
    except (ValueError, KeyError, TypeError, re.error):
        return None
    return specs if specs[0] and specs[1] else None


def _specs(raw: object) -> _Specs:
    if not isinstance(raw, list) or not all(
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
        and type(item[1]) is int
        for item in raw
    ):
        raise ValueError("not a list of [pattern, flags]")
    return [(str(p), int(f)) for p, f in raw]
