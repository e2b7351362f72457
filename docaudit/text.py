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
        in_code = False
        for line in lines:
            if line.lstrip().startswith(("```", "~~~")):
                in_code = not in_code
            elif not in_code and (m := re.match(r"^(#{1,3})\s+(.+?)\s*#*\s*$", line)):
                headings.append(m.group(2))
    elif suffix == ".rst":
        rule = re.compile(r"([=\-~^\"'`#*+])\1{2,}\s*")
        for over, middle, under in zip(lines, lines[1:], lines[2:]):
            # An over- and underlined heading at the top is the document title, whatever comes first
            if rule.fullmatch(over) and middle.strip() and rule.fullmatch(under) and over.strip() == under.strip():
                title = middle.strip()
                rest = [h for h in title_and_headings(".rst-body", body)[1] if h != title]
                return title, rest
    if suffix in (".rst", ".rst-body"):
        for above, below in zip(lines, lines[1:]):
            if (
                above.strip()
                and re.fullmatch(r"([=\-~^\"'`#*+])\1{2,}\s*", below)
                and len(below.strip()) >= len(above.strip())
            ):
                headings.append(above.strip())
    elif suffix in (".adoc", ".asciidoc"):
        headings = [m.group(2) for line in lines if (m := re.match(r"^(={1,3})\s+(.+)$", line))]
    if suffix == ".rst-body":
        return "", headings
    return (headings[0] if headings else ""), headings[1:]
