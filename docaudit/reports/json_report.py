"""One JSON object: summary, findings, and every doc with its currency verdict.

Its shape is `docaudit/schemas/report.schema.json`; `schema_version` moves when a field changes
meaning or goes away (adding a field does not).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from docaudit.records import iso
from docaudit.result import AuditResult

SCHEMA_VERSION = 1


def build(result: AuditResult, now: datetime) -> dict:
    exposure = result.exposure()
    severities = Counter(f.severity.name for f in result.findings)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(now),
        "summary": {
            "docs": len(result.docs),
            "probes": result.probe_total,
            "findings": len(result.findings),
            "by_severity": dict(sorted(severities.items())),
            "by_rule": dict(sorted(Counter(f.rule for f in result.findings).items())),
            "retrievers": result.retrievers,
            "versions": result.versions,
            "outside": {
                name: {"count": o.count, "ambiguous": o.ambiguous, "examples": o.examples}
                for name, o in result.outside.items()
            },
        },
        "findings": [f.to_dict() for f in result.findings],
        "acknowledged": [{**f.to_dict(), "why": result.suppressed.get(f.fingerprint, "")} for f in result.acknowledged],
        "docs": [
            {
                **doc.summary(),
                "currency": result.currency[key].to_dict(),
                "exposure": exposure.get(key, 0),
                "notes": doc.notes,
                "record": {k: v for k, v in doc.to_record().items() if k not in ("minhash", "hash")},
            }
            for key, doc in sorted(result.docs.items(), key=lambda kv: kv[1].path or kv[1].id)
        ],
    }


def render(result: AuditResult, now: datetime) -> str:
    return json.dumps(build(result, now), indent=2, ensure_ascii=False)
