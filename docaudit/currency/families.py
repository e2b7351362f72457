"""Page families across a site's versions: a page and its twins, also when renamed or moved.

The twin of an old version's page in the current version is the page at the same path inside the
version folder; failing that, the one page of the current version with the same title, or with the
same file name, whose text is near-identical (a command page renamed after its command, a page moved
to another section). Pure: f(docs, their releases).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import PurePosixPath

from docaudit.records import Doc, Release

from .site_model import CURRENT, PREVIEW

NEAR_IDENTICAL = 0.6  # estimated Jaccard of 3-word shingles (MinHash) between a renamed page and its twin

Family = tuple[str, str, str]  # source, space, track


def current_twins(docs: Mapping[str, Doc], releases: Mapping[str, Release | None]) -> dict[str, tuple[str, str]]:
    """Old page key -> (its twin in the current version, how it was matched: "" for the same path)."""
    by_inner: dict[tuple[Family, str], str] = {}
    by_title: dict[tuple[Family, str], list[str]] = defaultdict(list)
    by_stem: dict[tuple[Family, str], list[str]] = defaultdict(list)
    for key, release in releases.items():
        if release and release.status == CURRENT:
            doc, family = docs[key], _family(docs[key], release)
            by_inner[(family, release.inner)] = key
            by_title[(family, _norm(doc.title))].append(key)
            by_stem[(family, PurePosixPath(release.inner).stem.lower())].append(key)
    twins: dict[str, tuple[str, str]] = {}
    for key, release in releases.items():
        if release is None or release.status in (CURRENT, PREVIEW):
            continue  # a preview supersedes nothing, and nothing supersedes it
        doc, family = docs[key], _family(docs[key], release)
        same_path = by_inner.get((family, release.inner))
        if same_path:
            twins[key] = (same_path, "")
            continue
        for how, candidates in (
            ("same title", by_title.get((family, _norm(doc.title)), [])),
            ("same file name", by_stem.get((family, PurePosixPath(release.inner).stem.lower()), [])),
        ):
            alike = [c for c in candidates if similarity(doc.minhash, docs[c].minhash) >= NEAR_IDENTICAL]
            if len(alike) == 1:
                twins[key] = (alike[0], f"renamed or moved: {how}, near-identical text")
                break
    return twins


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard of two MinHash signatures (0 when either is missing)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _family(doc: Doc, release: Release) -> Family:
    return doc.source, doc.space, release.site


def _norm(title: str) -> str:
    return re.sub(r"\W+", " ", title).strip().lower()
