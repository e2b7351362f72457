"""The terminal table: what is wrong, where, whose, and why, worst first."""

from __future__ import annotations

import io
from datetime import datetime

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from docaudit.result import AuditResult

from .safe import terminal

STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}


def to_text(*renderables: object, width: int = 160, color: bool = False) -> str:
    """Render rich objects to text (the CLI prints it; tests compare it): plain, or with ANSI colours."""
    console = Console(
        width=width, record=True, file=io.StringIO(), force_terminal=color, color_system="standard" if color else None
    )
    for renderable in renderables:
        console.print(renderable)
    return console.export_text(styles=color).rstrip("\n")


def render(result: AuditResult, now: datetime) -> str:
    """Plain ASCII, for a pipe, a file or a log."""
    return _render(result, color=False)


def render_coloured(result: AuditResult, now: datetime) -> str:
    """Severities in colour and box-drawing lines, for a terminal."""
    return _render(result, color=True)


def _render(result: AuditResult, color: bool) -> str:
    parts: list[object] = [Text(terminal(f"Versions read: {line}")) for line in result.versions]
    if result.findings:
        table = Table(show_lines=False, expand=False, box=box.HEAVY_HEAD if color else box.ASCII)
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("doc", overflow="fold", max_width=42)
        table.add_column("owner", overflow="fold", max_width=28)
        table.add_column("why", overflow="fold")
        for finding in result.findings:
            doc = finding.doc
            table.add_row(
                Text(finding.severity.name, style=STYLE[finding.severity.name]),
                finding.rule,
                Text(terminal(doc.path or doc.title)),
                Text(terminal(result.owner(doc, nobody="-"))),
                Text(terminal(finding.message + _holds(finding, result.retrievers))),
            )
        parts.append(table)
    summary = result.tally() or "no findings"
    parts.append(f"{summary} ({len(result.docs)} docs, {result.probe_total} probes)")
    parts += [f"{count} more not shown: {why}" for why, count in result.hidden.items() if count]
    for name, outside in result.outside.items():
        if outside.count:
            parts.append(
                terminal(f"{outside.count} passages {name} retrieved are from outside the audited sources")
                + (f" ({outside.ambiguous} of them in several crawled docs at once)" if outside.ambiguous else "")
            )
    if len(result.retrievers) > 1:
        parts.append(terminal("retrieval audited: " + ", ".join(result.retrievers)))
    return to_text(*parts, color=color)


def _holds(finding: object, retrievers: list[str]) -> str:
    holds = getattr(finding, "evidence", {}).get("retrievers")
    if not holds or len(retrievers) < 2:
        return ""
    return f" [holds under {len(holds)} of {len(retrievers)}: {', '.join(holds)}]"
