"""Markdown: a summary for $GITHUB_STEP_SUMMARY, a PR comment or a ticket."""

from __future__ import annotations

from datetime import datetime

from docaudit.records import safe_url
from docaudit.result import AuditResult

from .safe import markdown_cell, terminal


def _cell(text: str) -> str:
    return markdown_cell(text)


def _code(text: str) -> str:
    """A path as a code span: nothing inside it is Markdown, and a backtick cannot close it early."""
    return "`" + terminal(text).replace("`", "\u02cb").replace("|", "\\|") + "`"


def render(result: AuditResult, now: datetime) -> str:
    lines = ["## docaudit", ""]
    tally = result.tally()
    lines.append(f"**{tally or 'No findings'}** across {len(result.docs)} docs and {result.probe_total} probes.")
    lines += [f"Versions read: {_cell(line)}" for line in result.versions]
    for why, count in result.hidden.items():
        if count:
            lines.append(f"{count} more not shown: {_cell(why)}.")
    if result.findings:
        lines += ["", "| severity | rule | doc | owner | why |", "|---|---|---|---|---|"]
        for f in result.findings:
            where = f.file or f.doc.path or f.doc.title
            if f.line:
                where += f":{f.line}"
            url = safe_url(f.doc.url)
            doc = f"[{_cell(where)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)" if url else _code(where)
            owner = _cell(result.owner(f.doc, nobody="-"))
            lines.append(f"| {f.severity.name} | `{f.rule}` | {doc} | {owner} | {_cell(f.message)} |")
    return "\n".join(lines)
