"""Text, title and headings out of the formats sources hand us (Markdown, reST, AsciiDoc, HTML)."""

from __future__ import annotations

import re
from html.parser import HTMLParser


def decodable(text: str) -> str:
    """Text that can be written out: bytes a file name held that are not UTF-8 become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def html_to_text(html: str) -> tuple[str, str, list[str]]:
    """Body text, title (the <title>, else the first heading) and the other headings."""
    parser = _HTMLText()
    parser.feed(html)
    body = re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()
    return body, parser.title or (parser.headings[0] if parser.headings else ""), parser.headings[1:]


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.headings: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._stack.append(tag)
        if tag in ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "section", "article"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop() == tag:
                break

    def handle_data(self, data: str) -> None:
        current = self._stack[-1] if self._stack else ""
        if current in ("script", "style"):
            return
        if current == "title":
            self.title += data.strip()
            return
        if current in ("h1", "h2", "h3") and data.strip():
            self.headings.append(data.strip())
        self.parts.append(data)


def title_and_headings(suffix: str, body: str) -> tuple[str, list[str]]:
    """The first heading (the title) and the rest, by the file type's heading syntax."""
    lines = body.splitlines()
    headings: list[str] = []
    if suffix in (".md", ".mdx", ".markdown"):
        headings = _markdown_headings(lines)
    elif suffix == ".rst":
        headings = _rst_headings(lines)
        title = _rst_title(lines)
        if title is not None:
            return title, [h for h in headings if h != title]
    elif suffix in (".adoc", ".asciidoc"):
        headings = [m.group(2) for line in lines if (m := re.match(r"^(={1,3})\s+(.+)$", line))]
    return (headings[0] if headings else ""), headings[1:]


def _markdown_headings(lines: list[str]) -> list[str]:
    headings, in_code = [], False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        elif not in_code and (m := re.match(r"^(#{1,3})\s+(.+?)\s*#*\s*$", line)):
            headings.append(m.group(2))
    return headings


_RST_RULE = re.compile(r"([=\-~^\"'`#*+])\1{2,}\s*")


def _rst_title(lines: list[str]) -> str | None:
    """An over- and underlined heading is the document title, whatever comes before it."""
    for over, middle, under in zip(lines, lines[1:], lines[2:]):
        if (
            _RST_RULE.fullmatch(over)
            and middle.strip()
            and _RST_RULE.fullmatch(under)
            and over.strip() == under.strip()
        ):
            return middle.strip()
    return None


def _rst_headings(lines: list[str]) -> list[str]:
    """Underlined headings: a line with a rule at least as long under it."""
    return [
        above.strip()
        for above, below in zip(lines, lines[1:])
        if above.strip() and _RST_RULE.fullmatch(below) and len(below.strip()) >= len(above.strip())
    ]
