"""A signed result: the result document, its Sigstore bundles, and where it came from.

The one type every publish channel carries and every fetch returns (the notes ref, the
Check Run's embedded note, the spool, ``.localci/results``). The document is kept exactly
as it was signed (the bundle's in-toto subject digest covers its RFC 8785 canonical
form), and parsed into a :class:`~localci.result.model.Result` once, on first use.
JSON conversion happens only at the edges: :meth:`SignedResult.to_json` and
:meth:`SignedResult.from_json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from localci.result.digest import sha256_hex
from localci.result.model import Result
from localci.result.store import load_result_file, validate_result_doc

__all__ = ["Origin", "SignedResult", "load_signed"]

Origin = Literal["local", "notes", "attestations", "check_run", "spool"]


@dataclass(frozen=True, kw_only=True)
class SignedResult:
    """``document``: the result document as signed (schema ``result.v1``); ``bundle``: the
    parsed Sigstore bundle of the result Statement, ``None`` when unsigned;
    ``test_result_bundle``: the bundle of the in-toto test-result Statement signed with it,
    if any; ``origin``: the channel it was read from (not part of equality)."""

    document: Mapping[str, Any]
    bundle: Mapping[str, Any] | None = None
    test_result_bundle: Mapping[str, Any] | None = None
    origin: Origin = field(default="local", compare=False)

    @cached_property
    def result(self) -> Result:
        """The typed result.

        :raises UsageError: when the document is not a valid ``result.v1`` document.
        """
        return validate_result_doc(dict(self.document), source=f"the {self.origin} result")

    @property
    def sha(self) -> str:
        """The commit the result is for (``git.commit``)."""
        return str(self.document["git"]["commit"])

    @property
    def digest(self) -> str:
        """sha256 (hex) of the document's RFC 8785 canonical JSON: the signed digest."""
        return sha256_hex(dict(self.document))

    def bundle_json(self) -> str | None:
        """The bundle as JSON text, as the verifier takes it."""
        return json.dumps(self.bundle) if self.bundle is not None else None

    def test_result_bundle_json(self) -> str | None:
        """The test-result bundle as JSON text, as the verifier takes it."""
        tests = self.test_result_bundle
        return json.dumps(tests) if tests is not None else None

    def to_json(self) -> dict[str, Any]:
        """``{"result": <document>, "bundle": <bundle> | null}`` plus
        ``"test_result_bundle"`` when there is one: the note body."""
        doc: dict[str, Any] = {
            "result": dict(self.document),
            "bundle": dict(self.bundle) if self.bundle is not None else None,
        }
        if self.test_result_bundle is not None:
            doc["test_result_bundle"] = dict(self.test_result_bundle)
        return doc

    @classmethod
    def from_json(cls, doc: Any, origin: Origin) -> SignedResult | None:
        """The inverse of :meth:`to_json`; ``None`` when ``doc`` has no result object (the
        document itself is validated when :attr:`result` is first used)."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("result"), Mapping):
            return None
        bundle, tests = doc.get("bundle"), doc.get("test_result_bundle")
        return cls(
            document=doc["result"],
            bundle=bundle if isinstance(bundle, Mapping) else None,
            test_result_bundle=tests if isinstance(tests, Mapping) else None,
            origin=origin,
        )


def load_signed(result_path: Path) -> SignedResult:
    """The stored result at ``result_path`` and, when present, its bundles beside it.

    :raises UsageError: for an invalid result or bundle file.
    """
    from localci.attest.document import bundle_path_for, read_bundle, test_result_bundle_path_for

    result, doc = load_result_file(result_path)
    bundle = read_bundle(bundle_path_for(result_path))
    tests = read_bundle(test_result_bundle_path_for(result_path))
    signed = SignedResult(
        document=doc,
        bundle=json.loads(bundle) if bundle else None,
        test_result_bundle=json.loads(tests) if tests else None,
    )
    signed.__dict__["result"] = result  # already validated: skip a second parse
    return signed
