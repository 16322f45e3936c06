"""The pre-push hook: run, sign and publish before the commits leave the machine.

``localci hook install`` writes ``pre-push`` into git's hooks folder (``core.hooksPath``
respected) with :data:`MARKER`; a foreign hook already there is kept as
``pre-push.legacy`` and still run first, as pre-commit does. ``--force`` replaces a
foreign hook instead. ``localci hook uninstall`` removes ours and restores the legacy one.

When git runs it, the hook reads ``<local ref> <local sha> <remote ref> <remote sha>``
lines (githooks(5), "pre-push"), skips deletions (an all-zero local sha) and tags, and
for the tip of every pushed ref that has no passing signed result for its tree and
config: runs the stages in a clean worktree (the result cache applies), signs when an
identity is available without a prompt it cannot show, and publishes the note to the
same remote. The commits are not on GitHub yet, so nothing is posted there: the
verifier workflow turns the note into a Check Run when they arrive. Any failure blocks
the push and says how to bypass it.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from localci import git as gitrepo
from localci.errors import LocalciError, UsageError

if TYPE_CHECKING:
    from localci.result.store import Store
    from localci.run.pipeline import Reporter

__all__ = [
    "MARKER",
    "PushedRef",
    "from_pre_commit",
    "hook_path",
    "install",
    "install_in",
    "parse_push_lines",
    "pre_push_in",
    "run_pre_push",
    "uninstall",
    "uninstall_in",
]

MARKER = "# localci-hook-marker: v1"
_ZERO = {"0" * 40, "0" * 64}

_SCRIPT = """\
#!/bin/sh
{marker} (written by `localci hook install`; remove with `localci hook uninstall`)
# Bypass once with `git push --no-verify` or LOCALCI_SKIP=1 git push.
[ "${{LOCALCI_SKIP:-}}" = "1" ] && exit 0
[ -n "${{LOCALCI_IN_HOOK:-}}" ] && exit 0
here=$(dirname "$0")
input=$(cat)
if [ -x "$here/pre-push.legacy" ]; then
    printf '%s\\n' "$input" | "$here/pre-push.legacy" "$@" || exit $?
fi
INSTALL_PYTHON={python}
if [ -x "$INSTALL_PYTHON" ]; then
    set -- "$INSTALL_PYTHON" -m localci hook run pre-push "$@"
elif command -v localci >/dev/null 2>&1; then
    set -- localci hook run pre-push "$@"
else
    echo "localci: not found (was its virtual environment removed?); push blocked." >&2
    echo "Reinstall localci, or bypass with: git push --no-verify" >&2
    exit 1
fi
printf '%s\\n' "$input" | LOCALCI_IN_HOOK=1 "$@"
"""


def hook_path(root: Path) -> Path:
    """Where git looks for ``pre-push`` (see :func:`localci.git.hooks_dir`)."""
    return gitrepo.hooks_dir(root) / "pre-push"


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(root: Path, *, force: bool = False) -> Path:
    """Install the hook; the path written.

    :raises UsageError: when a foreign hook and a ``.legacy`` one both exist (without
        ``force``), so nothing would be lost silently.
    """
    path = hook_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    legacy = path.with_name("pre-push.legacy")
    if path.exists() and not _is_ours(path):
        if force:
            path.unlink()
        elif legacy.exists():
            raise UsageError(
                f"{path} is not localci's and {legacy.name} already exists",
                hint="Merge them by hand, or use --force to replace the current hook.",
            )
        else:
            path.rename(legacy)
    from localci.fsutil import atomic_write_text

    script = _SCRIPT.format(marker=MARKER, python=shlex.quote(sys.executable))
    atomic_write_text(path, script, mode=0o755)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def install_in(cwd: Path, *, force: bool = False) -> Path:
    """:func:`install` into the repository containing ``cwd``.

    :raises GitError: outside a repository; :raises UsageError: as :func:`install`.
    """
    return install(gitrepo.repo_root(cwd), force=force)


def uninstall_in(cwd: Path) -> bool:
    """:func:`uninstall` from the repository containing ``cwd``."""
    return uninstall(gitrepo.repo_root(cwd))


def pre_push_in(
    cwd: Path,
    remote: str | None,
    read_lines: Callable[[], Iterable[str]],
    *,
    reporter: Reporter,
    env: Mapping[str, str] | None = None,
) -> int:
    """:func:`run_pre_push` in the repository containing ``cwd``.

    Called by git (``remote`` given, the pushed refs on stdin: ``read_lines``) or by the
    pre-commit framework, which passes neither and describes the push in
    ``PRE_COMMIT_*`` variables instead (:func:`from_pre_commit`).

    :raises UsageError: with neither a remote nor pre-commit's variables.
    """
    root = gitrepo.repo_root(cwd)
    env = os.environ if env is None else env
    if remote is None:
        found = from_pre_commit(root, env)
        if found is None:
            raise UsageError(
                "no remote given: `localci hook run pre-push` is called by git's pre-push "
                "hook (remote and URL as arguments) or by pre-commit (PRE_COMMIT_REMOTE_NAME)",
                hint="Install it with `localci hook install` or "
                "`pre-commit install --hook-type pre-push`.",
            )
        remote, lines = found
        return run_pre_push(root, remote, lines, reporter=reporter, env=env)
    return run_pre_push(root, remote, read_lines(), reporter=reporter, env=env)


def from_pre_commit(root: Path, env: Mapping[str, str]) -> tuple[str, list[str]] | None:
    """The remote and git-style pre-push lines from the variables pre-commit sets for a
    pre-push hook (pre-commit docs, "Supported git hooks: pre-push"):
    ``PRE_COMMIT_REMOTE_NAME``, ``PRE_COMMIT_REMOTE_URL``, ``PRE_COMMIT_LOCAL_BRANCH``,
    ``PRE_COMMIT_REMOTE_BRANCH``, ``PRE_COMMIT_FROM_REF`` (the remote's sha) and
    ``PRE_COMMIT_TO_REF`` (the pushed sha). When a push includes the root commit,
    pre-commit sets no ``FROM``/``TO`` refs: the local branch is resolved instead.
    ``None`` when ``PRE_COMMIT_REMOTE_NAME`` is not set.

    :raises UsageError: when the pushed commit cannot be determined.
    """
    remote = env.get("PRE_COMMIT_REMOTE_NAME") or env.get("PRE_COMMIT_REMOTE_URL")
    if not remote:
        return None
    local_ref = env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    to_sha = env.get("PRE_COMMIT_TO_REF") or gitrepo.resolve_commit(root, local_ref)
    from_sha = env.get("PRE_COMMIT_FROM_REF") or "0" * len(to_sha)
    remote_ref = env.get("PRE_COMMIT_REMOTE_BRANCH") or local_ref
    return remote, [f"{local_ref} {to_sha} {remote_ref} {from_sha}"]


def uninstall(root: Path) -> bool:
    """Remove localci's hook and put a legacy hook back; False when ours was not there."""
    path = hook_path(root)
    if not path.exists() or not _is_ours(path):
        return False
    path.unlink()
    legacy = path.with_name("pre-push.legacy")
    if legacy.exists():
        legacy.rename(path)
    return True


@dataclass(frozen=True, kw_only=True)
class PushedRef:
    """One line of pre-push input."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def is_deletion(self) -> bool:
        return self.local_sha in _ZERO

    @property
    def is_tag(self) -> bool:
        return self.remote_ref.startswith("refs/tags/") or self.local_ref.startswith("refs/tags/")


def parse_push_lines(lines: Iterable[str]) -> list[PushedRef]:
    """Parse git's pre-push input; blank lines are ignored.

    :raises UsageError: for a line that is not four fields.
    """
    refs = []
    for line in lines:
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4:
            raise UsageError(f"unexpected pre-push input line: {line!r}")
        refs.append(
            PushedRef(
                local_ref=parts[0], local_sha=parts[1], remote_ref=parts[2], remote_sha=parts[3]
            )
        )
    return refs


def run_pre_push(
    root: Path,
    remote: str,
    lines: Iterable[str],
    *,
    reporter: Reporter,
    env: Mapping[str, str] | None = None,
    tags: bool = False,
) -> int:
    """The hook's work; the exit code (0 lets the push proceed, 1 blocks it).

    Messages go to ``reporter`` (a :class:`~localci.run.pipeline.Reporter`).
    """
    env = os.environ if env is None else env
    say = reporter.notice
    if env.get("LOCALCI_SKIP") == "1":
        say("LOCALCI_SKIP=1: not checking this push")
        return 0
    from localci.result.store import Store as _Store

    try:
        _Store(root).refuse_tracked()
    except LocalciError as exc:
        say(f"push blocked: {exc.diagnostics()}")
        return 1
    tips: list[str] = []
    for ref in parse_push_lines(lines):
        if ref.is_deletion or (ref.is_tag and not tags) or ref.local_sha in tips:
            continue
        tips.append(ref.local_sha)
    for sha in tips:
        try:
            ok = _check_commit(root, remote, sha, reporter, env)
        except LocalciError as exc:
            say(f"push blocked: {exc.diagnostics()}")
            ok = False
        if not ok:
            say(
                "Fix it and push again, or bypass this check with `git push --no-verify` "
                "or `LOCALCI_SKIP=1 git push` (the merge gate still requires a passing "
                "signed result)."
            )
            return 1
    return 0


def _check_commit(
    root: Path, remote: str, sha: str, reporter: Reporter, env: Mapping[str, str]
) -> bool:
    from localci.attest.signed import load_signed
    from localci.config.loader import find_config_at, parse_config
    from localci.publish.notes import publish_note
    from localci.result.store import Store as _Store
    from localci.run.pipeline import RunOptions, execute

    say = reporter.notice
    config = parse_config(find_config_at(root, sha))
    store = _Store(root)
    path = store.result_path(sha)
    if not _signed_pass(store, sha, config.sha256):
        outcome = execute(RunOptions(cwd=root, rev=sha, jobs=os.cpu_count() or 1), reporter)
        if outcome.result.conclusion != "success":
            failed = [
                s.name
                for s in outcome.result.stages
                if s.status != "passed" and s.status != "skipped"
            ]
            say(
                f"push blocked: {', '.join(failed) or 'the run'} did not pass on {sha[:12]} "
                f"(`localci show {sha[:12]}` explains)"
            )
            return False
        _sign_if_possible(path, reporter, env)
    publish_note(root, sha, load_signed(path), remote=remote, ref=config.publish.notes_ref)
    say(f"{sha[:12]}: passing result published to {remote} ({config.publish.notes_ref})")
    return True


def _signed_pass(store: Store, sha: str, config_sha256: str) -> bool:
    """A stored result for ``sha`` that passed, under this config, with both bundles."""
    path = store.result_path(sha)
    if not (path.is_file() and all(b.is_file() for b in store.bundle_paths(sha))):
        return False
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        doc.get("conclusion") == "success"
        and not doc.get("partial")
        and doc.get("config", {}).get("sha256") == config_sha256
    )


def _sign_if_possible(path: Path, reporter: Reporter, env: Mapping[str, str]) -> None:
    from localci.attest.document import sign_document
    from localci.attest.options import SigningOptions

    say = reporter.notice
    trust = env.get("LOCALCI_TRUST_CONFIG")
    options = SigningOptions(
        identity_token=env.get("SIGSTORE_ID_TOKEN") or None,
        trust_config=Path(trust) if trust else None,
        staging=env.get("LOCALCI_SIGSTORE_STAGING") == "1",
        interactive=sys.stderr.isatty(),
    )
    try:
        signed = sign_document(path, options)
    except UsageError as exc:
        say(
            f"not signed ({exc.message}); the merge gate will reject this result if its "
            "policy requires signatures (set SIGSTORE_ID_TOKEN, or push from a terminal)"
        )
        return
    say(f"signed by {signed.identity} (issuer {signed.issuer})")
