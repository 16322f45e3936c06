"""``localci sign [<sha>|PATH]`` and ``localci run --sign``: sign a stored result.

Two Statements are signed in one session (one identity token, one certificate): the
localci result Statement (predicate: the result document) into ``<sha>.sigstore.json``,
and the in-toto test-result Statement into ``<sha>.test-result.sigstore.json``. Both name
the result file's sha256 as their subject, so the file must hold the canonical bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from localci.errors import UsageError
from localci.fsutil import atomic_write_bytes, atomic_write_text, load_json
from localci.result.digest import canonical_json
from localci.result.store import Store, load_result_file

if TYPE_CHECKING:
    from localci.attest.options import SigningOptions

__all__ = [
    "SignOutcome",
    "bundle_path_for",
    "locate_result",
    "read_bundle",
    "sign_document",
    "sign_target",
    "test_result_bundle_path_for",
]


@dataclass(frozen=True, kw_only=True)
class SignOutcome:
    """Where the bundles went and who signed (certificate SAN and OIDC issuer)."""

    bundle_path: Path
    identity: str
    issuer: str
    test_result_bundle_path: Path | None = None


def bundle_path_for(result_path: Path) -> Path:
    """``<dir>/<sha>.json`` -> ``<dir>/<sha>.sigstore.json``."""
    return result_path.with_name(result_path.name.removesuffix(".json") + ".sigstore.json")


def test_result_bundle_path_for(result_path: Path) -> Path:
    """``<dir>/<sha>.json`` -> ``<dir>/<sha>.test-result.sigstore.json``."""
    stem = result_path.name.removesuffix(".json")
    return result_path.with_name(stem + ".test-result.sigstore.json")


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
    """Sign the result at ``result_path``; write both bundles beside it, atomically.

    A result file that is not in RFC 8785 canonical form (written by localci 0.1, or
    reformatted) is first rewritten canonically, so its bytes are the signed digest.

    :raises UsageError: for an invalid result or no identity token;
    :raises VerificationError, DeliveryError: when Sigstore refuses or is unreachable.
    """
    from localci.attest.signing import sign_statements
    from localci.attest.statements import build_statement
    from localci.attest.test_result import build_test_result_statement

    result, doc = load_result_file(result_path)
    canonical = canonical_json(doc)
    if result_path.read_bytes() != canonical:
        atomic_write_bytes(result_path, canonical)
    repo, commit = result.git.repository, result.git.commit
    statements = [
        build_statement(doc, repo_url=repo, commit=commit),
        build_test_result_statement(result, doc, repo_url=repo, commit=commit),
    ]
    signed, test_result = sign_statements(statements, options)
    target, second = bundle_path_for(result_path), test_result_bundle_path_for(result_path)
    atomic_write_text(second, test_result.bundle_json)
    atomic_write_text(target, signed.bundle_json)
    return SignOutcome(
        bundle_path=target,
        identity=signed.identity,
        issuer=signed.issuer,
        test_result_bundle_path=second,
    )


def read_bundle(path: Path) -> str | None:
    """The bundle JSON text at ``path``, or ``None`` when there is none.

    :raises UsageError: when the file exists but is not JSON.
    """
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            f"{path}: not a Sigstore bundle (not UTF-8 text)",
            hint="Sign the result again with `localci sign`.",
        ) from None
    try:
        load_json(text)
    except ValueError as exc:
        raise UsageError(f"{path}: not a JSON Sigstore bundle: {exc}") from None
    return text
