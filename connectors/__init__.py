"""Connectors turn a source into `Doc` records. One module per source.

A connector is a module (or any object) with a ``KIND`` string and a generator

    crawl(target: str, config: Config, state: CrawlState) -> Iterator[Doc | Skipped | Gone | Touched]

It reads ``state.cursor`` (what it saved after the last complete crawl), ``state.known``
(doc id -> content hash already indexed), ``state.versions`` (doc id -> the change stamp the
connector put on the indexed doc) and ``state.full`` (re-list everything, drop what is gone),
and sets ``state.next_cursor`` (and ``state.unchanged``, the docs it skipped as unchanged).
A doc it does not yield stays as indexed; only ``Gone`` removes.
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

BUILTIN = {"git": "connectors.gitrepo", "notion": "connectors.notion", "gdrive": "connectors.gdrive"}
ENTRY_POINT_GROUP = "docaudit.connectors"


@dataclass
class CrawlState:
    cursor: dict[str, Any] | None = None
    known: dict[str, str] = field(default_factory=dict)  # doc id -> content hash in the index
    versions: dict[str, str] = field(default_factory=dict)  # doc id -> Doc.version in the index
    full: bool = False
    unchanged: int = 0  # docs the connector knew to be unchanged and did not yield
    next_cursor: dict[str, Any] | None = None
    space: str = ""  # the space the caller files the docs under, when it is not the connector's default


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
