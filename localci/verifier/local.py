"""``localci verify``: check a result (and bundle) against a policy for a commit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localci import git as gitrepo
from localci.attest.document import bundle_path_for, read_bundle, test_result_bundle_path_for
from localci.config.loader import load_config
from localci.errors import GitError, UsageError
from localci.result.store import Store, read_result_json
from localci.verifier.check import Verdict, verify_result
from localci.verifier.sources import commit_config_sha256, tree_of

__all__ = ["VerifyRequest", "run_verify"]


@dataclass(frozen=True, kw_only=True)
class VerifyRequest:
    """What to verify.

    ``ref``: the commit to verify (sha or revision) in the repository at ``cwd``;
    ``result`` / ``bundle``: explicit files instead of ``.localci/results`` (the
    test-result bundle is looked up beside ``bundle`` or the result:
    ``<sha>.test-result.sigstore.json``);
    ``sha`` / ``tree``: the commit and tree being gated (default: resolved with git);
    ``policy``: the config file whose ``verify:`` section applies.
    """

    cwd: Path
    policy: Path
    ref: str | None = None
    result: Path | None = None
    bundle: Path | None = None
    sha: str | None = None
    tree: str | None = None
    trust_config: Path | None = None
    staging: bool = False


def run_verify(request: VerifyRequest) -> Verdict:
    """Load the inputs and call :func:`localci.verifier.check.verify_result`.

    :raises UsageError: for a missing or unreadable result, bundle or policy, or when the
        commit to gate cannot be determined.
    """
    policy = load_config(request.policy.parent, request.policy)
    root = _maybe_root(request.cwd)
    sha = request.sha or _resolve(root, request.ref)
    if sha is None:
        raise UsageError("which commit is being verified? Give a SHA argument or --sha.")
    tree = request.tree or tree_of(root, sha)
    result_path = request.result or _stored(root, sha)
    doc = read_result_json(result_path)
    bundle_path = request.bundle or bundle_path_for(result_path)
    if request.bundle is not None and not request.bundle.is_file():
        raise UsageError(f"{request.bundle}: no such bundle file")
    tests_path = test_result_bundle_path_for(
        bundle_path.with_name(bundle_path.name.removesuffix(".sigstore.json") + ".json")
    )
    return verify_result(
        result_doc=doc,
        result_bytes=result_path.read_bytes(),
        bundle_json=read_bundle(bundle_path),
        test_result_bundle_json=read_bundle(tests_path),
        policy=policy,
        sha=sha,
        tree=tree,
        commit_config_sha256=commit_config_sha256(root, sha),
        trust_config=request.trust_config,
        staging=request.staging,
    )


def _maybe_root(cwd: Path) -> Path | None:
    try:
        return gitrepo.repo_root(cwd)
    except GitError:
        return None


def _resolve(root: Path | None, ref: str | None) -> str | None:
    if root is None:
        if ref is not None and len(ref) in (40, 64):
            return ref.lower()
        return None
    return gitrepo.resolve_commit(root, ref or "HEAD")


def _stored(root: Path | None, sha: str) -> Path:
    if root is None:
        raise UsageError("not in a git repository: give --result (and --bundle)")
    path = Store(root).result_path(sha)
    if not path.is_file():
        raise UsageError(f"no stored result for {sha}", hint="Give --result, or run localci run.")
    return path
