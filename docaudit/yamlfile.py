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


class _NoAliasLoader(yaml.SafeLoader):
    """Docs and site configs are written by anyone: aliases (the "billion laughs" bomb) are refused."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def safe_load(text: str) -> Any:
    """yaml.safe_load without aliases; nesting too deep is a YAML error, not a RecursionError."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None
