"""Benchmark: posting a result with 1,000 lint findings as a Check Run, offline.

Usage: ``python benchmarks/bench_post.py [--rounds N] [--findings N] [--synthetic]``

Set-up: a generated Python file with one unused import per line is checked by a real
``ruff check --output-format=json`` and parsed by localci's ruff parser (``--synthetic``
builds the same findings through :mod:`localci.result.model` instead); the result is validated
against ``schemas/result.v1.schema.json`` by the store. Then, ``N`` times, the result is
bound to a fresh commit on the in-process GitHub double (``tests/github_double``) and
posted through :func:`localci.publish.deliver.publish` with an Actions token (git notes off).
It prints the requests each post took (target for 1,000 annotations: 21 = 1 list +
1 create + 19 PATCH of 50) and the median wall time. This is a measurement, never a
test assertion.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localci.attest.signed import SignedResult  # noqa: E402
from localci.config.loader import PublishConfig  # noqa: E402
from localci.publish.deliver import Credentials, PublishOptions, publish  # noqa: E402
from localci.result.codec import result_to_dict  # noqa: E402
from localci.result.model import Finding, Result, RunnerInfo, StageResult  # noqa: E402
from localci.result.store import Store, utc_now  # noqa: E402
from tests.factories import lint_finding, linted, make_result  # noqa: E402
from tests.github_double import GitHubDouble, TokenKind  # noqa: E402

REPO = "octo/bench"
TARGET_REQUESTS = 21


def ruff_findings(workdir: Path, count: int) -> tuple[Finding, ...]:
    """``count`` F401 findings from a real ruff run on a generated file."""
    from localci.reports import parse_report

    (workdir / "bad.py").write_text("".join(f"import mod{i} as m{i}\n" for i in range(count)))
    report = workdir / "ruff.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select=F401",
            "--output-format=json",
            f"--output-file={report}",
            "bad.py",
        ],
        cwd=workdir,
        check=False,
        capture_output=True,
    )
    return parse_report("ruff-json", report, root=workdir).findings


def synthetic_findings(count: int) -> tuple[Finding, ...]:
    return tuple(
        lint_finding(
            message=f"`mod{i}` imported but unused",
            path="bad.py",
            line=i + 1,
            column=8,
            end_line=i + 1,
        )
        for i in range(count)
    )


def build_result(findings: tuple[Finding, ...]) -> Result:
    now = utc_now()
    lint = StageResult(
        name="lint",
        kind="lint",
        status="failed",
        command=("ruff", "check"),
        duration=0.1,
        exit_code=1,
        reason=f"{len(findings)} lint findings",
        started_at=now,
        finished_at=now,
        metrics=linted(len(findings), errors=len(findings)),
        findings=findings,
        findings_total=len(findings),
        log_tail="bad.py:1:8: F401",
        report_format="ruff-json",
    )
    return make_result(
        lint,
        run_id="bench",
        localci_version="bench",
        started_at=now,
        finished_at=now,
        duration=0.1,
        conclusion="failure",
        runner=RunnerInfo(os=sys.platform, python=sys.version.split()[0], localci_version="bench"),
        config_path="<bench>",
    )


def post_once(
    double: GitHubDouble, root: Path, result: Result, token: str, n: int
) -> tuple[float, int]:
    sha = hashlib.sha1(f"bench-{n}".encode()).hexdigest()  # noqa: S324 - an id
    double.add_commits(REPO, sha)
    bound = dataclasses.replace(result, git=dataclasses.replace(result.git, commit=sha))
    options = PublishOptions(
        publish=PublishConfig(),
        notes=False,
        repo=REPO,
        api_url=double.api_url,
        credentials=Credentials(token=token),
        sleep=lambda s: None,
    )
    before = len(double.requests)
    start = time.perf_counter()
    report = publish(root, SignedResult(document=result_to_dict(bound)), options)
    elapsed = time.perf_counter() - start
    if report.exit_code:
        raise SystemExit(f"post failed: {report}")
    return elapsed, len(double.requests) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument(
        "--synthetic", action="store_true", help="build the findings without running ruff"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="localci-bench-") as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        findings = (
            synthetic_findings(args.findings)
            if args.synthetic
            else ruff_findings(root, args.findings)
        )
        result = build_result(findings)
        Store(root).write_result(result)  # schema-checks the result
        with GitHubDouble() as double:
            double.add_repo(REPO)
            token = double.add_token(TokenKind.ACTIONS, repo=REPO)
            post_once(double, root, result, token, -1)  # warm up imports and the server
            runs = [post_once(double, root, result, token, n) for n in range(args.rounds)]
            problems = double.problems()
    times = [t for t, _ in runs]
    requests = sorted({r for _, r in runs})
    source = "synthetic" if args.synthetic else "ruff"
    print(f"findings: {len(findings)} ({source}); rounds: {args.rounds}")
    print(f"requests per post: {', '.join(map(str, requests))}  (target {TARGET_REQUESTS})")
    print(
        f"wall time: median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f} s, max {max(times):.3f} s)"
    )
    if problems:
        print("GitHub double reported problems:\n" + "\n".join(problems))


if __name__ == "__main__":
    main()
