"""How the double serves one request, and what it records about it.

Order, mirroring GitHub's front end then its application:

1. a queued ``RESPOND``/``DROP`` fault answers instead (the request has no effect);
2. route: an operation of the pruned description, else 404 and a violation;
3. JSON body parsing: 400 ``Problems parsing JSON`` and a violation;
4. authentication: 401 (``Bad credentials``, or ``Requires authentication`` without a
   credential; ``GET /rate_limit`` needs none);
5. schema validation of path/query parameters and body: 422 ``Invalid request.`` and a
   violation;
6. hand-coded GitHub rules (:mod:`.rules`): 422 and a violation;
7. the handler: 403/404/422 as GitHub would, or the answer;
8. the answer is validated against the description: a mismatch is a bug in the double,
   recorded in :attr:`Pipeline.errors` and answered 500;
9. an ``AFTER_APPLY`` fault replaces the (already effective) answer.

Every request is logged as a :class:`RequestRecord`, with the kind of token, never the
token.
"""

from __future__ import annotations

import json
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from typing import Any

from . import rules
from .auth import Credential, identify
from .errors import ApiError, invalid_request
from .faults import Fault, FaultKind, FaultQueue
from .handlers import HANDLERS, Call, Reply
from .server import Outcome
from .spec import Operation, Spec
from .state import State, TokenKind

__all__ = ["Pipeline", "RequestRecord", "Violation"]

_MAX_LINES = 10


@dataclass(frozen=True, kw_only=True)
class RequestRecord:
    """One request as the double saw it (never the token itself)."""

    method: str
    path: str
    """Percent-decoded path, without the query string."""
    query: dict[str, list[str]]
    body: Any
    """Parsed JSON body, or ``None``."""
    token_kind: TokenKind | None
    """``None`` when the request carried no credential."""
    operation_id: str | None
    status: int | None
    """``None`` when the connection was dropped."""
    fault: str | None
    """The fault that shaped the answer, e.g. ``respond 500`` or ``drop``."""


@dataclass(frozen=True, kw_only=True)
class Violation:
    """A request that broke the OpenAPI description or a hand-coded GitHub rule."""

    method: str
    path: str
    operation_id: str | None
    kind: str
    """``schema``, ``rule``, ``json`` or ``unknown-operation``."""
    messages: tuple[str, ...]

    def __str__(self) -> str:
        lines = "\n    ".join(self.messages)
        return f"{self.method} {self.path} ({self.operation_id or '?'}): {self.kind}\n    {lines}"


@dataclass(frozen=True, kw_only=True)
class _Request:
    method: str
    path: str
    """Raw (percent-encoded) path."""
    query: dict[str, list[str]]
    body: Any
    parse_error: str | None
    credential: Credential


class Pipeline:
    """Serves requests against *state*; records the log, violations and double bugs."""

    def __init__(self, spec: Spec, state: State, faults: FaultQueue) -> None:
        self.spec = spec
        self.state = state
        self.faults = faults
        self.base = ""
        """The server's URL, set once it listens."""
        self.log: list[RequestRecord] = []
        self.violations: list[Violation] = []
        self.errors: list[str] = []

    def dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> Outcome | None:
        """Serve one request (called from a server thread); ``None`` drops the connection."""
        split = urllib.parse.urlsplit(target)
        body, parse_error = _parse_json(raw)
        with self.state.lock:
            request = _Request(
                method=method,
                path=split.path,
                query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
                body=body,
                parse_error=parse_error,
                credential=identify(self.state, headers.get("authorization")),
            )
            fault = self.faults.take(method, split.path)
            reply, op_id = self._reply(request, fault)
            self.log.append(_record(request, op_id, reply, fault))
        return None if reply is None else _outcome(reply)

    def _reply(self, request: _Request, fault: Fault | None) -> tuple[Reply | None, str | None]:
        if fault is not None and fault.kind is not FaultKind.AFTER_APPLY:
            return _fault_reply(fault), None
        reply, op_id = self._serve(request)
        return (reply if fault is None else _fault_reply(fault)), op_id

    def _serve(self, request: _Request) -> tuple[Reply, str | None]:
        match = self.spec.match(request.method, request.path)
        if match is None:
            self._violate(request, None, "unknown-operation", ["not in the pruned description"])
            return Reply(404, {"message": "Not Found", "documentation_url": ""}), None
        op, params = match
        try:
            self._admit(request, op, params)
            reply = self._handle(self._call(request, op, params))
        except ApiError as exc:
            reply = Reply(exc.status, exc.body, exc.headers)
        return self._checked(request, op, reply), op.operation_id

    def _call(self, request: _Request, op: Operation, params: dict[str, str]) -> Call:
        return Call(
            state=self.state,
            base=self.base,
            op=op,
            path=request.path,
            params=params,
            query=request.query,
            body=request.body,
            principal=request.credential.principal,
            hides=self.faults.hides,
        )

    def _admit(self, request: _Request, op: Operation, params: dict[str, str]) -> None:
        """Raise the :class:`ApiError` GitHub would answer before running the operation."""
        if request.parse_error is not None:
            self._violate(request, op, "json", [request.parse_error])
            body = {"message": "Problems parsing JSON", "documentation_url": op.doc_url}
            raise ApiError(400, body)
        credential = request.credential
        if credential.error is not None:
            raise credential.error
        if credential.principal is None and op.operation_id != "rate-limit/get":
            body = {"message": "Requires authentication", "documentation_url": op.doc_url}
            raise ApiError(401, body)
        errors = self.spec.request_errors(op, params, request.query, request.body)
        lines = list(dict.fromkeys(errors))
        if lines:
            self._violate(request, op, "schema", lines)
            raise invalid_request(lines[:_MAX_LINES], op.doc_url)
        for rule in rules.rules_for(op.operation_id):
            error = rule(request.body, op.doc_url)
            if error is not None:
                self._violate(request, op, "rule", [error.body["message"]])
                raise error

    def _handle(self, call: Call) -> Reply:
        try:
            return HANDLERS[call.op.operation_id](call)
        except ApiError:
            raise
        except Exception:
            self.errors.append(f"{call.op.operation_id} crashed:\n{traceback.format_exc()}")
            return Reply(500, {"message": "github double: handler crashed"})

    def _checked(self, request: _Request, op: Operation, reply: Reply) -> Reply:
        """*reply*, or a 500 recorded as a double bug if it violates the description."""
        problems = self.spec.response_errors(op, reply.status, reply.body)
        if not problems:
            return reply
        self.errors.append(
            f"{request.method} {request.path} ({op.operation_id}) answered {reply.status}"
            " violating the OpenAPI description:\n    " + "\n    ".join(problems[:_MAX_LINES])
        )
        return Reply(500, {"message": "github double: answer violates the OpenAPI description"})

    def _violate(
        self, request: _Request, op: Operation | None, kind: str, messages: list[str]
    ) -> None:
        self.violations.append(
            Violation(
                method=request.method,
                path=urllib.parse.unquote(request.path),
                operation_id=None if op is None else op.operation_id,
                kind=kind,
                messages=tuple(messages),
            )
        )


def _record(
    request: _Request, op_id: str | None, reply: Reply | None, fault: Fault | None
) -> RequestRecord:
    return RequestRecord(
        method=request.method,
        path=urllib.parse.unquote(request.path),
        query=request.query,
        body=request.body,
        token_kind=request.credential.kind,
        operation_id=op_id,
        status=None if reply is None else reply.status,
        fault=None if fault is None else fault.label,
    )


def _parse_json(raw: bytes) -> tuple[Any, str | None]:
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw), None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"body is not JSON: {exc}"


def _fault_reply(fault: Fault) -> Reply | None:
    if fault.kind is FaultKind.DROP:
        return None
    return Reply(fault.status, dict(fault.body or {}), dict(fault.headers))


def _outcome(reply: Reply) -> Outcome:
    """The HTTP answer, with the rate-limit headers GitHub sends on every response."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "4999",
        "X-RateLimit-Used": "1",
        "X-RateLimit-Reset": str(int(time.time()) + 3600),
        "X-RateLimit-Resource": "core",
        **reply.headers,
    }
    return Outcome(reply.status, json.dumps(reply.body).encode("utf-8"), headers)
