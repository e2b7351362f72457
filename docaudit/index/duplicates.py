"""Near-duplicate docs (copies drift apart): MinHash signatures, candidate pairs from LSH, never all pairs."""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

NUM_PERM = 128
LSH_CEILING = 0.95
SCHEME = "affine32"
SEED = 1
SHINGLE_WORDS = 3
MIN_SHINGLES = 20  # shorter docs share too little text for a similarity to mean anything
DEFAULT_THRESHOLD = 0.7

_WORD = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> list[int]:
    """The doc's MinHash signature, or [] when it is too short to compare."""
    from datasketch import MinHash

    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return []
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    minhash.update_batch([g.encode() for g in grams])
    return minhash.hashvalues.tolist()


@functools.cache
def _permutations() -> Any:
    """The seed's permutations, drawn once: drawing them again for every doc took 0.9 s of a 5,000-doc
    crawl (cProfile on bench/scale.py's corpus), about 3% of what it spends outside embedding."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


@dataclass(frozen=True)
class DuplicatePair:
    a: str  # doc keys, a < b
    b: str
    similarity: float  # estimated Jaccard similarity of the two docs' 3-word shingles


def find_duplicates(signatures: Mapping[str, list[int]], threshold: float = DEFAULT_THRESHOLD) -> list[DuplicatePair]:
    """Pairs of docs whose estimated Jaccard similarity is at least `threshold`.

    LSH bands propose candidates (near-linear in the corpus); each candidate is then checked
    against its estimated similarity, so the band's false positives are dropped.
    """
    from datasketch import LeanMinHash, MinHashLSH

    usable = {k: s for k, s in signatures.items() if len(s) == NUM_PERM}
    if len(usable) < 2:
        return []
    with _no_gc():
        return _find(usable, threshold, LeanMinHash, MinHashLSH)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Building the LSH allocates many small objects and no cycles; collecting meanwhile made doubling the
    corpus cost 3x instead of 2x (bench/quality.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _find(usable: Mapping[str, list[int]], threshold: float, LeanMinHash: Any, MinHashLSH: Any) -> list[DuplicatePair]:  # noqa: N803
    # Candidates come from bands tuned to the threshold; datasketch cannot band above about 0.98 with 128
    # permutations, so a higher threshold proposes at LSH_CEILING and the exact check below keeps the rest.
    lsh = MinHashLSH(threshold=min(threshold, LSH_CEILING), num_perm=NUM_PERM)
    hashes = {}
    for key in sorted(usable):
        # LeanMinHash: built from stored values without regenerating the permutations (40x cheaper)
        hashes[key] = LeanMinHash(seed=SEED, hashvalues=usable[key], scheme=SCHEME)
        lsh.insert(key, hashes[key])
    pairs = set()
    for key, minhash in hashes.items():
        for other in lsh.query(minhash):
            if other != key:
                pairs.add((min(key, other), max(key, other)))
    found = []
    for a, b in sorted(pairs):
        similarity = hashes[a].jaccard(hashes[b])
        if similarity >= threshold:
            found.append(DuplicatePair(a, b, round(similarity, 3)))
    return found
