"""Rules on a doc's upkeep, whatever retrieval does with it: nobody owns it, its review date has passed."""

from __future__ import annotations

from datetime import datetime

from docaudit.records import Finding, Severity, iso

from .evidence import InvalidReviewEvidence, ReviewEvidence, UnownedEvidence
from .grouping import unowned_folders
from .registry import AuditInputs, rule


@rule(
    "missing-owner",
    Severity.warning,
    summary="No owner can be resolved for a doc",
    when="no owner can be resolved; three or more unowned docs under one folder (or Notion parent) are one "
    "finding with the list, since one CODEOWNERS line fixes them",
    action="Assign an owner, or archive it: nobody is responsible for it.",
    weight=1.0,
    fold=unowned_folders,
)
def missing_owner(inputs: AuditInputs) -> list[Finding]:
    return [
        missing_owner.finding(
            doc,
            f"'{doc.title}' has no owner" + (f": {doc.unowned_reason}" if doc.unowned_reason else ""),
            UnownedEvidence(last_modified=iso(doc.last_modified), notes=doc.notes, why=doc.unowned_reason),
        )
        for doc in inputs.docs.values()
        if doc.owner is None or not (doc.owner.name or doc.owner.email)  # an id alone is no one to ask
    ]


@rule(
    "review-expired",
    Severity.warning,
    summary="A doc's review date has passed",
    when="a `review_by` date has passed (`note` when it is not a date)",
    action="Review it, update what is wrong, and set a new review date.",
    weight=2.0,
)
def review_expired(inputs: AuditInputs) -> list[Finding]:
    findings = []
    today = inputs.now.date()
    for doc in inputs.docs.values():
        marker = doc.marker("review_by")
        if marker is None:
            continue
        try:
            due = datetime.fromisoformat(marker.value).date() if marker.valid else None
        except ValueError:  # a record written before markers said so themselves
            due = None
        if due is None:
            findings.append(
                review_expired.finding(
                    doc,
                    f"'{doc.title}' has a review_by that is not a date ({marker.value})",
                    InvalidReviewEvidence(marker={"kind": marker.kind, "value": marker.value, "source": marker.source}),
                    severity=Severity.note,
                )
            )
        elif due < today:
            overdue = (today - due).days
            findings.append(
                review_expired.finding(
                    doc,
                    f"'{doc.title}' was due for review on {due.isoformat()} ({overdue} days ago)",
                    ReviewEvidence(
                        review_by=due.isoformat(),
                        days_overdue=overdue,
                        source=marker.source,
                        last_modified=iso(doc.last_modified),
                    ),
                )
            )
    return findings
