"""Secret redaction and terminal hygiene for every string that leaves localci.

Three sources of rules, all applied by :class:`Redactor`:

- A maintained rule set taken as data: the regular expressions (``denylist``) of the
  detect-secrets plugins named in :data:`RULE_PLUGINS` (Yelp's detect-secrets: AWS keys,
  GitHub, GitLab, PyPI, npm, Slack, Stripe, JWT, ``user:pass@`` URLs ...). A rule with a
  capture group masks from the group on (the password of a URL, the value after a
  keyword); otherwise the whole match. The private-key plugin's headers start a block that is
  masked up to its ``END ... PRIVATE KEY`` line, across lines. :mod:`localci.secret_rules`
  loads them (from a memo in the user's cache, after the first import of detect-secrets).
- localci's own patterns for GitHub's documented token prefixes ("About authentication
  to GitHub": ``ghp_`` ``gho_`` ``ghu_`` ``ghs_`` ``ghr_`` ``github_pat_``) of any length
  and three-segment JSON Web Tokens. None starts with ``\\b``, so a token glued to a word
  (``prefix_ghp_...``) is still found.
- Literal values: variables whose names contain TOKEN, SECRET, PASSWORD or KEY (values
  shorter than 4 characters are left, since masking ``1`` everywhere would destroy the
  log), values passed as ``extra``, and credentials the process learnt at run time
  (:func:`remember`, e.g. a ``--token``).

:func:`printable` strips control characters and escape sequences from text that did not
come from localci (stage output, fetched notes), so it cannot drive the terminal.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from localci.secret_rules import RULE_PLUGINS, detect_secrets_rules

__all__ = [
    "MASK",
    "RULE_PLUGINS",
    "LineRedactor",
    "RedactingWriter",
    "Redactor",
    "load_rules",
    "local_paths",
    "printable",
    "redacted_console",
    "remember",
    "rules_loaded",
    "scrub",
    "secret_env_values",
]

MASK = "***"
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.IGNORECASE)
_MIN_SECRET_LEN = 4

_OWN_PATTERNS = (
    re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"),
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
)
_KEY_END = re.compile(r"END[A-Z0-9 _-]*(?:PRIVATE KEY|KEY BLOCK)|Private-MAC:")

_remembered: set[str] = set()
_remembered_lock = threading.Lock()
_generation = [0]  # bumped by remember(): writers rebuild their Redactor


def remember(secret: str | None) -> None:
    """Mask ``secret`` in every :class:`Redactor` made from now on (a ``--token``, a
    private key read from a file). Values shorter than 4 characters are ignored."""
    if secret and len(secret) >= _MIN_SECRET_LEN:
        with _remembered_lock:
            _remembered.update(s for s in (secret, secret.strip()) if len(s) >= _MIN_SECRET_LEN)
            _generation[0] += 1


@functools.lru_cache(maxsize=1)
def _rules() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...], re.Pattern[str]]:
    """(value rules, private-key header rules, one pattern matching wherever any rule
    does: a single scan rules out the common line that holds no secret at all)."""
    plugin_values, headers = detect_secrets_rules()
    values = (*_OWN_PATTERNS, *plugin_values)
    anyrule = re.compile(
        "|".join(
            f"(?i:{p.pattern})" if p.flags & re.IGNORECASE else f"(?:{p.pattern})"
            for p in (*values, *headers)
        )
    )
    return values, headers, anyrule


@functools.lru_cache(maxsize=1)
def _own_rules() -> tuple[
    tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...], re.Pattern[str]
]:
    headers = (re.compile(r"BEGIN[A-Z0-9 ]* PRIVATE KEY"),)
    anyrule = re.compile("|".join(p.pattern for p in (*_OWN_PATTERNS, *headers)))
    return _OWN_PATTERNS, headers, anyrule


_Rules = tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...], re.Pattern[str]]
_rules_lock = threading.Lock()


def _loaded_rules(detect_secrets: bool) -> _Rules:
    """:func:`_rules` or :func:`_own_rules`, loaded once even when several threads (a
    run's stage output pumps) ask at the same time."""
    with _rules_lock:
        return _rules() if detect_secrets else _own_rules()


def rules_loaded() -> bool:
    """Whether the detect-secrets rules are loaded in this process (see :func:`load_rules`)."""
    return _rules.cache_info().currsize > 0


def load_rules() -> None:
    """Load the detect-secrets rules now, so :class:`RedactingWriter` applies them too
    (commands that print what came from elsewhere: fetched notes, remote errors)."""
    _rules()


def secret_env_values(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of variables in ``env`` (default ``os.environ``) whose names look secret."""
    env = os.environ if env is None else env
    values = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_LEN}
    return tuple(sorted(values, key=len, reverse=True))


class Redactor:
    """Replaces secrets in text with :data:`MASK`, and local paths with placeholders.

    :param extra: further literal secrets (a ``--token`` value, stage ``env`` values).
    :param env: the environment to take secret-named variables from (``os.environ``).
    :param paths: literal replacements applied first, longest first: absolute local paths
        to placeholders (``{"/tmp/x/reports": "{reports}"}``); a key ending in ``/`` is a
        prefix (``{"/tmp/w/": ""}`` makes paths under the checkout relative).
    :param rules: apply the detect-secrets rules (importing detect-secrets costs ~0.3 s
        of CPU, their memo well under 0.1 s); without, only localci's own patterns and
        the literals. They are loaded on the first call, not here, so a run's first stage
        starts without waiting for them (the stage's output pump loads them while the
        stage runs).
    """

    def __init__(
        self,
        extra: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        *,
        paths: Mapping[str, str] | None = None,
        rules: bool = True,
    ) -> None:
        with _remembered_lock:
            known = set(_remembered)
        literals = (
            set(secret_env_values(env)) | known | {s for s in extra if len(s) >= _MIN_SECRET_LEN}
        )
        ordered = sorted(literals, key=len, reverse=True)
        self._literal = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        ordered_paths = sorted(paths or {}, key=len, reverse=True)
        self._placeholders = dict(paths or {})
        # A path only where it ends a path component: /home/u must not turn /home/user2
        # into ~ser2.
        self._path_re = (
            re.compile(
                "|".join(
                    re.escape(p) + ("" if p.endswith("/") else r"(?![^/\\\s'\"`:;,()\[\]{}<>|=])")
                    for p in ordered_paths
                )
            )
            if ordered_paths
            else None
        )
        self._detect_secrets = rules
        self._ruleset: _Rules | None = None
        self._anything: re.Pattern[str] | None = None

    @property
    def key_headers(self) -> tuple[re.Pattern[str], ...]:
        """The patterns of a private key's first line (its block runs to the end line)."""
        return self._rules()[1]

    def _rules(self) -> _Rules:
        if self._ruleset is None:
            self._ruleset = _loaded_rules(self._detect_secrets)
        return self._ruleset

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Sorted, merged ``(start, end)`` character ranges of ``text`` that are secret.
        A private-key block without its end line runs to the end of ``text``."""
        found: list[tuple[int, int]] = []
        if self._literal is not None:
            found += [m.span() for m in self._literal.finditer(text)]
        values, key_headers, anyrule = self._rules()
        if anyrule.search(text) is None:
            return _merge(found)
        for pattern in values:
            for m in pattern.finditer(text):
                span = _secret_span(m)
                if span[1] > span[0]:
                    found.append(span)
        for pattern in key_headers:
            for m in pattern.finditer(text):
                end = _KEY_END.search(text, m.end())
                found.append((m.start(), end.end() if end else len(text)))
        return _merge(found)

    def _anything_re(self) -> re.Pattern[str]:
        """One pattern matching wherever a path, a literal or a rule would: text it does
        not match is returned as it is after a single scan (most strings of a result)."""
        if self._anything is None:
            parts = (self._path_re, self._literal, self._rules()[2])
            self._anything = re.compile("|".join(f"(?:{p.pattern})" for p in parts if p))
        return self._anything

    def __call__(self, text: str) -> str:
        """``text`` with local paths replaced and every known secret masked."""
        if self._anything_re().search(text) is None:
            return text
        if self._path_re is not None:
            text = self._path_re.sub(lambda m: self._placeholders[m.group()], text)
        spans = self.spans(text)
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out += [text[last:start], MASK]
            last = end
        out.append(text[last:])
        return "".join(out)

    def lines(self) -> LineRedactor:
        """A fresh stateful redactor for one stream of lines (a private key printed
        over many lines is masked to its end line)."""
        return LineRedactor(self)


class LineRedactor:
    """Redacts a stream line by line, remembering an open private-key block."""

    def __init__(self, redactor: Redactor) -> None:
        self._redact = redactor
        self._in_key = False

    def __call__(self, line: str) -> str:
        if self._in_key:
            end = _KEY_END.search(line)
            if end is None:
                return MASK
            self._in_key = False
            return MASK + self._redact(line[end.end() :])
        out = self._redact(line)
        for header in self._redact.key_headers:
            m = header.search(line)
            if m is not None and _KEY_END.search(line, m.end()) is None:
                self._in_key = True
        return out


def _secret_span(m: re.Match[str]) -> tuple[int, int]:
    """From the first non-empty group (the value after ``aws_secret... = "``, the password
    of a URL; a group at the start, like GitLab's prefix, is the whole match) to the end of
    the match, less a closing quote or ``@``."""
    groups = [m.start(i) for i in range(1, (m.re.groups or 0) + 1) if m.group(i)]
    start, end = (min(groups) if groups else m.start()), m.end()
    while end > start and m.string[end - 1] in "@\"'":
        end -= 1
    return start, end


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL / ST (titles, hyperlinks)
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor moves, erase)
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b[@-Z\\-_]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"  # C0/C1, bidi overrides
)


def printable(text: str) -> str:
    """``text`` without terminal control: escape sequences (OSC, CSI, DCS ...), C0 and C1
    control characters other than tab and newline (carriage returns included), and the
    Unicode bidirectional overrides ("Trojan Source", CVE-2021-42574)."""
    return _ESCAPES.sub("", text)


def scrub(doc: Any, redact: Callable[[str], str], *, keep: Iterable[str] = ()) -> Any:
    """A copy of the JSON-like ``doc`` with ``redact`` applied to every string value, list
    item and mapping key (a key can be data: the inventory maps test ids to outcomes),
    except the values of keys named in ``keep`` (identifiers that must stay exact: a
    stage's ``name``, a commit sha)."""
    kept = frozenset(keep)
    if isinstance(doc, str):
        return redact(doc)
    if isinstance(doc, Mapping):
        return {
            (k if k in kept else redact(k)): v if k in kept else scrub(v, redact, keep=kept)
            for k, v in doc.items()
        }
    if isinstance(doc, (list, tuple)):
        return [scrub(v, redact, keep=kept) for v in doc]
    return doc


def local_paths(**named: Path | str | None) -> dict[str, str]:
    """Placeholders for absolute local paths: ``local_paths(reports=p)`` maps ``p`` (and
    its resolved form) to ``{reports}``; the home directory becomes ``~``. For
    :class:`Redactor`'s ``paths``."""
    out: dict[str, str] = {}
    home = os.path.expanduser("~")
    if len(home) > 1:
        out[home] = "~"
    for name, path in named.items():
        if path is None:
            continue
        for form in {str(path), str(Path(path).resolve())}:
            if len(form) > 1:
                out[form] = "{" + name + "}"
    return out


class RedactingWriter:
    """A text stream that masks secrets in everything written to ``inner`` (stdout or
    stderr), with a :class:`Redactor` rebuilt whenever :func:`remember` learns a new
    secret or the detect-secrets rules get loaded (until then, ``--help`` and ``show``
    stay fast: literals and localci's own patterns only; results were redacted with the
    full rules when they were made). Other attributes (``isatty``, ``fileno``,
    ``encoding``) are ``inner``'s."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        self._seen: tuple[int, bool] = (-1, False)
        self._redactor: Redactor | None = None

    def _current(self) -> Redactor:
        state = (_generation[0], rules_loaded())
        if self._redactor is None or self._seen != state:
            self._seen = state
            self._redactor = Redactor(rules=state[1])
        return self._redactor

    def write(self, text: str) -> int:
        self._inner.write(self._current()(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def redacted_console() -> Iterator[None]:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`RedactingWriter` for the
    duration (the command line's whole life), then put the originals back."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, RedactingWriter(saved[0]))
    sys.stderr = cast(TextIO, RedactingWriter(saved[1]))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
