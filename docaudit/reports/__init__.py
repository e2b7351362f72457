"""Output formats: one small module each, all fed by the same `AuditResult`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..audit import AuditResult
from ..errors import DocauditError
from . import github, html, json_report, junit, markdown, sarif, table

FORMATS = {
    "table": table.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
    "markdown": markdown.render,
    "html": html.render,
}


def render(result: AuditResult, fmt: str, now: datetime) -> str:
    if fmt not in FORMATS:
        raise DocauditError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt](result, now)


REPORT_SUFFIXES = {
    ".json": "json",
    ".sarif": "sarif",
    ".xml": "junit",
    ".md": "markdown",
    ".txt": "table",
    ".html": "html",
}


def format_for_file(path: str) -> str:
    """The report format a file name asks for, by its extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        known = ", ".join(REPORT_SUFFIXES)
        raise DocauditError(f"--report {path}: cannot tell the format from '{suffix or 'no extension'}' (use {known})")
    return REPORT_SUFFIXES[suffix]
