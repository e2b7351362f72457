"""Connectors turn a source into `Doc` records. One module per source.

A connector is a module (or any object) that fits `Connector`: a ``KIND`` string and a generator

    crawl(target: str, config: Config, state: CrawlState) -> Iterator[Doc | Skipped | Gone | Touched]

and, optionally, ``space_for(target)`` (the name its docs are filed under; default: the target itself)
and ``SETTINGS``, a dataclass of its settings: its ``[KIND]`` table in docaudit.toml is checked against
it like the built-in sections (unknown keys and wrong types name the line) and reaches the connector as
``config.section(KIND)``.

It reads ``state.cursor`` (what it saved after the last complete crawl), ``state.known``
(doc id -> content hash already indexed), ``state.versions`` (doc id -> the change stamp the
connector put on the indexed doc) and ``state.full`` (re-list everything, drop what is gone),
and sets ``state.next_cursor`` (and ``state.unchanged``, the docs it skipped as unchanged).
A doc it does not yield stays as indexed; only ``Gone`` removes.
The caller stores that cursor only once the crawl has been fully indexed, so a crawl that
dies midway is simply redone from the old cursor.

Every connector, the built-in ones included, registers under the ``docaudit.connectors`` entry-point
group (see pyproject.toml, the one list); a checkout that was never installed reads that list from
its pyproject.toml.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from docaudit.errors import DocauditError

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


class Connector(Protocol):
    KIND: str

    def crawl(self, target: str, config: Any, state: CrawlState) -> Iterator[Any]: ...


def _registered() -> dict[str, Any]:
    found: dict[str, Any] = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for name, module in _checkout_entry_points().items():  # a checkout never installed has none of its own
        found.setdefault(name, module)
    return found


@functools.cache
def _checkout_entry_points() -> dict[str, str]:
    """The built-ins as pyproject.toml registers them, read from the checkout this package sits in."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}  # an installed wheel: its entry points are in its metadata
    return dict(project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {}))


def available() -> list[str]:
    return sorted(_registered())


def get(kind: str) -> Connector:
    entry = _registered().get(kind)
    if entry is None:
        raise DocauditError(f"unknown source '{kind}': available are {', '.join(available())}")
    try:
        return import_module(entry) if isinstance(entry, str) else entry.load()
    except ImportError as exc:
        raise DocauditError(f"source '{kind}' could not be loaded: {exc}") from None


def settings_type(section: str) -> type | None:
    """The settings dataclass of the connector that owns a config section, if one does.

    Only called for a section config does not know, so config loading imports no connector otherwise.
    """
    if section not in _registered():
        return None
    try:
        return getattr(get(section), "SETTINGS", None)
    except DocauditError:
        return None
