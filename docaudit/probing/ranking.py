"""What a probe retrieved, collapsed to docs, and how often each doc is passed on to the model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NotRequired, TypedDict

from docaudit.records import Hit, Probe

EXCERPT_CHARS = 200


class ProbeHit(TypedDict):
    """Where a probe ranks one doc: the evidence rules quote."""

    probe: str
    query: str
    rank: int | None  # None: not in the search window
    score: float | None
    excerpt: NotRequired[str]


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

    def describe(self, key: str) -> ProbeHit:
        rank, score = self.ranks.get(key, (None, None))
        described: ProbeHit = {"probe": self.probe.id, "query": self.probe.query, "rank": rank, "score": score}
        if self.excerpts.get(key):
            described["excerpt"] = self.excerpts[key]
        return described


def exposure(rankings: Sequence[Ranking]) -> dict[str, int]:
    """Doc key -> how many probes put it in the top-k."""
    counts: dict[str, int] = defaultdict(int)
    for ranking in rankings:
        for key in ranking.in_top_k():
            counts[key] += 1
    return counts
