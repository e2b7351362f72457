"""YAML that remembers line numbers, so errors in user files can say where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

MAX_YAML_CHARS = 10_000_000


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping and of each of its keys; refuses aliases (a 300-byte alias
    "bomb" expands to gigabytes)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__key_lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(path: str | Path, what: str) -> Any:
    """Parse a YAML file; mappings carry `__line__` and `__key_lines__`. Errors name file and line."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(name, None, f"{what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, None, f"cannot read {what} ({exc})") from None
    if len(text) > MAX_YAML_CHARS:
        raise InputError(name, None, f"{what} is too large ({len(text):,} characters; at most {MAX_YAML_CHARS:,})")
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise InputError(name, None, f"invalid YAML: nested too deeply in {what}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(name, mark.line + 1 if mark else None, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(name, None, f"invalid YAML: {exc}") from None


def check_keys(item: dict, allowed: set[str], name: str, what: str) -> None:
    keys = item["__key_lines__"]
    unknown = set(keys) - allowed
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(name, keys[key], f"unknown {what} key '{key}' (allowed: {', '.join(sorted(allowed))})")


MAX_EXPANDED_NODES = 100_000  # far above any real frontmatter; a "billion laughs" bomb expands to millions


class _BoundedLoader(yaml.SafeLoader):
    """Docs and site configs are written by anyone: anchors and aliases are ordinary in Hugo frontmatter,
    so they are expanded, but only while the expanded document stays under a bound."""


class _BoundedStringLoader(yaml.BaseLoader):
    """The same, every scalar a string: a site config's `latest: 2.20` is the label 2.20, not the float 2.2."""


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes in the document with every alias expanded, counted without expanding it; a recursive alias
    counts as over the limit."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            visiting.discard(key)
            kids = _children(node)
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(k)] for k in kids))
            continue
        if key in sizes:
            continue
        if key in visiting:
            return limit + 1
        visiting.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def bounded_load(text: str, strings: bool = False, max_nodes: int = MAX_EXPANDED_NODES) -> Any:
    """yaml.safe_load with aliases expanded up to `max_nodes`; a bomb or nesting too deep is a YAMLError."""
    loader = (_BoundedStringLoader if strings else _BoundedLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, max_nodes) > max_nodes:
            raise yaml.YAMLError(f"aliases expand to more than {max_nodes:,} nodes")
        return loader.construct_document(node)
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None
    finally:
        loader.dispose()


def safe_load(text: str) -> Any:
    """Frontmatter and site configs: aliases expanded within a bound, nesting too deep a YAML error."""
    return bounded_load(text)
