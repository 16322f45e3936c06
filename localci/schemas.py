"""The JSON Schemas in ``schemas/`` and validation against them.

The schemas ship inside the wheel as ``localci/schemas/*.json`` (pyproject's
``force-include``); in a source checkout they are read from the top-level ``schemas/``.
``jsonschema`` is imported on first use, so commands that never validate stay fast.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localci.errors import InternalError

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

__all__ = [
    "CONFIG_SCHEMA",
    "RESULT_SCHEMA",
    "SPOOL_SCHEMA",
    "iter_errors",
    "load_schema",
    "result_errors",
    "schema_errors",
    "stage_errors",
]

CONFIG_SCHEMA = "config.v1.schema.json"
RESULT_SCHEMA = "result.v1.schema.json"
SPOOL_SCHEMA = "spool.v1.schema.json"


def _schema_text(name: str) -> str:
    beside = Path(__file__).parent / "schemas" / name  # an installed wheel, unzipped
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    from importlib import resources  # a zipped installation

    packaged = resources.files("localci").joinpath("schemas").joinpath(name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parent.parent / "schemas" / name
    if source.is_file():
        return source.read_text(encoding="utf-8")
    raise InternalError(f"the schema {name} is missing from this localci installation")


@functools.cache
def load_schema(name: str) -> Mapping[str, Any]:
    """The parsed schema ``name`` (e.g. ``result.v1.schema.json``).

    :raises InternalError: when the installation lacks the file.
    """
    loaded: Mapping[str, Any] = json.loads(_schema_text(name))
    return loaded


@functools.cache
def _validator(name: str) -> Validator:
    return _draft(load_schema(name))


def _draft(schema: Mapping[str, Any]) -> Validator:
    """A JSON Schema 2020-12 validator of ``schema`` that checks formats too."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def schema_digest(name: str) -> str:
    """The sha256 (hex) of schema ``name`` as installed: what a memo of documents that
    passed it must be keyed by."""
    return hashlib.sha256(_schema_text(name).encode("utf-8")).hexdigest()


def preload(name: str) -> None:
    """Build the validator of schema ``name`` now (about 0.1 s, once per process), so a
    later check does not pay for it: a run does this while its first stage runs, or
    while the project's interpreter lists its distributions for the cache key. For the
    result schema, these are the two :func:`result_errors` uses."""
    if name == RESULT_SCHEMA:
        _shell_validator().is_valid({})
        _stage_validator().is_valid({})
    else:
        _validator(name).is_valid({})


def iter_errors(name: str, instance: Any) -> Iterator[ValidationError]:
    """Every validation error of ``instance`` against schema ``name``, most specific first."""
    from jsonschema.exceptions import relevance

    if name == RESULT_SCHEMA:
        instance = condensed_result(instance)
    yield from sorted(_validator(name).iter_errors(instance), key=relevance)


def stage_errors(stage: Any) -> list[str]:
    """Human-readable errors of one stage document (``$`` is the stage) against the result
    schema's ``$defs/stage``, its inventory condensed as :func:`condensed_result` does;
    empty if valid. A run checks each stage's document as the next stage process runs,
    so :func:`result_errors` need not check it again at the end."""
    from jsonschema.exceptions import relevance

    found = _stage_validator().iter_errors(condensed_result({"stages": [stage]})["stages"][0])
    return _described(sorted(found, key=relevance))


def result_errors(doc: Any, *, checked: Collection[int] = ()) -> list[str]:
    """:func:`schema_errors` of a result document, less the stages at the indices
    ``checked``, which passed :func:`stage_errors` exactly as they are in ``doc``.

    The rest is checked against the result schema with ``$defs/stage`` accepting any
    value, and every other stage against ``$defs/stage``: the same errors as the whole
    schema (in another order), because ``$defs/stage`` is referenced only by the items of
    ``stages`` (a test keeps it so).
    """
    stages = doc.get("stages") if isinstance(doc, dict) else None
    if not isinstance(stages, list):
        return schema_errors(RESULT_SCHEMA, doc)
    from jsonschema.exceptions import relevance

    errors = _described(sorted(_shell_validator().iter_errors(doc), key=relevance))
    for index, stage in enumerate(stages):
        if index not in checked:
            errors += [f"$.stages[{index}]{e[1:]}" for e in stage_errors(stage)]
    return errors


@functools.cache
def _stage_validator() -> Validator:
    """``$defs/stage`` of the result schema with its references to ``$defs`` written out
    in place (:func:`_inlined`): the same verdict and messages, and about 40 % less time
    than following each ``$ref`` (jsonschema resolves one per finding and per metric)."""
    defs = load_schema(RESULT_SCHEMA)["$defs"]
    return _draft({**_inlined(defs["stage"], defs, ("stage",)), "$defs": defs})


def _inlined(node: Any, defs: Mapping[str, Any], within: tuple[str, ...]) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/<name>"}`` that has no other keyword
    replaced by that definition (itself inlined); a reference back into a definition it
    sits in (``within``) stays a reference, resolved through the ``$defs`` kept beside.
    Without ``$id``, ``$anchor`` or ``$dynamicRef`` in the schema (a test keeps it so),
    JSON Schema 2020-12 gives the same result either way."""
    if isinstance(node, list):
        return [_inlined(item, defs, within) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if len(node) == 1 and isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in defs and name not in within:
            return _inlined(defs[name], defs, (*within, name))
    return {key: _inlined(value, defs, within) for key, value in node.items()}


@functools.cache
def _shell_validator() -> Validator:
    """The result schema with ``$defs/stage`` accepting any value."""
    schema = load_schema(RESULT_SCHEMA)
    return _draft({**schema, "$defs": {**schema["$defs"], "stage": True}})


def inventory_schemas() -> dict[str, Mapping[str, Any]]:
    """The result schema's subschemas of a stage's inventory maps (``tests``, ``files``)."""
    stage = load_schema(RESULT_SCHEMA)["$defs"]["stage"]
    return dict(stage["properties"]["inventory"]["properties"])


def condensed_result(doc: Any) -> Any:
    """``doc`` (a result) with each stage's inventory maps cut to one entry per distinct
    value, which the result schema accepts exactly when it accepts ``doc``.

    The schema constrains an inventory map only by its size (``maxProperties``) and by
    one subschema for every value (``additionalProperties``; a test keeps it so), so a
    map is valid exactly when its size is and each distinct value is. jsonschema takes
    tens of microseconds per property: this keeps a 20,000-test inventory from costing
    half a second. A map over the size limit, or with a value that cannot be hashed, is
    left whole for the schema to judge.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("stages"), list):
        return doc
    limits = {k: int(v["maxProperties"]) for k, v in inventory_schemas().items()}
    stages: list[Any] = []
    for stage in doc["stages"]:
        inventory = stage.get("inventory") if isinstance(stage, dict) else None
        if isinstance(inventory, dict):
            cut = {k: _one_per_value(v, limits.get(k, 0)) for k, v in inventory.items()}
            stage = {**stage, "inventory": cut}
        stages.append(stage)
    return {**doc, "stages": stages}


def _one_per_value(entries: Any, limit: int) -> Any:
    if not isinstance(entries, dict) or len(entries) > limit:
        return entries
    first: dict[tuple[type, Any], str] = {}
    try:
        for key, value in entries.items():
            first.setdefault((type(value), value), key)
    except TypeError:  # an unhashable value: the schema refuses it, with its path
        return entries
    return {key: entries[key] for key in first.values()}


def schema_errors(name: str, instance: Any) -> list[str]:
    """Human-readable errors (``$.stages[0].kind: 'x' is not one of [...]``); empty if valid."""
    return _described(iter_errors(name, instance))


def _described(errors: Iterable[ValidationError]) -> list[str]:
    return [f"{_json_path(e.absolute_path)}: {e.message}" for e in errors]


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
