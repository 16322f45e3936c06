"""A result's inventory is checked against the schema by its distinct values, which is
exact only while the schema constrains each inventory map by its size and one subschema
for all values: these tests hold both."""

from __future__ import annotations

from typing import Any

import pytest

from localci.result.codec import result_to_dict
from localci.result.model import MAX_INVENTORY, Inventory, TestOutcome
from localci.schemas import RESULT_SCHEMA, condensed_result, inventory_schemas, schema_errors
from tests.factories import make_result, make_stage


def result_doc(tests: int, files: int = 3) -> dict[str, Any]:
    outcomes: tuple[TestOutcome, ...] = ("passed", "failed", "skipped")
    inventory = Inventory(
        tests=tuple((f"tests/test_a.py::test_{i}", outcomes[i % 3]) for i in range(tests)),
        files=tuple((f"src/m{i}.py", float(i % 101)) for i in range(files)),
    )
    doc: dict[str, Any] = result_to_dict(
        make_result(make_stage("tests", "tests", inventory=inventory))
    )
    return doc


def test_the_inventory_maps_are_constrained_only_by_size_and_one_value_schema() -> None:
    for name, schema in inventory_schemas().items():
        assert set(schema) <= {"type", "maxProperties", "description", "additionalProperties"}, name
        assert schema["type"] == "object"
        assert isinstance(schema["additionalProperties"], dict)


def test_a_large_valid_inventory_passes_and_is_condensed() -> None:
    doc = result_doc(5000, files=300)
    assert schema_errors(RESULT_SCHEMA, doc) == []
    inventory = condensed_result(doc)["stages"][0]["inventory"]
    assert len(inventory["tests"]) == 3
    assert len(inventory["files"]) == 101
    assert len(doc["stages"][0]["inventory"]["tests"]) == 5000  # the document is untouched


@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        ("tests", "exploded", "is not one of"),
        ("tests", 1, "is not one of"),
        ("tests", ["passed"], "is not one of"),
        ("files", 100.5, "is greater than the maximum"),
        ("files", "50", "is not of type 'number'"),
        ("files", True, "is not of type 'number'"),
    ],
)
def test_one_bad_value_among_thousands_is_refused_with_its_key(
    where: str, value: object, words: str
) -> None:
    doc = result_doc(4000, files=400)
    entries = doc["stages"][0]["inventory"][where]
    key = list(entries)[2345 % len(entries)]
    entries[key] = value
    errors = schema_errors(RESULT_SCHEMA, doc)
    assert len(errors) == 1
    assert errors[0].startswith(f"$.stages[0].inventory.{where}.{key}: ")
    assert words in errors[0]


def test_an_inventory_over_the_size_limit_is_refused() -> None:
    doc = result_doc(3)
    doc["stages"][0]["inventory"]["tests"] = {f"t{i}": "passed" for i in range(MAX_INVENTORY + 1)}
    errors = schema_errors(RESULT_SCHEMA, doc)
    assert any("inventory.tests" in e and "too many properties" in e for e in errors)
