"""Embedding backends against the reference: chunks per second and top-10 overlap.

    python bench/backends.py [--corpus vitess] [--chunks 512] [--rounds 3]

For the sample workspace (the demo's index, .docaudit-demo, with its probes files) and a real corpus
(bench/realworld.py's index, generated probes), every live chunk and probe is embedded by the
reference (sentence-transformers on torch) and by each other backend. For each probe, the top 10
chunks by cosine are compared with the reference's: overlap = shared / 10, averaged over probes
(target >= 0.95). Speed: chunks/s on the first --chunks chunks of the real corpus, each backend
warmed up first, best of --rounds rounds taken in turn (this machine is shared: read the ratio, not
the absolute figure). The reference is also timed in fixed batches of 64, as docaudit batched before
batches were cut by tokens.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8", "openvino-bf16")


def corpus(index_dir: Path, probes_files: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(chunk texts, the doc key of each, probe queries) of an index. Identical texts are kept once:
    they have identical vectors under every backend, and which copy ranks first is a tie-break."""
    from docaudit.config import Config
    from docaudit.index.store import Index
    from docaudit.probing.probes import generate_probes, load_probes_yaml

    index = Index(Config(index=str(index_dir)))
    live = {key: meta["content_hash"] for key, meta in index.records().items()}
    by_text: dict[str, str] = {}
    for chunk_id, text in index.live_chunks(live).items():
        by_text.setdefault(text, chunk_id.rsplit("#", 2)[0])
    if probes_files:
        queries = [p.query for path in probes_files for p in load_probes_yaml(path)]
    else:
        docs, _ = index.docs()
        queries = [p.query for p in generate_probes(sorted(docs.values(), key=lambda d: d.key))]
    return list(by_text), list(by_text.values()), queries


def top10(chunk_vectors, probe_vectors, keys: list[str]) -> tuple[list[set], list[set]]:
    """Per probe: the 10 best chunks, and the 10 best docs (a doc ranked by its best chunk), as the
    rules see them."""
    import numpy as np

    order = np.argsort(-(probe_vectors @ chunk_vectors.T), axis=1)
    chunks = [set(row[:10]) for row in order]
    docs = []
    for row in order:
        seen: dict[str, None] = {}
        for i in row:
            seen.setdefault(keys[i])
            if len(seen) == 10:
                break
        docs.append(set(seen))
    return chunks, docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="vitess")
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from bench.realworld import BUILD, run_audit
    from docaudit.config import Config
    from docaudit.index.embedder import embedder_for

    if not (BUILD / f"{args.corpus}-index").is_dir():
        run_audit(args.corpus)
    sets = {
        "sample workspace": corpus(
            ROOT / ".docaudit-demo",
            [str(ROOT / "fixtures" / f) for f in ("probes.yaml", "notion/probes.yaml", "gdrive/probes.yaml")],
        ),
        args.corpus: corpus(BUILD / f"{args.corpus}-index", []),
    }
    embedders = {}
    for backend in BACKENDS:
        config = Config(backend=backend, device="cpu")
        embedders[backend] = embedder_for(config)
    speed_texts = sets[args.corpus][0][: args.chunks]  # unique texts, in index order
    for embedder in embedders.values():
        embedder.encode(speed_texts[:32])  # load, export if needed, warm up
    # Round-robin, best of --rounds for each: the machine's load drifts over a minute, and a backend
    # timed only while it was busy would look slower than it is.
    rates: dict[str, float] = {}
    for _ in range(args.rounds):
        for backend, embedder in {"torch, 64": embedders["torch"], **embedders}.items():
            started = time.perf_counter()
            embedder.encode(speed_texts, batch_size=64 if backend == "torch, 64" else None)
            rate = len(speed_texts) / (time.perf_counter() - started)
            rates[backend] = max(rate, rates.get(backend, 0.0))
    before = rates.pop("torch, 64")  # fixed batches of 64, as docaudit embedded before
    print(f"speed on {len(speed_texts)} {args.corpus} chunks (best of {args.rounds} rounds, round-robin):")
    print(f"  {'torch, 64':13s} {before:6.1f} chunks/s  {before / rates['torch']:.2f}x (fixed batches of 64)")
    for backend, rate in rates.items():
        print(f"  {backend:13s} {rate:6.1f} chunks/s  {rate / rates['torch']:.2f}x the reference")
    for name, (chunks, keys, queries) in sets.items():
        reference = None
        print(f"top-10 overlap with the reference, {name}: {len(chunks)} distinct chunks, {len(queries)} probes")
        for backend, embedder in embedders.items():
            found = top10(embedder.encode(chunks), embedder.encode(queries), keys)
            if reference is None:
                reference = found
                continue
            chunk_overlap, doc_overlap = (
                sum(len(a & b) / min(10, len(a)) for a, b in zip(ref, got)) / len(got)
                for ref, got in zip(reference, found)
            )
            print(f"  {backend:13s} chunks {chunk_overlap:.3f}  docs {doc_overlap:.3f}  target >= 0.95")


if __name__ == "__main__":
    main()
