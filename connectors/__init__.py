"""Connectors turn a source into `Doc` records. One module per source.

A connector is a module (or any object) with a ``KIND`` string and a generator

    crawl(target: str, config: Config, state: CrawlState) -> Iterator[Doc | Skipped | Gone]

It reads ``state.cursor`` (what it saved after the last complete crawl) and
``state.known`` (doc id -> content hash already indexed), and sets ``state.next_cursor``.
The caller stores that cursor only once the crawl has been fully indexed, so a crawl that
dies midway is simply redone from the old cursor.

Third-party connectors register under the ``docaudit.connectors`` entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from docaudit.errors import DocauditError

BUILTIN = {"git": "connectors.gitrepo"}
ENTRY_POINT_GROUP = "docaudit.connectors"


@dataclass
class CrawlState:
    cursor: dict[str, Any] | None = None
    known: dict[str, str] = field(default_factory=dict)  # doc id -> content hash in the index
    next_cursor: dict[str, Any] | None = None


def available() -> list[str]:
    names = set(BUILTIN)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def get(kind: str) -> Any:
    if kind in BUILTIN:
        return import_module(BUILTIN[kind])
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == kind:
            return ep.load()
    raise DocauditError(f"unknown source '{kind}': available are {', '.join(available())}")
