"""An audit read back from the JSON report it wrote (`report --from`, `digest --from`): the findings,
the docs with their owners, permissions and markers, each doc's verdict and how often retrieval
returned it, as of the audit's own date. Nothing is re-audited, so nothing can differ."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from docaudit.currency.verdict import Currency
from docaudit.errors import DocauditError
from docaudit.records import Doc, Finding, Severity, to_utc
from docaudit.result import AuditResult

from .json_report import SCHEMA_VERSION


def load(path: str) -> tuple[AuditResult, datetime]:
    """The audit a JSON report holds, and when it ran; one line naming the file when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DocauditError(f"--from {path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise DocauditError(f"--from {path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise DocauditError(f"--from {path}: not a docaudit JSON report (schema_version {SCHEMA_VERSION})")
    if any("record" not in entry for entry in data.get("docs", [])):
        raise DocauditError(f"--from {path}: written by an older docaudit; write it again with `--report FILE.json`")
    try:
        return _result(data), to_utc(data["generated_at"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DocauditError(f"--from {path}: a malformed report ({type(exc).__name__}: {exc})") from None


def _result(data: dict[str, Any]) -> AuditResult:
    docs: dict[str, Doc] = {}
    currency: dict[str, Currency] = {}
    exposure: dict[str, int] = {}
    for entry in data["docs"]:
        doc = Doc.from_record(entry["record"])
        docs[doc.key] = doc
        verdict = entry["currency"]
        currency[doc.key] = Currency(
            verdict["status"],
            list(verdict["reasons"]),
            verdict["superseded_by"],
            None,  # the version's label is in the reasons; no rule runs on a report read back
            verdict["age_days"],
            verdict["max_age_days"],
            "" if verdict.get("age_policy") == "default" else verdict.get("age_policy", ""),
        )
        exposure[doc.key] = int(entry["exposure"])

    def finding(item: dict[str, Any]) -> Finding:
        return Finding(
            item["rule"],
            Severity.parse(item["severity"]),
            docs.get(item["doc"]["key"]) or _bare(item["doc"]),
            item["message"],
            item["evidence"],
            [docs.get(d["key"]) or _bare(d) for d in item["related"]],
            item.get("file"),
            item.get("line"),
            item.get("group", ""),
        )

    acknowledged = [finding(item) for item in data.get("acknowledged", [])]
    summary = data["summary"]
    return AuditResult(
        [finding(item) for item in data["findings"]],
        docs,
        currency,
        [],
        [],
        {f.fingerprint: item.get("why", "") for f, item in zip(acknowledged, data.get("acknowledged", []))},
        {},
        acknowledged,
        list(summary.get("retrievers", [])),
        {},
        list(summary.get("versions", [])),
        {},
        exposed=exposure,
        probe_count=int(summary["probes"]),
    )


def _bare(summary: dict[str, Any]) -> Doc:
    """A doc a finding names that the report's doc list lacks (the list holds every indexed doc, so
    only a hand-edited report gets here): what the summary says of it."""
    return Doc(summary["source"], summary["space"], summary["id"], summary["title"], "", path=summary["path"])
