"""Handing summaries and failure context to GitHub: the PR comment, the job summary,
and the ``repository_dispatch`` event for an automated fixer.

- The PR summary is one comment per pull request, updated in place: it starts with the
  hidden :data:`~localci.context.summary.MARKER`.
- ``$GITHUB_STEP_SUMMARY`` (GitHub Actions, "Adding a job summary") gets the same
  Markdown appended, when the variable is set.
- :func:`dispatch_payload` builds the ``client_payload`` of the ``localci-failure``
  event. GitHub's limits (REST "Create a repository dispatch event"): at most 10
  top-level keys, and less than 64 KB of JSON in total; the payload keeps well under
  (:data:`MAX_DISPATCH_BYTES`). It carries no secret: the context is redacted (GitHub
  token shapes, JWTs, secret-named environment variables, the token in use).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localci.context.failure import build_context
from localci.context.render import context_markdown
from localci.context.summary import MARKER, summary_markdown
from localci.errors import LocalciError, UsageError
from localci.publish.deliver import PublishOptions
from localci.publish.fetch import fetch_result
from localci.redact import Redactor
from localci.result.model import Result
from localci.result.store import validate_result_doc

__all__ = [
    "DISPATCH_EVENT",
    "MAX_DISPATCH_BYTES",
    "base_result",
    "dispatch_payload",
    "post_summary",
    "write_step_summary",
]

DISPATCH_EVENT = "localci-failure"
MAX_DISPATCH_BYTES = 60 * 1024
"""Bound on the ``client_payload`` JSON, under GitHub's 64 KB."""


def write_step_summary(text: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append ``text`` to the file named by ``GITHUB_STEP_SUMMARY``; the path, or ``None``
    when the variable is not set.

    :raises UsageError: when the file cannot be written.
    """
    target = (os.environ if env is None else env).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the job summary ($GITHUB_STEP_SUMMARY): {exc}") from None
    return path


def base_result(root: Path, base_sha: str | None, options: PublishOptions) -> Result | None:
    """The result for the pull request's base commit from whatever ``fetch`` reaches, or
    ``None`` when there is none (or it is unusable: the summary then has no deltas)."""
    if base_sha is None:
        return None
    try:
        fetched = fetch_result(root, base_sha, options)
        return validate_result_doc(dict(fetched.signed.document), source="the base result")
    except LocalciError:
        return None


def post_summary(
    client: Any, number: int, head: Result, base: Result | None, *, signer: str | None = None
) -> tuple[str, str | None]:
    """Create or update the summary comment on pull request ``number``; the Markdown and
    the comment's URL."""
    text = summary_markdown(head, base, signer=signer)
    posted = client.upsert_comment(number, text, MARKER)
    return text, posted.url


def dispatch_payload(
    result: Result,
    *,
    pr: int | None,
    repository: str | None,
    failed_checks: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The ``client_payload`` of a ``localci-failure`` event: 8 top-level keys, JSON under
    :data:`MAX_DISPATCH_BYTES`, secrets (``secrets`` and the environment's) redacted."""
    redact = Redactor(extra=secrets)
    ctx = build_context(result, source="dispatch", redact=redact)
    head: dict[str, Any] = {
        "sha": result.git.commit,
        "pr": pr,
        "repository": repository,
        "conclusion": result.conclusion,
        "failed_stages": [s.name for s in ctx.stages],
        "failed_checks": list(failed_checks),
        "localci_version": result.localci_version,
    }
    room = MAX_DISPATCH_BYTES - len(json.dumps(head).encode("utf-8")) - 64
    text = context_markdown(ctx, max_bytes=room)
    while len(json.dumps(text).encode("utf-8")) > room:
        text = context_markdown(ctx, max_bytes=len(text.encode("utf-8")) * 3 // 4)
    return {**head, "context": redact(text)}
