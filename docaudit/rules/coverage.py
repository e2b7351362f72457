"""Rules on what retrieval should surface and does not: a probe's expected doc outside its answer."""

from __future__ import annotations

from collections import defaultdict

from docaudit.records import Finding, Severity

from .evidence import MissedProbe, RankedInstead, UnansweredEvidence
from .registry import AuditInputs, rule


@rule(
    "unanswered-probe",
    Severity.warning,
    summary="A probe's expected doc is not retrieved",
    when="a probe's expected doc is not retrieved",
    action="Update it so it answers the question its probe asks.",
    weight=1.0,
)
def unanswered_probe(inputs: AuditInputs) -> list[Finding]:
    docs = inputs.docs
    missed: dict[str, list[MissedProbe]] = defaultdict(list)
    for ranking in inputs.rankings:
        for key in inputs.expectations.get(ranking.probe.id, ()):
            if not ranking.surfaces(key):
                instead = [
                    RankedInstead(doc=docs[k].path or docs[k].title, rank=ranking.ranks[k][0])
                    for k in ranking.in_top_k()[:3]
                    if k in docs
                ]
                missed[key].append(MissedProbe(**ranking.describe(key), top_k=ranking.top_k, ranked_instead=instead))
    return [
        unanswered_probe.finding(
            docs[key],
            f"'{docs[key].title}' is expected for \"{probes[0]['query']}\" but {_where(probes[0])}",
            UnansweredEvidence(probes=probes),
        )
        for key, probes in missed.items()
    ]


def _where(probe: MissedProbe) -> str:
    if probe["rank"] is None:
        return "is not in the results"
    if probe["rank"] > probe["top_k"]:
        return f"ranks {probe['rank']}, outside the top {probe['top_k']}"
    return f"ranks {probe['rank']} with similarity {probe['score']}, below min_score"
