#!/usr/bin/env python3
"""Fetch GitHub's OpenAPI description from a pinned npm release and prune it for the double.

The GitHub REST double (``tests/github_double``) validates every request and response
against GitHub's official OpenAPI description, as republished on npm by Octokit in
``@octokit/openapi`` (``generated/api.github.com.json``, OpenAPI 3.0.3). The full file is
about 13 MB; localci uses a handful of operations, so this script keeps only those
operations and every ``#/components/...`` object they reference, transitively, and writes
``tests/github_double/openapi/api.github.com.pruned.json`` (compact JSON) plus a README
and the package's MIT LICENSE beside it.

``example``/``examples`` are dropped (documentation only; keeping them nearly doubles the
file, to ~235 KB). Nothing else in a kept operation or component is changed: the known
defects of the description (e.g. ``nullable`` enums without ``null``) are patched when the
double loads it, so the file stays a faithful subset of the upstream one.

Usage::

    python scripts/update_github_openapi.py            # writes the pinned version
    python scripts/update_github_openapi.py --check    # exit 1 if it records another version

To move to a newer release, change :data:`PINNED_VERSION` and :data:`PINNED_INTEGRITY`
(``npm view @octokit/openapi@<version> dist.integrity``) and run the script.

Source: https://github.com/octokit/openapi (MIT), built from
https://github.com/github/rest-api-description.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "LICENSE_MEMBER",
    "OPERATIONS",
    "PACKAGE",
    "PINNED_INTEGRITY",
    "PINNED_VERSION",
    "SPEC_MEMBER",
    "main",
    "prune",
]

PACKAGE = "@octokit/openapi"
#: The pinned release (npm ``latest`` when this script was last updated).
PINNED_VERSION = "23.0.2"
#: ``dist.integrity`` of the pinned tarball, checked after download.
PINNED_INTEGRITY = (
    "sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZXbFx5AHzLUVRBXGDhg"
    "=="
)
#: The file inside the npm tarball (npm puts everything under ``package/``).
SPEC_MEMBER = "package/generated/api.github.com.json"
#: The package's MIT licence, copied next to the pruned file as the licence requires.
LICENSE_MEMBER = "package/LICENSE"

#: The operations localci (and its tests) call, as ``(method, path template)``.
OPERATIONS: tuple[tuple[str, str], ...] = (
    # Checks: https://docs.github.com/rest/checks/runs
    ("post", "/repos/{owner}/{repo}/check-runs"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    # Commit statuses: https://docs.github.com/rest/commits/statuses
    ("post", "/repos/{owner}/{repo}/statuses/{sha}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/statuses"),
    # Commits, repositories, pull requests
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    # Issue comments (the PR summary): https://docs.github.com/rest/issues/comments
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    # Repository dispatch (fixer workflows): https://docs.github.com/rest/repos/repos
    ("post", "/repos/{owner}/{repo}/dispatches"),
    # GitHub App authentication: https://docs.github.com/rest/apps/apps
    ("get", "/app"),
    ("get", "/repos/{owner}/{repo}/installation"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    # Rate limits: https://docs.github.com/rest/rate-limit/rate-limit
    ("get", "/rate_limit"),
    # Artifact attestations: https://docs.github.com/rest/repos/attestations
    ("post", "/repos/{owner}/{repo}/attestations"),
    ("get", "/repos/{owner}/{repo}/attestations/{subject_digest}"),
    # Deployment environments (the gate's App key): https://docs.github.com/rest/deployments
    ("get", "/repos/{owner}/{repo}/environments/{environment_name}"),
    ("put", "/repos/{owner}/{repo}/environments/{environment_name}"),
    ("get", "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"),
    ("post", "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"),
    # Repository rulesets (the required check): https://docs.github.com/rest/repos/rules
    ("get", "/repos/{owner}/{repo}/rulesets"),
    ("post", "/repos/{owner}/{repo}/rulesets"),
    ("get", "/repos/{owner}/{repo}/rulesets/{ruleset_id}"),
    ("put", "/repos/{owner}/{repo}/rulesets/{ruleset_id}"),
)

_DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests/github_double/openapi"
_SPEC_NAME = "api.github.com.pruned.json"
_DROPPED_KEYS = frozenset({"examples", "example"})


class UpdateError(Exception):
    """The package could not be fetched, verified or pruned."""


def fetch_package(version: str, integrity: str) -> tuple[dict[str, Any], str]:
    """``npm pack`` *version* into a temporary directory; return the spec and LICENSE text.

    Raises :class:`UpdateError` when npm fails, the tarball's sha512 differs from
    *integrity* or a file is missing.
    """
    with tempfile.TemporaryDirectory(prefix="localci-openapi-") as tmp:
        tarball = _npm_pack(f"{PACKAGE}@{version}", Path(tmp))
        _verify_integrity(tarball, integrity)
        with tarfile.open(tarball, "r:gz") as tar:
            spec: dict[str, Any] = json.loads(_member(tar, SPEC_MEMBER))
            license_text = _member(tar, LICENSE_MEMBER).decode("utf-8")
    return spec, license_text


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    """The bytes of *name* in *tar* (read in memory: nothing is extracted to disk)."""
    try:
        member = tar.extractfile(name)
    except KeyError:
        member = None
    if member is None:
        raise UpdateError(f"{name} is missing from the package")
    with member:
        return member.read()


def _npm_pack(spec: str, dest: Path) -> Path:
    """Run ``npm pack <spec> --pack-destination <dest>`` and return the tarball path."""
    cmd = ["npm", "pack", spec, "--json", "--pack-destination", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UpdateError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    filename: str = json.loads(proc.stdout)[0]["filename"]
    return dest / filename


def _verify_integrity(tarball: Path, integrity: str) -> None:
    """Check *tarball* against an npm ``sha512-<base64>`` integrity string."""
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    actual = "sha512-" + base64.b64encode(digest).decode("ascii")
    if actual != integrity:
        raise UpdateError(f"integrity mismatch for {tarball.name}: {actual} != {integrity}")


def prune(spec: dict[str, Any], operations: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Return a new spec holding only *operations* and the components they reach.

    Raises :class:`UpdateError` when an operation is missing from *spec*.
    """
    paths: dict[str, dict[str, Any]] = {}
    for method, path in operations:
        item = spec["paths"].get(path, {})
        if method not in item:
            raise UpdateError(f"{method.upper()} {path} is not in the description")
        kept = paths.setdefault(path, _path_level(item))
        kept[method] = _strip(item[method])
    pruned: dict[str, Any] = {
        key: spec[key] for key in ("openapi", "info", "servers", "externalDocs") if key in spec
    }
    pruned["paths"] = paths
    pruned["components"] = _reachable_components(spec["components"], paths)
    return pruned


def _path_level(item: dict[str, Any]) -> dict[str, Any]:
    """The path-item fields shared by all its operations (``parameters``, ``summary``...)."""
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return {key: _strip(value) for key, value in item.items() if key not in methods}


def _strip(node: Any) -> Any:
    """A deep copy of *node* without ``example``/``examples`` keys (documentation only).

    A key is dropped only where it is an OpenAPI keyword, never where it is a property
    name inside ``properties`` (a schema may describe a field called ``examples``).
    """
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _strip(schema) for name, schema in value.items()}
        elif key not in _DROPPED_KEYS:
            out[key] = _strip(value)
    return out


def _refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` string inside *node*."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _reachable_components(
    components: dict[str, Any], root: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The ``#/components/<kind>/<name>`` objects reachable from *root*, stripped."""
    kept: dict[str, dict[str, Any]] = {}
    pending = list(_refs(root))
    while pending:
        ref = pending.pop()
        prefix, _, rest = ref.partition("#/components/")
        if prefix or not rest:
            raise UpdateError(f"unsupported $ref {ref!r}")
        kind, _, name = rest.partition("/")
        if name in kept.get(kind, {}):
            continue
        target = _strip(components[kind][name])
        kept.setdefault(kind, {})[name] = target
        pending.extend(_refs(target))
    return {kind: dict(sorted(objs.items())) for kind, objs in sorted(kept.items())}


def build(version: str, integrity: str, retrieved: datetime.date) -> tuple[dict[str, Any], str]:
    """Fetch, prune and stamp the description with ``x-localci-source``; also the LICENSE."""
    spec, license_text = fetch_package(version, integrity)
    pruned = prune(spec, OPERATIONS)
    pruned["x-localci-source"] = {
        "package": PACKAGE,
        "version": version,
        "file": SPEC_MEMBER.removeprefix("package/"),
        "integrity": integrity,
        "retrieved": retrieved.isoformat(),
        "script": "scripts/update_github_openapi.py",
        "operations": [f"{method.upper()} {path}" for method, path in OPERATIONS],
    }
    return pruned, license_text


def render_readme(source: dict[str, Any], size: int) -> str:
    """The README.md written next to the pruned file."""
    ops = "\n".join(f"- `{op}`" for op in source["operations"])
    return f"""# GitHub REST OpenAPI description (pruned)

`{_SPEC_NAME}` is a subset of GitHub's official OpenAPI description. The
GitHub REST double in `tests/github_double` validates every request and response with it.

- Package: `{source["package"]}` version **{source["version"]}**
  (<https://www.npmjs.com/package/{source["package"]}>, MIT, built from
  <https://github.com/github/rest-api-description>)
- File in the package: `{source["file"]}`
- Integrity: `{source["integrity"]}`
- Retrieved: {source["retrieved"]}
- Size: {size} bytes
- Licence: MIT, see `LICENSE` (copied from the package)

Generated by `{source["script"]}`; do not edit by hand. To update, change
`PINNED_VERSION` and `PINNED_INTEGRITY` in that script and run it. It keeps these
operations and every `#/components/...` object they reference, transitively, without
`example`/`examples`:

{ops}

Known defects of the description (OpenAPI 3.0 `nullable: true` on enums that do not list
`null`, e.g. a check run's `conclusion`) are patched when the double loads the file,
not here.
"""


def write(out_dir: Path, pruned: dict[str, Any], license_text: str) -> int:
    """Write the pruned JSON, LICENSE and README into *out_dir*; return the JSON size."""
    data = json.dumps(pruned, separators=(",", ":"), ensure_ascii=False) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "LICENSE").write_text(license_text, encoding="utf-8")
    (out_dir / _SPEC_NAME).write_text(data, encoding="utf-8")
    size = len(data.encode("utf-8"))
    readme = render_readme(pruned["x-localci-source"], size)
    (out_dir / "README.md").write_text(readme, encoding="utf-8")
    return size


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=_DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="only check the recorded version is the pinned one"
    )
    args = parser.parse_args(argv)
    if args.check:
        return _check(args.out)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    try:
        size = write(args.out, *build(PINNED_VERSION, PINNED_INTEGRITY, today))
    except UpdateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out / _SPEC_NAME} ({size} bytes) from {PACKAGE}@{PINNED_VERSION}")
    return 0


def _check(out_dir: Path) -> int:
    """Exit status 0 when the file in *out_dir* records the pinned version and integrity."""
    source = json.loads((out_dir / _SPEC_NAME).read_text(encoding="utf-8"))["x-localci-source"]
    if (source["version"], source["integrity"]) == (PINNED_VERSION, PINNED_INTEGRITY):
        return 0
    print(
        f"{_SPEC_NAME} holds {PACKAGE}@{source['version']}, the script pins "
        f"{PINNED_VERSION}: run scripts/update_github_openapi.py",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
