"""A docs file's own say about itself: YAML or TOML frontmatter, Hugo `cascade` blocks from
`_index.md` pages, RFC-822-style headers, banners, and `docaudit: ignore` suppressions, as markers."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import yaml

from docaudit.config import Config
from docaudit.currency.banners import find_banners, resolve_link
from docaudit.currency.headers import status_markers
from docaudit.records import Marker, MarkerKind, required_utc
from docaudit.yamlfile import safe_load

MARKER_KEYS = ("deprecated", "is_deprecated", "archived", "superseded_by", "review_by")
IGNORE_COMMENT = re.compile(r"<!--\s*docaudit:\s*ignore\b([^>]*?)\s*-->", re.IGNORECASE)


def split_frontmatter(text: str) -> tuple[dict, str, str | None]:
    """(frontmatter, body, problem). YAML between `---`, or TOML between `+++` (Hugo)."""
    for fence, parse in (("---", safe_load), ("+++", tomllib.loads)):
        if text.startswith(fence + "\n") or text.startswith(fence + "\r\n"):
            end = re.search(rf"^{re.escape(fence)}[ \t]*\r?$", text[len(fence) + 1 :], re.MULTILINE)
            if not end:
                return {}, text, "frontmatter is not closed"
            raw = text[len(fence) + 1 : len(fence) + 1 + end.start()]
            body = text[len(fence) + 1 + end.end() :].lstrip("\r\n")
            try:
                data = parse(raw) or {}
            except (yaml.YAMLError, tomllib.TOMLDecodeError, RecursionError) as exc:
                return (
                    {},
                    body,
                    f"frontmatter could not be parsed ({(str(exc).splitlines() or ['nested too deeply'])[0][:120]})",
                )
            if not isinstance(data, dict):
                return {}, body, "frontmatter is not a mapping"
            return data, body, None
    return {}, text, None


def frontmatter_of(root: Path, rel: str) -> dict:
    try:
        meta, _, _ = split_frontmatter((root / rel).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return {}
    return meta


def cascades_of(doc_files: list[str], frontmatter: Callable[[str], dict]) -> dict[str, tuple[dict, str]]:
    """Folder -> (markers, index file) from Hugo `_index.md` pages with a `cascade` block."""
    cascades = {}
    for rel in doc_files:
        if PurePosixPath(rel).stem != "_index":
            continue
        meta = frontmatter(rel)
        cascade = meta.get("cascade")
        if isinstance(cascade, list):  # Hugo allows a list of blocks; targeted ones we cannot judge
            cascade = next((c for c in cascade if isinstance(c, dict) and "_target" not in c), None)
        if isinstance(cascade, dict):
            markers = {k: cascade[k] for k in (*MARKER_KEYS, "owner", "status") if k in cascade}
            if markers:
                cascades[str(PurePosixPath(rel).parent)] = (markers, rel)
    return cascades


def _inherited(rel: str, cascades: dict[str, tuple[dict, str]]) -> list[tuple[dict, str]]:
    """Cascaded markers from the nearest section first."""
    found = []
    parent = PurePosixPath(rel).parent
    for folder in [parent, *parent.parents]:
        key = str(folder)
        if key in cascades and cascades[key][1] != rel:
            found.append(cascades[key])
    return found


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "0")
    return bool(value)


def _markers_from(meta: dict, source: str, rel: str, config: Config) -> list[Marker]:
    markers = []
    flags: tuple[tuple[str, MarkerKind], ...] = (
        ("deprecated", "deprecated"),
        ("is_deprecated", "deprecated"),
        ("archived", "archived"),
    )
    for key, kind in flags:
        if key in meta and _truthy(meta[key]):
            markers.append(Marker(kind, str(meta[key]), source))
    for marker in status_markers(meta, source, config.markers):
        if marker.kind in {m.kind for m in markers}:
            continue
        if marker.kind in ("superseded_by", "replaces") and not marker.value.isdigit():
            marker = Marker(marker.kind, resolve_link(rel, marker.value), marker.source)  # a link, not an id
        markers.append(marker)
    successor = meta.get("superseded_by")
    if successor and not any(m.kind == "superseded_by" for m in markers):
        markers.append(Marker("superseded_by", resolve_link(rel, str(successor)), source))
    if meta.get("review_by"):
        value = meta["review_by"]
        try:
            when = required_utc(value)
            markers.append(Marker("review_by", when.date().isoformat(), source))
        except (TypeError, ValueError):
            markers.append(Marker("review_by", str(value), source, valid=False))
    return markers


def ignores(meta: dict, text: str) -> list[Marker]:
    """Suppressions the doc asks for: frontmatter `docaudit: {ignore: [...]}`, or `<!-- docaudit: ignore RULE -->`."""
    markers = []
    settings = meta.get("docaudit")
    if isinstance(settings, dict):
        rules = settings.get("ignore") or []
        for rule in [rules] if isinstance(rules, str) else rules:
            markers.append(Marker("ignore", str(rule), "frontmatter"))
    for match in IGNORE_COMMENT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        rules = [r for r in re.split(r"[\s,]+", match.group(1)) if r] or ["all"]
        markers += [Marker("ignore", rule, f"comment at line {line}") for rule in rules]
    return markers


def page_markers(
    rel: str, fields: dict, meta: dict, header: dict, body: str, cascades: dict, config: Config
) -> tuple[list[Marker], object]:
    """The page's markers (its own fields, what index pages cascade onto it, banners in its text) and
    the owner it names or inherits."""
    markers = _markers_from(fields, "frontmatter" if meta else "header", rel, config)
    if header.get("_id"):
        markers.append(Marker("alias", header["_id"], "header"))
    owner_value = fields.get("owner")
    own_keys = set(meta)  # a page's own value, even `deprecated: false`, beats a cascade (as in Hugo)
    for inherited, index_file in _inherited(rel, cascades):
        markers += [
            m
            for m in _markers_from(inherited, f"cascade from {index_file}", rel, config)
            if m.kind not in own_keys and not (m.kind == "deprecated" and "is_deprecated" in own_keys)
        ]
        own_keys |= set(inherited)
        owner_value = owner_value or inherited.get("owner")
    if not any(m.kind in ("deprecated", "archived", "current") for m in markers):
        markers += find_banners(rel, body)
    return markers, owner_value
