"""GitHub-shaped error responses raised by the double's handlers.

GitHub answers errors with ``{"message": ..., "documentation_url": ..., "status": "<code>"}``
(``basic-error`` / ``validation-error`` in the OpenAPI description; the ``status`` member
has been sent since 2024). The messages below are the ones GitHub really sends, quoted
from public reports where the REST documentation does not give them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "DOCS_ROOT",
    "ApiError",
    "DoubleError",
    "bad_credentials",
    "forbidden",
    "invalid_request",
    "not_found",
    "validation_failed",
]

DOCS_ROOT = "https://docs.github.com/rest"


class DoubleError(AssertionError):
    """A bug in the double itself, e.g. a response that violates the OpenAPI description.

    An ``AssertionError`` so that pytest reports it as a failure, not an error in a test.
    """


class ApiError(Exception):
    """An HTTP error answer: *status*, a JSON *body* and extra *headers*."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body.get('message', '')}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _body(status: int, message: str, doc_url: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, **extra, "documentation_url": doc_url, "status": str(status)}


def bad_credentials(message: str = "Bad credentials") -> ApiError:
    """401 for a missing, unknown or malformed credential.

    Source: https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
    """
    return ApiError(401, _body(401, message, DOCS_ROOT))


def forbidden(message: str, doc_url: str) -> ApiError:
    """403 with *message*."""
    return ApiError(403, _body(403, message, doc_url))


def not_found(doc_url: str, message: str = "Not Found") -> ApiError:
    """404; GitHub also answers 404 (not 403) for a repository a token cannot see."""
    return ApiError(404, _body(404, message, doc_url))


def invalid_request(lines: list[str], doc_url: str) -> ApiError:
    """422 ``Invalid request.`` followed by one line per schema error.

    GitHub's own schema validation answers e.g. ``Invalid request.\\n\\n"head_sha" wasn't
    supplied.`` or ``Invalid request.\\n\\nNo more than 50 items are allowed; 79 were
    supplied.`` (quoted in octokit/octokit.rb#992, stoplightio/spectral-action#334).
    """
    message = "Invalid request.\n\n" + "\n".join(lines)
    return ApiError(422, {"message": message, "documentation_url": doc_url})


def validation_failed(
    doc_url: str, *, resource: str, field: str, message: str, code: str = "custom"
) -> ApiError:
    """422 ``Validation Failed`` with one ``errors[]`` entry (model-level validation)."""
    error = {"resource": resource, "code": code, "field": field, "message": message}
    return ApiError(422, _body(422, "Validation Failed", doc_url, errors=[error]))
