"""GitHub workflow commands: one annotation per finding, shown on the pull request's files."""

from __future__ import annotations

from datetime import datetime

from docaudit.result import AuditResult

from .safe import terminal

COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def _data(text: str) -> str:
    return terminal(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: AuditResult, now: datetime) -> str:
    lines = []
    for finding in result.findings:
        where = finding.file or finding.doc.path or finding.doc.key
        props = [f"file={_property(where)}"]
        if finding.line:
            props.append(f"line={finding.line}")
        props.append(f"title={_property('docaudit ' + finding.rule)}")
        lines.append(f"::{COMMAND[finding.severity.name]} {','.join(props)}::{_data(finding.message)}")
    return "\n".join(lines)
