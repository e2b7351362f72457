"""Near-duplicate docs (copies drift apart): MinHash signatures, candidate pairs from LSH, never all pairs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

NUM_PERM = 128
SCHEME = "affine32"
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
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch([g.encode() for g in grams])
    return [int(v) for v in minhash.hashvalues]


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
    from datasketch import MinHash, MinHashLSH

    usable = {k: s for k, s in signatures.items() if len(s) == NUM_PERM}
    if len(usable) < 2:
        return []
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes = {}
    for key in sorted(usable):
        hashes[key] = MinHash(num_perm=NUM_PERM, hashvalues=usable[key], scheme=SCHEME)
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
