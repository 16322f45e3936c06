"""The binding checks: is the result for this code, made from it, under its config?

- ``commit``: the result's commit is the gated one (or, with ``accept_same_tree``, has
  the same tree);
- ``clean``: the result was not made from uncommitted changes (``dirty: false``);
- ``config``: the result was made under the configuration committed in the gated commit
  (its RFC 8785 digest equals the commit's), so ``localci run --config other.yml`` or an
  edited, uncommitted ``.localci.yml`` never satisfies the verifier.
"""

from __future__ import annotations

from localci.config.loader import Config
from localci.result.model import Result
from localci.verifier.checklist import Checklist

__all__ = ["check_binding"]


def check_binding(
    run: Checklist,
    result: Result,
    policy: Config,
    sha: str,
    tree: str | None,
    commit_config_sha256: str | None,
) -> None:
    """Record the ``commit``, ``clean`` and ``config`` checks.

    :param commit_config_sha256: the digest of the configuration committed in ``sha``
        (:attr:`localci.config.loader.Config.sha256`); ``None`` when it could not be read,
        which fails the ``config`` check (fail closed).
    """
    _check_commit(run, result, policy, sha, tree)
    if result.git.dirty:
        run.add("clean", False, "the result was produced from uncommitted changes (dirty: true)")
    elif result.workspace is not None and result.workspace.mode == "in-place":
        run.add(
            "clean",
            False,
            "the result was produced --in-place in a work tree, where git-ignored files "
            "can change a run; only an isolated run satisfies the gate",
        )
    else:
        run.add("clean", True, "the result was produced from the committed tree")
    _check_config(run, result, commit_config_sha256)


def _check_commit(
    run: Checklist, result: Result, policy: Config, sha: str, tree: str | None
) -> None:
    git = result.git
    if git.commit == sha:
        run.add("commit", True, f"the result is for commit {sha}")
    elif policy.verify.accept_same_tree and tree is not None and git.tree == tree:
        run.add(
            "commit",
            True,
            f"the result is for commit {git.commit}, whose tree {tree} "
            "equals the gated commit's (accept_same_tree)",
        )
    elif tree is not None and git.tree == tree:
        run.add(
            "commit",
            False,
            f"the result is for commit {git.commit}, not {sha}; the trees "
            "are equal but the policy does not set accept_same_tree",
        )
    else:
        run.add("commit", False, f"the result is for commit {git.commit}, not {sha}")


def _check_config(run: Checklist, result: Result, expected: str | None) -> None:
    used = f"{result.config_path} (sha256 {result.config_sha256[:12]}…)"
    if expected is None:
        run.add(
            "config",
            False,
            f"the result was made under {used}, and the gated commit's configuration "
            "could not be read to compare (verify inside the repository)",
        )
    elif result.config_sha256 != expected:
        run.add(
            "config",
            False,
            f"the result was made under {used}, not the configuration committed in the "
            f"commit (sha256 {expected[:12]}…): an uncommitted or --config file",
        )
    else:
        run.add("config", True, f"the result was made under the commit's own {used}")
