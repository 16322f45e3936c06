"""Which configuration a run uses, read as fast as it can be.

An isolated run uses the configuration committed in the commit under test (the
configuration is part of the code being tested), ``--config`` a given file, ``--in-place``
the work tree's. The document a configuration text made once it passed every check is
remembered (``.localci/cache/configs/``), so later runs of that text skip the parser and
the schema pass, and import neither PyYAML nor jsonschema before their first stage.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from localci import __version__
from localci.config.check import uncommitted_config
from localci.config.loader import (
    DEFAULT_CONFIG_YAML,
    Config,
    config_from_document,
    find_config_at,
    load_config,
    parse_config,
)
from localci.config.model import ConfigSource
from localci.errors import ConfigError, LocalciError
from localci.fsutil import read_memo, write_memo
from localci.result.digest import sha256_hex
from localci.result.store import Store
from localci.run.model import RunOptions, Target
from localci.schemas import CONFIG_SCHEMA, schema_digest

__all__ = ["config_committed", "load_run_config"]


def load_run_config(target: Target, options: RunOptions) -> Config:
    """The config: ``--config`` as a file; with ``--in-place`` the work tree's; otherwise
    as it is in the commit under test (the config is part of the code being tested), with
    a notice when the work tree's differs."""
    root = target.root
    if options.config is not None:
        return load_config(root, options.config.resolve())
    if options.in_place:
        return load_config(root)
    source = find_config_at(root, target.commit)
    warning = uncommitted_config(root, target.commit, committed=source)
    if warning is not None:
        target.reporter.notice(warning)
    return _parse_remembered(target.store, source)


def _parse_remembered(store: Store, source: ConfigSource) -> Config:
    """:func:`parse_config`, remembered: the document a configuration text made once it
    passed both the JSON-schema and the semantic checks is kept as JSON in
    ``.localci/cache/configs/<digest>``, so a later run of the same text skips the
    YAML/TOML parser and the schema pass (and imports neither PyYAML nor jsonschema
    before its first stage, ~0.1 s). The digest covers localci's version, the schema,
    the embedded default (whose stages a policy-only file takes), the kind and the text.
    The semantic checks run every time; a memo that is missing, not JSON or not an
    object, or a document they refuse, is parsed from the text again (so an error names
    its ``file:line:col``) and the memo rewritten. A document that JSON cannot carry
    exactly (a YAML date, an integer key) is not remembered."""
    digest = sha256_hex(
        [__version__, schema_digest(CONFIG_SCHEMA), DEFAULT_CONFIG_YAML, source.kind, source.text]
    )
    memo = store.base / "cache" / "configs" / digest
    document = read_memo(memo)
    if isinstance(document, dict):
        with contextlib.suppress(ConfigError):  # parsed again below, with positions
            return config_from_document(document, source)
    config = parse_config(source)
    if json.loads(json.dumps(config.document)) == config.document:
        write_memo(memo, config.document)
    return config


def config_committed(root: Path, commit: str, config: Config, options: RunOptions) -> bool:
    """Whether ``config`` is the configuration committed in ``commit`` (an isolated run
    without ``--config`` reads exactly that one)."""
    if options.config is None and not options.in_place:
        return True
    try:
        return parse_config(find_config_at(root, commit)).sha256 == config.sha256
    except LocalciError:
        return False  # the commit's own configuration is invalid: this one is not it
