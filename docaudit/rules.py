"""Finding rules: pure functions of probe results, docs, currency, config and `now`.

Retrieval rules report one finding per doc (and per superseding doc for inversions), with
every probe that exposed it as evidence: a doc owner gets one item to act on, not one per
question.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from . import ruleset, sites
from .conflicts import ConflictsSeen, collect_conflicts, conflict_findings, conflicts  # noqa: F401 - re-exported
from .currency import DEPRECATED, SUPERSEDED, Currency
from .duplicates import DuplicatePair
from .grouping import copy_clusters, unowned_folders, version_folder_inversions
from .ranking import EXCERPT_CHARS, Ranking, exposure  # noqa: F401 - re-exported
from .records import Doc, Finding, Marker, Severity, iso

RULES = {rule.id: rule.severity for rule in ruleset.ALL}  # rule id -> default severity, in the registry's order
RULE_HELP = {rule.id: rule.summary for rule in ruleset.ALL}


def evaluate(
    rankings: Sequence[Ranking],
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
    expectations: Mapping[str, Sequence[str]],
    now: datetime,
    duplicates: Sequence[DuplicatePair] = (),
    verdicts: Mapping[tuple[str, str], tuple[str, float]] | None = None,
    nli_threshold: float = 0.8,
    conflicts_seen: ConflictsSeen | None = None,
) -> list[Finding]:
    """Every rule over the rankings. `conflicts_seen`: conflicts already collected batch by batch (the
    rankings then carry no passages); else they are collected from the rankings' passages here."""
    inversions = rank_inversions(rankings, docs, currency)
    inverted = {f.doc.key for f in inversions}
    findings = [
        *inversions,
        *deprecated_surfaces(rankings, docs, currency, skip=inverted),
        *stale_surfaces(rankings, docs, currency, skip=inverted),
        *missing_owners(docs),
        *reviews_expired(docs, now),
        *unanswered_probes(rankings, docs, expectations),
        *duplicate_copies(duplicates, rankings, docs, currency),
        *(
            conflict_findings(conflicts_seen, docs, currency, exposure(rankings))
            if conflicts_seen is not None
            else conflicts(rankings, docs, currency, verdicts or {}, nli_threshold)
        ),
    ]
    findings = unowned_folders(version_folder_inversions(findings, docs, currency))
    return sorted(findings, key=lambda f: (-f.severity, f.rule, f.doc.path or f.doc.id))


def _dates(doc: Doc, state: Currency) -> dict:
    return {
        "last_modified": iso(doc.last_modified),
        "age_days": state.age_days,
        "version": state.version.label if state.version else None,
        "status": state.status,
        "reasons": state.reasons,
    }


def rank_inversions(
    rankings: Sequence[Ranking], docs: Mapping[str, Doc], currency: Mapping[str, Currency]
) -> list[Finding]:
    probes_by_pair: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for ranking in rankings:
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
        worst = min(probes, key=lambda p: p["rank"])
        where = f"rank {worst['current_rank']}" if worst["current_rank"] else "not in the results"
        message = (
            f"'{old.title}' outranks its successor '{new.title}': for \"{worst['query']}\" "
            f"it ranks {worst['rank']} while the current doc is {where} (why it is superseded: "
            f"{currency[key].reasons[0]})"
        )
        findings.append(
            Finding(
                "rank-inversion",
                RULES["rank-inversion"],
                old,
                message,
                {"probes": probes, "superseded": _dates(old, currency[key]), "current": _dates(new, currency[newer])},
                [new],
            )
        )
    return findings


def _surfacing(rankings: Sequence[Ranking], key: str) -> list[dict]:
    """The probes that surface a doc, highest rank first: the message quotes the most telling one."""
    return sorted((r.describe(key) for r in rankings if r.surfaces(key)), key=lambda probe: probe["rank"])


def deprecated_surfaces(
    rankings: Sequence[Ranking], docs: Mapping[str, Doc], currency: Mapping[str, Currency], skip: set[str] = frozenset()
) -> list[Finding]:
    """Explicitly marked docs in the top-k (a doc already reported as a rank inversion is not repeated)."""
    findings = []
    for key, doc in docs.items():
        if key in skip:
            continue
        markers = [m for m in doc.markers if m.kind in ("deprecated", "archived", "superseded_by")]
        release = doc.release
        removed = (
            release is not None
            and release.declared  # only when the site says which version is current, not when docaudit guessed
            and release.status in (sites.OLDER, sites.ARCHIVED)
            and not currency[key].superseded_by
            and not markers
        )
        if not markers and not removed:
            continue
        probes = _surfacing(rankings, key)
        if not probes:
            continue
        if removed:
            # An old version's page the current version no longer has: what it describes may be gone.
            marker = Marker("archived", release.label, f"{release.source}; the current version has no such page")
            said = f"'{doc.title}' belongs to version {release.label} ({marker.source})"
        else:
            marker = markers[0]
            shown = "" if marker.value.lower() in ("true", "yes") else f': "{marker.value}"'
            said = f"'{doc.title}' is marked {marker.kind.replace('_', ' ')}{shown} ({marker.source})"
        findings.append(
            Finding(
                "deprecated-surfaces",
                RULES["deprecated-surfaces"],
                doc,
                f"{said} "
                f'but retrieval returns it for {len(probes)} probe(s), e.g. "{probes[0]["query"]}" at rank {probes[0]["rank"]}',
                {
                    "probes": probes,
                    "marker": {"kind": marker.kind, "value": marker.value, "source": marker.source},
                    **_dates(doc, currency[key]),
                },
                [docs[currency[key].superseded_by]] if currency[key].superseded_by in docs else [],
            )
        )
    return findings


def stale_surfaces(
    rankings: Sequence[Ranking], docs: Mapping[str, Doc], currency: Mapping[str, Currency], skip: set[str] = frozenset()
) -> list[Finding]:
    """Docs past their age policy in the top-k; superseded and deprecated ones have their own rules."""
    findings = []
    for key, doc in docs.items():
        state = currency[key]
        if key in skip or state.status in (SUPERSEDED, DEPRECATED):
            continue
        if state.age_days is None or state.age_days <= state.max_age_days or not state.age_policy:
            continue  # age alone, against the built-in default, is too weak a signal to report
        probes = _surfacing(rankings, key)
        if not probes:
            continue
        findings.append(
            Finding(
                "stale-surfaces",
                RULES["stale-surfaces"],
                doc,
                f"'{doc.title}' was last edited {state.age_days} days ago ({state.age_policy} {state.max_age_days}) "
                f'and retrieval returns it for {len(probes)} probe(s), e.g. "{probes[0]["query"]}" at rank {probes[0]["rank"]}',
                {"probes": probes, **_dates(doc, state), "notes": doc.notes},
            )
        )
    return findings


def missing_owners(docs: Mapping[str, Doc]) -> list[Finding]:
    return [
        Finding(
            "missing-owner",
            RULES["missing-owner"],
            doc,
            f"'{doc.title}' has no owner" + (f": {doc.unowned_reason}" if doc.unowned_reason else ""),
            {"last_modified": iso(doc.last_modified), "notes": doc.notes, "why": doc.unowned_reason},
        )
        for doc in docs.values()
        if doc.owner is None or not (doc.owner.name or doc.owner.email)  # an id alone is no one to ask
    ]


def reviews_expired(docs: Mapping[str, Doc], now: datetime) -> list[Finding]:
    findings = []
    for doc in docs.values():
        marker = doc.marker("review_by")
        if marker is None:
            continue
        try:
            due = datetime.fromisoformat(marker.value).date() if marker.valid else None
        except ValueError:  # a record written before markers said so themselves
            due = None
        if due is None:
            findings.append(
                Finding(
                    "review-expired",
                    Severity.note,
                    doc,
                    f"'{doc.title}' has a review_by that is not a date ({marker.value})",
                    {"marker": {"kind": marker.kind, "value": marker.value, "source": marker.source}},
                )
            )
            continue
        if due < now.date():
            overdue = (now.date() - due).days
            findings.append(
                Finding(
                    "review-expired",
                    RULES["review-expired"],
                    doc,
                    f"'{doc.title}' was due for review on {due.isoformat()} ({overdue} days ago)",
                    {
                        "review_by": due.isoformat(),
                        "days_overdue": overdue,
                        "source": marker.source,
                        "last_modified": iso(doc.last_modified),
                    },
                )
            )
    return findings


def unanswered_probes(
    rankings: Sequence[Ranking], docs: Mapping[str, Doc], expectations: Mapping[str, Sequence[str]]
) -> list[Finding]:
    missed: dict[str, list[dict]] = defaultdict(list)
    for ranking in rankings:
        for key in expectations.get(ranking.probe.id, ()):
            if not ranking.surfaces(key):
                instead = [
                    {"doc": docs[k].path or docs[k].title, "rank": ranking.ranks[k][0]}
                    for k in ranking.in_top_k()[:3]
                    if k in docs
                ]
                missed[key].append({**ranking.describe(key), "top_k": ranking.top_k, "ranked_instead": instead})
    return [
        Finding(
            "unanswered-probe",
            RULES["unanswered-probe"],
            docs[key],
            f"'{docs[key].title}' is expected for \"{probes[0]['query']}\" but {_where(probes[0])}",
            {"probes": probes},
        )
        for key, probes in missed.items()
    ]


def _where(probe: dict) -> str:
    if probe["rank"] is None:
        return "is not in the results"
    if probe["rank"] > probe["top_k"]:
        return f"ranks {probe['rank']}, outside the top {probe['top_k']}"
    return f"ranks {probe['rank']} with similarity {probe['score']}, below min_score"


def duplicate_copies(
    pairs: Sequence[DuplicatePair],
    rankings: Sequence[Ranking],
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
) -> list[Finding]:
    """One finding per cluster of copies, on the oldest copy; versions of one page are lineage, not copies."""
    pairs_seen = [(p.a, p.b, p.similarity) for p in pairs]
    return copy_clusters(pairs_seen, docs, currency, exposure(rankings), RULES["duplicate"])
