"""Deprecation notices written into a doc's text, whatever the source: a banner near the top
or an admonition anywhere. Connectors render their text so that notices look alike here."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from docaudit.records import Marker

# A banner is a strong phrase on a line that reads like a notice, not prose that mentions deprecation.
BANNER_PHRASE = re.compile(
    r"\b(this (page|doc|document|guide|spec|runbook|article|section) (is|has been|was) "
    r"(deprecated|archived|obsolete|outdated|superseded|retired|no longer (maintained|accurate|valid|supported))"
    r"|this (page|doc|document|guide|article|content) (has )?moved\b"
    r"|deprecated[:!]|archived[:!]|superseded by|do not use|don't use this|no longer maintained"
    r"|feature-state\s+state=\"?deprecated)",
    re.IGNORECASE,
)
# Deep inside a doc, a notice deprecates the doc only when it says so of the doc itself; a
# `.. deprecated:: 2.6` under one function, or "the --foo flag is deprecated", is about that thing.
DOC_LEVEL_PHRASE = re.compile(
    r"\bthis (page|doc|document|guide|spec|runbook|article) (is|has been|was) "
    r"(deprecated|archived|obsolete|outdated|superseded|retired|no longer (maintained|accurate|valid|supported))",
    re.IGNORECASE,
)
NOTICE_LINE = re.compile(r"^\s*(>|!!!|:::|\.\. (deprecated|warning|caution)|\*\*|__|#|\[!)", re.IGNORECASE)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]+)[^)]*\)")
BANNER_SCAN_LINES = 8


def resolve_link(rel: str, target: str) -> str:
    """A link written in a doc, as a path relative to the crawled root."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # absolute URL
        return target
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for part in (PurePosixPath(rel).parent / target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def find_banners(rel: str, body: str) -> list[Marker]:
    """Deprecation notices about the doc: a banner near the top, or a notice anywhere that names the doc."""
    markers = []
    nonblank = 0
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        nonblank += 1
        if nonblank > BANNER_SCAN_LINES:
            phrase = DOC_LEVEL_PHRASE.search(line) if NOTICE_LINE.match(line) or line.startswith(" ") else None
        else:
            phrase = BANNER_PHRASE.search(line)
        if not phrase:
            continue
        quote = line.strip()[:160]
        markers.append(Marker("deprecated", quote, f"banner at body line {number}"))
        link = LINK.search(line[phrase.start() :])
        if link and re.search(r"superseded|replaced|instead|moved|use\b|see\b", line, re.IGNORECASE):
            markers.append(Marker("superseded_by", resolve_link(rel, link.group(1)), f"banner at body line {number}"))
        break
    return markers
