"""``localci context [<sha>]``: find the result and build its failure context."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from localci import git as gitrepo
from localci.context.failure import FailureContext, build_context
from localci.errors import UsageError
from localci.publish.deliver import PublishOptions
from localci.publish.fetch import fetch_result
from localci.result.flaky import load_flaky
from localci.result.store import Store, load_result_file, validate_result_doc

__all__ = ["load_context"]


def load_context(
    root: Path, ref: str | None, options: Callable[[], PublishOptions]
) -> FailureContext:
    """The failure context for ``ref`` (any git revision or sha), or, without ``ref``, for
    the newest local result (``HEAD`` when there is none).

    The result comes from whatever :func:`~localci.publish.fetch.fetch_result` reaches:
    ``.localci/results``, the notes ref on the remote, or the Check Run's output.
    ``options`` is called only when a remote must be asked (it may run ``gh``).

    :raises UsageError: when no channel has a result, or the one found is not valid.
    :raises GitError: when ``ref`` names no commit.
    """
    store = Store(root)
    flaky = load_flaky(store.base)
    if ref is None:
        try:
            result, _ = load_result_file(store.find_result(None))
        except UsageError:
            ref = "HEAD"
        else:
            return build_context(result, source="local", flaky=flaky)
    sha = gitrepo.resolve_commit(root, ref)
    fetched = fetch_result(root, sha, options())
    result = validate_result_doc(
        dict(fetched.signed.document), source=f"the {fetched.channel} result"
    )
    return build_context(result, source=fetched.channel, flaky=flaky)
