"""SARIF 2.1.0 logs (``ruff check --output-format=sarif`` and most linters) into findings.

Section numbers refer to the OASIS SARIF 2.1.0 specification:

- A result's level (§3.27.10): its own ``level``; when absent and ``kind`` is ``fail``
  (the default, §3.27.9), the rule's ``defaultConfiguration.level`` (§3.49.14), else
  ``warning`` (§3.50.3); when absent and ``kind`` is anything else, ``none``. ``none``
  becomes a ``note`` here. Results of kind ``pass`` and ``notApplicable`` are not problems
  and are skipped.
- The rule (§3.27.5-7, §3.52): the component that holds it is ``rule.toolComponent``
  (§3.54: ``index`` into ``tool.extensions``, else a ``guid`` or ``name`` matching the
  driver or an extension), else the driver. In that component's ``rules``: ``ruleIndex``
  / ``rule.index``, else the ``ruleId`` / ``rule.id``, whose part before a ``/`` names the
  rule (§3.27.5). CodeQL keeps its rules in an extension (the query pack), so its errors
  are errors only when this is followed.
- A suppressed result (§3.27.23, §3.35) is not counted: its ``suppressions`` array is
  non-empty and none of its entries has ``status`` ``underReview`` or ``rejected``.
- A location's file (§3.4): ``uri`` (percent-encoded, ``file://`` or relative),
  relative ones resolved through ``uriBaseId`` and the run's ``originalUriBaseIds``
  (§3.14.14), or ``index`` into the run's ``artifacts`` (§3.4.5). A relative URI with
  no or an unknown base id (``%SRCROOT%``) is taken relative to the directory the tool
  ran in (the stage's ``cwd``); every path comes out relative to the repository root.
- A run must have a ``results`` array: the schema's description says it "must be present
  (but may be empty) if a log file represents an actual scan", and ``null`` means the tool
  failed (§3.14.23).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from localci.reports._base import (
    MAX_MESSAGE,
    ReportData,
    ReportSource,
    clip,
    lint_counts,
    load_json,
    positive,
)
from localci.reports.paths import relative_path
from localci.result.model import Finding, Severity

__all__ = ["SarifParser"]

_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_ARTIFACT_LOCATION = {
    "type": "object",
    "properties": {
        "uri": {"type": "string"},
        "uriBaseId": {"type": "string"},
        "index": {"type": "integer"},
    },
}
_COMPONENT_REFERENCE = {
    "type": "object",
    "properties": {
        "index": {"type": "integer"},
        "guid": {"type": "string"},
        "name": {"type": "string"},
    },
}
_REFERENCE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "index": {"type": "integer"},
        "toolComponent": _COMPONENT_REFERENCE,
    },
}
_RESULT = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "ruleId": {"type": "string"},
        "ruleIndex": {"type": "integer"},
        "rule": _REFERENCE,
        "suppressions": {
            "type": "array",
            "items": {"type": "object", "properties": {"status": {"type": "string"}}},
        },
        "kind": {"enum": ["pass", "open", "informational", "notApplicable", "review", "fail"]},
        "level": _LEVEL,
        "message": {
            "type": "object",
            "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
        },
        "locations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "physicalLocation": {
                        "type": "object",
                        "properties": {
                            "artifactLocation": _ARTIFACT_LOCATION,
                            "region": {"type": "object"},
                        },
                    }
                },
            },
        },
    },
}
_RULE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "defaultConfiguration": {"type": "object", "properties": {"level": _LEVEL}},
    },
}
_COMPONENT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "guid": {"type": "string"},
        "rules": {"type": "array", "items": _RULE},
    },
}
_RUN = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "tool": {
            "type": "object",
            "properties": {
                "driver": _COMPONENT,
                "extensions": {"type": "array", "items": _COMPONENT},
            },
        },
        "originalUriBaseIds": {"type": "object", "additionalProperties": _ARTIFACT_LOCATION},
        "artifacts": {
            "type": "array",
            "items": {"type": "object", "properties": {"location": _ARTIFACT_LOCATION}},
        },
        "results": {"type": "array", "items": _RESULT},
    },
}
_SCHEMA = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": _RUN},
    },
}

_SEVERITY: Mapping[str, Severity] = {
    "error": "error",
    "warning": "warning",
    "note": "note",
    "none": "note",
}
_NOT_PROBLEMS = ("pass", "notApplicable")
_MAX_BASE_DEPTH = 8  # originalUriBaseIds may chain; a cycle must end


class SarifParser:
    """The ``sarif`` format: a SARIF 2.1.0 log with one or more runs."""

    format = "sarif"

    def parse(
        self, path: Path, *, root: Path, base: Path | None = None, log: Path | None = None
    ) -> ReportData:
        """One ``lint`` finding per problem result, and the counts by severity.

        :raises ReportError: when the file is missing, empty, not JSON, not SARIF 2.1.0,
            or has a run without results (the tool did not complete).
        """
        src = ReportSource(
            path=path, label="SARIF 2.1.0", produce="ruff check --output-format=sarif -o <path>"
        )
        doc = load_json(src, schema=_SCHEMA)
        where = base if base is not None else root
        findings = tuple(f for run in doc["runs"] for f in _Run.of(run, root, where).findings())
        return ReportData(lint=lint_counts(findings), findings=findings)


@dataclass(frozen=True, kw_only=True)
class _Run:
    """One SARIF run: its results and what they refer to."""

    root: Path
    base: Path
    results: list[dict[str, Any]]
    driver: dict[str, Any] = field(default_factory=dict)
    extensions: list[dict[str, Any]] = field(default_factory=list)
    bases: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, run: dict[str, Any], root: Path, base: Path) -> _Run:
        tool = run.get("tool", {})
        return cls(
            root=root,
            base=base,
            results=run["results"],
            driver=tool.get("driver", {}),
            extensions=tool.get("extensions", []),
            bases=run.get("originalUriBaseIds", {}),
            artifacts=run.get("artifacts", []),
        )

    def findings(self) -> Iterator[Finding]:
        for result in self.results:
            if result.get("kind", "fail") not in _NOT_PROBLEMS and not _suppressed(result):
                yield self._finding(result)

    def _finding(self, result: dict[str, Any]) -> Finding:
        rule = self._rule(result)
        rule_id = result.get("ruleId") or result.get("rule", {}).get("id") or rule.get("id")
        message = result["message"].get("text") or result["message"].get("markdown") or ""
        physical = _physical_location(result)
        region = physical.get("region", {})
        artifact = physical.get("artifactLocation")
        file = self._file(artifact, 0) if artifact is not None else None
        return Finding(
            kind="lint",
            severity=_SEVERITY[_level(result, rule)],
            message=clip(message or rule_id or "", MAX_MESSAGE),
            rule=rule_id,
            path=relative_path(file, self.root) if file is not None else None,
            line=positive(region.get("startLine")),
            end_line=positive(region.get("endLine")),
            column=positive(region.get("startColumn")),
        )

    def _component(self, reference: dict[str, Any] | None) -> dict[str, Any]:
        """The tool component a ``toolComponent`` reference names (§3.54), or the driver."""
        if reference is None:
            return self.driver
        index = reference.get("index")
        if isinstance(index, int):
            ok = 0 <= index < len(self.extensions)
            return self.extensions[index] if ok else {}
        for key in ("guid", "name"):
            wanted = reference.get(key)
            if wanted is not None:
                found = [c for c in (self.driver, *self.extensions) if c.get(key) == wanted]
                return found[0] if found else {}
        return self.driver

    def _rule(self, result: dict[str, Any]) -> dict[str, Any]:
        """The rule descriptor the result refers to, or ``{}`` (§3.27.5-7, §3.52)."""
        reference = result.get("rule", {})
        rules = self._component(reference.get("toolComponent")).get("rules", [])
        index = result.get("ruleIndex", reference.get("index"))
        if isinstance(index, int) and 0 <= index < len(rules):
            rule: dict[str, Any] = rules[index]
            return rule
        wanted = result.get("ruleId") or reference.get("id")
        if not wanted:
            return {}
        by_id = {r["id"]: r for r in rules if "id" in r}
        return by_id.get(wanted) or by_id.get(wanted.split("/")[0]) or {}

    def _file(self, location: dict[str, Any], depth: int) -> Path | None:
        """The file an artifact location names: absolute, or under ``root`` (§3.4)."""
        if depth > _MAX_BASE_DEPTH:
            return None
        if "uri" not in location:
            index = location.get("index")
            if isinstance(index, int) and 0 <= index < len(self.artifacts):
                return self._file(self.artifacts[index].get("location", {}), depth + 1)
            return None
        path = _uri_path(location["uri"])
        if path is None or path.is_absolute():
            return path
        base = self._base(location.get("uriBaseId"), depth)
        return base / path if base is not None else None

    def _base(self, base_id: str | None, depth: int) -> Path | None:
        """The directory ``base_id`` stands for (§3.14.14); unknown ids, and none, are the
        directory the tool ran in (``base``)."""
        entry = self.bases.get(base_id) if base_id is not None else None
        if entry is None or "uri" not in entry:
            return self.base
        return self._file(entry, depth + 1)


def _suppressed(result: dict[str, Any]) -> bool:
    """Whether ``result`` is suppressed (§3.27.23): suppressions, none under review or rejected."""
    suppressions = result.get("suppressions") or []
    pending = ("underReview", "rejected")
    return bool(suppressions) and not any(s.get("status") in pending for s in suppressions)


def _physical_location(result: dict[str, Any]) -> dict[str, Any]:
    """The first location's ``physicalLocation`` (§3.27.12: the primary one), or ``{}``."""
    locations: list[dict[str, Any]] = result.get("locations") or [{}]
    physical: dict[str, Any] = locations[0].get("physicalLocation", {})
    return physical


def _level(result: dict[str, Any], rule: dict[str, Any]) -> str:
    """The result's effective level, SARIF 2.1.0 §3.27.10."""
    if "level" in result:
        return str(result["level"])
    if result.get("kind", "fail") != "fail":
        return "none"
    return str(rule.get("defaultConfiguration", {}).get("level", "warning"))


def _uri_path(uri: str) -> Path | None:
    """A URI reference as a path: ``file:`` URIs and relative references; else ``None``."""
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme not in ("", "file"):
        return None
    return Path(unquote(parts.path)) if parts.path else None
