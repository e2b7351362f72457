"""Where in a doc's file a finding points: the marker that fired, or the text retrieval ranked."""

from __future__ import annotations

import re

from .records import Finding

PHRASE_WORDS = 6


def find_line(text: str, finding: Finding) -> int:
    """1-based line of the offending text in `text` (the file as it is on disk); 1 when it cannot tell."""
    marker = finding.evidence.get("marker") or {}
    kind = marker.get("kind") or ("review_by" if finding.rule == "review-expired" else None)
    source = marker.get("source") or finding.evidence.get("source", "")
    if kind and source == "frontmatter":
        return _key_line(text, kind) or 1
    if source.startswith("banner"):
        return _phrase_line(text, marker.get("value", "")) or 1
    probes = finding.evidence.get("probes") or []
    if probes and probes[0].get("excerpt"):
        return _phrase_line(text, probes[0]["excerpt"]) or 1
    return 1


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*[:=]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def _phrase_line(text: str, phrase: str) -> int | None:
    """The line where the phrase's first words appear in sequence (whitespace and line breaks ignored)."""
    wanted = phrase.split()[:PHRASE_WORDS]
    if not wanted:
        return None
    words: list[tuple[str, int]] = [
        (word, number) for number, line in enumerate(text.splitlines(), 1) for word in line.split()
    ]
    for i in range(len(words) - len(wanted) + 1):
        if all(words[i + j][0] == w for j, w in enumerate(wanted)):
            return words[i][1]
    return None
