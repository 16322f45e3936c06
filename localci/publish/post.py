"""``localci post`` and ``localci run --post-results``: publish a stored result."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path

from localci.attest.document import bundle_path_for, read_bundle, test_result_bundle_path_for
from localci.errors import LocalciError
from localci.publish.deliver import (
    ChannelOutcome,
    PublishOptions,
    PublishReport,
    drain_spool,
    publish,
)
from localci.publish.notes import Note
from localci.publish.spool import list_entries
from localci.result.store import Store, load_result_file

__all__ = ["load_note", "post_result", "retry_spool_briefly"]

BRIEF_WAIT = 5.0
"""Seconds of retry waits allowed when a run or post retries the spool on the side."""


def load_note(result_path: Path) -> Note:
    """The note for a stored result: the document and, when present, its bundles.

    :raises UsageError: for an invalid result or bundle file.
    """
    _, doc = load_result_file(result_path)
    bundle = read_bundle(bundle_path_for(result_path))
    tests = read_bundle(test_result_bundle_path_for(result_path))
    return Note(
        result=doc,
        bundle=json.loads(bundle) if bundle else None,
        test_result_bundle=json.loads(tests) if tests else None,
    )


def post_result(root: Path, result_path: Path, options: PublishOptions) -> PublishReport:
    """Publish the result at ``result_path`` through every configured channel."""
    return publish(root, load_note(result_path), options)


def retry_spool_briefly(root: Path, options: PublishOptions) -> list[ChannelOutcome]:
    """Deliver what is spooled with a short wait budget; never raises."""
    if not list_entries(Store(root)):
        return []
    with contextlib.suppress(LocalciError):
        return drain_spool(root, replace(options, max_wait=min(options.max_wait, BRIEF_WAIT)))
    return []
