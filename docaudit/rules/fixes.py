"""One recommended action per doc: a doc with a conflict, a duplicate and no owner is one thing to do
(archive the old copy), not three. The report's "fix first" list and table and each owner's digest
read these. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from docaudit import rules as registry
from docaudit.records import Doc, Finding

# Which finding decides the action when a doc has several: the first that applies. Archiving an old
# copy also ends its conflicts and its missing owner; an inversion needs the successor named first.
PRECEDENCE = (
    "rank-inversion",
    "deprecated-surfaces",
    "duplicate",
    "conflict",
    "stale-surfaces",
    "review-expired",
    "unanswered-probe",
    "missing-owner",
)
ARCHIVE_ENDS = {"deprecated-surfaces", "duplicate"}  # archiving the doc ends every other finding on it


@dataclass(frozen=True)
class Fix:
    doc: Doc
    findings: tuple[Finding, ...]  # most severe first
    action: str

    @property
    def severity(self) -> str:
        return self.findings[0].severity.name

    @property
    def rules(self) -> list[str]:
        return list(dict.fromkeys(f.rule for f in self.findings))


def doc_name(doc: Doc) -> str:
    return doc.title or doc.path or doc.key


def _other_name(doc: Doc, other: Doc, name: Callable[[Doc], str]) -> str:
    """The other doc by title, unless it has this doc's title: then by where it lives."""
    shown = name(other)
    if shown == name(doc) and other.key != doc.key:
        return f"{shown} ({other.source}: {other.path})"
    return shown


def _primary(findings: Iterable[Finding]) -> Finding:
    order = {rule: i for i, rule in enumerate(PRECEDENCE)}
    return min(findings, key=lambda f: (order.get(f.rule, len(order)), -f.severity))


def action(doc: Doc, findings: list[Finding], name: Callable[[Doc], str] = doc_name) -> str:
    """The one sentence that tells the owner what to do about this doc."""
    first = _primary(findings)
    other = _other_name(doc, first.related[0], name) if first.related else ""
    marked = any(m.kind == "superseded_by" for m in doc.markers)
    release = doc.release if doc.release and doc.release.status in ("older", "archived") else None
    if first.rule == "rank-inversion" and other and release:
        # A page of an old version of a docs site: the site is right to keep it; the index is not.
        text = (
            f"Keep version {release.label} out of the RAG index (or mark its pages as an old version): "
            f"retrieval prefers this page to its twin in the current version, '{other}'."
        )
    elif first.rule == "rank-inversion" and other and marked:
        text = f"Archive it: it already names its successor, yet retrieval prefers it to '{other}'."
    elif first.rule == "rank-inversion" and other:
        text = f"Add a superseded-by link to '{other}', or archive it: retrieval prefers it to the current doc."
    elif first.rule == "duplicate" and other:
        text = f"Archive it: it is an older copy of '{other}'."
    elif first.rule == "unanswered-probe" and first.evidence.get("probes"):
        text = f'Update it so it answers "{first.evidence["probes"][0].get("query", "")}".'
    else:
        rule = registry.BY_ID.get(first.rule)
        if rule is None:  # a plugin's rule nobody registered here
            text = "Update it, archive it, or acknowledge the finding."
        else:  # a finding that names no other doc must not read "superseded by ''"
            text = rule.action.format(other=other) if other else rule.action.replace("'{other}'", "the other doc")
    rules = {f.rule for f in findings}
    if "missing-owner" in rules and first.rule != "missing-owner" and first.rule not in ARCHIVE_ENDS:
        text += " Then set an owner."
    return text


def by_doc(findings: Iterable[Finding], name: Callable[[Doc], str] = doc_name) -> list[Fix]:
    """The findings folded per doc, in the order their docs first appear."""
    grouped: dict[str, list[Finding]] = {}
    docs: dict[str, Doc] = {}
    for finding in findings:
        grouped.setdefault(finding.doc.key, []).append(finding)
        docs.setdefault(finding.doc.key, finding.doc)
    return [
        Fix(docs[key], tuple(sorted(found, key=lambda f: -f.severity)), action(docs[key], found, name))
        for key, found in grouped.items()
    ]
