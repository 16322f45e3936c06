"""Which configuration a run uses, read as fast as it can be.

An isolated run uses the configuration committed in the commit under test (the
configuration is part of the code being tested), ``--config`` a given file, ``--in-place``
the work tree's. A configuration text that has passed the JSON-schema check once is
remembered (``.localci/cache/configs/``), so later runs skip that pass and do not import
jsonschema before their first stage.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from localci import __version__
from localci.config.check import uncommitted_config
from localci.config.loader import Config, find_config_at, load_config, parse_config
from localci.config.model import ConfigSource
from localci.errors import LocalciError
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
    """:func:`parse_config`, skipping the JSON-schema pass (and importing jsonschema
    before the first stage, ~0.1 s) for a configuration text this store has seen pass
    it under this localci and schema: a marker named by the digest of all three is kept
    in ``.localci/cache/configs/``. The semantic checks always run."""
    digest = sha256_hex([__version__, schema_digest(CONFIG_SCHEMA), source.kind, source.text])
    marker = store.base / "cache" / "configs" / digest
    if marker.is_file():
        return parse_config(source, schema_checked=True)
    config = parse_config(source)
    with contextlib.suppress(OSError):  # only a shortcut for the next run
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
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
