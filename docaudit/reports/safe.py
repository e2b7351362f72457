"""Text from docs (titles, owners, paths, quotes) is written by anyone: each format gets it in a form
that cannot break it (XML that stays well-formed, Markdown that cannot link, mention or break out of
a code span, a terminal that gets no escape sequences)."""

from __future__ import annotations

import re

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|])")


def xml_text(text: str) -> str:
    """Only characters XML 1.0 allows (the escaping of <, & and quotes is ElementTree's job)."""
    return _XML_INVALID.sub("\ufffd", text)


def terminal(text: str) -> str:
    """No escape sequences, no bidirectional overrides: what a title says is what the terminal shows."""
    return _CONTROL.sub("\ufffd", text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def markdown_cell(text: str) -> str:
    """Inert Markdown for one table cell: no links, images, emphasis, code spans, mentions or HTML."""
    text = terminal(text)
    text = _MARKDOWN.sub(r"\\\1", text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")
