"""Finding rules: pure functions of probe results, docs, currency, config and `now`.

Retrieval rules report one finding per doc (and per superseding doc for inversions), with
every probe that exposed it as evidence: a doc owner gets one item to act on, not one per
question.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from . import ruleset, sites
from .currency import DEPRECATED, SUPERSEDED, Currency
from .duplicates import DuplicatePair
from .facts import Fact, sentences
from .facts import conflicts as fact_conflicts
from .grouping import copy_clusters, day_of, label_of, unowned_folders, version_folder_inversions, versions_of_one_page
from .records import Doc, Finding, Hit, Marker, Probe, Severity, iso

EXCERPT_CHARS = 200
RULES = {rule.id: rule.severity for rule in ruleset.ALL}  # rule id -> default severity, in the registry's order
RULE_HELP = {rule.id: rule.summary for rule in ruleset.ALL}


@dataclass(frozen=True)
class Ranking:
    """One probe's results collapsed to docs: each doc's best chunk rank and score."""

    probe: Probe
    ranks: dict[str, tuple[int, float]]  # doc key -> (best chunk rank, score)
    top_k: int
    min_score: float = 0.0
    excerpts: dict[str, str] = field(default_factory=dict)  # doc key -> its best chunk's opening
    passages: tuple[tuple[str, str], ...] = ()  # (doc key, chunk text) a RAG app would pass to the model

    @classmethod
    def from_hits(cls, probe: Probe, hits: Sequence[Hit], top_k: int, min_score: float = 0.0) -> Ranking:
        ranks: dict[str, tuple[int, float]] = {}
        excerpts: dict[str, str] = {}
        ordered = sorted(hits, key=lambda h: h.rank)
        for hit in ordered:
            if hit.doc_key not in ranks:
                ranks[hit.doc_key] = (hit.rank, hit.score)
                if hit.rank <= top_k:  # only what a RAG app would pass on is quoted in evidence
                    excerpts[hit.doc_key] = " ".join(hit.text.split())[:EXCERPT_CHARS]
        passages = tuple((h.doc_key, h.text) for h in ordered if h.rank <= top_k and h.score >= min_score)
        return cls(probe, ranks, top_k, min_score, excerpts, passages)

    def surfaces(self, key: str) -> bool:
        """In the top-k and similar enough that a RAG app would pass it to the model."""
        rank, score = self.ranks.get(key, (None, 0.0))
        return rank is not None and rank <= self.top_k and score >= self.min_score

    def without_passages(self, keep: set[str] | None = None) -> Ranking:
        """The ranking as the rules need it once conflicts are collected: no passages, and (with `keep`)
        the ranks of the top-k docs and of `keep` only, instead of the whole search window."""
        if keep is None:
            return replace(self, passages=())
        wanted = set(self.in_top_k()) | keep
        ranks = {key: value for key, value in self.ranks.items() if key in wanted}
        excerpts = {key: text for key, text in self.excerpts.items() if key in wanted}
        return replace(self, passages=(), ranks=ranks, excerpts=excerpts)

    def in_top_k(self) -> list[str]:
        return [key for key in self.ranks if self.surfaces(key)]

    def describe(self, key: str) -> dict:
        rank, score = self.ranks.get(key, (None, None))
        described = {"probe": self.probe.id, "query": self.probe.query, "rank": rank, "score": score}
        if self.excerpts.get(key):
            described["excerpt"] = self.excerpts[key]
        return described


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
            conflict_findings(conflicts_seen, docs, currency, _exposure(rankings))
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
    return [r.describe(key) for r in rankings if r.surfaces(key)]


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
    exposure = _exposure(rankings)
    return copy_clusters([(p.a, p.b, p.similarity) for p in pairs], docs, currency, exposure, RULES["duplicate"])


NEWER_BY_DAYS = 30


def conflicts(
    rankings: Sequence[Ranking],
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
    verdicts: Mapping[tuple[str, str], tuple[str, float]] | None = None,
    nli_threshold: float = 0.8,
) -> list[Finding]:
    """Docs that retrieval puts in one answer and that state different values for the same fact.

    With NLI verdicts (sentence pair -> label, probability), a confident "entailment" vetoes an
    extracted conflict, and a confident "contradiction" between sentences adds one.
    """
    by_pair: ConflictsSeen = defaultdict(dict)
    collect_conflicts(rankings, docs, currency, by_pair, verdicts, nli_threshold)
    return conflict_findings(by_pair, docs, currency, _exposure(rankings))


ConflictsSeen = dict[tuple[str, str], dict[tuple[str, str], dict]]  # doc pair -> sentence pair -> facts, probes


def collect_conflicts(
    rankings: Sequence[Ranking],
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
    by_pair: ConflictsSeen,
    verdicts: Mapping[tuple[str, str], tuple[str, float]] | None = None,
    nli_threshold: float = 0.8,
) -> None:
    """Add the conflicts in these rankings' passages to `by_pair`: an audit feeds it batch by batch and
    then drops the passages, so memory does not grow with the number of probes."""
    verdicts = verdicts or {}
    for ranking in rankings:
        passages = [(key, text) for key, text in ranking.passages if key in docs]
        for i, (key_a, text_a) in enumerate(passages):
            for key_b, text_b in passages[i + 1 :]:
                if key_a == key_b or versions_of_one_page(docs[key_a], docs[key_b], currency):
                    continue
                (key_a2, text_a2), (key_b2, text_b2) = sorted([(key_a, text_a), (key_b, text_b)])
                found = []
                row_fields = _row_fields(docs[key_a2], docs[key_b2])
                for fact_a, fact_b in fact_conflicts(text_a2, text_b2):
                    if row_fields and (
                        _is_field(fact_a.sentence, row_fields) or _is_field(fact_b.sentence, row_fields)
                    ):
                        continue  # two rows of one table differ in their fields: that is what rows are for
                    verdict = verdicts.get((fact_a.sentence, fact_b.sentence))
                    if verdict and verdict[0] == "entailment" and verdict[1] >= nli_threshold:
                        continue
                    found.append((fact_a, fact_b, verdict))
                if verdicts:
                    for sentence_a in sentences(text_a2):
                        for sentence_b in sentences(text_b2):
                            verdict = verdicts.get((sentence_a, sentence_b))
                            if verdict and verdict[0] == "contradiction" and verdict[1] >= nli_threshold:
                                found.append((_statement(sentence_a), _statement(sentence_b), verdict))
                for fact_a, fact_b, verdict in found:
                    entry = by_pair[(key_a2, key_b2)].setdefault(
                        (fact_a.sentence, fact_b.sentence), {"a": fact_a, "b": fact_b, "probes": [], "nli": verdict}
                    )
                    if ranking.probe.id not in entry["probes"]:
                        entry["probes"].append(ranking.probe.id)


def conflict_findings(
    by_pair: ConflictsSeen, docs: Mapping[str, Doc], currency: Mapping[str, Currency], exposure: Mapping[str, int]
) -> list[Finding]:
    findings = []
    for (key_a, key_b), facts in by_pair.items():
        right, why = _likely_right(docs[key_a], docs[key_b], currency, exposure)
        wrong, other = (key_b, key_a) if right == key_a else (key_a, key_b)
        first = next(iter(facts.values()))
        said = {key_a: first["a"], key_b: first["b"]}
        message = (
            f'{label_of(docs[wrong])} says "{_quote(said[wrong])}" but {label_of(docs[other])} says '
            f'"{_quote(said[other])}"; '
            + (f"{label_of(docs[right])} is likely right ({why})" if right else f"cannot tell which is right ({why})")
        )
        findings.append(
            Finding(
                "conflict",
                RULES["conflict"],
                docs[wrong],
                message,
                {
                    "facts": [
                        {
                            "kind": entry["a"].kind,
                            "values": {
                                label_of(docs[key_a]): entry["a"].shown,
                                label_of(docs[key_b]): entry["b"].shown,
                            },
                            "sentences": {
                                label_of(docs[key_a]): entry["a"].sentence,
                                label_of(docs[key_b]): entry["b"].sentence,
                            },
                            "probes": entry["probes"],
                            **(
                                {"nli": {"label": entry["nli"][0], "probability": entry["nli"][1]}}
                                if entry["nli"]
                                else {}
                            ),
                        }
                        for entry in facts.values()
                    ],
                    "likely_right": label_of(docs[right]) if right else None,
                    "why": why,
                    "docs": {
                        label_of(docs[k]): {
                            "last_modified": iso(docs[k].last_modified),
                            "owner": docs[k].owner.label() if docs[k].owner else None,
                            "status": currency[k].status,
                            "exposure": exposure[k],
                        }
                        for k in (key_a, key_b)
                    },
                },
                [docs[other]],
            )
        )
    return findings


def _likely_right(
    a: Doc, b: Doc, currency: Mapping[str, Currency], exposure: Mapping[str, int]
) -> tuple[str | None, str]:
    """Which of two conflicting docs to trust: the current one, else the clearly newer, else the more retrieved."""
    status_a, status_b = currency[a.key].status, currency[b.key].status
    stale = ("superseded", "deprecated")
    if (status_a in stale) != (status_b in stale):
        right, stale_status = (b, status_a) if status_a in stale else (a, status_b)
        return right.key, f"{label_of(right)} is current, the other is {stale_status}"
    if a.last_modified and b.last_modified and abs((a.last_modified - b.last_modified).days) > NEWER_BY_DAYS:
        right = a if a.last_modified > b.last_modified else b
        older = b if right is a else a
        return right.key, f"newer: edited {day_of(right)}, the other {day_of(older)}"
    if exposure[a.key] >= 2 * max(exposure[b.key], 1) or exposure[b.key] >= 2 * max(exposure[a.key], 1):
        right = a if exposure[a.key] > exposure[b.key] else b
        return (
            right.key,
            f"retrieved more: {exposure[right.key]} probes against {exposure[(b if right is a else a).key]}",
        )
    return None, "both current, edited within a month of each other, and retrieved alike"


def _row_fields(a: Doc, b: Doc) -> tuple[str, ...]:
    """The property names of two rows of one database, else ()."""
    table_a, table_b = a.marker("database"), b.marker("database")
    if not (table_a and table_b and table_a.value == table_b.value):
        return ()
    return tuple({m.value for d in (a, b) for m in d.markers if m.kind == "property"})


def _is_field(sentence: str, fields: tuple[str, ...]) -> bool:
    text = sentence.lstrip()
    return any(text.startswith(f"{name}:") for name in fields)


def _statement(sentence: str) -> Fact:
    """A whole sentence as the fact, when NLI (not the extractor) says two sentences contradict."""
    return Fact("statement", "", sentence, frozenset(), sentence, False, shown=sentence)


def _quote(fact: Fact) -> str:
    return fact.sentence if len(fact.sentence) <= 160 else fact.sentence[:157] + "..."


def _exposure(rankings: Sequence[Ranking]) -> dict[str, int]:
    exposure: dict[str, int] = defaultdict(int)
    for ranking in rankings:
        for key in ranking.in_top_k():
            exposure[key] += 1
    return exposure
