"""The configuration as frozen dataclasses: what the loader produces for the rest of localci.

Field names follow ``schemas/config.v1.schema.json``; :mod:`localci.config.loader` builds
these from a validated document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from localci.result.model import Severity

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_ANNOTATIONS",
    "DEFAULT_PATH",
    "Config",
    "ConfigSource",
    "PublishConfig",
    "ReportSpec",
    "Signer",
    "StageConfig",
    "VerifyPolicy",
]

CONFIG_FILES = (".localci.yml", ".localci.yaml")
DEFAULT_PATH = "<default>"


@dataclass(frozen=True, kw_only=True)
class ReportSpec:
    """Where a stage writes its report and in which format (``junit``, ``sarif``, ...)."""

    format: str
    path: str


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """One stage as configured.

    ``run`` is an argv tuple, or a single shell string when ``shell`` is true.
    ``timeout`` is in seconds (``None``: no limit). ``env`` is a sorted tuple of
    ``(name, value)`` pairs added to the inherited environment. ``needs`` must have
    passed before the stage starts; ``after`` only orders (whatever their outcome).
    Thresholds apply by kind:
    ``min_percent`` (coverage), ``max_failures`` (tests), ``max_findings`` + ``severity``
    (lint). ``report_exit_codes`` are the exit codes after which the tool has written its
    report (``None``: the tool's defaults, :mod:`localci.reports.exits`). ``precision`` is
    never configured: it is coverage.py's ``[report] precision`` (digits, >= 0), set when
    ``min_percent`` is the project's own ``fail_under``
    (:func:`localci.run.project.with_project_thresholds`), and makes ``min_percent``
    judged by coverage.py's rule; ``None`` compares the unrounded total.
    """

    name: str
    kind: Literal["tests", "coverage", "lint", "command"]
    run: tuple[str, ...] | str
    shell: bool = False
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    timeout: float | None = None
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    report: ReportSpec | None = None
    min_percent: float | None = None
    precision: int | None = None
    max_failures: int | None = None
    max_flaky: int | None = None
    max_findings: int | None = None
    severity: Severity = "warning"
    skip_if_missing: bool = False
    inputs: tuple[str, ...] = ()
    report_exit_codes: frozenset[int] | None = None


@dataclass(frozen=True, kw_only=True)
class Signer:
    """An allowlisted signer: exact ``identity`` or ``identity_regex``, and OIDC ``issuer``."""

    issuer: str
    identity: str | None = None
    identity_regex: str | None = None


@dataclass(frozen=True, kw_only=True)
class VerifyPolicy:
    """The ``verify:`` section. ``max_age`` is in seconds (``None``: no limit).

    ``required_stages`` defaults to every configured stage. ``require_merge_result``: in
    a merge queue, the gate demands a result for the merge-group commit itself (whose
    tree differs from every pull request head) instead of one per pull request head.
    """

    signers: tuple[Signer, ...] = ()
    require_signature: bool = True
    max_age: float | None = None
    accept_same_tree: bool = False
    require_merge_result: bool = False
    required_stages: tuple[str, ...] = ()


DEFAULT_ANNOTATIONS = (("coverage", "changed-lines"), ("lint", "changed-files"), ("tests", "all"))
"""``publish.annotations`` when unset: per finding kind, the gate's filter mode."""


@dataclass(frozen=True, kw_only=True)
class PublishConfig:
    """The ``publish:`` section: where results go and under which names."""

    notes_ref: str = "refs/notes/localci"
    check_name: str = "localci"
    status_context: str = "localci"
    target_url: str | None = None
    remote: str = "origin"
    annotate_uncovered: bool = False
    annotations: tuple[tuple[str, str], ...] = DEFAULT_ANNOTATIONS
    """Per finding kind (``lint``, ``tests``, ``coverage``), which findings the gate
    annotates: ``changed-lines``, ``changed-files`` or ``all``."""
    pr_comment: bool = True
    dispatch_on_failure: bool = False


@dataclass(frozen=True, kw_only=True)
class Config:
    """A validated configuration.

    ``path`` is where it came from, relative to the repository root when inside it
    (``.localci.yml``, ``pyproject.toml``) or ``<default>``; ``sha256`` is the digest of
    ``document`` as RFC 8785 canonical JSON, recorded in every result. ``python`` is
    the configured interpreter for ``{python}`` (see :mod:`localci.run.interpreter`).
    """

    path: str
    sha256: str
    document: Mapping[str, Any]
    stages: tuple[StageConfig, ...]
    verify: VerifyPolicy = field(default_factory=VerifyPolicy)
    publish: PublishConfig = field(default_factory=PublishConfig)
    cache_enabled: bool = True
    cache_inputs: tuple[str, ...] = ()
    retention_days: int = 14
    python: str | None = None

    def stage(self, name: str) -> StageConfig | None:
        """The stage called ``name``, or ``None``."""
        return next((s for s in self.stages if s.name == name), None)


@dataclass(frozen=True, kw_only=True)
class ConfigSource:
    """Configuration text and where it came from.

    ``kind`` is ``yaml``, ``pyproject`` or ``default``; ``display`` names the file in
    messages (relative to the repository root when possible).
    """

    kind: Literal["yaml", "pyproject", "default"]
    display: str
    text: str
