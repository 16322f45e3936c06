"""The embedded default configuration (used when a project has none) and the starter
file ``localci init`` writes."""

from __future__ import annotations

__all__ = ["DEFAULT_CONFIG_YAML"]

DEFAULT_CONFIG_YAML = """\
# localci configuration (schema: schemas/config.v1.schema.json)
version: 1
stages:
  - name: tests
    kind: tests
    run: ["{python}", "-m", "coverage", "run", "--data-file={reports}/.coverage",
          "-m", "pytest", "--junitxml={reports}/junit.xml", "-q"]
    report: {format: junit, path: "{reports}/junit.xml"}
    max_failures: 0
  - name: coverage
    kind: coverage
    after: [tests]
    run: ["{python}", "-m", "coverage", "json", "--data-file={reports}/.coverage",
          "-o", "{reports}/coverage.json"]
    report: {format: coverage-json, path: "{reports}/coverage.json"}
  - name: lint
    kind: lint
    run: ["ruff", "check", "--no-fix", "--output-format=json",
          "--output-file={reports}/ruff.json", "."]
    report: {format: ruff-json, path: "{reports}/ruff.json"}
    max_findings: 0
    skip_if_missing: true
"""
"""The embedded default for Python projects: pytest under coverage, coverage JSON, ruff."""
