"""Confluence's storage format (XHTML with `ac:` and `ri:` elements) as Markdown-like text.

Headings, lists, tables and code survive, so probes and `chunk_by = "headings"` work as on a
docs repo. Notice macros (`info`, `note`, `warning`, `tip`, and the newer ADF panels) become
`> ` quotes, the shape `banners.find_banners` reads as a notice. Bodies of `expand` and `panel`
macros are text like any other. Macro parameters, task ids, placeholders and ADF fallbacks are
not prose and never reach the text.

A link to a page becomes `[text](confluence:<page id>)` when the crawl knows the page, and a web
link `[text](https://...)`, so that "superseded by <link>" names its successor, in this space or
in another tool. `markdown()` gives that text for reading notices; `plain()` drops the links for
the index. Only links this module wrote are touched: they are fenced by private-use characters
that the page's own text can never carry. The
standard library's HTML parser reads it: it never raises on malformed markup, and storage
bodies are not always well-formed XML (bare `&nbsp;`, unclosed `<br>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

NOTICE_MACROS = {"info", "note", "warning", "tip", "panel"}
CODE_MACROS = {"code", "noformat"}
# Elements whose content is configuration, not text a reader sees.
HIDDEN = {
    "ac:parameter",
    "ac:adf-attribute",
    "ac:adf-fallback",
    "ac:task-id",
    "ac:task-uuid",
    "ac:task-status",
    "ac:placeholder",
    "style",
    "script",
}
BLOCKS = {
    "p",
    "div",
    "pre",
    "blockquote",
    "table",
    "tbody",
    "thead",
    "ul",
    "ol",
    "ac:rich-text-body",
    "ac:layout",
    "ac:layout-section",
    "ac:layout-cell",
    "ac:adf-content",
    "ac:task-list",
    "hr",
}
HEADINGS = {f"h{n}": n for n in range(1, 7)}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
OPEN, CLOSE = "\ue000", "\ue001"  # fence the links to_text writes
WRITTEN_LINK = re.compile(OPEN + r"\[([^" + OPEN + CLOSE + r"]*)\]\([^" + OPEN + CLOSE + r"]*\)" + CLOSE)
WEB_LINK = re.compile(r"^https?://[^\s()\[\]]+$")


def plain(linked: str) -> str:
    """The text without the link markup `to_text` put in."""
    return WRITTEN_LINK.sub(r"\1", linked)


def markdown(linked: str) -> str:
    """The text with its links as Markdown links, for `banners.find_banners`."""
    return linked.replace(OPEN, "").replace(CLOSE, "")


def to_text(
    storage: str,
    page_id: Callable[[str, str], str] = lambda title, space: "",
    user_name: Callable[[str], str] = lambda user: "",
) -> str:
    """Storage XHTML as text with page links marked. `page_id(title, space key)` resolves a page
    link ("" when unknown); `user_name(account id, user key or username)` a mention."""
    reader = _Reader(page_id, user_name)
    reader.feed(storage or "")
    reader.close()
    return reader.text()


class _Reader(HTMLParser):
    def __init__(self, page_id: Callable[[str, str], str], user_name: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=True)
        self.page_id = page_id
        self.user_name = user_name
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.hidden = 0  # depth inside HIDDEN elements
        self.quote = 0  # depth inside notice macros
        self.lists: list[str] = []  # "ul" / "ol" per open list
        self.prefix = ""  # the marker of the block being written ("## ", "- ")
        self.rows: list[list[str]] = []  # cells of the table rows being read, innermost last (tables nest)
        self.macros: list[str] = []  # names of the open structured macros
        self.code: list[str] | None = None  # a code macro's body, while inside it
        self.link: dict | None = None  # the ac:link or <a> being read: its target and body
        self.in_title = False  # inside a macro's title parameter

    # --- the parser's callbacks ---------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag in HIDDEN:
            self._open_hidden(tag, attr)
        elif not self.hidden:
            opener = _OPENERS.get(tag) or (_Reader._open_block if tag in BLOCKS else None)
            if opener:
                opener(self, tag, attr)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "ri:page", "ri:user", "ri:url", "ri:attachment", "time", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self._close_hidden(tag)
        elif not self.hidden:
            closer = _CLOSERS.get(tag) or (_Reader._close_block if tag in BLOCKS else None)
            if closer:
                closer(self, tag)

    # --- one opener per element kind: (self, tag, attributes) ---------------------------

    def _open_hidden(self, tag: str, attr: dict[str, str]) -> None:
        if tag == "ac:parameter" and not self.hidden and attr.get("ac:name") == "title" and self._titled_macro():
            self._flush()  # a notice's or an expand's title is what a reader sees first
            self.prefix = "**"
            self.in_title = True
        else:
            self.hidden += 1

    def _open_macro(self, tag: str, attr: dict[str, str]) -> None:
        self._flush()
        name = attr.get("ac:name", "").lower()
        self.macros.append(name)
        if name in NOTICE_MACROS:
            self.quote += 1
        if name in CODE_MACROS:
            self.code = []

    def _open_adf(self, tag: str, attr: dict[str, str]) -> None:
        self._flush()
        self.macros.append("panel" if attr.get("type") == "panel" else attr.get("type", ""))
        if self.macros[-1] == "panel":
            self.quote += 1

    def _open_heading(self, tag: str, attr: dict[str, str]) -> None:
        self._flush()
        self.prefix = "#" * HEADINGS[tag] + " "

    def _open_list(self, tag: str, attr: dict[str, str]) -> None:
        self._flush()
        self.lists.append(tag)

    def _open_item(self, tag: str, attr: dict[str, str]) -> None:
        self._flush()
        depth = max(len(self.lists) - 1, 0)
        bullet = "1. " if self.lists and self.lists[-1] == "ol" else "- "
        self.prefix = "  " * depth + bullet

    def _open_row(self, tag: str, attr: dict[str, str]) -> None:
        if self.rows:
            self._flush_cell(keep_empty=False)  # a table in a cell: what the cell said so far stays in the outer row
        else:
            self._flush()
        self.rows.append([])

    def _open_cell(self, tag: str, attr: dict[str, str]) -> None:
        self._flush_cell(keep_empty=False)  # text between cells, if any

    def _open_block(self, tag: str, attr: dict[str, str]) -> None:
        self._flush()

    def _open_page_link(self, tag: str, attr: dict[str, str]) -> None:
        self.link = {"target": "", "body": [], "title": ""}

    def _open_web_link(self, tag: str, attr: dict[str, str]) -> None:
        if self.link is None:
            href = attr.get("href", "").strip()
            self.link = {"target": href if WEB_LINK.match(href) else "", "body": [], "title": "", "web": True}

    def _open_page(self, tag: str, attr: dict[str, str]) -> None:
        if self.link is not None:
            title = attr.get("ri:content-title", "")
            self.link["title"] = title
            self.link["target"] = self.page_id(title, attr.get("ri:space-key", ""))

    def _open_user(self, tag: str, attr: dict[str, str]) -> None:
        who = attr.get("ri:account-id") or attr.get("ri:userkey") or attr.get("ri:username") or ""
        name = self.user_name(who)
        mention = f"@{name}" if name else "@user"
        if self.link is not None:
            self.link["title"] = mention
        else:
            self.inline.append(mention)

    def _open_link_resource(self, tag: str, attr: dict[str, str]) -> None:
        if self.link is not None:
            self.link["title"] = attr.get("ri:value" if tag == "ri:url" else "ri:filename", "")

    def _open_time(self, tag: str, attr: dict[str, str]) -> None:
        self.inline.append(attr.get("datetime", ""))

    # --- one closer per element kind ----------------------------------------------------

    def _close_hidden(self, tag: str) -> None:
        if tag == "ac:parameter" and self.in_title:
            self.in_title = False
            self._flush(closing="**")
        else:
            self.hidden = max(self.hidden - 1, 0)

    def _close_macro(self, tag: str) -> None:
        self._flush()
        if self._in_code():
            body = "".join(self.code or []).strip("\n")
            self.code = None
            if body.strip():
                self._emit("```")
                for line in body.splitlines():
                    self._emit(CONTROL.sub("", line.rstrip()))
                self._emit("```")
        name = self.macros.pop() if self.macros else ""
        if name in NOTICE_MACROS:
            self.quote = max(self.quote - 1, 0)
        self._blank()

    def _close_link(self, tag: str) -> None:
        if self.link is None or (tag == "a") != ("web" in self.link):
            return
        link, self.link = self.link, None
        text = " ".join(CONTROL.sub("", "".join(link["body"])).split()) or link["title"]
        target = link["target"] if "web" in link else f"confluence:{link['target']}" * bool(link["target"])
        if target and text and "[" not in text and "]" not in text:
            self.inline.append(f"{OPEN}[{text}]({target}){CLOSE}")
        else:
            self.inline.append(text)

    def _close_list(self, tag: str) -> None:
        self._flush()
        if self.lists:
            self.lists.pop()
        if not self.lists:
            self._blank()

    def _close_cell(self, tag: str) -> None:
        self._flush_cell()

    def _close_row(self, tag: str) -> None:
        self._flush_cell(keep_empty=False)
        if self.rows:
            self._emit_row(self.rows.pop())

    def _close_block(self, tag: str) -> None:
        self._flush()
        if not self.rows and (tag in HEADINGS or tag in ("p", "table", "ac:task-list")):
            self._blank()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        data = data.replace(OPEN, "").replace(CLOSE, "")  # only links this module writes carry them
        if self.code is not None and self._in_code():
            self.code.append(data)
        elif self.link is not None:
            self.link["body"].append(data)
        else:
            self.inline.append(data)

    def unknown_decl(self, data: str) -> None:
        """A CDATA section (code, link bodies) is text like any other."""
        if data.startswith("CDATA["):
            self.handle_data(data[len("CDATA[") :])

    # --- writing ------------------------------------------------------------------------

    def _in_code(self) -> bool:
        return self.code is not None and bool(self.macros) and self.macros[-1] in CODE_MACROS

    def _titled_macro(self) -> bool:
        return bool(self.macros) and self.macros[-1] in (*NOTICE_MACROS, "expand")

    def _flush_cell(self, keep_empty: bool = True) -> None:
        if not self.rows:
            return
        cell = " ".join(CONTROL.sub("", "".join(self.inline)).split())
        if cell or keep_empty:
            self.rows[-1].append(cell.replace("|", "/"))
        self.inline = []
        self.prefix = ""

    def _flush(self, closing: str = "") -> None:
        if self.rows:
            # Block elements inside a cell (a <p> in a <td>) add to the cell, not to a line of their own.
            self.inline.append(" ")
            return
        text = " ".join(CONTROL.sub("", "".join(self.inline)).split())
        if text:
            self._emit(self.prefix + text + closing)
        self.inline = []
        self.prefix = ""

    def _emit(self, line: str) -> None:
        self.lines.append(("> " * self.quote if self.quote else "") + line)

    def _emit_row(self, cells: list[str]) -> None:
        if cells:
            self._emit("| " + " | ".join(cells) + " |")

    def _blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def text(self) -> str:
        self._flush_cell(keep_empty=False)
        self._flush()
        while self.rows:  # rows never closed
            self._emit_row(self.rows.pop())
        out: list[str] = []
        for line in self.lines:
            if line or (out and out[-1]):  # one blank line between blocks
                out.append(line.rstrip())
        return "\n".join(out).strip() + "\n" if out else ""


_OPENERS: dict[str, Callable[[_Reader, str, dict[str, str]], None]] = {
    "ac:structured-macro": _Reader._open_macro,
    "ac:macro": _Reader._open_macro,
    "ac:adf-node": _Reader._open_adf,
    "ac:adf-extension": _Reader._open_adf,
    **{heading: _Reader._open_heading for heading in HEADINGS},
    "ul": _Reader._open_list,
    "ol": _Reader._open_list,
    "li": _Reader._open_item,
    "ac:task": _Reader._open_item,
    "tr": _Reader._open_row,
    "td": _Reader._open_cell,
    "th": _Reader._open_cell,
    "br": _Reader._open_block,
    "ac:link": _Reader._open_page_link,
    "a": _Reader._open_web_link,
    "ri:page": _Reader._open_page,
    "ri:user": _Reader._open_user,
    "ri:url": _Reader._open_link_resource,
    "ri:attachment": _Reader._open_link_resource,
    "time": _Reader._open_time,
}
_CLOSERS: dict[str, Callable[[_Reader, str], None]] = {
    "ac:structured-macro": _Reader._close_macro,
    "ac:macro": _Reader._close_macro,
    "ac:adf-node": _Reader._close_macro,
    "ac:adf-extension": _Reader._close_macro,
    "ac:link": _Reader._close_link,
    "a": _Reader._close_link,
    "ul": _Reader._close_list,
    "ol": _Reader._close_list,
    "td": _Reader._close_cell,
    "th": _Reader._close_cell,
    "tr": _Reader._close_row,
    **{heading: _Reader._close_block for heading in HEADINGS},
    "li": _Reader._close_block,
    "ac:task": _Reader._close_block,
}
