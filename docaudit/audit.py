"""The two library entry points the CLI is a thin shell over: crawl a source, audit the index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import connectors

from .config import Config
from .currency import Currency, assess
from .errors import DocauditError
from .index import CrawlStats, Index
from .probes import generate_probes, resolve_expectations
from .records import Doc, Finding, Hit, Probe
from .rules import Ranking, evaluate

SEARCH_WINDOW = 50  # chunks fetched per probe: enough to say where a missing current doc ranked


def crawl(index: Index, kind: str, target: str, config: Config, progress: Any = None) -> CrawlStats:
    """Crawl one source into the index; its cursor is saved only once everything is indexed."""
    connector = connectors.get(kind)
    records = connector.crawl  # resolve before touching the index: an unknown kind fails fast
    probe_space = _space_of(connector, target)
    state = connectors.CrawlState(cursor=index.cursor(kind, probe_space), known=index.known(kind, probe_space))
    stats = index.apply(records(target, config, state), progress)
    index.save_cursor(kind, probe_space, state.next_cursor)
    return stats


def _space_of(connector: Any, target: str) -> str:
    space_for = getattr(connector, "space_for", None)
    return space_for(target) if space_for else target


@dataclass
class AuditResult:
    findings: list[Finding]
    docs: dict[str, Doc]
    currency: dict[str, Currency]
    probes: list[Probe]
    rankings: list[Ranking]

    def exposure(self) -> dict[str, int]:
        """Doc key -> how many probes put it in the top-k."""
        counts = dict.fromkeys(self.docs, 0)
        for ranking in self.rankings:
            for key in ranking.in_top_k():
                counts[key] = counts.get(key, 0) + 1
        return counts


def audit(
    index: Index,
    config: Config,
    now: datetime,
    probes: list[Probe] | None = None,
    top_k: int | None = None,
) -> AuditResult:
    """Probe the index and apply the rules. Generated probes stand in when none are given."""
    top_k = top_k or config.top_k
    docs, vectors = index.docs(with_vectors=True)
    if not docs:
        raise DocauditError("the index is empty: run `docaudit crawl PATH` first")
    currency = assess(docs, vectors, config, now)
    if probes is None:
        probes = generate_probes(docs.values(), config.probes_per_doc)
    expectations = resolve_expectations(probes, docs)
    results = index.search([p.query for p in probes], max(SEARCH_WINDOW, top_k * 5))
    rankings = []
    for probe, chunk_hits in zip(probes, results):
        hits = [Hit(probe.id, h.doc_key, h.chunk, rank, h.score, h.text) for rank, h in enumerate(chunk_hits, 1)]
        rankings.append(Ranking.from_hits(probe, hits, top_k, config.min_score))
    findings = evaluate(rankings, docs, currency, expectations, now)
    return AuditResult(findings, docs, currency, probes, rankings)


def docs_overview(index: Index, config: Config, now: datetime) -> tuple[dict[str, Doc], dict[str, Currency]]:
    docs, vectors = index.docs(with_vectors=True)
    return docs, assess(docs, vectors, config, now)
