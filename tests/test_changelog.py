"""CHANGELOG.md keeps the form of Keep a Changelog 1.1.0
(https://keepachangelog.com/en/1.1.0/): every release, "Unreleased" included, has at most
one section per kind of change, in the order that page lists them."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT

KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
CHANGELOG = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
RELEASES = re.split(r"(?m)^(?=## )", CHANGELOG)[1:]


def test_there_is_an_unreleased_section_first() -> None:
    assert RELEASES[0].startswith("## [Unreleased]\n")


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: r.split("\n", 1)[0][3:])
def test_each_kind_once_and_in_order(release: str) -> None:
    kinds = re.findall(r"(?m)^### (.+)$", release)
    assert set(kinds) <= set(KINDS), f"unknown kinds: {set(kinds) - set(KINDS)}"
    assert kinds == sorted(set(kinds), key=KINDS.index), kinds


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: r.split("\n", 1)[0][3:])
def test_each_section_is_one_list(release: str) -> None:
    """A blank line inside a section's list is what two merged sections leave behind."""
    for section in re.split(r"(?m)^### ", release)[1:]:
        body = section.split("\n", 1)[1].strip("\n")
        assert "\n\n" not in body, f"### {section.split(chr(10), 1)[0]} has a gap"
