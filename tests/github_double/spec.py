"""GitHub's OpenAPI description, patched into JSON Schema and used to validate traffic.

The pruned description (``openapi/api.github.com.pruned.json``, written by
``scripts/update_github_openapi.py``) is OpenAPI 3.0.3, whose Schema Object is "an extended
subset" of JSON Schema draft 4/5. Two differences matter for validation with
:class:`jsonschema.Draft4Validator`:

* ``nullable: true`` is not JSON Schema. GitHub's description marks e.g. a check run's
  ``conclusion`` as ``{"type": "string", "enum": [...], "nullable": true}`` without listing
  ``null`` in the enum, yet ``"conclusion": null`` is what GitHub sends for a run that is
  not completed. :func:`to_json_schema` turns ``nullable`` into ``"type": [T, "null"]``
  and adds ``None`` to an ``enum`` (or wraps a type-less schema in ``anyOf`` with
  ``{"type": "null"}``), as the OpenAPI 3.0.3 spec defines it ("A true value adds "null"
  to the allowed types").
* ``$ref`` points into the whole document (``#/components/...``): the patched document is
  registered as one :mod:`referencing` resource, and every validator starts from a
  ``$ref`` into it, so references resolve exactly as in the description.

Request errors are phrased the way GitHub phrases its own schema errors (see
:func:`github_error_line`); response errors are plain :mod:`jsonschema` messages, since
they are bugs in the double.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema.exceptions import ValidationError, best_match

__all__ = [
    "SPEC_FILE",
    "Operation",
    "Spec",
    "github_error_line",
    "load_spec",
    "to_json_schema",
]

SPEC_FILE = Path(__file__).resolve().parent / "openapi" / "api.github.com.pruned.json"
_SPEC_URI = "urn:localci:github-openapi"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_JSON = "application/json"
_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def to_json_schema(node: Any) -> Any:
    """A deep copy of *node* with OpenAPI 3.0 ``nullable: true`` made JSON-Schema valid."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items()}
    if out.pop("nullable", False) is not True:
        return out
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [{"type": "null"}, out]}


def _pointer(*segments: str) -> str:
    """A JSON pointer (RFC 6901) from raw *segments*."""
    return "".join("/" + s.replace("~", "~0").replace("/", "~1") for s in segments)


def _format_checker() -> jsonschema.FormatChecker:
    """Checks ``date-time`` (RFC 3339) and ``uri`` without optional dependencies."""
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE_TIME.match(value):
            return False
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urllib.parse.urlsplit(value)
        return bool(parts.scheme and parts.netloc)

    return checker


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """A path or query parameter of an operation."""

    name: str
    location: str
    """``path`` or ``query`` (header and cookie parameters are not validated)."""
    required: bool
    kind: str | None
    """The schema's ``type``, used to parse the raw string."""
    multi_segment: bool
    """``x-multi-segment``: the value may contain ``/`` (e.g. a ref ``heads/main``)."""
    schema_pointer: str
    """JSON pointer of the parameter's schema in the description."""


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One operation of the description."""

    method: str
    """Upper-case HTTP method."""
    template: str
    """Path template, e.g. ``/repos/{owner}/{repo}/check-runs``."""
    operation_id: str
    """E.g. ``checks/create``; the double dispatches on it."""
    doc_url: str
    """``externalDocs.url``: the ``documentation_url`` of error answers."""
    pointer: str
    """JSON pointer of the operation object in the description."""
    pattern: re.Pattern[str]
    """Matches a concrete, still percent-encoded path; groups are the path parameters."""
    literal_length: int
    """Characters outside parameters: the most literal template wins a tie."""
    parameters: tuple[Parameter, ...]
    """Path and query parameters, ``$ref`` resolved."""
    body_required: bool | None
    """``None`` when the operation takes no request body."""


class Spec:
    """The patched description: operation lookup and request/response validation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = to_json_schema(document)
        resource = referencing.jsonschema.DRAFT4.create_resource(self.document)
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            _SPEC_URI, resource
        )
        self._format_checker = _format_checker()
        self._validators: dict[str, jsonschema.Draft4Validator] = {}
        self.operations = tuple(self._operations())

    @property
    def source(self) -> dict[str, Any]:
        """The ``x-localci-source`` stamp (package, version, retrieval date)."""
        source: dict[str, Any] = self.document["x-localci-source"]
        return source

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation for *method* and raw *path*, with its decoded path parameters."""
        found = [
            (op, m)
            for op in self.operations
            if op.method == method and (m := op.pattern.fullmatch(path)) is not None
        ]
        if not found:
            return None
        op, m = max(found, key=lambda pair: pair[0].literal_length)
        return op, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}

    def request_errors(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
        body: object,
    ) -> list[str]:
        """GitHub-style error lines for the request; empty when it is valid.

        *body* is the parsed JSON body, or ``None`` when there was none.
        """
        lines = [
            line
            for param in op.parameters
            for line in self._parameter_errors(param, path_params, query)
        ]
        if op.body_required is None:
            return lines
        if body is None:
            if op.body_required:
                lines.append("Request body is required.")
            return lines
        pointer = op.pointer + _pointer("requestBody", "content", _JSON, "schema")
        return lines + [github_error_line(e) for e in self._errors(pointer, body)]

    def response_errors(self, op: Operation, status: int, body: object) -> list[str]:
        """Plain error messages for a JSON response; statuses the description omits pass."""
        pointer = self._response_pointer(op, status)
        if pointer is None:
            return []
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in self._errors(pointer, body)
        ]

    def _response_pointer(self, op: Operation, status: int) -> str | None:
        """Pointer of the JSON schema for *status*; ``None`` if there is none."""
        pointer = op.pointer + _pointer("responses", str(status))
        response = self._resolve(pointer)
        if response is None:
            return None
        if "$ref" in response:
            pointer = response["$ref"].removeprefix("#")
            response = self._resolve(pointer)
        if _JSON not in response.get("content", {}):
            return None
        return pointer + _pointer("content", _JSON, "schema")

    def _errors(self, pointer: str, instance: object) -> list[ValidationError]:
        validator = self._validators.get(pointer)
        if validator is None:
            ref = f"{_SPEC_URI}#{urllib.parse.quote(pointer, safe='/~')}"
            validator = jsonschema.Draft4Validator(
                {"$ref": ref}, registry=self._registry, format_checker=self._format_checker
            )
            self._validators[pointer] = validator
        return list(validator.iter_errors(instance))

    def _parameter_errors(
        self, param: Parameter, path_params: Mapping[str, str], query: Mapping[str, list[str]]
    ) -> Iterator[str]:
        if param.location == "path":
            raw = path_params.get(param.name)
        else:
            values = query.get(param.name)
            raw = values[-1] if values else None
        if raw is None:
            if param.required:
                yield f'"{param.name}" wasn\'t supplied.'
            return
        value = _coerce(raw, param.kind)
        if value is None:
            yield f"For '{param.name}', {raw!r} is not {_article(param.kind)}."
            return
        for error in self._errors(param.schema_pointer, value):
            yield f"For '{param.name}', {_describe(error)}"

    def _resolve(self, pointer: str) -> Any:
        """The node at JSON *pointer*, or ``None``."""
        node: Any = self.document
        for segment in pointer.removeprefix("#").split("/")[1:]:
            key = segment.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def _operations(self) -> Iterator[Operation]:
        for template, item in self.document["paths"].items():
            for method in _METHODS:
                if method in item:
                    yield self._operation(template, method)

    def _operation(self, template: str, method: str) -> Operation:
        pointer = _pointer("paths", template, method)
        raw = self._resolve(pointer)
        params = tuple(self._parameters(template, method))
        body = raw.get("requestBody")
        return Operation(
            method=method.upper(),
            template=template,
            operation_id=raw["operationId"],
            doc_url=raw.get("externalDocs", {}).get("url", "https://docs.github.com/rest"),
            pointer=pointer,
            pattern=_path_pattern(template, params),
            literal_length=len(re.sub(r"\{[^}]*\}", "", template)),
            parameters=params,
            body_required=None if body is None else bool(body.get("required")),
        )

    def _parameters(self, template: str, method: str) -> Iterator[Parameter]:
        """Path-level then operation-level parameters (the latter win by name)."""
        found: dict[tuple[str, str], Parameter] = {}
        for owner in (_pointer("paths", template), _pointer("paths", template, method)):
            for index, param in enumerate(self._resolve(owner).get("parameters", [])):
                where = owner + _pointer("parameters", str(index))
                if "$ref" in param:
                    where = param["$ref"].removeprefix("#")
                    param = self._resolve(where)
                if param["in"] in ("path", "query"):
                    found[param["name"], param["in"]] = _parameter(param, where)
        yield from found.values()


def _parameter(param: Mapping[str, Any], pointer: str) -> Parameter:
    schema = param.get("schema", {})
    kind = schema.get("type")
    return Parameter(
        name=param["name"],
        location=param["in"],
        required=bool(param.get("required")),
        kind=kind[0] if isinstance(kind, list) else kind,
        multi_segment=bool(param.get("x-multi-segment")),
        schema_pointer=pointer + "/schema",
    )


def _path_pattern(template: str, params: tuple[Parameter, ...]) -> re.Pattern[str]:
    """A regex for *template*; ``x-multi-segment`` parameters may span ``/``."""
    multi = {p.name for p in params if p.location == "path" and p.multi_segment}
    regex = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            regex += f"(?P<{name}>{'.+' if name in multi else '[^/]+'})"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def _coerce(raw: str, kind: str | None) -> object:
    """Parse a path/query string as the parameter's schema type; ``None`` if it cannot."""
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else None
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw)
    return raw


def _article(kind: object) -> str:
    word = kind[0] if isinstance(kind, list) else str(kind)
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _ruby(value: object) -> str:
    """A value as GitHub's (Ruby) validator prints it: ``nil``, ``"text"``, ``12``."""
    return "nil" if value is None else json.dumps(value)


def _where(error: ValidationError) -> str:
    return "/".join(
        f"properties/{p}" if isinstance(p, str) else f"items/{p}" for p in error.absolute_path
    )


def _describe(error: ValidationError) -> str:
    """One jsonschema error as GitHub phrases it (without the ``For '...'`` prefix)."""
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        return f"{_ruby(value)} is not {_article(limit)}."
    if kind == "enum":
        return f"{_ruby(value)} is not a member of {json.dumps(limit)}."
    return f"{error.message}."


def github_error_line(error: ValidationError) -> str:
    """One line of GitHub's ``Invalid request.`` message for a request-body error.

    The phrasings are GitHub's, as quoted in public reports: ``"head_sha" wasn't
    supplied.``, ``"a", "b" weren't supplied.`` (humanmade/linter-bot#71), ``Only 65535
    characters are allowed; 68372 were supplied.`` (siddharthkp/bundlesize2#7), ``No more
    than 50 items are allowed; 79 were supplied.`` (stoplightio/spectral-action#334) and
    ``For 'links/0/schema', nil is not an object.`` (jekyll/Utterson#29). Other errors
    use the same ``For '<where>', ...`` shape with jsonschema's wording.
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        return github_error_line(best_match(error.context))
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "required" and isinstance(value, dict):
        missing = [f'"{name}"' for name in cast("list[str]", limit) if name not in value]
        verb = "wasn't" if len(missing) == 1 else "weren't"
        return f"{', '.join(missing)} {verb} supplied."
    if kind == "maxLength" and isinstance(value, str):
        return f"Only {limit} characters are allowed; {len(value)} were supplied."
    if kind == "maxItems" and isinstance(value, list):
        return f"No more than {limit} items are allowed; {len(value)} were supplied."
    return f"For '{_where(error)}', {_describe(error)}"


@functools.cache
def load_spec(path: Path = SPEC_FILE) -> Spec:
    """The patched description at *path*, loaded once per process."""
    return Spec(json.loads(path.read_text(encoding="utf-8")))
