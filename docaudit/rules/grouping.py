"""One finding per thing a person fixes once: a version folder whose pages outrank the current ones,
a cluster of copies, a folder of unowned docs. Per-doc findings that share such a cause are folded
into one, with every doc listed in the evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import PurePosixPath

from docaudit.currency import sites
from docaudit.currency.lineage import topic_stem
from docaudit.currency.verdict import Currency
from docaudit.records import Doc, Finding

from .evidence import UnownedFolderEvidence, VersionFolderEvidence, VersionPage
from .registry import AuditInputs, Rule

GROUP_MIN = 3  # fewer docs than this stay separate findings: a group of two reads worse than two items
LIST_SHOWN = 5


def versions_of_one_page(a: Doc, b: Doc, currency: Mapping[str, Currency]) -> bool:
    """Two versions of one page (twins across version folders, or lineage): never copies, never a conflict."""
    if currency.get(a.key) and currency[a.key].superseded_by == b.key:
        return True
    if currency.get(b.key) and currency[b.key].superseded_by == a.key:
        return True
    ra, rb = a.release, b.release
    if ra and rb and (a.source, a.space, ra.site, ra.inner) == (b.source, b.space, rb.site, rb.inner):
        return True
    if (ra or rb) and a.source == b.source and _pagelabel_of(a) == _pagelabel_of(b):
        return True  # a versioned page and an unversioned copy of it (a docs/ folder beside version folders)
    va, vb = currency.get(a.key), currency.get(b.key)
    if va and vb and va.version and vb.version and va.version.label != vb.version.label:
        return topic_stem(a.path or a.title) == topic_stem(b.path or b.title) or topic_stem(a.title) == topic_stem(
            b.title
        )
    return False


def _pagelabel_of(doc: Doc) -> str:
    inner = doc.release.inner if doc.release else doc.path
    return topic_stem(str(PurePosixPath(inner).with_suffix(""))) if inner else ""


def version_folder_inversions(rule: Rule, findings: list[Finding], inputs: AuditInputs) -> list[Finding]:
    """Inversions of an old version's pages by their current twins become one finding per old version:
    the fix is one decision (leave that version out of the RAG index, or mark it), not one per page."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    kept = []
    for finding in findings:
        release = finding.doc.release
        if release and release.status in (sites.OLDER, sites.ARCHIVED):
            groups[(finding.doc.source, finding.doc.space, release.site, release.label)].append(finding)
        else:
            kept.append(finding)
    for (source, space, site, label), members in groups.items():
        if len(members) < GROUP_MIN:
            kept += members
            continue
        first = members[0]
        why = first.doc.release.source if first.doc.release else ""  # grouped by release: always set
        folder = _folder_of(first.doc)
        current = first.related[0]
        current_label = current.release.label if current.release else "current"
        probes = len({p["probe"] for m in members for p in m.evidence["probes"]})
        # The example: a page that says something its current twin does not (there the answer goes wrong)
        worst = min(
            members,
            key=lambda m: (m.doc.hash == m.related[0].hash, min(p["rank"] for p in m.evidence["probes"]), m.doc.path),
        )
        anchor = _index_page(inputs.docs, folder) or worst.doc
        current_anchor = _index_page(inputs.docs, _folder_of(current)) or worst.related[0]
        differ = sum(m.doc.hash != m.related[0].hash for m in members)
        shown = min(worst.evidence["probes"], key=lambda p: p["rank"])
        where = f"rank {shown['current_rank']}" if shown["current_rank"] else "not in the results"
        message = (
            f"{len(members)} pages of version {label} ({folder}/) outrank their twins in the current "
            f"{current_label} for {probes} probe(s) ({differ} of them say something the current page does not), "
            f"e.g. '{worst.doc.title}' ranks {shown['rank']} for "
            f'"{shown["query"]}" while {worst.related[0].path} is {where} ({why}): '
            f"leave {label} out of the RAG index, or mark it archived"
        )
        evidence = VersionFolderEvidence(
            version=label,
            folder=folder,
            current_version=current_label,
            why=why,
            pages=[
                VersionPage(
                    doc=m.doc.path,
                    current=m.related[0].path,
                    differs=m.doc.hash != m.related[0].hash,
                    probes=m.evidence["probes"],
                )
                for m in sorted(members, key=lambda m: m.doc.path)
            ],
        )
        kept.append(
            rule.finding(anchor, message, evidence, [current_anchor], group=f"version:{source}:{space}:{site}:{label}")
        )
    return kept


def _folder_of(doc: Doc) -> str:
    if doc.release and doc.release.inner and doc.path.endswith(doc.release.inner):
        return doc.path[: -len(doc.release.inner)].rstrip("/")
    return str(PurePosixPath(doc.path).parent)


def _index_page(docs: Mapping[str, Doc], folder: str) -> Doc | None:
    for doc in docs.values():
        if str(PurePosixPath(doc.path).parent) == folder and PurePosixPath(doc.path).stem in ("_index", "index"):
            return doc
    return None


def unowned_folders(rule: Rule, findings: list[Finding], inputs: AuditInputs) -> list[Finding]:
    """Unowned docs under one folder (or one Notion parent) are one finding: one CODEOWNERS line fixes it."""
    groups: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    kept = []
    for finding in findings:
        doc = finding.doc
        groups[(doc.source, doc.space, _parent(doc))].append(finding)
    for (source, space, parent), members in groups.items():
        if len(members) < GROUP_MIN:
            kept += members
            continue
        members.sort(key=lambda m: m.doc.path or m.doc.title)
        names = ", ".join(label_of(m.doc) for m in members[:LIST_SHOWN])
        more = f" and {len(members) - LIST_SHOWN} more" if len(members) > LIST_SHOWN else ""
        where = f"{parent}/" if parent else f"the top of {space}"
        fix = f"one CODEOWNERS line (`{parent}/ @team`) fixes them" if source == "git" else "name an owner for them"
        reasons = sorted({m.doc.unowned_reason for m in members if m.doc.unowned_reason})
        kept.append(
            rule.finding(
                members[0].doc,
                f"{len(members)} docs under {where} have no owner ({names}{more}); {fix}",
                UnownedFolderEvidence(
                    folder=parent, count=len(members), docs=[label_of(m.doc) for m in members], why=reasons[:3]
                ),
                group=f"unowned:{source}:{space}:{parent}",
            )
        )
    return kept


def _parent(doc: Doc) -> str:
    if doc.source == "git":
        parent = str(PurePosixPath(doc.path or doc.id).parent)
        return "" if parent == "." else parent
    return doc.path.rsplit("/", 1)[0] if "/" in doc.path else ""


def label_of(doc: Doc) -> str:
    """How findings name a doc: its path, else its title."""
    return doc.path or doc.title


def day_of(doc: Doc) -> str:
    return doc.last_modified.date().isoformat() if doc.last_modified else "undated"
