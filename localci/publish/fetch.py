"""``localci fetch <sha>``: find a result through the fallback chain.

Local results (``.localci/results``) -> the notes ref on the remote -> GitHub's artifact
attestation store (where the gate stores the result's bundles, found by the commit's
lookup key) -> the Check Run's output (where ``localci post`` embeds the signed result).
The first source that answers wins, and the answer says which it was; a source that is
down or empty is listed with its reason and the next one is asked. Nothing fetched is
trusted until ``localci verify`` has checked it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from localci.attest.signed import Origin, SignedResult, load_signed
from localci.errors import LocalciError, UsageError
from localci.publish.attestations import AttestationStore
from localci.publish.channel import PublishOptions
from localci.publish.deliver import CHANNELS
from localci.result.store import Store

__all__ = ["SOURCES", "Fetched", "Source", "fetch_result", "save_fetched"]


class Source(Protocol):
    """Somewhere a published result can be read back (every
    :class:`~localci.publish.channel.Channel` is one)."""

    @property
    def name(self) -> str: ...

    def fetch(self, root: Path, sha: str, options: PublishOptions) -> SignedResult: ...


SOURCES: tuple[Source, ...] = (CHANNELS["notes"], AttestationStore(), CHANNELS["github"])
"""The remote sources, in the order they are asked."""


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """A found result; ``channel`` is where it came from (``local``, ``notes``,
    ``attestations`` or ``check_run``); ``tried`` lists every source asked, with why it
    had nothing; ``sha`` is the commit asked for (the result inside is not yet verified
    to be for it)."""

    signed: SignedResult
    tried: tuple[str, ...]
    sha: str = ""

    @property
    def channel(self) -> Origin:
        return self.signed.origin

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form."""
        tests = self.signed.test_result_bundle
        return {
            "channel": self.channel,
            "tried": list(self.tried),
            **self.signed.to_json(),
            "test_result_bundle": dict(tests) if tests is not None else None,
        }


def save_fetched(folder: Path, sha: str, signed: SignedResult) -> list[Path]:
    """Write a fetched result as other verifiers read it: ``<sha>.json`` (the RFC 8785
    canonical bytes that were signed), ``<sha>.sigstore.json`` and
    ``<sha>.test-result.sigstore.json`` (when present), atomically; the paths written.
    Never into ``.localci/results``: a fetched result is not trusted until verified.

    :raises InternalError: the result is not canonicalizable JSON.
    """
    from localci.fsutil import atomic_write_bytes, atomic_write_text
    from localci.result.digest import canonical_json

    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{sha}.json"]
    atomic_write_bytes(written[0], canonical_json(dict(signed.document)))
    for suffix, text in (
        (".sigstore.json", signed.bundle_json()),
        (".test-result.sigstore.json", signed.test_result_bundle_json()),
    ):
        if text is not None:
            written.append(folder / f"{sha}{suffix}")
            atomic_write_text(written[-1], text)
    return written


def fetch_result(root: Path, sha: str, options: PublishOptions, *, local: bool = True) -> Fetched:
    """The result for ``sha`` from the first source that has it.

    :raises UsageError: when no source has a result for ``sha`` (each one's answer is
        listed).
    """
    tried: list[str] = []
    if local:
        path = Store(root).result_path(sha)
        if path.is_file():
            return Fetched(sha=sha, signed=load_signed(path), tried=("local",))
        tried.append("local: no result in .localci/results")
    for source in SOURCES:
        try:
            found = source.fetch(root, sha, options)
        except LocalciError as exc:
            tried.append(f"{_label(source.name)}: {exc.message}")
            continue
        return Fetched(sha=sha, signed=found, tried=(*tried, found.origin))
    raise UsageError(f"no result found for {sha}:\n" + "\n".join(f"- {t}" for t in tried))


def _label(name: str) -> str:
    return "check_run" if name == "github" else name
