"""``localci post`` and ``localci run --post-results``: publish a stored result."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from localci.attest.signed import load_signed
from localci.errors import LocalciError
from localci.publish.deliver import (
    ChannelOutcome,
    PublishOptions,
    PublishReport,
    drain_spool,
    publish,
)
from localci.publish.spool import list_entries
from localci.result.store import Store

__all__ = ["post_result", "retry_spool_briefly"]

BRIEF_WAIT = 5.0
"""Seconds of retry waits allowed when a run or post retries the spool on the side."""


def post_result(
    root: Path, result_path: Path, options: PublishOptions, *, down: Collection[str] = ()
) -> PublishReport:
    """Publish the result at ``result_path`` (and its bundle) through every enabled channel;
    channels in ``down`` (unreachable moments ago) are spooled without a new try.

    :raises UsageError: for an invalid result or bundle file.
    """
    return publish(root, load_signed(result_path), options, down=down)


def retry_spool_briefly(root: Path, options: PublishOptions) -> list[ChannelOutcome]:
    """Deliver what is spooled with a short wait budget; never raises."""
    if not list_entries(Store(root)):
        return []
    with contextlib.suppress(LocalciError):
        return drain_spool(root, replace(options, max_wait=min(options.max_wait, BRIEF_WAIT)))
    return []
