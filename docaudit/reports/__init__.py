"""Output formats: one small module each, all fed by the same `AuditResult`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from docaudit.errors import DocauditError
from docaudit.records import Severity
from docaudit.result import AuditResult

from . import concise, github, html, json_report, junit, markdown, sarif, table

FORMATS = {
    "table": table.render,
    "concise": concise.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
    "markdown": markdown.render,
    "html": html.render,
}


# The formats meant for a terminal: coloured by severity when the caller says the terminal takes it.
COLOURED = {"table": table.render_coloured, "concise": concise.render_coloured}


def render(result: AuditResult, fmt: str, now: datetime, color: bool = False) -> str:
    if fmt not in FORMATS:
        raise DocauditError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
    if color and fmt in COLOURED:
        return COLOURED[fmt](result, now)
    return FORMATS[fmt](result, now)


REPORT_SUFFIXES = {
    ".json": "json",
    ".sarif": "sarif",
    ".xml": "junit",
    ".md": "markdown",
    ".txt": "table",
    ".html": "html",
}


def writable(path: str, option: str) -> str:
    """A report path whose folder exists, checked before any audit work; else one line naming it."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise DocauditError(f"{option} {path}: no folder {folder}; create it first")
    return path


def format_for_file(path: str) -> str:
    """The report format a file name asks for, by its extension."""
    writable(path, "--report")
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        known = ", ".join(REPORT_SUFFIXES)
        raise DocauditError(f"--report {path}: cannot tell the format from '{suffix or 'no extension'}' (use {known})")
    return REPORT_SUFFIXES[suffix]


FAIL_ON = ("note", "warning", "error", "never")


def exit_status(result: AuditResult, fail_on: str) -> int:
    """1 when a finding is at or above the `fail_on` severity ("never": 0 whatever is found)."""
    if fail_on == "never":
        return 0
    return 1 if any(f.severity >= Severity.parse(fail_on) for f in result.findings) else 0


def emit(
    result: AuditResult,
    now: datetime,
    fmt: str,
    fail_on: str,
    output: str | None = None,
    reports: tuple[tuple[str, str], ...] = (),
    summary: str | None = None,
    color: bool = False,
) -> tuple[str, int]:
    """Write the reports asked for ((path, format) pairs, `output`, a Markdown `summary` appended to);
    return what is left to print (nothing when `output` took it) and the exit status."""
    for path, report_format in reports:
        Path(path).write_text(render(result, report_format, now) + "\n", encoding="utf-8")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(markdown.render(result, now) + "\n")
    text = render(result, fmt, now, color=color and not output)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        text = ""
    return text, exit_status(result, fail_on)
