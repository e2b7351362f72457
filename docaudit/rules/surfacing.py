"""Rules on what retrieval surfaces: a superseded doc above its successor, a deprecated or past-policy doc
in the top-k. One finding per doc (and per superseding doc for inversions), with every probe that
exposed it as evidence: an owner gets one item to act on, not one per question."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from docaudit.currency import sites
from docaudit.currency.verdict import DEPRECATED, SUPERSEDED, Currency
from docaudit.probing.ranking import ProbeHit, Ranking
from docaudit.records import Doc, Finding, Marker, Severity, iso

from .evidence import Dates, DeprecatedEvidence, InversionEvidence, InversionProbe, StaleEvidence
from .grouping import version_folder_inversions
from .registry import AuditInputs, rule


def dates(doc: Doc, state: Currency) -> Dates:
    return {
        "last_modified": iso(doc.last_modified),
        "age_days": state.age_days,
        "version": state.version.label if state.version else None,
        "status": state.status,
        "reasons": state.reasons,
    }


def surfacing(rankings: Sequence[Ranking], key: str) -> list[ProbeHit]:
    """The probes that surface a doc, highest rank first: the message quotes the most telling one."""
    return sorted((r.describe(key) for r in rankings if r.surfaces(key)), key=lambda probe: probe["rank"] or 0)


@rule(
    "rank-inversion",
    Severity.error,
    summary="A superseded or deprecated doc ranks above its successor for a probe",
    when="for a probe, a superseded or deprecated doc ranks above its successor, or the successor is not "
    "retrieved. Three or more pages of one old version folder that outrank their current twins are one "
    "finding for that version (every page listed, and how many of them say something the current page "
    "does not): the fix is one decision",
    action="Mark it superseded by '{other}' (or archive it): retrieval prefers it to the current doc.",
    weight=5.0,
    fold=version_folder_inversions,
)
def rank_inversion(inputs: AuditInputs) -> list[Finding]:
    docs, currency = inputs.docs, inputs.currency
    probes_by_pair: dict[tuple[str, str], list[InversionProbe]] = defaultdict(list)
    for ranking in inputs.rankings:
        for key in ranking.in_top_k():
            newer = currency[key].superseded_by
            if currency[key].status not in (SUPERSEDED, DEPRECATED) or not newer or newer not in docs:
                continue
            old_rank = ranking.ranks[key][0]
            new_rank = ranking.ranks.get(newer, (None, None))[0]
            if new_rank is None or new_rank > old_rank:
                probes_by_pair[(key, newer)].append(
                    {
                        **ranking.describe(key),
                        "current_rank": new_rank,
                        "current_score": ranking.ranks.get(newer, (0, None))[1],
                    }
                )
    findings = []
    for (key, newer), probes in probes_by_pair.items():
        old, new = docs[key], docs[newer]
        worst = min(probes, key=lambda p: p["rank"] or 0)
        where = f"rank {worst['current_rank']}" if worst["current_rank"] else "not in the results"
        message = (
            f"'{old.title}' outranks its successor '{new.title}': for \"{worst['query']}\" "
            f"it ranks {worst['rank']} while the current doc is {where} (why it is superseded: "
            f"{currency[key].reasons[0]})"
        )
        evidence: InversionEvidence = {
            "probes": probes,
            "superseded": dates(old, currency[key]),
            "current": dates(new, currency[newer]),
        }
        findings.append(rank_inversion.finding(old, message, evidence, [new]))
    return findings


def _removed_from_current(doc: Doc, state: Currency, markers: list[Marker]) -> bool:
    """An old version's page the current version no longer has: what it describes may be gone."""
    release = doc.release
    return (
        release is not None
        and release.declared  # only when the site says which version is current, not when docaudit guessed
        and release.status in (sites.OLDER, sites.ARCHIVED)
        and not state.superseded_by
        and not markers
    )


@rule(
    "deprecated-surfaces",
    Severity.warning,
    summary="A doc marked deprecated, archived or superseded is retrieved",
    when="a doc marked deprecated/archived/superseded is retrieved (top-k, similarity ≥ `min_score`), or a page "
    "of an old version that the current version no longer has",
    action="Archive it or remove it from the index: it is marked deprecated but still answers questions.",
    weight=3.0,
    after=(rank_inversion,),
)
def deprecated_surfaces(inputs: AuditInputs) -> list[Finding]:
    """Explicitly marked docs in the top-k."""
    docs, currency = inputs.docs, inputs.currency
    findings = []
    for key, doc in docs.items():
        markers = [m for m in doc.markers if m.kind in ("deprecated", "archived", "superseded_by")]
        removed = _removed_from_current(doc, currency[key], markers)
        if not markers and not removed:
            continue
        probes = surfacing(inputs.rankings, key)
        if not probes:
            continue
        if removed and doc.release:
            marker = Marker(
                "archived", doc.release.label, f"{doc.release.source}; the current version has no such page"
            )
            said = f"'{doc.title}' belongs to version {doc.release.label} ({marker.source})"
        else:
            marker = markers[0]
            shown = "" if marker.value.lower() in ("true", "yes") else f': "{marker.value}"'
            said = f"'{doc.title}' is marked {marker.kind.replace('_', ' ')}{shown} ({marker.source})"
        successor = currency[key].superseded_by
        findings.append(
            deprecated_surfaces.finding(
                doc,
                f"{said} but retrieval returns it for {len(probes)} probe(s), "
                f'e.g. "{probes[0]["query"]}" at rank {probes[0]["rank"]}',
                DeprecatedEvidence(
                    probes=probes,
                    marker={"kind": marker.kind, "value": marker.value, "source": marker.source},
                    **dates(doc, currency[key]),
                ),
                [docs[successor]] if successor and successor in docs else [],
            )
        )
    return findings


@rule(
    "stale-surfaces",
    Severity.warning,
    summary="A doc past its age policy is retrieved",
    when="a doc past its age policy (one you set) is retrieved",
    action="Update it, or archive it if nobody needs it: it is past its age policy and still retrieved.",
    weight=2.0,
    after=(rank_inversion,),
)
def stale_surfaces(inputs: AuditInputs) -> list[Finding]:
    """Docs past their age policy in the top-k; superseded and deprecated ones have their own rules."""
    findings = []
    for key, doc in inputs.docs.items():
        state = inputs.currency[key]
        if state.status in (SUPERSEDED, DEPRECATED):
            continue
        if state.age_days is None or state.age_days <= state.max_age_days or not state.age_policy:
            continue  # age alone, against the built-in default, is too weak a signal to report
        probes = surfacing(inputs.rankings, key)
        if not probes:
            continue
        findings.append(
            stale_surfaces.finding(
                doc,
                f"'{doc.title}' was last edited {state.age_days} days ago ({state.age_policy} {state.max_age_days}) "
                f'and retrieval returns it for {len(probes)} probe(s), e.g. "{probes[0]["query"]}" at rank {probes[0]["rank"]}',
                StaleEvidence(probes=probes, **dates(doc, state), notes=doc.notes),
            )
        )
    return findings
