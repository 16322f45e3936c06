"""Request rules GitHub enforces that its OpenAPI description does not state.

Each rule takes the (already schema-valid) JSON request body and returns an
:class:`~tests.github_double.errors.ApiError` shaped like GitHub's answer, or ``None``.
The double records a broken rule as a violation, like a schema error: localci must never
send such a request (it truncates, batches and splits instead).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import ApiError, invalid_request, validation_failed

__all__ = [
    "ANNOTATIONS_PER_REQUEST",
    "ANNOTATION_TITLE_CHARS",
    "OUTPUT_FIELD_BYTES",
    "STATUSES_PER_CONTEXT",
    "STATUS_DESCRIPTION_CHARS",
    "Rule",
    "rules_for",
]

Rule = Callable[[Mapping[str, Any], str], "ApiError | None"]

#: Commit status ``description``: GitHub answers 422 ``description is too long (maximum is
#: 140 characters)``; the description has no ``maxLength``. Quoted in
#: zalando/zappr#378 and sclorg/testing-farm-as-github-action#187.
STATUS_DESCRIPTION_CHARS = 140
#: Check run ``output.summary`` / ``output.text``: the REST docs ("Create a check run",
#: body parameters) say "Maximum length: 65535 characters", but GitHub counts UTF-8
#: *bytes*: ``summary exceeds a maximum bytesize of 65535`` (github/docs#35252).
OUTPUT_FIELD_BYTES = 65535
#: "The Checks API limits the number of annotations to a maximum of 50 per API request"
#: (REST docs, "Create a check run" / "Update a check run", ``output.annotations``).
ANNOTATIONS_PER_REQUEST = 50
#: Annotation ``title``: "The maximum size is 255 characters" (REST docs, "Update a check
#: run", ``output.annotations[].title``); stated in prose only.
ANNOTATION_TITLE_CHARS = 255
#: "there is a limit of 1000 statuses per sha and context within a repository" (REST
#: docs, "Create a commit status"). Checked by the handler, which knows the count.
STATUSES_PER_CONTEXT = 1000


def status_description(body: Mapping[str, Any], doc_url: str) -> ApiError | None:
    """422 when a commit status ``description`` is longer than 140 characters."""
    description = body.get("description")
    if isinstance(description, str) and len(description) > STATUS_DESCRIPTION_CHARS:
        return validation_failed(
            doc_url,
            resource="Status",
            field="description",
            message=f"description is too long (maximum is {STATUS_DESCRIPTION_CHARS} characters)",
        )
    return None


def output_bytes(body: Mapping[str, Any], doc_url: str) -> ApiError | None:
    """422 when ``output.summary`` or ``output.text`` is over 65535 UTF-8 bytes."""
    output = body.get("output")
    if not isinstance(output, Mapping):
        return None
    for field in ("summary", "text"):
        value = output.get(field)
        if isinstance(value, str) and len(value.encode("utf-8")) > OUTPUT_FIELD_BYTES:
            return validation_failed(
                doc_url,
                resource="CheckRun",
                field=field,
                message=f"{field} exceeds a maximum bytesize of {OUTPUT_FIELD_BYTES}",
            )
    return None


def _annotations(body: Mapping[str, Any]) -> list[Any]:
    output = body.get("output")
    annotations = output.get("annotations") if isinstance(output, Mapping) else None
    return annotations if isinstance(annotations, list) else []


def annotation_count(body: Mapping[str, Any], doc_url: str) -> ApiError | None:
    """422 for more than 50 annotations in one request.

    The description states ``maxItems: 50`` today, so schema validation normally answers
    first; this keeps the rule if a later description drops it. Message as quoted in
    stoplightio/spectral-action#334.
    """
    count = len(_annotations(body))
    if count > ANNOTATIONS_PER_REQUEST:
        line = f"No more than {ANNOTATIONS_PER_REQUEST} items are allowed; {count} were supplied."
        return invalid_request([line], doc_url)
    return None


def annotation_title(body: Mapping[str, Any], doc_url: str) -> ApiError | None:
    """422 for an annotation ``title`` longer than 255 characters."""
    for index, annotation in enumerate(_annotations(body)):
        title = annotation.get("title") if isinstance(annotation, Mapping) else None
        if isinstance(title, str) and len(title) > ANNOTATION_TITLE_CHARS:
            line = (
                f"For 'properties/output/properties/annotations/items/{index}/properties/title',"
                f" only {ANNOTATION_TITLE_CHARS} characters are allowed; {len(title)} were"
                " supplied."
            )
            return invalid_request([line], doc_url)
    return None


def completed_needs_conclusion(body: Mapping[str, Any], doc_url: str) -> ApiError | None:
    """422 when a new run is ``completed`` (or has ``completed_at``) without ``conclusion``.

    REST docs, "Create a check run", ``conclusion``: "Required if you provide
    ``completed_at`` or a ``status`` of ``completed``". The description encodes this for
    "Update a check run" (``anyOf``) but not for "Create".
    """
    completing = body.get("status") == "completed" or "completed_at" in body
    if completing and "conclusion" not in body:
        return invalid_request(['"conclusion" wasn\'t supplied.'], doc_url)
    return None


_RULES: dict[str, tuple[Rule, ...]] = {
    "repos/create-commit-status": (status_description,),
    "checks/create": (
        completed_needs_conclusion,
        annotation_count,
        annotation_title,
        output_bytes,
    ),
    "checks/update": (annotation_count, annotation_title, output_bytes),
}


def rules_for(operation_id: str) -> tuple[Rule, ...]:
    """The hand-coded rules for *operation_id* (possibly none)."""
    return _RULES.get(operation_id, ())
