"""Advice about a policy's ``identity_regex`` signers: warnings, never errors.

localci matches an ``identity_regex`` against the whole certificate identity
(``re.fullmatch``), so an unanchored pattern is not a hole here; but the same pattern
copied to a tool that searches (cosign's ``--certificate-identity-regexp``, Go's
``regexp.MatchString``) accepts any identity that merely contains a match, so it is
flagged. The real hole is a GitHub Actions identity pattern whose workflow-path or ref
part can match ``@``: the SAN is ``https://github.com/OWNER/REPO/.github/workflows/PATH@REF``
and ``refs/heads/evil@refs/heads/main`` is a valid branch name (git check-ref-format
allows ``@`` except in ``@{``), so ``.+@refs/heads/main$`` also accepts a workflow run on
that branch. Source for the SAN format: Fulcio's OID documentation ("Build Signer URI").
"""

from __future__ import annotations

import importlib
from typing import Any

from localci.config.loader import Config, Signer

__all__ = ["ACTIONS_ISSUER", "identity_regex_warnings", "regex_warnings"]

ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
"""The OIDC issuer of GitHub Actions identity tokens."""

_AT = ord("@")
_MANY = 2
# The regex parser of the standard library (``re._parser`` since 3.11, ``sre_parse``
# before); both are private but stable, and only read here.
try:
    _parser: Any = importlib.import_module("re._parser")
    _c: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - Python 3.10
    _parser = importlib.import_module("sre_parse")
    _c = importlib.import_module("sre_constants")


def identity_regex_warnings(config: Config) -> list[str]:
    """One line per questionable ``verify.signers[].identity_regex`` of ``config``."""
    found: list[str] = []
    for index, signer in enumerate(config.verify.signers):
        if signer.identity_regex is None:
            continue
        where = f"{config.path}: verify.signers[{index}].identity_regex"
        found += [f"{where}: {text}" for text in regex_warnings(signer)]
    return found


def regex_warnings(signer: Signer) -> list[str]:
    """Warnings for one signer's ``identity_regex`` (``[]`` for an exact identity)."""
    pattern = signer.identity_regex
    if pattern is None:
        return []
    try:
        parsed = list(_parser.parse(pattern).data)
    except Exception:  # re.error; the signer check reports invalid patterns itself
        return []
    out = []
    if not _anchored(parsed):
        out.append(
            f"`{pattern}` is not anchored (^…$): localci matches the whole identity, but "
            "a tool that searches (cosign --certificate-identity-regexp) accepts any "
            "identity containing a match"
        )
    workflow = signer.issuer == ACTIONS_ISSUER or "workflows" in pattern
    if workflow and _max_ats(parsed) >= _MANY:
        out.append(
            f"`{pattern}` lets the workflow path or the ref match '@', so it also accepts "
            "e.g. a run on the branch 'refs/heads/evil@refs/heads/main'; use a class "
            "without '@', e.g. [A-Za-z0-9._/-]+ for the workflow path"
        )
    return out


def _anchored(items: list[Any]) -> bool:
    if not items:
        return False
    first, last = items[0], items[-1]
    begins = first[0] is _c.AT and first[1] in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING)
    ends = last[0] is _c.AT and last[1] in (_c.AT_END, _c.AT_END_STRING)
    return bool(begins and ends)


def _max_ats(items: list[Any]) -> int:
    """How many ``@`` characters a match of ``items`` can hold (capped at 2: "many")."""
    total = 0
    for op, arg in items:
        total += _node_ats(op, arg)
    return min(total, _MANY)


def _node_ats(op: Any, arg: Any) -> int:
    if op is _c.LITERAL:
        return int(arg == _AT)
    if op is _c.NOT_LITERAL:
        return int(arg != _AT)
    if op is _c.ANY:
        return 1
    if op is _c.IN:
        return int(_class_has_at(arg))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        _low, high, sub = arg
        inner = _max_ats(list(sub))
        return inner * (1 if high == 1 else _MANY)
    if op is _c.SUBPATTERN:
        return _max_ats(list(arg[-1]))
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _max_ats(list(arg))
    if op is _c.BRANCH:
        return max((_max_ats(list(alt)) for alt in arg[1]), default=0)
    if op is _c.GROUPREF_EXISTS:
        return max(_max_ats(list(arg[1])), _max_ats(list(arg[2] or [])))
    if op is _c.GROUPREF:
        return _MANY  # a back-reference repeats a group: assume the worst
    return 0  # anchors and look-arounds consume nothing


def _class_has_at(items: Any) -> bool:
    negate = False
    hit = False
    for op, arg in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            hit = hit or arg == _AT
        elif op is _c.RANGE:
            hit = hit or arg[0] <= _AT <= arg[1]
        elif op is _c.CATEGORY:
            hit = hit or arg in (_c.CATEGORY_NOT_WORD, _c.CATEGORY_NOT_SPACE, _c.CATEGORY_NOT_DIGIT)
    return hit != negate
