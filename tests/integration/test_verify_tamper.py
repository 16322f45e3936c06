"""The tamper matrix: every way a signed result can be wrong must fail `localci verify`.

Each case runs the real CLI in-process (``--json``) and asserts the exit code (4 for an
integrity failure: schema, signature, signer, subject, commit, clean; 1 for a policy
failure: complete, age, stages, thresholds), the failing named check and a phrase of its
reason, and the state of the other checks where that says something.

Signed results come from ``localci run --sign`` against the in-process Sigstore double.
One module-scoped run uses real stages (pytest under coverage with a JUnit report,
coverage JSON, ruff) and is only ever read or copied; cases that need their own commit,
signer or timestamp use a per-test repository whose stages are synthetic but still write
a real JUnit report.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import json
import shlex
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import localci
from localci.cli.main import main
from localci.config.loader import load_config
from localci.verifier.check import Verdict
from localci.verifier.sources import config_at
from tests.conftest import commit_all, git
from tests.factories import VERIFIER_CHECKS
from tests.sigstore_double import GITHUB_ISSUER, SigstoreDouble

from .conftest import CliResult

Cli = Callable[..., CliResult]

DEV = "dev@example.com"
ALL_CHECKS = VERIFIER_CHECKS

# -- the real run: pytest + coverage + ruff over a tiny project ------------------------

REAL_FILES = {
    "calc.py": (
        "def add(a, b):\n    return a + b\n\n\n"
        "def sign(x):\n    if x < 0:\n        return -1\n    return 1\n"
    ),
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}
REAL_STAGES: list[dict[str, Any]] = [
    {
        "name": "tests",
        "kind": "tests",
        "run": shlex.split(
            "{python} -m coverage run --data-file={reports}/.coverage -m pytest -q "
            "-p no:cacheprovider --junitxml={reports}/junit.xml"
        ),
        "report": {"format": "junit", "path": "{reports}/junit.xml"},
        "max_failures": 0,
    },
    {
        "name": "coverage",
        "kind": "coverage",
        "after": ["tests"],
        "run": shlex.split(
            "{python} -m coverage json --data-file={reports}/.coverage -o {reports}/coverage.json"
        ),
        "report": {"format": "coverage-json", "path": "{reports}/coverage.json"},
        "min_percent": 50,
    },
    {
        "name": "lint",
        "kind": "lint",
        "run": shlex.split(
            "{python} -m ruff check --no-cache --output-format=json "
            "--output-file={reports}/ruff.json ."
        ),
        "report": {"format": "ruff-json", "path": "{reports}/ruff.json"},
        "max_findings": 0,
    },
]
STRICT_STAGES = [dict(s, min_percent=99) if s["name"] == "coverage" else s for s in REAL_STAGES]
"""The real stages under a policy that wants 99% coverage."""
REAL_COVERAGE = 100 * 6 / 9  # calc.py 3 of 6 statements, test_calc.py 3 of 3

# -- the synthetic stages: a JUnit report written by the shell, and a command ----------

JUNIT = (
    '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" '
    'failures="0" skipped="0" tests="1"><testcase classname="test_app" name="test_ok" '
    'time="0.001"/></testsuite></testsuites>'
)
FAST_STAGES: list[dict[str, Any]] = [
    {
        "name": "tests",
        "kind": "tests",
        "shell": True,
        "run": f"printf '%s' '{JUNIT}' > {{reports}}/junit.xml",
        "report": {"format": "junit", "path": "{reports}/junit.xml"},
    },
    {"name": "build", "run": ["true"]},
]


def config_text(stages: list[dict[str, Any]], **verify: Any) -> str:
    """A configuration (JSON is YAML) with ``stages`` and a ``verify:`` section."""
    return json.dumps({"version": 1, "stages": stages, "verify": verify}, indent=2)


def write_policy(path: Path, stages: list[dict[str, Any]], **verify: Any) -> Path:
    """Write a policy file (a configuration whose ``verify:`` section applies)."""
    path.write_text(config_text(stages, **verify), encoding="utf-8")
    return path


def dev_signer(double: SigstoreDouble) -> dict[str, str]:
    """The allowlist entry for the developer's email through the double's issuer."""
    return {"identity": DEV, "issuer": double.issuer_url}


@dataclass(frozen=True)
class Signed:
    """A repository and the signed result ``localci run --sign`` left in it."""

    repo: Path
    sha: str
    tree: str
    variant: str | None = None
    """``partial`` / ``in-place``: such results are stored beside the full one."""

    @property
    def result(self) -> Path:
        stem = f"{self.sha}.{self.variant}" if self.variant else self.sha
        return self.repo / ".localci" / "results" / f"{stem}.json"

    @property
    def bundle(self) -> Path:
        return self.result.with_name(self.result.name.removesuffix(".json") + ".sigstore.json")

    @property
    def test_result_bundle(self) -> Path:
        return self.repo / ".localci" / "results" / f"{self.sha}.test-result.sigstore.json"

    @property
    def files(self) -> tuple[str, ...]:
        """``--result RESULT --bundle BUNDLE`` for `localci verify`."""
        return ("--result", str(self.result), "--bundle", str(self.bundle))

    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.result.read_text(encoding="utf-8"))
        return loaded

    def copy_to(self, folder: Path) -> tuple[Path, Path]:
        """Copies of the result and (when present) its bundle, to tamper with."""
        folder.mkdir(parents=True, exist_ok=True)
        result = Path(shutil.copy(self.result, folder / self.result.name))
        bundle = folder / self.bundle.name
        if self.bundle.exists():
            shutil.copy(self.bundle, bundle)
        if self.test_result_bundle.exists():
            shutil.copy(self.test_result_bundle, folder / self.test_result_bundle.name)
        return result, bundle


@dataclass(frozen=True)
class Outcome:
    """What `localci verify --json` said: exit code, the verdict and its checks by name."""

    code: int
    verdict: dict[str, Any]
    checks: dict[str, dict[str, Any]]
    err: str

    def failed(self) -> list[str]:
        return [name for name, check in self.checks.items() if not check["passed"]]

    def assert_fails(self, code: int, name: str, phrase: str) -> None:
        """Rejected with exit ``code``; ``name`` failed and ``phrase`` is in its reason."""
        assert self.code == code, (self.verdict, self.err)
        assert self.verdict["accepted"] is False
        assert self.checks[name]["passed"] is False, self.checks
        assert phrase in self.checks[name]["reason"], self.checks[name]["reason"]


def verify(cli: Cli, cwd: Path, policy: Path, *args: str, trust: Path | None) -> Outcome:
    """``localci verify --json --policy POLICY [--trust-config TRUST] ARGS`` in ``cwd``."""
    trust_args = ["--trust-config", str(trust)] if trust is not None else []
    out = cli("verify", "--json", "--policy", str(policy), *trust_args, *args, cwd=cwd)
    assert out.out, out.err
    verdict = out.json()
    checks = {c["name"]: c for c in verdict["checks"]}
    assert len(checks) == len(verdict["checks"]), "a check reported twice"
    assert verdict["exit_code"] == out.code
    return Outcome(code=out.code, verdict=verdict, checks=checks, err=out.err)


def _in_process(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``localci ARGS`` in-process for a module-scoped fixture (no capsys there)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        pytest.MonkeyPatch.context() as mp,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        mp.chdir(cwd)
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
    return code, out.getvalue(), err.getvalue()


def _init_repo(repo: Path, files: dict[str, str]) -> str:
    repo.mkdir(parents=True)
    for rel, text in files.items():
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "init", "-q")
    return commit_all(repo, "initial")


@pytest.fixture(scope="module")
def real(sigstore_double: SigstoreDouble, tmp_path_factory: pytest.TempPathFactory) -> Signed:
    """One signed result of real stages, shared by the module: read or copy, never edit."""
    repo = tmp_path_factory.mktemp("tamper-real") / "project"
    config = config_text(REAL_STAGES, signers=[dev_signer(sigstore_double)], max_age="1d")
    sha = _init_repo(repo, {**REAL_FILES, ".localci.yml": config})
    token = sigstore_double.mint_token(DEV)
    trust = str(sigstore_double.trust_config_path)
    code, _, err = _in_process(
        ["run", "--sign", "--trust-config", trust, "--identity-token", token], repo
    )
    assert code == 0, err
    return Signed(repo=repo, sha=sha, tree=git(repo, "rev-parse", "HEAD^{tree}"))


@dataclass(frozen=True)
class Lab:
    """One case's tools: the in-process CLI, the Sigstore double, a fresh copy of its
    trust config, and a per-test folder for repositories and policies."""

    cli: Cli
    double: SigstoreDouble
    trust: Path
    tmp: Path
    make_repo: Callable[..., Path]

    def signers(self) -> list[dict[str, str]]:
        """The allowlist that names the developer (see :func:`dev_signer`)."""
        return [dev_signer(self.double)]

    def policy(self, stages: list[dict[str, Any]] | None = None, **verify: Any) -> Path:
        """A new policy over ``stages`` (default: the synthetic ones); ``verify:``
        holds ``verify`` and, unless given, the developer as the only signer."""
        verify.setdefault("signers", self.signers())
        path = self.tmp / f"policy{len(list(self.tmp.glob('policy*.yml')))}.yml"
        return write_policy(path, stages or FAST_STAGES, **verify)

    def real_policy(self) -> Path:
        """A policy equal to the real run's own configuration."""
        return self.policy(REAL_STAGES, max_age="1d")

    def repo(self, stages: list[dict[str, Any]] | None = None) -> Path:
        """A new repository with ``stages`` (default: the synthetic ones), signers the
        developer."""
        config = config_text(stages or FAST_STAGES, signers=self.signers())
        return self.make_repo({".localci.yml": config, "app.py": "VALUE = 1\n"})

    def sign_run(
        self,
        *run_args: str,
        identity: str = DEV,
        issuer: str | None = None,
        stages: list[dict[str, Any]] | None = None,
        repo: Path | None = None,
        sign: bool = True,
    ) -> Signed:
        """A new repository with ``stages`` (default: the synthetic ones) unless ``repo``
        is given, then ``localci run RUN_ARGS --sign`` with a token for ``identity``
        (from ``issuer``)."""
        repo = repo or self.repo(stages)
        args = ["run", *run_args]
        if sign:
            token = self.double.mint_token(identity, issuer=issuer)
            args += ["--sign", "--trust-config", str(self.trust), "--identity-token", token]
        out = self.cli(*args, cwd=repo)
        assert out.code == 0, out.err
        sha = git(repo, "rev-parse", "HEAD")
        return Signed(repo=repo, sha=sha, tree=git(repo, "rev-parse", "HEAD^{tree}"))

    def verify(self, cwd: Path, policy: Path, *args: str, trusted: bool = True) -> Outcome:
        """:func:`verify` under the double's trust config (``trusted=False``: none)."""
        return verify(self.cli, cwd, policy, *args, trust=self.trust if trusted else None)


@pytest.fixture
def lab(
    cli: Cli,
    sigstore_double: SigstoreDouble,
    sigstore_trust_config: Path,
    tmp_path: Path,
    make_repo: Callable[..., Path],
) -> Lab:
    return Lab(cli, sigstore_double, sigstore_trust_config, tmp_path, make_repo)


# -- 1. the valid case ---------------------------------------------------------------


def test_valid_result_is_accepted(real: Signed, lab: Lab) -> None:
    """A real, signed, untouched result for HEAD passes every check (exit 0)."""
    out = lab.verify(real.repo, lab.real_policy())
    assert out.code == 0, out.verdict
    assert out.verdict["accepted"] is True
    assert list(out.checks) == ALL_CHECKS
    assert out.failed() == []
    assert out.verdict["sha"] == real.sha
    assert (out.verdict["signer"], out.verdict["issuer"]) == (DEV, lab.double.issuer_url)
    doc = real.document()
    assert {s["name"]: s["status"] for s in doc["stages"]} == {
        "tests": "passed",
        "coverage": "passed",
        "lint": "passed",
    }
    assert doc["stages"][1]["metrics"]["coverage"]["percent"] == pytest.approx(REAL_COVERAGE)


# -- 2. an edited payload -------------------------------------------------------------


def test_edited_result_fails_subject(real: Signed, lab: Lab) -> None:
    """Raising the coverage figure after signing breaks the subject binding (exit 4),
    even though the edited number would satisfy a stricter policy."""
    result, bundle = real.copy_to(lab.tmp / "copy")
    doc = json.loads(result.read_text(encoding="utf-8"))
    coverage = next(s for s in doc["stages"] if s["name"] == "coverage")
    coverage["metrics"]["coverage"]["percent"] = 99.5
    result.write_text(json.dumps(doc), encoding="utf-8")
    policy = lab.policy(STRICT_STAGES)
    out = lab.verify(real.repo, policy, "--result", str(result), "--bundle", str(bundle))
    out.assert_fails(4, "subject", "differs from the signed one")
    assert out.failed() == ["subject"]  # the edited number itself would pass
    assert out.checks["signature"]["passed"]
    assert out.checks["signer"]["passed"]


# -- 3. an edited bundle ------------------------------------------------------------


def _flip(b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _edit_signature(envelope: dict[str, Any]) -> None:
    envelope["signatures"][0]["sig"] = _flip(envelope["signatures"][0]["sig"], 10)


def _edit_payload(envelope: dict[str, Any]) -> None:
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["git"]["dirty"] = True
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()


def _flip_payload_byte(envelope: dict[str, Any]) -> None:
    payload = base64.b64decode(envelope["payload"])
    edited = payload.replace(b'"dirty":false', b'"dirty":true ', 1)
    assert edited != payload
    assert len(edited) == len(payload)
    envelope["payload"] = base64.b64encode(edited).decode()


@pytest.mark.parametrize(
    "edit",
    [_edit_signature, _edit_payload, _flip_payload_byte],
    ids=["signature-byte", "payload-statement", "payload-bytes"],
)
def test_edited_bundle_fails_signature(
    real: Signed, lab: Lab, edit: Callable[[dict[str, Any]], None]
) -> None:
    """Any change inside the DSSE envelope breaks the signature (exit 4); the signer and
    subject checks are not even reached."""
    result, bundle = real.copy_to(lab.tmp / "copy")
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    edit(doc["dsseEnvelope"])
    bundle.write_text(json.dumps(doc), encoding="utf-8")
    files = ("--result", str(result), "--bundle", str(bundle))
    out = lab.verify(real.repo, lab.real_policy(), *files)
    out.assert_fails(4, "signature", "the signature does not verify: DSSE: invalid signature")
    assert "signer" not in out.checks
    assert "subject" not in out.checks
    assert out.verdict["signer"] is None
    assert out.failed() == ["signature"]


# -- 4./5. a result for other code ----------------------------------------------------


def test_result_for_another_commit_fails_commit(lab: Lab) -> None:
    """Commit A's signed result does not vouch for commit B (exit 4, `commit`)."""
    first = lab.sign_run()
    (first.repo / "app.py").write_text("VALUE = 2\n", encoding="utf-8")
    head = commit_all(first.repo, "second")
    out = lab.verify(first.repo, lab.policy(), *first.files)
    out.assert_fails(4, "commit", f"the result is for commit {first.sha}, not {head}")
    assert out.failed() == ["commit"]


@pytest.mark.parametrize("accept_same_tree", [False, True])
def test_same_tree_other_commit(lab: Lab, accept_same_tree: bool) -> None:
    """A reworded commit has the signed tree: accepted only with accept_same_tree; a
    content change after that is refused either way."""
    first = lab.sign_run()
    git(first.repo, "commit", "-q", "--amend", "-m", "reworded")
    amended = git(first.repo, "rev-parse", "HEAD")
    assert amended != first.sha
    assert git(first.repo, "rev-parse", "HEAD^{tree}") == first.tree
    policy = lab.policy(accept_same_tree=accept_same_tree)
    out = lab.verify(first.repo, policy, *first.files)
    if accept_same_tree:
        assert out.code == 0, out.verdict
        assert "(accept_same_tree)" in out.checks["commit"]["reason"]
        assert first.tree in out.checks["commit"]["reason"]
    else:
        out.assert_fails(
            4, "commit", "the trees are equal but the policy does not set accept_same_tree"
        )
        assert out.failed() == ["commit"]
    (first.repo / "app.py").write_text("VALUE = 3\n", encoding="utf-8")
    changed = commit_all(first.repo, "content change")
    out = lab.verify(first.repo, policy, *first.files)
    out.assert_fails(4, "commit", f"the result is for commit {first.sha}, not {changed}")
    assert "trees are equal" not in out.checks["commit"]["reason"]


# -- 6./7. the signer ---------------------------------------------------------------


def test_signer_not_on_allowlist(lab: Lab) -> None:
    """A valid signature by someone the policy does not name is refused (exit 4)."""
    signed = lab.sign_run(identity="other@example.com")
    out = lab.verify(signed.repo, lab.policy())
    out.assert_fails(4, "signer", "who is not on the allowlist")
    assert f"other@example.com (issuer {lab.double.issuer_url})" in out.checks["signer"]["reason"]
    assert out.verdict["signer"] == "other@example.com"
    assert out.failed() == ["signer"]
    assert out.checks["signature"]["passed"]
    assert out.checks["subject"]["passed"]


def test_allowed_identity_through_another_issuer(lab: Lab) -> None:
    """The allowlisted email, but vouched for by another OIDC issuer: refused, and the
    reason names both issuers."""
    other_issuer = "https://accounts.google.com"
    signed = lab.sign_run(identity=DEV, issuer=other_issuer)
    out = lab.verify(signed.repo, lab.policy())
    out.assert_fails(4, "signer", f"but through issuer {other_issuer}")
    assert f"only from {lab.double.issuer_url}" in out.checks["signer"]["reason"]
    assert (out.verdict["signer"], out.verdict["issuer"]) == (DEV, other_issuer)
    assert out.failed() == ["signer"]


# -- 8. a dirty result ---------------------------------------------------------------


def test_dirty_result_fails_clean(lab: Lab) -> None:
    """`run --in-place --sign` on uncommitted edits: signed, bound to HEAD, but dirty."""
    repo = lab.repo()
    (repo / "app.py").write_text("VALUE = 'uncommitted'\n", encoding="utf-8")
    signed = dataclasses.replace(lab.sign_run("--in-place", repo=repo), variant="in-place")
    assert signed.document()["git"]["dirty"] is True
    out = lab.verify(repo, lab.policy(), *signed.files)
    out.assert_fails(4, "clean", "uncommitted changes (dirty: true)")
    assert out.failed() == ["clean"]
    assert out.checks["commit"]["passed"]


def test_uncommitted_config_file_fails_config(lab: Lab) -> None:
    """`run --config other.yml` on a clean tree: ``dirty: false`` and a valid signature,
    but the stages ran under a configuration the commit does not hold (exit 4)."""
    repo = lab.repo()
    config = (repo / ".localci.yml").read_text(encoding="utf-8")
    weaker = repo.parent / "weaker.yml"
    weaker.write_text(config.replace('"version": 1', '"version": 1, "cache": {"enabled": false}'))
    signed = lab.sign_run("--config", str(weaker), repo=repo)
    doc = signed.document()
    assert doc["git"]["dirty"] is False
    assert doc["config"]["committed"] is False
    out = lab.verify(repo, lab.policy())
    out.assert_fails(4, "config", "not the configuration committed in the commit")
    assert out.failed() == ["config"]


def test_in_place_result_on_a_clean_tree_fails_clean(lab: Lab) -> None:
    """Issue 11.3: git-ignored files can change an --in-place run; it never verifies."""
    signed = dataclasses.replace(lab.sign_run("--in-place"), variant="in-place")
    assert signed.document()["git"]["dirty"] is False
    out = lab.verify(signed.repo, lab.policy(), *signed.files)
    out.assert_fails(4, "clean", "--in-place")
    assert out.failed() == ["clean"]


# -- 9. age ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shift", "phrase"),
    [
        (timedelta(hours=-2), "old; the policy allows at most 1.0h"),
        (timedelta(minutes=10), "in the future by"),
        (timedelta(minutes=2), None),
    ],
    ids=["2h-old", "10m-ahead", "2m-ahead-within-skew"],
)
def test_age_of_a_signed_result(lab: Lab, shift: timedelta, phrase: str | None) -> None:
    """A result whose (signed) finish time is over max_age ago, or beyond the 5-minute
    clock skew in the future, fails `age` (exit 1); 2 minutes ahead is tolerated."""
    signed = lab.sign_run(sign=False)
    doc = signed.document()
    finished = datetime.now(timezone.utc) + shift
    doc["finished_at"] = finished.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    doc["started_at"] = (finished - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    signed.result.write_text(json.dumps(doc), encoding="utf-8")
    token = lab.double.mint_token(DEV)
    trust = str(lab.trust)
    out = lab.cli(
        "sign",
        str(signed.result),
        "--trust-config",
        trust,
        "--identity-token",
        token,
        cwd=signed.repo,
    )
    assert out.code == 0, out.err
    checked = lab.verify(signed.repo, lab.policy(max_age="1h"))
    if phrase is None:
        assert checked.code == 0, checked.verdict
        assert "(max_age 1.0h)" in checked.checks["age"]["reason"]
        return
    checked.assert_fails(1, "age", phrase)
    assert checked.failed() == ["age"]  # the edited time is the signed one
    if shift > timedelta(0):
        assert "clock skew allowed: 5.0m" in checked.checks["age"]["reason"]


# -- 10. the wrong trust root ---------------------------------------------------------


def test_double_signature_under_public_good_root(
    real: Signed, lab: Lab, sigstore_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --trust-config the verifier uses sigstore's bundled public-good root,
    offline: the double's certificate does not chain to it (exit 4), and no socket opens."""

    def no_network(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"verify touched the network: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    out = lab.verify(real.repo, lab.real_policy(), trusted=False)
    out.assert_fails(4, "signature", "certificate chain")
    assert out.failed() == ["signature"]


# -- 11. unsigned results ------------------------------------------------------------


@pytest.mark.parametrize("require_signature", [True, False])
def test_unsigned_result(real: Signed, lab: Lab, require_signature: bool) -> None:
    """No bundle: refused (exit 4) unless the policy says require_signature: false."""
    result, bundle = real.copy_to(lab.tmp / "copy")
    bundle.unlink()
    policy = write_policy(lab.tmp / "policy.yml", REAL_STAGES, require_signature=require_signature)
    out = lab.verify(real.repo, policy, "--result", str(result))
    if require_signature:
        out.assert_fails(4, "signature", "the result is unsigned and the policy requires")
        assert out.failed() == ["signature"]
    else:
        assert out.code == 0, out.verdict
        assert "require_signature: false" in out.checks["signature"]["reason"]
        assert out.verdict["signer"] is None
    assert "signer" not in out.checks
    assert "subject" not in out.checks


# -- 12./13./14. the policy -----------------------------------------------------------


def test_stricter_base_thresholds_win(real: Signed, lab: Lab) -> None:
    """Made with min_percent 50 (and marked passed), checked under 99: `thresholds`
    fails (exit 1) from the raw percentage."""
    doc = real.document()
    coverage = next(s for s in doc["stages"] if s["name"] == "coverage")
    assert doc["conclusion"] == "success"
    assert coverage["status"] == "passed"
    assert coverage["thresholds"][0] == pytest.approx(
        {"name": "min_percent", "limit": 50, "actual": REAL_COVERAGE, "passed": True}
    )
    out = lab.verify(real.repo, lab.policy(STRICT_STAGES))
    out.assert_fails(
        1, "thresholds", f"coverage: coverage {REAL_COVERAGE:.2f}% is below min_percent 99"
    )
    assert out.failed() == ["thresholds"]


def test_required_stage_missing(real: Signed, lab: Lab) -> None:
    """The base policy requires a `docs` stage the result never ran (exit 1)."""
    stages = [*REAL_STAGES, {"name": "docs", "run": ["true"]}]
    out = lab.verify(real.repo, lab.policy(stages))
    out.assert_fails(1, "stages", "required stage 'docs' is missing")
    assert out.failed() == ["stages"]


def test_required_stage_skipped(lab: Lab) -> None:
    """A required stage that skip_if_missing skipped does not count as run (exit 1)."""
    stages = [*FAST_STAGES, {"name": "docs", "run": ["no-such-docs-tool"], "skip_if_missing": True}]
    signed = lab.sign_run(stages=stages)
    docs = next(s for s in signed.document()["stages"] if s["name"] == "docs")
    assert docs["status"] == "skipped"
    out = lab.verify(signed.repo, lab.policy(stages))
    out.assert_fails(
        1, "stages", "required stage 'docs' was skipped (no-such-docs-tool is not installed"
    )
    assert out.failed() == ["stages"]


def test_partial_run_fails_complete(lab: Lab) -> None:
    """`run --stage tests` records partial: true; it never satisfies the gate (exit 1)."""
    signed = dataclasses.replace(lab.sign_run("--stage", "tests"), variant="partial")
    assert signed.document()["partial"] is True
    out = lab.verify(signed.repo, lab.policy(), *signed.files)
    out.assert_fails(1, "complete", "a partial run")
    assert out.checks["stages"]["reason"] == "required stage 'build' is missing"
    assert out.failed() == ["complete", "stages"]


# -- 15. GitHub Actions workflow identities --------------------------------------------

WORKFLOW = "https://github.com/acme/app/.github/workflows/localci.yml"


@pytest.mark.parametrize(
    ("ref", "accepted"), [("refs/heads/main", True), ("refs/heads/feature", False)]
)
def test_workflow_identity_regex(lab: Lab, ref: str, accepted: bool) -> None:
    """An identity_regex for the main-branch workflow accepts it, and refuses the same
    workflow run on another ref."""
    signed = lab.sign_run(identity=f"{WORKFLOW}@{ref}")
    regex = r"https://github\.com/acme/app/\.github/workflows/localci\.yml@refs/heads/main"
    policy = lab.policy(signers=[{"identity_regex": regex, "issuer": GITHUB_ISSUER}])
    out = lab.verify(signed.repo, policy)
    assert (out.verdict["signer"], out.verdict["issuer"]) == (f"{WORKFLOW}@{ref}", GITHUB_ISSUER)
    if accepted:
        assert out.code == 0, out.verdict
        assert out.checks["signer"]["reason"].endswith("is on the allowlist")
    else:
        out.assert_fails(
            4,
            "signer",
            f"{WORKFLOW}@refs/heads/feature (issuer {GITHUB_ISSUER}), who is not on the allowlist",
        )
        assert out.failed() == ["signer"]


# -- the Python API and bad input -----------------------------------------------------


def test_python_api(real: Signed, lab: Lab) -> None:
    """`localci.verify(...)` returns a Verdict: accepted for HEAD, integrity failure for
    another sha."""
    real_policy = lab.real_policy()
    kwargs: dict[str, Any] = {
        "result_doc": real.document(),
        "bundle_json": real.bundle.read_text(encoding="utf-8"),
        "test_result_bundle_json": real.test_result_bundle.read_text(encoding="utf-8"),
        "policy": load_config(real_policy.parent, real_policy),
        "tree": real.tree,
        "trust_config": lab.trust,
        "commit_config_sha256": config_at(real.repo, real.sha).sha256,
    }
    good = localci.verify(sha=real.sha, **kwargs)
    assert isinstance(good, Verdict)
    assert good.accepted
    assert good.exit_code == 0
    assert good.result is not None
    assert good.result.git.commit == real.sha
    other = "f" * 40
    bad = localci.verify(sha=other, **kwargs)
    assert isinstance(bad, Verdict)
    assert not bad.accepted
    assert bad.exit_code == 4
    assert [c.name for c in bad.failed] == ["commit"]
    assert bad.to_dict()["sha"] == other
    blind = localci.verify(sha=real.sha, **{**kwargs, "commit_config_sha256": None})
    assert [c.name for c in blind.failed] == ["config"]


@pytest.mark.parametrize(
    ("option", "text", "phrase"),
    [
        ("--result", "this is not JSON {", "not a JSON result"),
        ("--bundle", "<bundle/>", "not a JSON Sigstore bundle"),
        ("--trust-config", '{"mediaType": "nonsense"}', "not a usable Sigstore client trust"),
    ],
    ids=["result", "bundle", "trust-config"],
)
def test_unreadable_input_is_a_usage_error(
    real: Signed, lab: Lab, option: str, text: str, phrase: str
) -> None:
    """A result, bundle or trust config that is not what it claims: exit 2 and one
    paragraph naming the file, no traceback, no verdict (it is not a verification
    failure, so not exit 4)."""
    junk = lab.tmp / "junk.json"
    junk.write_text(text, encoding="utf-8")
    policy = str(lab.real_policy())
    out = lab.cli("verify", "--json", "--policy", policy, option, str(junk), cwd=real.repo)
    assert out.code == 2, out.out + out.err
    assert out.out == ""
    message = out.err.strip()
    assert message.startswith("localci: error: ")
    assert str(junk) in message
    assert phrase in message
    assert "Traceback" not in message
    assert "\n\n" not in message
