"""The verifier's answer: named checks, each passed or failed with a reason.

Integrity checks (:data:`INTEGRITY_CHECKS`) fail with exit code 4: the result cannot be
trusted at all. Policy checks (``complete``, ``age``, ``stages``, ``thresholds``) fail
with exit code 1: a trustworthy result that does not meet the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localci.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_VERIFICATION
from localci.result.model import Result
from localci.verifier.checklist import Check

__all__ = ["INTEGRITY_CHECKS", "Check", "Verdict"]

INTEGRITY_CHECKS = (
    "schema",
    "signature",
    "signer",
    "subject",
    "test_result",
    "commit",
    "clean",
    "config",
)
"""Checks whose failure means the result cannot be trusted at all (exit code 4)."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The verifier's answer.

    ``accepted`` is true only when every check passed. ``exit_code`` is 0, 1 (policy not
    met) or 4 (integrity). ``signer`` / ``issuer`` are the certificate's, when a
    signature verified. ``result`` is the parsed document when it was schema-valid.
    ``warnings`` are advice about the policy itself (e.g. a loose ``identity_regex``);
    they never change the verdict.
    """

    sha: str
    checks: tuple[Check, ...]
    signer: str | None = None
    issuer: str | None = None
    result: Result | None = field(default=None, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def accepted(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def exit_code(self) -> int:
        """0 accepted, 4 an integrity check failed, else 1."""
        failed = {c.name for c in self.checks if not c.passed}
        if failed & set(INTEGRITY_CHECKS):
            return EXIT_VERIFICATION
        return EXIT_CHECK_FAILED if failed else EXIT_OK

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that failed, in order."""
        return tuple(c for c in self.checks if not c.passed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``localci verify --json``."""
        return {
            "sha": self.sha,
            "accepted": self.accepted,
            "exit_code": self.exit_code,
            "signer": self.signer,
            "issuer": self.issuer,
            "checks": [vars(c) for c in self.checks],
            "warnings": list(self.warnings),
        }
