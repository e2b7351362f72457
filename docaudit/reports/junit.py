"""JUnit XML: one test case per finding, as a failure, so CI test tabs list them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from docaudit.records import iso
from docaudit.result import AuditResult

from .safe import xml_text


def render(result: AuditResult, now: datetime) -> str:
    suite = ET.Element(
        "testsuite",
        name="docaudit",
        tests=str(max(len(result.findings), 1)),
        failures=str(len(result.findings)),
        errors="0",
        timestamp=iso(now) or "",
    )
    for finding in result.findings:
        where = xml_text(finding.file or finding.doc.path or finding.doc.key)
        message = xml_text(finding.message)
        case = ET.SubElement(suite, "testcase", classname=f"docaudit.{finding.rule}", name=where)
        if finding.line:
            case.set("file", where)
            case.set("line", str(finding.line))
        failure = ET.SubElement(case, "failure", type=finding.severity.name, message=message)
        failure.text = f"{finding.rule} ({finding.severity.name}) at {where}:{finding.line or 1}\n{message}"
    if not result.findings:
        ET.SubElement(suite, "testcase", classname="docaudit", name=f"{len(result.docs)} docs audited")
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
