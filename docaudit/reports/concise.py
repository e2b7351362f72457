"""One line per finding, `path:line: severity rule message`, as ruff prints: for grep, editors and a
quick look in a terminal. A finding with no file (a Notion page) is named by its doc key."""

from __future__ import annotations

from datetime import datetime

from docaudit.result import AuditResult

from .safe import terminal

ANSI = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "note": "\x1b[36m"}
RESET = "\x1b[0m"


def render(result: AuditResult, now: datetime) -> str:
    return _render(result, color=False)


def render_coloured(result: AuditResult, now: datetime) -> str:
    return _render(result, color=True)


def _render(result: AuditResult, color: bool) -> str:
    lines = []
    for finding in result.findings:
        where = finding.file or finding.doc.path or finding.doc.key
        at = f"{where}:{finding.line}" if finding.line else where
        message = " ".join(finding.message.split())
        severity = finding.severity.name
        shown = f"{ANSI[severity]}{severity}{RESET}" if color else severity
        lines.append(f"{terminal(at)}: {shown} {finding.rule} {terminal(message)}")
    found = result.tally()
    lines.append(
        f"Found {len(result.findings)} finding{'s' * (len(result.findings) != 1)}" + (f" ({found})" if found else "")
    )
    return "\n".join(lines)
