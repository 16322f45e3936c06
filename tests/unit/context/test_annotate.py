"""Annotations where the change is: the diff parser and the three filter modes, on a real
git diff between a base and a head commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from localci.config.model import PublishConfig
from localci.context.annotate import parse_diff
from localci.context.pr import changed_only
from localci.result.model import Finding
from tests.conftest import commit_all, git
from tests.factories import make_result, make_stage

DIFF = """\
diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -3 +3 @@ x
-old
+new
@@ -9,0 +10,2 @@
+one
+two
@@ -20,3 +21,0 @@
-gone
diff --git a/gone.py b/gone.py
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-x
"""


def test_the_unified_diff_gives_head_side_ranges() -> None:
    changed = parse_diff(DIFF)
    assert changed.files == {"a.py": ((3, 3), (10, 11))}
    assert changed.touches("a.py", 11, None, "changed-lines")
    assert not changed.touches("a.py", 12, None, "changed-lines")
    assert changed.touches("a.py", 1, 4, "changed-lines")  # a range overlapping line 3
    assert changed.touches("a.py", 99, None, "changed-files")
    assert not changed.touches("b.py", 1, None, "changed-files")
    assert changed.touches("b.py", 1, None, "all")


def _lint(path: str, line: int) -> Finding:
    return Finding(kind="lint", message="m", path=path, line=line, rule="F401")


def test_defaults_keep_lint_in_changed_files_and_every_failing_test(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"a.py": "".join(f"l{i}\n" for i in range(1, 21)), "c.py": "c\n"})
    base = git(repo, "rev-parse", "HEAD")
    (repo / "a.py").write_text(
        "".join(("changed\n" if i == 3 else f"l{i}\n") for i in range(1, 21)), encoding="utf-8"
    )
    (repo / "b.py").write_text("b\n", encoding="utf-8")
    head = commit_all(repo, "change")
    findings = (
        _lint("a.py", 3),
        _lint("a.py", 10),
        _lint("b.py", 1),
        _lint("c.py", 1),
        Finding(kind="test", message="boom", path="c.py", line=1, test_id="c.py::t"),
    )
    result = make_result(make_stage("lint", findings=findings, findings_total=9))

    def kept(publish: PublishConfig) -> list[tuple[str | None, int | None]]:
        out = changed_only(repo, base, head, result, publish)
        assert out.stages[0].findings_total == 9  # the summary still counts everything
        return [(f.path, f.line) for f in out.stages[0].findings]

    assert kept(PublishConfig()) == [("a.py", 3), ("a.py", 10), ("b.py", 1), ("c.py", 1)]
    lines = PublishConfig(annotations=(("lint", "changed-lines"), ("tests", "changed-files")))
    assert kept(lines) == [("a.py", 3), ("b.py", 1)]
    everything = PublishConfig(annotations=(("lint", "all"), ("tests", "all")))
    assert len(kept(everything)) == 5
    assert changed_only(repo, base, "f" * 40, result, PublishConfig()) == result
