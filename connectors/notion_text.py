"""Notion's block and rich-text payloads as Markdown-like text: pure functions of the JSON."""

from __future__ import annotations

from typing import Any

TEXT_BLOCKS = {
    "paragraph": "",
    "heading_1": "# ",
    "heading_2": "## ",
    "heading_3": "### ",
    "bulleted_list_item": "- ",
    "numbered_list_item": "1. ",
    "quote": "> ",
    "toggle": "",
    "to_do": "",
    "callout": "> ",
    "code": "",
}
SILENT_BLOCKS = {"divider", "breadcrumb", "table_of_contents", "column_list", "column", "template"}
UNKNOWN = "\x00unknown"  # a block type with no text docaudit can find: counted as skipped


def text_line(kind: str, data: dict, indent: str) -> str:
    text = rich(data.get("rich_text"))
    if kind == "to_do":
        text = f"[{'x' if data.get('checked') else ' '}] {text}"
    elif kind == "callout":
        text = f"{(data.get('icon') or {}).get('emoji', '')} {text}".strip()
    elif kind == "code":
        text = f"```{data.get('language', '')}\n{text}\n```"
    prefix = TEXT_BLOCKS[kind]
    return f"{prefix}{text}" if prefix.startswith("#") else f"{indent}{prefix}{text}"


def leaf_line(kind: str, data: dict, indent: str) -> str | None:
    """The line of a block that is neither text nor a container of pages."""
    if kind == "table_row":
        return indent + " | ".join(rich(cell) for cell in data.get("cells", []))
    if kind == "table" or kind in SILENT_BLOCKS:
        return None  # a table's rows are its children; dividers and columns say nothing
    if kind in ("bookmark", "embed", "link_preview"):
        caption = rich(data.get("caption"))
        return f"{indent}{caption + ': ' if caption else ''}{data.get('url', '')}"
    if kind in ("image", "file", "pdf", "video", "audio"):
        caption = rich(data.get("caption"))
        return f"{indent}{caption}" if caption else None
    if kind == "equation":
        return f"{indent}{data.get('expression', '')}"
    # A type docaudit does not know (a tab, a new container) still gives up its text and children.
    text = any_text(data)
    return f"{indent}{text}" if text else UNKNOWN


def rich(items: Any) -> str:
    """Plain text; a page mention becomes a link so a "superseded by @Page" banner can name its successor."""
    parts = []
    for item in items or []:
        mention = item.get("mention") or {}
        if mention.get("type") == "page":
            parts.append(f"[{item.get('plain_text', '')}](notion:{mention['page']['id']})")
        else:
            parts.append(item.get("plain_text", ""))
    return "".join(parts)


RICH_TEXT_KEYS = ("rich_text", "text", "title", "caption")


def any_text(data: Any) -> str:
    """The rich text a block of an unknown type carries, wherever its payload keeps it."""
    if not isinstance(data, dict):
        return ""
    parts = []
    for key in RICH_TEXT_KEYS:
        value = data.get(key)
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            parts.append(rich(value))
        elif isinstance(value, str) and key == "title":
            parts.append(value)
    return " ".join(p for p in parts if p.strip())


def plain(items: Any) -> str:
    return rich(items).strip()


def page_title(page: dict) -> str:
    for prop in (page.get("properties") or {}).values():
        if prop.get("type") == "title":
            return plain(prop.get("title"))
    return ""


def parent_database(page: dict) -> str:
    parent = page.get("parent") or {}
    if parent.get("type") in ("database_id", "data_source_id"):
        return str(parent.get("database_id") or parent.get(parent["type"]) or "")
    return ""


def parent_id(obj: dict) -> str | None:
    parent = obj.get("parent") or {}
    kind = parent.get("type")
    if kind in ("page_id", "database_id", "block_id", "data_source_id"):
        return parent.get(kind)
    return None
