"""What a doc says about itself in fields: a header block at the top (RFC-822 style, as standards
proposals write it: `Status: Superseded`, `Superseded-By: 8101`), a reST field list (`:status: draft`),
or frontmatter, mapped onto docaudit's markers by the `[markers]` settings."""

from __future__ import annotations

import re
from collections.abc import Mapping

from docaudit.config import MarkerSettings
from docaudit.records import Marker, Owner

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,40}):[ \t]+(\S.*)$")
_REST_FIELD = re.compile(r"^:([A-Za-z][A-Za-z0-9 _-]{0,40}):[ \t]*(.*)$")
# Keys that say "this is a header block", not prose that happens to start with "Note: ..."
KNOWN_KEYS = {
    "title",
    "status",
    "author",
    "authors",
    "owner",
    "superseded-by",
    "replaces",
    "created",
    "type",
    "version",
    "discussions-to",
    "post-history",
    "requires",
    "resolution",
    "last-modified",
    "date",
}
MAX_HEADER_LINES = 60
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def read_header(body: str) -> dict[str, str]:
    """The header block at the very top of a doc (or a reST field list right under the document's
    title, where docinfo goes), keys lower-cased; {} when there is none.

    Continuation lines are indented. The block ends at the first blank line. It counts only with at
    least two fields, one of them a known key. `_id` holds the first field's value when it is a
    number (`PEP: 8100`), so that `Superseded-By: 8100` elsewhere can be resolved to this doc.
    """
    fields: dict[str, str] = {}
    order: list[str] = []
    last = ""
    lines = body.lstrip("\ufeff").splitlines()
    for number, line in enumerate(lines[_after_rest_title(lines) :]):
        if number >= MAX_HEADER_LINES or not line.strip():
            break
        match = _FIELD.match(line) or _REST_FIELD.match(line)
        if match:
            last = match.group(1).strip().lower()
            fields[last] = match.group(2).strip()
            order.append(last)
        elif last and line[:1] in (" ", "\t"):
            fields[last] = (fields[last] + " " + line.strip()).strip()
        else:
            break
    if len(fields) < 2 or not KNOWN_KEYS & set(fields):
        return {}
    first = fields[order[0]]
    if re.fullmatch(r"\d{1,8}", first):
        fields["_id"] = first
    return fields


def _after_rest_title(lines: list[str]) -> int:
    """Where a reST docinfo field list starts: after the document's title (over- and underlined, or
    underlined) and blank lines, when a `:field:` line follows; else 0, the very top."""

    def adornment(line: str) -> bool:
        return len(line) >= 3 and len(set(line)) == 1 and not line[0].isalnum() and not line[0].isspace()

    if len(lines) >= 3 and adornment(lines[0]) and lines[2] == lines[0] and lines[1].strip():
        start = 3
    elif len(lines) >= 2 and lines[0].strip() and adornment(lines[1]):
        start = 2
    else:
        return 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    return start if start < len(lines) and _REST_FIELD.match(lines[start]) else 0


def status_markers(fields: Mapping[str, object], source: str, settings: MarkerSettings) -> list[Marker]:
    """Markers from a status field and a successor field, as `[markers]` maps them."""
    lowered = {str(k).lower(): v for k, v in fields.items()}
    markers = []
    status_key = settings.status_field.lower()
    status = lowered.get(status_key)
    if isinstance(status, str) and status.strip():
        value = status.strip()
        word = value.lower()
        if word in {v.lower() for v in settings.deprecated_values}:
            markers.append(Marker("deprecated", value, f"{source} {settings.status_field}: {value}"))
        elif word in {v.lower() for v in settings.current_values}:
            markers.append(Marker("current", value, f"{source} {settings.status_field}: {value}"))
    successor_keys = {settings.superseded_by_field.lower(), settings.superseded_by_field.lower().replace("-", "_")}
    for key in successor_keys:
        named = lowered.get(key)
        if isinstance(named, (str, int)) and str(named).strip():
            first = re.split(r"[,\s]+", str(named).strip())[0]
            markers.append(Marker("superseded_by", first, f"{source} {key}"))
            break
    replaces = lowered.get("replaces")
    if isinstance(replaces, (str, int)) and str(replaces).strip():
        for value in re.split(r"[,\s]+", str(replaces).strip()):
            if value:
                markers.append(Marker("replaces", value, f"{source} replaces"))
    return markers


def owner_from_text(text: str, via: str) -> Owner | None:
    """The first person in "Name <email>, Other <email>" (or a bare name or email)."""
    text = " ".join(text.split())
    first = re.split(r",(?![^<]*>)|\band\b", text)[0].strip() if text else ""
    if not first:
        return None
    email = _EMAIL.search(first)
    name = re.sub(r"<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?", "", first).strip(" <>()")
    if not name and not email:
        return None
    return Owner(name[:120], email.group(0) if email else "", via)
