"""``localci sign [<sha>|PATH]`` and ``localci run --sign``: sign a stored result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from localci.errors import UsageError
from localci.fsutil import atomic_write_text
from localci.result.store import Store, load_result_file

if TYPE_CHECKING:
    from localci.attest.signing import SigningOptions

__all__ = [
    "SignOutcome",
    "bundle_path_for",
    "locate_result",
    "read_bundle",
    "sign_document",
    "sign_target",
]


@dataclass(frozen=True, kw_only=True)
class SignOutcome:
    """Where the bundle went and who signed (certificate SAN and OIDC issuer)."""

    bundle_path: Path
    identity: str
    issuer: str


def bundle_path_for(result_path: Path) -> Path:
    """``<dir>/<sha>.json`` -> ``<dir>/<sha>.sigstore.json``."""
    return result_path.with_name(result_path.name.removesuffix(".json") + ".sigstore.json")


def locate_result(cwd: Path, target: str | None) -> Path:
    """The result file ``target`` names: a path to a JSON file, else a sha or revision.

    :raises UsageError: when nothing matches; :raises GitError: outside a repository.
    """
    if target is not None and (target.endswith(".json") or Path(target).is_file()):
        return Path(target)
    from localci.git import repo_root
    from localci.result.show import resolve_ref

    root = repo_root(cwd)
    return Store(root).find_result(resolve_ref(root, target))


def sign_target(cwd: Path, target: str | None, options: SigningOptions) -> SignOutcome:
    """Sign the result ``target`` names (see :func:`locate_result`) in the repository at
    ``cwd``.

    :raises UsageError: when nothing matches, and as :func:`sign_document`.
    """
    return sign_document(locate_result(cwd, target), options)


def sign_document(result_path: Path, options: SigningOptions) -> SignOutcome:
    """Sign the result at ``result_path``; write its bundle beside it, atomically.

    :raises UsageError: for an invalid result or no identity token;
    :raises VerificationError, DeliveryError: when Sigstore refuses or is unreachable.
    """
    from localci.attest.signing import build_statement, sign_statement

    result, doc = load_result_file(result_path)
    statement = build_statement(doc, repo_url=result.git.repository, commit=result.git.commit)
    signed = sign_statement(statement, options)
    target = bundle_path_for(result_path)
    atomic_write_text(target, signed.bundle_json)
    return SignOutcome(bundle_path=target, identity=signed.identity, issuer=signed.issuer)


def read_bundle(path: Path) -> str | None:
    """The bundle JSON text at ``path``, or ``None`` when there is none.

    :raises UsageError: when the file exists but is not JSON.
    """
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path}: not a JSON Sigstore bundle: {exc}") from None
    return text
