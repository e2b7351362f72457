"""SARIF 2.1.0, for code-scanning UIs. Validated in tests against the official schema."""

from __future__ import annotations

import json
from datetime import datetime

from docaudit import __version__ as docaudit_version
from docaudit import rules
from docaudit.records import Finding
from docaudit.result import AuditResult

from .safe import terminal

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def _location(finding: Finding) -> dict:
    doc = finding.doc
    uri = finding.file or doc.path or doc.url or doc.key
    physical: dict = {"artifactLocation": {"uri": uri}}
    if finding.file:
        physical["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    if finding.line:
        physical["region"] = {"startLine": finding.line}
    return {"physicalLocation": physical}


def build(result: AuditResult, now: datetime) -> dict:
    rule_ids = list(rules.BY_ID)
    results = []
    for finding in result.findings:
        entry = {
            "ruleId": finding.rule,
            "ruleIndex": rule_ids.index(finding.rule),
            "level": LEVEL[finding.severity.name],
            "message": {"text": terminal(finding.message)},
            "locations": [_location(finding)],
            "partialFingerprints": {"docauditFingerprint/v1": finding.fingerprint},
            "properties": {"evidence": finding.evidence},
        }
        if finding.related:
            entry["relatedLocations"] = [
                {
                    "id": i,
                    "physicalLocation": {"artifactLocation": {"uri": d.path or d.url or d.key}},
                    "message": {"text": terminal(d.title)},
                }
                for i, d in enumerate(finding.related)
            ]
        results.append(entry)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "docaudit",
                        "version": docaudit_version,
                        "rules": [
                            {
                                "id": rule.id,
                                "shortDescription": {"text": rule.summary},
                                "fullDescription": {"text": rule.when},
                                "help": {"text": rule.action.format(other="the current doc")},
                                "defaultConfiguration": {"level": LEVEL[rule.severity.name]},
                            }
                            for rule in rules.ALL
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root"}}},
                "results": results,
            }
        ],
    }


def render(result: AuditResult, now: datetime) -> str:
    return json.dumps(build(result, now), indent=2, ensure_ascii=False)
