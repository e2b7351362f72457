"""What auditing the user's own retriever costs docaudit per probe, beyond the user's retrieval itself.

    python bench/retrievers.py [--corpus vitess] [--probes 200]

On a real corpus crawled by bench/realworld.py (its index is reused), each probe's top 50 chunks from
docaudit's own index stand in for what a user's retriever returns; docaudit then maps those 50 items
back to crawled docs, three ways: by metadata (a `file_path` ending in the crawled path), by text alone
(each passage contained in one doc), and by text reworded (a passage with a few words changed, found
through its 3-word shingles). Prints milliseconds per probe for each, from one run. Target: <= 5 ms per
probe for 50 items.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.realworld import BUILD, build_repo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="vitess")
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()

    from docaudit.audit import crawl
    from docaudit.config import Config
    from docaudit.index.store import Index
    from docaudit.probing.probes import generate_probes
    from docaudit.probing.retrievers import DocMapper, Item, hits_for

    repo = build_repo(args.corpus)
    config = Config(index=str(BUILD / f"{args.corpus}-index"))
    index = Index(config)
    crawl(index, "git", str(repo), config)
    docs, _ = index.docs()
    probes = generate_probes(docs.values(), 3)[: args.probes]
    results = index.search([p.query for p in probes], 50)
    started = time.perf_counter()
    mapper = DocMapper(docs, index.chunk_texts())
    setup = time.perf_counter() - started
    paths = {key: doc.path for key, doc in docs.items()}
    ways = {
        "metadata": [
            [Item(h.text, h.score, {"file_path": f"/srv/rag/{paths[h.doc_key]}"}) for h in hits] for hits in results
        ],
        "text": [[Item(h.text, h.score, {}) for h in hits] for hits in results],
        "reworded text": [[Item(_reword(h.text), h.score, {}) for h in hits] for hits in results],
    }
    print(
        f"{args.corpus}: {len(docs)} docs, {len(probes)} probes, 50 items each; mapper built in {setup * 1000:.0f} ms"
    )
    for way, answers in ways.items():
        mapper = DocMapper(docs, index.chunk_texts())
        started = time.perf_counter()
        mapped = hits_for(probes, answers, mapper)
        per_probe = (time.perf_counter() - started) * 1000 / len(probes)
        found = sum(len(h) for h in mapped) / sum(len(a) for a in answers)
        print(
            f"  by {way:14s} {per_probe:6.2f} ms per probe (target <= 5), {found:.0%} of items mapped, "
            f"{mapper.outside.ambiguous} ambiguous (text in several docs: version twins)"
        )


def _reword(text: str) -> str:
    words = text.split()
    return " ".join(w.upper() if i % 17 == 5 else w for i, w in enumerate(words)) + " (edited)"


if __name__ == "__main__":
    main()
