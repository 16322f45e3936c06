"""A result checked in parts (each stage's document as the next stage runs, the rest at
the end) gets exactly the verdict of the whole schema: these tests hold the schema to the
shape that makes that so, and compare the two on valid and broken documents."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localci.redact import Redactor
from localci.result.codec import result_to_dict, stage_to_dict
from localci.run.scrubbing import Scrubber
from localci.schemas import RESULT_SCHEMA, load_schema, result_errors, schema_errors, stage_errors
from tests.factories import covered, failed_test, make_result, make_stage, ran_tests

Doc = dict[str, Any]


def _refs(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    """Every ``$ref`` in ``node``: (where it is, what it names)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield where, value
            else:
                yield from _refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, f"{where}/{i}")


def test_the_stage_definition_is_referenced_only_by_the_items_of_stages() -> None:
    schema = load_schema(RESULT_SCHEMA)
    to_stage = [where for where, ref in _refs(schema) if ref == "#/$defs/stage"]
    assert to_stage == ["#/properties/stages/items"]
    assert schema["properties"]["stages"] == {"type": "array", "items": {"$ref": "#/$defs/stage"}}


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def test_references_can_be_written_out_in_place() -> None:
    """The stage check writes each ``$ref`` out in place (``schemas._inlined``): the same
    verdict only while no subschema sets its own base or anchor."""
    schema = load_schema(RESULT_SCHEMA)
    used = set(_keys(schema["$defs"]))
    assert not used & {"$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef"}
    assert all(ref.startswith("#/$defs/") for _, ref in _refs(schema))


def _doc() -> Doc:
    findings = tuple(failed_test(f"tests/test_a.py::test_{i}") for i in range(40))
    doc: Doc = result_to_dict(
        make_result(
            make_stage("tests", "tests", metrics=ran_tests(50, 10, failed=40), findings=findings),
            make_stage("coverage", "coverage", metrics=covered(81.5)),
            make_stage("lint", "lint"),
        )
    )
    return doc


Edit = Callable[[Doc], None]


def _both(doc: Doc) -> None:
    doc.update(duration=-1)
    doc["stages"][1].update(kind="magic")


EDITS: dict[str, Edit] = {
    "valid": lambda d: None,
    "top-level conclusion": lambda d: d.update(conclusion="great"),
    "git commit": lambda d: d["git"].update(commit="abc"),
    "stages not a list": lambda d: d.update(stages={"tests": {}}),
    "a stage not an object": lambda d: d["stages"].append("lint"),
    "stage 0 status": lambda d: d["stages"][0].update(status="fine"),
    "stage 0 finding line 0": lambda d: d["stages"][0]["findings"][7].update(line=0),
    "stage 0 finding severity via a $ref": lambda d: d["stages"][0]["findings"][3].update(
        severity="fatal"
    ),
    "stage 1 started_at via a $ref": lambda d: d["stages"][1].update(started_at="yesterday"),
    "stage 1 coverage over 100": lambda d: d["stages"][1]["metrics"]["coverage"].update(
        percent=120
    ),
    "stage 0 subtests via a $ref": lambda d: d["stages"][0]["metrics"]["tests"].update(
        subtests_passed=-1
    ),
    "stage 2 unknown key": lambda d: d["stages"][2].update(extra=1),
    "stage 2 inventory outcome": lambda d: d["stages"][2].update(
        inventory={"tests": {"t::a": "passed", "t::b": "exploded"}}
    ),
    "two places": _both,
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_stage_by_stage_gives_the_whole_schemas_errors(edit: str) -> None:
    doc = _doc()
    EDITS[edit](doc)
    whole = sorted(schema_errors(RESULT_SCHEMA, doc))
    assert (whole == []) == (edit == "valid")
    # Nothing checked before: every part is checked now.
    assert sorted(result_errors(doc, checked=())) == whole
    stages = doc["stages"] if isinstance(doc["stages"], list) else []
    parts = [stage_errors(s) for s in stages]
    # Any stages that passed on their own may be left out at the end: every choice of
    # them gives the same verdict.
    passed = [i for i, errors in enumerate(parts) if not errors]
    for size in range(len(passed) + 1):
        for chosen in itertools.combinations(passed, size):
            assert sorted(result_errors(doc, checked=frozenset(chosen))) == whole
    for i, errors in enumerate(parts):  # a stage's own errors are the whole's, re-rooted
        assert sorted(f"$.stages[{i}]{e[1:]}" for e in errors) == [
            e for e in whole if e.startswith(f"$.stages[{i}].") or e.startswith(f"$.stages[{i}]:")
        ]


def test_a_stage_marked_checked_is_not_checked_again() -> None:
    """The contract the run relies on: ``checked`` is only ever what passed
    :func:`stage_errors` (see the Scrubber tests below); the rest is still checked."""
    doc = _doc()
    doc["stages"][1]["status"] = "fine"
    doc["stages"][2]["status"] = "odd"
    errors = result_errors(doc, checked={1})
    assert [e.split(":")[0] for e in errors] == ["$.stages[2].status"]


def _redactor() -> Redactor:
    return Redactor(env={}, paths={})


def test_the_scrubber_marks_only_results_whose_scrubbed_document_passed() -> None:
    good = make_stage("tests", "tests", metrics=ran_tests(2, 2))
    bad = make_stage("lint", "lint", duration=-5.0)  # the schema wants a duration >= 0
    scrubber = Scrubber(_redactor())
    scrubber.finished(good)
    scrubber.finished(bad)
    scrubber.work()
    late = make_stage("coverage", "coverage", metrics=covered(90.0))  # never worked on
    results = scrubber.results([good, bad, late])
    assert scrubber.checked(results) == frozenset({0})
    assert stage_errors(stage_to_dict(results[1]))  # why it was not marked
    doc = result_to_dict(make_result(*results))
    errors = result_errors(doc, checked=scrubber.checked(results))
    assert errors == schema_errors(RESULT_SCHEMA, doc)
    assert [e.split(":")[0] for e in errors] == ["$.stages[1].duration"]


def test_a_replaced_result_is_not_taken_for_the_checked_one() -> None:
    first = make_stage("tests", "tests", metrics=ran_tests(2, 2))
    scrubber = Scrubber(_redactor())
    scrubber.finished(first)
    scrubber.work()
    replaced = make_stage("tests", "tests", metrics=ran_tests(2, 2), status="error")
    results = scrubber.results([replaced])
    assert scrubber.checked(results) == frozenset()


def test_the_document_checked_is_the_one_written() -> None:
    """``stage_to_dict`` is a function of the (frozen) stage: the document checked while a
    later stage ran is, byte for byte, the one the result carries."""
    stage = make_stage("tests", "tests", metrics=ran_tests(3, 3))
    scrubber = Scrubber(_redactor())
    scrubber.finished(stage)
    scrubber.work()
    (clean,) = scrubber.results([stage])
    doc = result_to_dict(make_result(clean))
    assert doc["stages"][0] == stage_to_dict(clean)
    assert json.dumps(doc["stages"][0]) == json.dumps(stage_to_dict(clean))
