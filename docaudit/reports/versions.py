"""`docaudit versions`: how docaudit reads a site's versions, as a table or as JSON."""

from __future__ import annotations

import json

from rich import box
from rich.table import Table
from rich.text import Text

from docaudit.currency.site_model import Reading

from .safe import terminal
from .table import to_text

STYLE = {"current": "bold green", "preview": "cyan", "older": "yellow", "archived": "dim"}


def render_json(reading: Reading) -> str:
    return json.dumps(reading.to_json(), indent=2, ensure_ascii=False)


def render_table(reading: Reading) -> str:
    current = reading.main_current()
    head = [f"generator: {reading.generator}"]
    if current:
        head.append(f"current: {current.label} ({current.folder}/)")
    else:
        head.append("current: none found: no version folders, or none released")
    parts: list[object] = ["\n".join(terminal(h) for h in head)]
    if reading.folders:
        table = Table(expand=False, box=box.ASCII)
        for name in ("folder", "label", "status", "why"):
            table.add_column(name, overflow="fold", no_wrap=name == "status")
        for f in reading.to_json()["versions"]:
            status = Text(f["status"], style=STYLE.get(f["status"], ""))
            table.add_row(terminal(f["folder"]), terminal(f["label"]), status, terminal(f["why"]))
        parts.append(table)
    for alias, target in sorted(reading.aliases.items()):
        parts.append(f"alias: {terminal(alias)} -> {terminal(target)}")
    if reading.unversioned:
        parts.append("unversioned: " + ", ".join(terminal(u) for u in reading.unversioned[:40]))
    parts.append(Text("Wrong? Correct it in docaudit.toml [versions]: current, previews, archived, ignore."))
    return to_text(*parts)
