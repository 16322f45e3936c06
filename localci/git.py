"""All of localci's git access: one module runs ``git``, nothing else does.

Every function takes the repository (any directory inside a work tree) and returns plain
values. Git's own environment variables (``GIT_DIR``, ``GIT_INDEX_FILE``, ...) are removed
before each call, because a hook runs with them set for the *hook's* repository and they
would silently redirect commands aimed at a worktree (pre-commit does the same).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from localci.errors import GitError, UsageError
from localci.proc import run_captured

__all__ = [
    "GitInfo",
    "add_worktree",
    "archive",
    "check_notes_ref",
    "clean_env",
    "collect_facts",
    "git",
    "git_ok",
    "has_remote",
    "hooks_dir",
    "ignored_paths",
    "list_worktrees",
    "notes_plan",
    "remote_get_url",
    "remove_worktree",
    "repo_root",
    "reset_checkout",
    "resolve_commit",
    "scrub_url",
    "shared_clone",
    "show_file",
    "tracked_changes",
    "tracked_files",
    "tree_of",
    "tree_of_directory",
    "tree_size",
]

# Variables that point git at one repository; a hook inherits them (githooks(5)).
_GIT_LOCAL_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_QUARANTINE_PATH",
)


def clean_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default ``os.environ``) without git's repository-selecting variables."""
    source = os.environ if env is None else env
    return {k: v for k, v in source.items() if k not in _GIT_LOCAL_VARS}


def git(
    cwd: Path,
    *args: str,
    input_bytes: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run ``git args...`` in ``cwd``; its stdout as text, trailing newline removed.

    :raises GitError: when git is missing or exits non-zero (with git's stderr).
    """
    return _run(cwd, args, input_bytes=input_bytes, env=env).decode("utf-8", "replace").rstrip("\n")


def git_bytes(cwd: Path, *args: str) -> bytes:
    """Like :func:`git` but returns raw stdout bytes (for ``diff --binary``)."""
    return _run(cwd, args)


def git_ok(cwd: Path, *args: str) -> bool:
    """True when ``git args...`` exits 0 (output discarded)."""
    try:
        _run(cwd, args)
    except GitError:
        return False
    return True


def _run(
    cwd: Path,
    args: Sequence[str],
    *,
    input_bytes: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    full_env = clean_env()
    full_env.setdefault("LC_ALL", "C")
    if env:
        full_env.update(env)
    try:
        proc = run_captured(["git", *args], cwd=cwd, env=full_env, input_bytes=input_bytes)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise GitError(f"{cwd} is not a directory") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]} failed in {cwd}: {scrub_text(err)}")
    return proc.stdout


def repo_root(path: Path) -> Path:
    """The top of the work tree containing ``path``.

    :raises GitError: when ``path`` is not inside a git work tree.
    """
    try:
        return Path(git(path, "rev-parse", "--show-toplevel"))
    except GitError:
        raise GitError(
            f"{path} is not inside a git repository",
            hint="localci tests a commit: run it inside a git work tree (`git init` first).",
        ) from None


def resolve_commit(root: Path, rev: str = "HEAD") -> str:
    """The full object id of the commit ``rev`` names.

    :raises GitError: when ``rev`` names no commit (e.g. a repository with no commits).
    """
    try:
        return git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except GitError:
        if rev == "HEAD":
            raise GitError(
                f"the repository at {root} has no commits yet",
                hint="Commit your work first: localci tests commits, not loose files.",
            ) from None
        raise GitError(f"{rev!r} does not name a commit in {root}") from None


def show_file(root: Path, rev: str, path: str) -> str | None:
    """The text of ``path`` at commit ``rev``, or ``None`` when it does not exist there."""
    try:
        return git(root, "show", f"{rev}:{path}") + "\n"
    except GitError:
        return None


@dataclass(frozen=True, kw_only=True)
class GitInfo:
    """Which code was tested.

    ``commit`` and ``tree`` are 40-hex (SHA-1) or 64-hex (SHA-256) object ids;
    ``repository`` is the ``origin`` URL without credentials (``None`` with no remote);
    ``dirty`` is true when the run used uncommitted changes (``--in-place`` on a dirty
    tree), and then ``diff_sha256`` is the sha256 of ``git diff HEAD`` (binary).
    """

    commit: str
    tree: str
    repository: str | None = None
    branch: str | None = None
    dirty: bool = False
    diff_sha256: str | None = None


def collect_facts(root: Path, commit: str, *, in_place: bool, remote: str = "origin") -> GitInfo:
    """Facts for ``commit``; with ``in_place``, also whether the work tree is dirty.

    The diff digest is the sha256 of ``git diff --binary HEAD`` followed by each untracked,
    non-ignored file's path and content, so any uncommitted change alters it.
    """
    dirty, digest = False, None
    if in_place:
        status = git(root, "status", "--porcelain", "--untracked-files=all")
        if status.strip():
            dirty, digest = True, _diff_digest(root)
    return GitInfo(
        commit=commit,
        tree=git(root, "rev-parse", f"{commit}^{{tree}}"),
        repository=_remote_url(root, remote),
        branch=_branch(root),
        dirty=dirty,
        diff_sha256=digest,
    )


def _diff_digest(root: Path) -> str:
    hasher = hashlib.sha256(git_bytes(root, "diff", "--binary", "HEAD"))
    untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for name in filter(None, untracked.split("\0")):
        hasher.update(b"\0" + name.encode())
        file = root / name
        if file.is_file():
            hasher.update(b"\0" + file.read_bytes())
    return hasher.hexdigest()


def _branch(root: Path) -> str | None:
    try:
        return git(root, "symbolic-ref", "--quiet", "--short", "HEAD") or None
    except GitError:
        return None


def _remote_url(root: Path, remote: str) -> str | None:
    url = remote_get_url(root, remote)
    return (scrub_url(url) or None) if url is not None else None


def remote_get_url(root: Path, remote: str) -> str | None:
    """The configured URL of ``remote`` as git has it (may hold credentials: never print
    it unscrubbed); ``None`` when there is no such remote."""
    try:
        return git(root, "remote", "get-url", remote) or None
    except GitError:
        return None


def tree_of(root: Path, commit: str) -> str | None:
    """The tree object id of ``commit``; ``None`` when git does not have the commit."""
    try:
        return git(root, "rev-parse", f"{commit}^{{tree}}")
    except GitError:
        return None


def tree_size(root: Path, commit: str) -> int:
    """Total bytes of the blobs in ``commit``'s tree (``git ls-tree -r -l``).

    :raises GitError: when git does not have the commit.
    """
    sizes = git(root, "ls-tree", "-r", "-l", "--full-tree", commit)
    return sum(int(f) for f in (ln.split()[3] for ln in sizes.splitlines()) if f != "-")


def hooks_dir(root: Path) -> Path:
    """Where git looks for hooks (``git rev-parse --git-path hooks``: ``core.hooksPath``
    respected), absolute."""
    hooks = Path(git(root, "rev-parse", "--git-path", "hooks"))
    return hooks if hooks.is_absolute() else root / hooks


def tracked_files(root: Path, path: str) -> list[str]:
    """Files under ``path`` (relative to ``root``) that the index tracks."""
    out = git(root, "ls-files", "--cached", "-z", "--", path)
    return [name for name in out.split("\0") if name]


def has_remote(root: Path, remote: str) -> bool:
    """Whether ``remote`` is configured in ``root``."""
    return git_ok(root, "remote", "get-url", remote)


_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


def scrub_url(url: str) -> str:
    """``url`` without user-info credentials (``https://TOKEN@host/x`` -> ``https://host/x``)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def scrub_text(text: str) -> str:
    """Remove URL credentials anywhere in ``text`` (git echoes remote URLs in errors)."""
    return _CREDENTIALS.sub("", text)


def tracked_changes(root: Path) -> dict[str, str]:
    """Tracked files of the work tree at ``root`` whose content differs from ``HEAD``:
    POSIX path relative to ``root`` -> blob id of the current content (``"-"``: deleted).
    """
    out = git(root, "diff", "--name-only", "--no-renames", "-z", "HEAD")
    names = [n for n in out.split("\0") if n]
    present = [n for n in names if (root / n).is_file()]
    changes = dict.fromkeys(names, "-")
    if present:
        ids = git(root, "hash-object", "--", *present).splitlines()
        changes.update(zip(present, ids, strict=True))
    return changes


def ignored_paths(root: Path) -> list[str]:
    """Git-ignored files and folders in the work tree at ``root`` (folders end in ``/``
    and are not listed inside), relative POSIX paths."""
    out = git(root, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z")
    return [n for n in out.split("\0") if n]


def shared_clone(root: Path, path: Path) -> None:
    """A clone of the repository at ``root`` at ``path`` that borrows its objects
    (``git clone --shared``: nothing is copied) and checks nothing out.

    :raises GitError: when git refuses.
    """
    git(root, "clone", "--shared", "--no-checkout", "--quiet", str(root), str(path))


def reset_checkout(path: Path, commit: str) -> list[str]:
    """Make the checkout at ``path`` exactly ``commit``: tracked files reset, every
    untracked and ignored file removed but for ``__pycache__`` folders (bytecode, which
    Python re-validates against each source). Returns the paths whose content changed
    (relative, POSIX), for callers that keep caches keyed by file.

    :raises GitError: when git refuses (e.g. the object is missing).
    """
    changed = git(path, "diff", "--name-only", "--no-renames", "-z", commit)
    git(path, "checkout", "--detach", "--force", "--quiet", commit)
    git(path, "clean", "-ffdxq", "-e", "__pycache__")
    return [n for n in changed.split("\0") if n]


def add_worktree(root: Path, commit: str, path: Path) -> None:
    """Check out ``commit`` as a detached worktree at ``path`` (which must not exist).

    :raises GitError: when git refuses (e.g. the path exists).
    """
    git(root, "worktree", "add", "--detach", "--quiet", str(path), commit)


def list_worktrees(root: Path) -> list[Path]:
    """The linked worktrees git knows for ``root`` (``git worktree list --porcelain``),
    the main work tree left out; ``[]`` when git cannot say."""
    try:
        text = git(root, "worktree", "list", "--porcelain")
    except GitError:
        return []
    paths = [
        Path(line[len("worktree ") :]) for line in text.splitlines() if line.startswith("worktree ")
    ]
    return paths[1:]


def remove_worktree(root: Path, path: Path) -> None:
    """Remove the worktree at ``path`` (even when locked) and prune git's record of it;
    never raises."""
    with contextlib.suppress(GitError):
        git(root, "worktree", "unlock", str(path))
    with contextlib.suppress(GitError):
        git(root, "worktree", "remove", "--force", "--force", str(path))
    with contextlib.suppress(GitError):
        git(root, "worktree", "prune")


def archive(root: Path, commit: str) -> bytes:
    """The files of ``commit`` as a gzipped tar (``git archive --format=tar.gz``).

    Attributes apply as git-archive(1) says: ``export-ignore`` paths are left out and
    ``export-subst`` expanded, so such a tree does not hash back to the commit's.

    :raises GitError: when ``commit`` does not exist.
    """
    return git_bytes(root, "archive", "--format=tar.gz", commit)


def tree_of_directory(path: Path, *, sha256: bool = False) -> str:
    """The tree id git would record for every file under ``path`` (ignore rules off).

    Initialises a throw-away repository in ``path`` (``sha256``: with SHA-256 object ids),
    stages everything with ``git add --all --force`` and returns ``git write-tree``; the
    directory's files are not changed.

    :raises GitError: when git fails.
    """
    fmt = "sha256" if sha256 else "sha1"
    git(path, "init", "--quiet", f"--object-format={fmt}")
    plain = ("-c", "core.autocrlf=false", "-c", "core.safecrlf=false")
    git(path, *plain, "add", "--all", "--force", ".")
    return git(path, "write-tree")


# -- notes ---------------------------------------------------------------------------
# One note per commit under a notes ref (git-notes(1)). Publishing pushes the ref; on a
# non-fast-forward it fetches the remote's notes, merges them (`-s ours`: where both
# sides annotate the same commit, the local, newer note wins) and pushes again.


_NOTES_REF = re.compile(r"^refs/notes/[A-Za-z0-9._/-]+$")


def check_notes_ref(ref: str) -> str:
    """``ref`` when it is a plain ref under ``refs/notes/``: localci never writes, pushes
    or fetches any other ref (a branch, a tag) through its notes channel.

    :raises UsageError: for anything else (``refs/heads/main``, ``..``, ``:``, ``+``).
    """
    if not _NOTES_REF.match(ref) or ".." in ref or ref.endswith(("/", ".lock")):
        raise UsageError(
            f"notes ref {ref!r} is not under refs/notes/",
            hint="publish.notes_ref must look like refs/notes/localci.",
        )
    return ref


def notes_short(ref: str) -> str:
    """``refs/notes/localci`` -> ``localci`` (what ``git notes --ref`` takes).

    :raises UsageError: when ``ref`` is not under ``refs/notes/``.
    """
    return check_notes_ref(ref).removeprefix("refs/notes/")


def notes_plan(remote: str | None, ref: str, commit: str) -> list[str]:
    """The git commands publishing a note runs (``localci post --dry-run`` prints them):
    :func:`write_note`, then :func:`push_notes` when there is a ``remote``."""
    check_notes_ref(ref)
    steps = [f"notes --ref={ref} add {commit}"]
    return [*steps, f"push {remote} {ref}"] if remote is not None else steps


def read_note(root: Path, ref: str, commit: str) -> str | None:
    """The note on ``commit`` under ``ref``, or ``None``."""
    try:
        return git(root, "notes", f"--ref={notes_short(ref)}", "show", commit)
    except GitError:
        return None


def _ident_env(root: Path) -> dict[str, str]:
    """A fallback committer for notes commits when git has no identity configured (a CI
    runner): notes commits need one, and they record nothing about the user anyway."""
    if git_ok(root, "var", "GIT_COMMITTER_IDENT"):
        return {}
    who = {"NAME": "localci", "EMAIL": "localci@localhost"}
    return {f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in who.items()}


def write_note(root: Path, ref: str, commit: str, text: str) -> None:
    """Attach ``text`` as the note on ``commit`` under ``ref``, replacing any old one.

    :raises GitError: when git refuses (e.g. the commit does not exist).
    """
    git(
        root,
        "notes",
        f"--ref={notes_short(ref)}",
        "add",
        "-f",
        "-F",
        "-",
        commit,
        input_bytes=text.encode("utf-8"),
        env=_ident_env(root),
    )


def fetch_notes(
    root: Path, remote: str, ref: str, *, env: Mapping[str, str] | None = None
) -> str | None:
    """Fetch the remote's ``ref`` into ``<ref>-remote``; that local ref, or ``None`` when the
    remote has no such ref. ``env`` adds to git's environment (authentication).

    :raises GitError: when the remote cannot be reached.
    """
    local = f"{check_notes_ref(ref)}-remote"
    listing = git(root, "ls-remote", remote, ref, env=env)
    if not listing.strip():
        return None
    git(root, "fetch", "--quiet", "--no-write-fetch-head", remote, f"+{ref}:{local}", env=env)
    return local


def merge_notes(root: Path, ref: str, other: str) -> None:
    """Merge notes ref ``other`` into ``ref``, keeping ours where both annotate a commit."""
    check_notes_ref(ref)
    if not git_ok(root, "rev-parse", "--verify", "--quiet", ref):
        git(root, "update-ref", ref, other)
        return
    git(
        root,
        "notes",
        f"--ref={notes_short(ref)}",
        "merge",
        "--quiet",
        "-s",
        "ours",
        other,
        env=_ident_env(root),
    )


def push_notes(root: Path, remote: str, ref: str) -> bool:
    """Push ``ref`` to ``remote`` without running hooks; False on a non-fast-forward.

    :raises GitError: for any other failure (unreachable remote, no permission).
    """
    check_notes_ref(ref)
    try:
        git(root, "push", "--quiet", "--no-verify", remote, f"{ref}:{ref}")
    except GitError as exc:
        text = exc.message
        if "non-fast-forward" in text or "rejected" in text or "fetch first" in text:
            return False
        raise
    return True


def ls_remote_heads(
    root: Path, remote: str, pattern: str, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``{ref: sha}`` of the remote's branches matching ``pattern`` (``git ls-remote
    --heads``; e.g. ``refs/heads/gh-readonly-queue/main/*``). Reads the remote only.

    :raises GitError: when the remote cannot be read.
    """
    out = git(root, "ls-remote", "--heads", remote, pattern, env=env)
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref:
            refs[ref] = sha
    return refs


def first_parent_chain(root: Path, base: str, head: str) -> list[str]:
    """The commits from ``head`` back to (not including) ``base`` along first parents,
    newest first (``git rev-list --first-parent base..head``).

    :raises GitError: when either commit is not in the local repository.
    """
    out = git(root, "rev-list", "--first-parent", f"{base}..{head}")
    return out.split()


def fetch_refs(
    root: Path, remote: str, refspecs: Sequence[str], env: Mapping[str, str] | None = None
) -> None:
    """``git fetch --no-tags <remote> <refspec>...``: objects only, nothing checked out.

    :raises GitError: when the fetch fails.
    """
    git(root, "fetch", "-q", "--no-tags", remote, *refspecs, env=env)


def ref_commit_time(root: Path, ref: str) -> int | None:
    """The committer time (Unix seconds) of ``ref``'s tip, or ``None`` when there is no
    such ref."""
    if not git_ok(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"):
        return None
    return int(git(root, "log", "-1", "--format=%ct", ref))


def delete_ref(root: Path, ref: str) -> None:
    """Delete ``ref`` (a no-op when it does not exist)."""
    git(root, "update-ref", "-d", ref)


def changed_lines_diff(root: Path, base: str, head: str) -> str:
    """``git diff --unified=0`` of ``head`` against its merge base with ``base`` (what a
    pull request changes), without colour, external diff drivers or rename detection.

    :raises GitError: when either commit is not in the repository.
    """
    return git(
        root,
        "diff",
        "--unified=0",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        f"{base}...{head}",
    )
