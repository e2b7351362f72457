"""The duplicate rule: near-duplicate copies that will drift apart, one finding per cluster of copies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from docaudit.currency.verdict import Currency
from docaudit.records import Doc, Finding, Severity, iso

from .evidence import CopyOf, DuplicateEvidence
from .grouping import LIST_SHOWN, day_of, label_of, versions_of_one_page
from .registry import AuditInputs, Rule, rule

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@rule(
    "duplicate",
    Severity.warning,
    summary="Near-duplicate copies that will drift apart",
    when="near-duplicate copies (MinHash LSH over 3-word shingles, estimated Jaccard ≥ `duplicate_similarity`), "
    "one finding per cluster of copies, on the oldest, listing each copy with its date and how often "
    "retrieval returns it. Versions of one page (twins across version folders, lineage) are not copies, "
    "and neither are rows of one database",
    action="Archive the older copy, or mark it superseded by '{other}'.",
    weight=2.0,
)
def duplicate(inputs: AuditInputs) -> list[Finding]:
    """One finding per cluster of copies, on the oldest copy; versions of one page are lineage, not copies."""
    pairs = [(p.a, p.b, p.similarity) for p in inputs.duplicates]
    return copy_clusters(duplicate, pairs, inputs.docs, inputs.currency, inputs.exposure)


def copy_clusters(
    rule: Rule,
    pairs: Sequence[tuple[str, str, float]],
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
    exposure: Mapping[str, int],
) -> list[Finding]:
    """Near-duplicate pairs joined into clusters of copies, one finding each, on the oldest copy.

    Versions of one page are lineage, not copies; rows of one database are records, not copies.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    similarity: dict[frozenset, float] = {}
    for a, b, value in pairs:
        if a not in docs or b not in docs or a == b:
            continue
        if versions_of_one_page(docs[a], docs[b], currency) or _rows_of_one_table(docs[a], docs[b]):
            continue
        similarity[frozenset((a, b))] = value
        parent[find(a)] = find(b)
    clusters: dict[str, list[str]] = defaultdict(list)
    for key in list(parent):
        clusters[find(key)].append(key)
    findings = []
    for members in clusters.values():
        if len(members) < 2:
            continue
        copies = sorted((docs[k] for k in members), key=lambda d: (d.last_modified or _EPOCH, d.key))
        oldest, newest = copies[0], copies[-1]
        names = [label_of(d) for d in copies]
        if len(set(names)) < len(names):  # two pages with one title and breadcrumb: tell them apart by id
            label = {d.key: f"{label_of(d)} ({d.url or d.id})" for d in copies}
        else:
            label = {d.key: label_of(d) for d in copies}
        values = [v for pair, v in similarity.items() if pair <= set(members)]
        described = [
            CopyOf(doc=label[d.key], last_modified=iso(d.last_modified), exposure=exposure.get(d.key, 0))
            for d in reversed(copies)
        ]
        if len(copies) == 2:
            message = (
                f"{label[oldest.key]} and {label[newest.key]} are near-duplicates (similarity {max(values):.2f}); "
                f"{label[newest.key]} is newer ({day_of(newest)} vs {day_of(oldest)}), and retrieval returns them for "
                f"{exposure.get(newest.key, 0)} and {exposure.get(oldest.key, 0)} probe(s)"
            )
        else:
            listed = ", ".join(label[d.key] for d in reversed(copies[-LIST_SHOWN:]))
            message = (
                f"{len(copies)} near-duplicate copies (similarity {min(values):.2f}-{max(values):.2f}): {listed}; "
                f"the newest is {label[newest.key]} ({day_of(newest)}): keep one and link the others to it"
            )
        findings.append(
            rule.finding(
                oldest,
                message,
                DuplicateEvidence(similarity=max(values), copies=described, older=described[-1], newer=described[0]),
                copies[1:][::-1],
            )
        )
    return findings


def _rows_of_one_table(a: Doc, b: Doc) -> bool:
    """Two rows of one database (a Notion data source): their property lines make them look alike."""
    pa, pb = a.marker("database"), b.marker("database")
    return bool(pa and pb and pa.value == pb.value)
