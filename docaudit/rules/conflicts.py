"""The conflict rule: docs that retrieval puts in one answer and that state different values for the
same fact. Collected batch by batch as rankings stream in, then turned into one finding per doc pair."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from docaudit.currency.verdict import Currency
from docaudit.probing.ranking import Ranking, exposure
from docaudit.records import Doc, Finding, Severity, iso

from .evidence import ConflictDoc, ConflictEvidence, ConflictingFact, Nli
from .facts import Fact, extract, sentences
from .facts import conflicts as fact_conflicts
from .grouping import day_of, label_of, versions_of_one_page
from .registry import AuditInputs, rule

NEWER_BY_DAYS = 30


@rule(
    "conflict",
    Severity.warning,
    summary="Two docs retrieved together state different values for the same fact",
    when="two docs that retrieval returns for the same probe state different values for the same fact: "
    "quantities with units (durations compared across units), money, dates, versions, commands, flags "
    "(one doc documents a flag another says was removed), config values, URLs, emails. Statements scoped "
    'to another time or version ("in 2019 the limit was 100", "v2 allows 500") are not conflicts, nor '
    "are two versions of one page, nor two rows of one database differing in their fields. Reported on "
    "the doc likely wrong, saying which is likely right and why (current over superseded, clearly newer, "
    "retrieved more) or that it cannot tell",
    action="Make it agree with '{other}' (or the other way round): they contradict each other.",
    weight=4.0,
)
def conflict(inputs: AuditInputs) -> list[Finding]:
    if inputs.conflicts_seen is not None:
        return conflict_findings(inputs.conflicts_seen, inputs.docs, inputs.currency, inputs.exposure)
    return conflicts(inputs.rankings, inputs.docs, inputs.currency, inputs.verdicts, inputs.config.nli_threshold)


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
    return conflict_findings(by_pair, docs, currency, exposure(rankings))


ConflictsSeen = dict[tuple[str, str], dict[tuple[str, str], dict]]  # doc pair -> sentence pair -> facts, probes


def collect_conflicts(
    rankings: Sequence[Ranking],
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
    by_pair: ConflictsSeen,
    verdicts: Mapping[tuple[str, str], tuple[str, float]] | None = None,
    nli_threshold: float = 0.8,
    facts_of: Callable[[str], tuple[Fact, ...]] = extract,
) -> None:
    """Add the conflicts in these rankings' passages to `by_pair`: an audit feeds it batch by batch and
    then drops the passages, so memory does not grow with the number of probes. An audit passes one
    FactBook as `facts_of` for all its batches."""
    verdicts = verdicts or {}
    for ranking in rankings:
        passages = [(key, text) for key, text in ranking.passages if key in docs]
        for i, (key_a, text_a) in enumerate(passages):
            for key_b, text_b in passages[i + 1 :]:
                if key_a == key_b or versions_of_one_page(docs[key_a], docs[key_b], currency):
                    continue
                (key_a2, text_a2), (key_b2, text_b2) = sorted([(key_a, text_a), (key_b, text_b)])
                row_fields = _row_fields(docs[key_a2], docs[key_b2])
                found = _disagreements(text_a2, text_b2, row_fields, verdicts, nli_threshold, facts_of)
                for fact_a, fact_b, verdict in found:
                    entry = by_pair[(key_a2, key_b2)].setdefault(
                        (fact_a.sentence, fact_b.sentence), {"a": fact_a, "b": fact_b, "probes": [], "nli": verdict}
                    )
                    if ranking.probe.id not in entry["probes"]:
                        entry["probes"].append(ranking.probe.id)


def _disagreements(
    text_a: str,
    text_b: str,
    row_fields: tuple[str, ...],
    verdicts: Mapping[tuple[str, str], tuple[str, float]],
    nli_threshold: float,
    facts_of: Callable[[str], tuple[Fact, ...]],
) -> list[tuple[Fact, Fact, tuple[str, float] | None]]:
    """Facts of two passages that disagree, and sentence pairs the NLI model calls a contradiction."""
    found = []
    for fact_a, fact_b in fact_conflicts(text_a, text_b, facts_of):
        if row_fields and (_is_field(fact_a.sentence, row_fields) or _is_field(fact_b.sentence, row_fields)):
            continue  # two rows of one table differ in their fields: that is what rows are for
        verdict = verdicts.get((fact_a.sentence, fact_b.sentence))
        if verdict and verdict[0] == "entailment" and verdict[1] >= nli_threshold:
            continue
        found.append((fact_a, fact_b, verdict))
    if verdicts:
        for sentence_a in sentences(text_a):
            for sentence_b in sentences(text_b):
                verdict = verdicts.get((sentence_a, sentence_b))
                if verdict and verdict[0] == "contradiction" and verdict[1] >= nli_threshold:
                    found.append((_statement(sentence_a), _statement(sentence_b), verdict))
    return found


def conflict_findings(
    by_pair: Mapping[tuple[str, str], dict[tuple[str, str], dict]],
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
    exposure: Mapping[str, int],
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
            conflict.finding(
                docs[wrong],
                message,
                ConflictEvidence(
                    facts=[_fact(entry, label_of(docs[key_a]), label_of(docs[key_b])) for entry in facts.values()],
                    likely_right=label_of(docs[right]) if right else None,
                    why=why,
                    docs={
                        label_of(docs[k]): ConflictDoc(
                            last_modified=iso(docs[k].last_modified),
                            owner=owner.label() if (owner := docs[k].owner) else None,
                            status=currency[k].status,
                            exposure=exposure[k],
                        )
                        for k in (key_a, key_b)
                    },
                ),
                [docs[other]],
            )
        )
    return findings


def _fact(entry: dict[str, Any], label_a: str, label_b: str) -> ConflictingFact:
    """One disagreement as evidence: the two values and sentences by doc, the probes, the NLI verdict."""
    fact = ConflictingFact(
        kind=entry["a"].kind,
        values={label_a: entry["a"].shown, label_b: entry["b"].shown},
        sentences={label_a: entry["a"].sentence, label_b: entry["b"].sentence},
        probes=entry["probes"],
    )
    if entry["nli"]:
        fact["nli"] = Nli(label=entry["nli"][0], probability=entry["nli"][1])
    return fact


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
