"""The ``.localci/`` folder in the repository root (``docs/architecture.md``, "Storage").

Layout::

    .localci/.gitignore              "*": the folder never enters a commit
    .localci/runs/<run-id>/          stage logs (<stage>.log), reports/, result.json
    .localci/results/<sha>.json      the latest result for a commit, as RFC 8785 canonical
                                     JSON: the exact bytes whose sha256 is signed
    .localci/results/<sha>.partial.json   a partial run's (--stage/--skip), beside it
    .localci/results/<sha>.in-place.json  an --in-place run's (clean or dirty), beside it
    .localci/results/<sha>.sigstore.json   its Sigstore bundle, when signed
    .localci/spool/                  posts not yet delivered
    .localci/flaky.json              flaky-test history (:mod:`localci.result.flaky`)

Old run folders, spool entries, flaky history and fetched notes are swept by
:mod:`localci.result.retention`.

Every write goes through :mod:`localci.fsutil` (atomic).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from localci.errors import InternalError, UsageError
from localci.fsutil import atomic_write_bytes, atomic_write_text, load_json
from localci.result.codec import result_from_dict, result_to_dict
from localci.result.digest import canonical_json
from localci.result.model import Result
from localci.schemas import result_errors

__all__ = [
    "Store",
    "load_result_file",
    "new_run_id",
    "read_result_json",
    "result_variant",
    "utc_now",
]

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def utc_now() -> str:
    """The current UTC time as RFC 3339 with microseconds and ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id() -> str:
    """A sortable, unique run id: ``20261121T040000Z-1a2b3c``."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def validate_result_doc(doc: Any, *, source: str) -> Result:
    """Check ``doc`` against ``schemas/result.v1.schema.json`` and build a :class:`Result`.

    :raises UsageError: naming ``source`` and the first few schema errors.
    """
    errors = result_errors(doc)
    if errors:
        raise UsageError(f"{source} is not a valid localci result:\n" + "\n".join(errors[:5]))
    return result_from_dict(doc)


def read_result_json(path: Path) -> Any:
    """The JSON in a result file, not yet validated (the verifier reports schema problems
    as a check of its own).

    :raises UsageError: when the file is missing, unreadable or not JSON.
    """
    try:
        return load_json(path.read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{path}: no such result file") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a JSON result: {exc}") from None


def load_result_file(path: Path) -> tuple[Result, dict[str, Any]]:
    """Read and validate a result document; the :class:`Result` and the raw document.

    :raises UsageError: when the file is missing, not JSON, or not schema-valid.
    """
    doc = read_result_json(path)
    return validate_result_doc(doc, source=str(path)), doc


def result_variant(result: Result) -> str | None:
    """``partial``, ``in-place`` or ``None`` (a full run in a clean worktree)."""
    if result.partial:
        return "partial"
    if result.git.dirty or (result.workspace is not None and result.workspace.mode == "in-place"):
        return "in-place"
    return None


@dataclass(frozen=True)
class Store:
    """Paths and atomic I/O under ``<root>/.localci``."""

    root: Path

    @property
    def base(self) -> Path:
        return self.root / ".localci"

    @property
    def runs(self) -> Path:
        return self.base / "runs"

    @property
    def results(self) -> Path:
        return self.base / "results"

    @property
    def spool(self) -> Path:
        return self.base / "spool"

    def ensure(self) -> None:
        """Create ``.localci/`` with a ``.gitignore`` of ``*`` (idempotent)."""
        self.base.mkdir(parents=True, exist_ok=True)
        ignore = self.base / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, "# created by localci: keep run data out of git\n*\n")

    def refuse_tracked(self) -> None:
        """Fail when git tracks anything under ``.localci/``: results, cache entries and
        spooled posts that arrive with the code are someone else's, and localci must not
        re-use, publish or send them with the user's credentials.

        :raises UsageError: naming the first tracked file and how to untrack it.
        """
        from localci.git import tracked_files

        tracked = tracked_files(self.root, ".localci")
        if tracked:
            raise UsageError(
                f"{tracked[0]} is tracked by git: localci refuses a committed .localci/ "
                "(its results, cache and spool would be trusted as the user's own)",
                hint="Untrack it with `git rm -r --cached .localci` and commit that.",
            )

    def run_dir(self, run_id: str) -> Path:
        return self.runs / run_id

    def result_path(self, sha: str, variant: str | None = None) -> Path:
        """``results/<sha>.json``, or ``results/<sha>.<variant>.json`` beside it."""
        return self.results / (f"{sha}.{variant}.json" if variant else f"{sha}.json")

    def path_for(self, result: Result) -> Path:
        """Where ``result`` is stored: partial and in-place results never take the place
        of the commit's full, isolated result."""
        return self.result_path(result.git.commit, result_variant(result))

    def bundle_path(self, sha: str) -> Path:
        return self.results / f"{sha}.sigstore.json"

    def test_result_bundle_path(self, sha: str) -> Path:
        """The bundle of the in-toto test-result Statement signed beside the result."""
        return self.results / f"{sha}.test-result.sigstore.json"

    def bundle_paths(self, sha: str) -> tuple[Path, ...]:
        """Every bundle that belongs to the result for ``sha``."""
        return (self.bundle_path(sha), self.test_result_bundle_path(sha))

    def write_result(
        self, result: Result, *, run_dir: Path | None = None, checked: Collection[int] = ()
    ) -> dict[str, Any]:
        """Validate ``result`` and write it to ``results/<sha>.json`` (and the run folder).
        ``checked``: indices of stages whose documents already passed the schema
        (:func:`~localci.schemas.result_errors`).

        Both hold the RFC 8785 canonical bytes (made once), so ``results/<sha>.json``'s
        sha256 is the digest a signature's subject names and `sigstore verify` accepts the
        file as stored. A new result replaces the old one for that commit, so stale
        bundles go.

        :raises InternalError: when the document does not match its schema (a bug).
        """
        doc = result_to_dict(result)
        errors = result_errors(doc, checked=checked)
        if errors:
            raise InternalError("localci built an invalid result:\n" + "\n".join(errors[:5]))
        self.ensure()
        data = canonical_json(doc)
        if run_dir is not None:
            atomic_write_bytes(run_dir / "result.json", data)
        target = self.path_for(result)
        stem = target.name.removesuffix(".json")
        for suffix in (".sigstore.json", ".test-result.sigstore.json"):
            target.with_name(stem + suffix).unlink(missing_ok=True)
        atomic_write_bytes(target, data)
        return doc

    def find_result(self, ref: str | None) -> Path:
        """The stored result for a full or abbreviated sha, or the newest when ``ref`` is None.

        :raises UsageError: when none matches or an abbreviation is ambiguous.
        """
        if not self.results.is_dir():
            raise UsageError("no results yet in .localci/results", hint="Run `localci run`.")
        files = [p for p in self.results.glob("*.json") if _SHA.match(p.stem)]
        if ref is None:
            if not files:
                raise UsageError("no results yet in .localci/results", hint="Run `localci run`.")
            return max(files, key=lambda p: p.stat().st_mtime)
        hits = [p for p in files if p.stem.startswith(ref.lower())]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise UsageError(f"no stored result for {ref}", hint="Run `localci run` on it.")
        raise UsageError(f"{ref} is ambiguous: {len(hits)} stored results match")
