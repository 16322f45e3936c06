"""Reading YAML that may be hostile: bounded size, nesting and alias expansion.

PyYAML's ``SafeLoader`` builds only plain data, but it still lets a small document
expand into an enormous one through aliases ("billion laughs": a 389-byte file becomes
gigabytes once walked as a tree) and recurses once per nesting level (10,000 levels
raise ``RecursionError``). :class:`BoundedLoader` refuses both while composing, with the
position in the file, before anything walks the document:

- :data:`MAX_BYTES` of text; :data:`MAX_DEPTH` levels of nesting;
- :data:`MAX_ALIASES` alias uses, and :data:`MAX_NODES` values once every alias is
  expanded (counted on the node graph, so the count itself stays cheap).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from localci.errors import ConfigError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "BoundedLoader", "check_size"]

MAX_BYTES = 1 << 20
"""1 MiB: far beyond any configuration."""
MAX_DEPTH = 64
MAX_ALIASES = 256
MAX_NODES = 100_000


_BRACKET = re.compile(r"[\[\]{}]")


def check_size(text: str, display: str) -> None:
    """Refuse, before PyYAML sees it, text longer than :data:`MAX_BYTES` or with flow
    brackets (``[`` ``{``) open deeper than :data:`MAX_DEPTH`: PyYAML's scanner reads a
    whole run of opening brackets before the first token (quadratic time). Brackets in
    quoted strings are counted too; they are balanced in any plausible file.

    :raises ConfigError: naming ``display`` and, for nesting, ``line:col``.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ConfigError(
            f"{display}: larger than {MAX_BYTES // 1024} KiB; not read",
            hint="A configuration this large is not plausible; check the file.",
        )
    depth = 0
    for m in _BRACKET.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            raise ConfigError(
                f"{display}:{line}:{col}: nested deeper than {MAX_DEPTH} levels",
                hint="Flatten the structure.",
            )


class BoundedLoader(yaml.SafeLoader):
    """A ``SafeLoader`` that raises :class:`~localci.errors.ConfigError` (naming
    ``display:line:col``) past the bounds above."""

    def __init__(self, text: str, display: str) -> None:
        check_size(text, display)
        super().__init__(text)
        self._display = display
        self._depth = 0
        self._aliases = 0

    def _refuse(self, problem: str) -> ConfigError:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return ConfigError(
            f"{self._display}:{mark.line + 1}:{mark.column + 1}: {problem}",
            hint="Flatten the structure, or spell values out instead of repeating aliases.",
        )

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise self._refuse(f"more than {MAX_ALIASES} aliases")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise self._refuse(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None and _expanded_size(node) > MAX_NODES:
            raise ConfigError(
                f"{self._display}: expands to more than {MAX_NODES} values through aliases",
                hint="Spell values out instead of nesting aliases of aliases.",
            )
        return node


def _expanded_size(root: yaml.Node) -> int:
    """Values in the document once aliases are expanded, counted on the node graph
    (each distinct node once, memoised), capped just past :data:`MAX_NODES`."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            total = 1 + sum(sizes.get(id(c), 0) for c in children)
            sizes[id(node)] = min(total, MAX_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
