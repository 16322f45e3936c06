"""A verifier check and the list the checks are collected in."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Check", "Checklist"]


@dataclass(frozen=True, kw_only=True)
class Check:
    """One named check: ``passed`` and a one-sentence ``reason`` either way."""

    name: str
    passed: bool
    reason: str


@dataclass
class Checklist:
    """Mutable scratch state while the checks run; frozen into a :class:`Verdict`."""

    checks: list[Check] = field(default_factory=list)
    signer: str | None = None
    issuer: str | None = None

    def add(self, name: str, passed: bool, reason: str) -> bool:
        self.checks.append(Check(name=name, passed=passed, reason=reason))
        return passed
