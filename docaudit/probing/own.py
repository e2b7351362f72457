"""docaudit's own retriever over its index, as the production RAG retrieves: dense vectors, BM25 over the
same chunks (bm25s), or both fused by weighted reciprocal rank, then optionally a CrossEncoder reranker.

`docaudit` names it with `[retrieval] mode`; `docaudit:dense`, `docaudit:bm25`, `docaudit:hybrid`, each
with an optional `+rerank`, name a variant, so one audit can say which findings hold under which.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docaudit.config import MODES, Config
from docaudit.errors import DocauditError
from docaudit.index.layout import parse_chunk_id
from docaudit.records import Hit, Probe

from .ranking import Ranking
from .retrievers import BUILTIN

if TYPE_CHECKING:
    from docaudit.index.store import Index

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al.), as llama-index and most engines use
PROBE_BATCH = 512  # probes embedded and searched at once: bounded memory, few calls


@dataclass(frozen=True)
class Variant:
    mode: str
    rerank: bool

    @property
    def name(self) -> str:
        return f"{BUILTIN}:{self.mode}{'+rerank' if self.rerank else ''}"

    @classmethod
    def parse(cls, spec: str, config: Config) -> Variant | None:
        """The variant a retriever spec names, or None when it names the user's code."""
        if spec == BUILTIN:
            return cls(config.retrieval.mode, bool(config.retrieval.reranker))
        prefix = f"{BUILTIN}:"
        if not spec.startswith(prefix):
            return None
        mode, _, extra = spec[len(prefix) :].partition("+")
        if mode not in MODES or extra not in ("", "rerank"):
            wanted = ", ".join(f"{prefix}{m}" for m in MODES)
            raise DocauditError(f"--retriever {spec}: docaudit's own retriever is one of {wanted}, each with +rerank")
        if extra and not config.retrieval.reranker:
            raise DocauditError(f"--retriever {spec}: set [retrieval] reranker to a CrossEncoder folder first")
        return cls(mode, bool(extra))

    def label(self, spec: str) -> str:
        """`docaudit` stays `docaudit` for the default dense retrieval, as reports have always said."""
        return BUILTIN if spec == BUILTIN and self == Variant("dense", False) else self.name


class Lexical:
    """BM25 over the index's live chunks (stemmed, English stopwords out), built once per audit."""

    def __init__(self, chunks: dict[str, str]) -> None:
        import bm25s
        import Stemmer

        self.ids = list(chunks)
        self.texts = chunks
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25()
        corpus = bm25s.tokenize(
            [chunks[i] for i in self.ids], stopwords="en", stemmer=self._stemmer, show_progress=False
        )
        self._bm25.index(corpus, show_progress=False)

    def search(self, queries: list[str], n: int) -> list[list[tuple[str, float]]]:
        import bm25s

        k = min(n, len(self.ids))
        if k == 0:
            return [[] for _ in queries]
        tokens = bm25s.tokenize(queries, stopwords="en", stemmer=self._stemmer, show_progress=False)
        found, scores = self._bm25.retrieve(tokens, k=k, show_progress=False)
        return [
            [(self.ids[int(i)], float(s)) for i, s in zip(row, row_scores) if s > 0]  # 0: no query term at all
            for row, row_scores in zip(found, scores)
        ]


def fuse(rankings: list[tuple[float, list[str]]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion: each (weight, ids best first) adds weight / (k + rank).

    A ranking weighted 0 is left out, so its ids do not trail in with a score of 0: hybrid with
    `bm25_weight = 0` is the dense ranking."""
    scores: dict[str, float] = {}
    for weight, ids in rankings:
        if weight <= 0:
            continue
        for rank, chunk_id in enumerate(ids, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class Reranker:
    """A sentence-transformers CrossEncoder, loaded from its folder on first use."""

    def __init__(self, path: str, device: str) -> None:
        self.path = path
        self._device = device
        self._model: Any = None

    def scores(self, query: str, texts: list[str]) -> list[float]:
        if self._model is None:
            from docaudit.index.embedder import Embedder, load_cross_encoder

            self._model = load_cross_encoder(self.path, Embedder.pick_device(self._device), "reranker")
        pairs = [(query, text) for text in texts]
        return [float(s) for s in self._model.predict(pairs, show_progress_bar=False)]


def own_batches(
    index: Index,
    probes: list[Probe],
    variant: Variant,
    window: int,
    top_k: int,
    min_score: float,
    progress: Any = None,
    shared: dict[str, Any] | None = None,
) -> Iterator[list[Ranking]]:
    """Rankings of docaudit's own retriever, batch by batch. `shared` keeps the BM25 index and the
    reranker between variants of one audit."""
    shared = {} if shared is None else shared
    first = "Probing" if getattr(index.embedder, "loaded", True) else "Loading the embedding model"
    task = progress.add_task(first, total=len(probes)) if progress is not None else None
    live = index.live_hashes()
    texts: dict[str, str] = {}
    if variant.mode != "dense" or variant.rerank:
        if "lexical" not in shared:
            shared["lexical"] = Lexical(index.live_chunks(live))
        texts = shared["lexical"].texts
    if variant.rerank and "reranker" not in shared:
        shared["reranker"] = Reranker(index.config.retrieval.reranker, index.config.device)
    # Scores of BM25, fusion and rerankers are on their own scales: their top-k is what is retrieved.
    floor = min_score if variant == Variant("dense", False) else float("-inf")
    for start in range(0, len(probes), PROBE_BATCH):
        batch = probes[start : start + PROBE_BATCH]
        queries = [p.query for p in batch]
        ranked = _ranked(index, queries, variant, window, top_k, live, shared)
        rankings = []
        for probe, query, hits in zip(batch, queries, ranked):
            if variant.rerank:
                hits = _reranked(shared["reranker"], query, hits, texts, index.config.retrieval.rerank_top_n)
            chunks = [
                _hit(probe, chunk_id, rank, score, texts, text) for rank, (chunk_id, score, text) in enumerate(hits, 1)
            ]
            rankings.append(Ranking.from_hits(probe, chunks, top_k, floor))
        if task is not None:
            progress.update(task, advance=len(batch), description="Probing")
        yield rankings


def _ranked(
    index: Index, queries: list[str], variant: Variant, window: int, top_k: int, live: dict, shared: dict
) -> list[list[tuple[str, float, str | None]]]:
    """(chunk id, score, text when the search returned it) per query, best first."""
    dense: list[list[tuple[str, float, str | None]]] = []
    if variant.mode in ("dense", "hybrid"):
        with_text = top_k if variant.mode == "dense" and not variant.rerank else 0
        for hits in index.search(queries, window, with_text=with_text, live=live):
            dense.append([(h.chunk_id, h.score, h.text or None) for h in hits])
    if variant.mode == "dense":
        return dense
    lexical: list[list[tuple[str, float, str | None]]] = [
        [(cid, score, None) for cid, score in hits] for hits in shared["lexical"].search(queries, window)
    ]
    if variant.mode == "bm25":
        return lexical
    weights = index.config.retrieval
    fused: list[list[tuple[str, float, str | None]]] = []
    for d, b in zip(dense, lexical):
        both = fuse([(weights.dense_weight, [h[0] for h in d]), (weights.bm25_weight, [h[0] for h in b])])
        fused.append([(cid, score, None) for cid, score in both[:window]])
    return fused


def _reranked(
    reranker: Reranker, query: str, hits: list[tuple[str, float, str | None]], texts: dict[str, str], top_n: int
) -> list[tuple[str, float, str | None]]:
    head, tail = hits[:top_n], hits[top_n:]
    scores = reranker.scores(query, [texts.get(cid, "") for cid, _, _ in head])
    order = sorted(range(len(head)), key=lambda i: -scores[i])
    # What the reranker did not see keeps its order below everything it scored.
    lowest = min(scores, default=0.0)
    return [(head[i][0], scores[i], head[i][2]) for i in order] + [(c, lowest - 1.0, t) for c, _, t in tail]


def _hit(probe: Probe, chunk_id: str, rank: int, score: float, texts: dict[str, str], text: str | None) -> Hit:
    key, _, number = parse_chunk_id(chunk_id)
    assert number is not None  # every id here came from a chunk a live doc vouches for
    return Hit(probe.id, key, number, rank, round(score, 4), text if text is not None else texts.get(chunk_id, ""))
