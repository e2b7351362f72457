"""Output formats: one small module each, all fed by the same `AuditResult`."""

from __future__ import annotations

from datetime import datetime

from ..audit import AuditResult
from ..errors import DocauditError
from . import json_report, table

FORMATS = {"table": table.render, "json": json_report.render}


def render(result: AuditResult, fmt: str, now: datetime) -> str:
    if fmt not in FORMATS:
        raise DocauditError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt](result, now)
