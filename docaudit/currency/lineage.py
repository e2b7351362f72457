"""The version a doc's path or title carries, and which doc on the same topic succeeds which.

Docs on a versioned site are judged by their site's versions instead (`sites`, `families`).
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from docaudit.config import Config
from docaudit.records import Doc, Release

from .sites import release_key as _site_release_key
from .verdict import CURRENT, DEPRECATED, SUPERSEDED, Currency, Version


def release_key(label: str) -> tuple[int, ...]:
    """Major, minor, patch: how a version in a path or title compares with another."""
    return _site_release_key(label)[:3]


_RELEASE = re.compile(r"(?<![\w.])(?:v|version[-_ ]?)(\d+(?:\.\d+){0,2})(?![\w.]*\d)", re.IGNORECASE)
_BARE_RELEASE_SEGMENT = re.compile(r"^(\d+(?:\.\d+){1,2})(?:\.x)?$")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_QUARTER = re.compile(r"(?<![a-z])q([1-4])(?![a-z0-9])", re.IGNORECASE)
_VERSION_TOKENS = re.compile(
    r"(?<![\w.])(v|version[-_ ]?)\d+(\.\d+)*|(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)|(?<![a-z])q[1-4](?![a-z0-9])"
    r"|(?<![\w.])\d+\.\d+(\.\d+)?(\.x)?(?![\w.])|\b(old|legacy|archived?|deprecated|current|latest|new)\b",
    re.IGNORECASE,
)


def find_version(doc: Doc) -> Version | None:
    """The version a doc's path or title carries: a release (v3.1) or a period (2021, Q3 2026)."""
    for where, text in (("path", doc.path or doc.id), ("title", doc.title)):
        segments = text.split("/") if where == "path" else [text]
        for segment in reversed(segments):  # the file name speaks before its folders
            stem = PurePosixPath(segment).stem if where == "path" and segment == segments[-1] else segment
            if m := _RELEASE.search(stem):
                return Version("release", release_key(m.group(1)), "v" + m.group(1), where)
            if where == "path" and (m := _BARE_RELEASE_SEGMENT.match(stem)):
                return Version("release", release_key(m.group(1)), m.group(1), where)
        for segment in reversed(segments):
            stem = PurePosixPath(segment).stem if where == "path" and segment == segments[-1] else segment
            year = _YEAR.search(stem)
            quarter = _QUARTER.search(stem)
            if year:
                q = int(quarter.group(1)) if quarter else 0
                label = f"{year.group(1)} Q{q}" if q else year.group(1)
                return Version("time", (int(year.group(1)), q), label, where)
            if quarter and doc.created:
                # A quarter alone ("Q3 migration") belongs to the year the doc was written.
                year_of = doc.created.year
                q = int(quarter.group(1))
                return Version("time", (year_of, q), f"{year_of} Q{q} (year from creation date)", where)
    return None


def topic_stem(text: str) -> str:
    """Text with versions, years and words like 'legacy' removed: docs on one topic share it."""
    text = _VERSION_TOKENS.sub(" ", text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def path_stem(doc: Doc) -> str:
    path = PurePosixPath(doc.path or doc.id)
    return topic_stem(str(path.with_suffix(""))) if path.suffix else topic_stem(str(path))


def is_number(label: str) -> bool:
    return bool(re.fullmatch(r"\d+(\.\d+){0,2}", label))


def version_of(doc: Doc) -> Version | None:
    if doc.release is not None:
        if is_number(doc.release.label):
            return Version("release", release_key(doc.release.label), doc.release.label, "site")
        return None
    return find_version(doc)


def lineage(
    docs: Mapping[str, Doc],
    vectors: Mapping[str, Any] | None,
    versions: Mapping[str, Version | None],
    releases: Mapping[str, Release | None],
    config: Config,
    result: dict[str, Currency],
) -> None:
    """Older versions on the same topic are superseded by the newest one.

    Docs whose site declares its versions are judged by `assess._site_versions` instead; a doc that says it
    is current (`Status: Final`) is not superseded by a guess.
    """
    versioned = [
        key
        for key, version in versions.items()
        if version
        and releases[key] is None
        and not docs[key].marker("current")
        and not in_series(docs[key].path or docs[key].id, config.series)
    ]
    declared = {key: _declared_current(config, docs[key]) for key in versioned}
    for key in versioned:
        version, current = versions[key], declared[key]
        assert version is not None
        if current and version.kind == "release" and version.where == "path" and version.key < current[0]:
            state = result[key]
            if state.status == CURRENT:
                state.status = SUPERSEDED
            state.reasons.append(f"{version.label} is older than the declared current version {current[1]}")
    if len(versioned) < 2:
        return
    candidates = _Candidates(docs, versioned, vectors)
    for i, key in enumerate(versioned):
        mine, current = versions[key], declared[key]
        assert mine is not None
        if current and mine.kind == "release" and mine.key == current[0]:
            continue  # the declared current version is current, whatever "next" folders exist
        found = _successor(i, mine, candidates, versions, result, config.topic_similarity)
        if found is None:
            continue
        other, why = found
        theirs = versions[other]
        assert theirs is not None
        currency = result[key]
        if currency.status == CURRENT:
            currency.status = SUPERSEDED
        if currency.superseded_by is None:
            currency.superseded_by = other
        currency.reasons.append(
            f"{mine.label} ({mine.where}) is older than {theirs.label} in {docs[other].path or docs[other].title}: {why}"
        )


class _Candidates:
    """Which versioned docs may be versions of one another: same path or title stem (found by hashing,
    not by comparing all pairs), or similar vectors with titles that share their topic words."""

    def __init__(self, docs: Mapping[str, Doc], keys: list[str], vectors: Mapping[str, Any] | None) -> None:
        import numpy as np

        self.keys = keys
        self.path_keys = [docs[k].source + ":" + stem if (stem := path_stem(docs[k])) else "" for k in keys]
        self.title_stems = [topic_stem(docs[k].title) for k in keys]
        self.same: dict[tuple[str, str], list[int]] = defaultdict(list)
        for j in range(len(keys)):
            if self.path_keys[j]:
                self.same[("path", self.path_keys[j])].append(j)
            if self.title_stems[j]:
                self.same[("title", self.title_stems[j])].append(j)
        self.matrix = None
        if vectors and all(k in vectors for k in keys):
            self.matrix = np.asarray([vectors[k] for k in keys], dtype=np.float32)

    def around(self, i: int, threshold: float) -> tuple[set[int], set[int], set[int], Any]:
        """(same path, same title, same topic, similarities) for doc i."""
        import numpy as np

        by_path = set(self.same.get(("path", self.path_keys[i]), ())) if self.path_keys[i] else set()
        by_title = set(self.same.get(("title", self.title_stems[i]), ())) if self.title_stems[i] else set()
        if self.matrix is None:
            return by_path, by_title, set(), None
        sims = self.matrix @ self.matrix[i]
        # Similar text alone never makes a successor: the titles must share their topic words too.
        near = np.flatnonzero(sims >= threshold).tolist()
        return by_path, by_title, {j for j in near if _shared_topic(self.title_stems[i], self.title_stems[j])}, sims


def _successor(
    i: int,
    mine: Version,
    candidates: _Candidates,
    versions: Mapping[str, Version | None],
    result: Mapping[str, Currency],
    threshold: float,
) -> tuple[str, str] | None:
    """The newest later version of doc i that is not deprecated itself, and why it is one: (key, why)."""
    by_path, by_title, by_topic, sims = candidates.around(i, threshold)
    best: tuple[tuple, str, str] | None = None
    for j in sorted(by_path | by_title | by_topic):
        other = candidates.keys[j]
        theirs = versions[other]
        if j == i or theirs is None or theirs.kind != mine.kind or theirs.key <= mine.key:
            continue
        if result[other].status == DEPRECATED:
            continue
        if j in by_path:
            why = "same path apart from the version"
        elif j in by_title:
            why = "same title apart from the version"
        else:
            why = f"same topic (similarity {float(sims[j]):.2f})"
        rank = (theirs.key, float(sims[j]) if sims is not None else 0.0)
        if best is None or rank > best[0]:
            best = (rank, other, why)
    return None if best is None else (best[1], best[2])


_STOPWORDS = {
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "for",
    "to",
    "in",
    "on",
    "with",
    "how",
    "what",
    "guide",
    "plan",
    "doc",
}


def _shared_topic(a: str, b: str) -> bool:
    """At least half the topic words of the shorter title appear in the other."""
    words_a = {w for w in a.split() if w not in _STOPWORDS and not w.isdigit()}
    words_b = {w for w in b.split() if w not in _STOPWORDS and not w.isdigit()}
    if not words_a or not words_b:
        return False
    return len(words_a & words_b) * 2 >= min(len(words_a), len(words_b))


def in_series(path: str, patterns: list[str]) -> bool:
    # "**/postmortems/**" should match a top-level postmortems/ folder too.
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch("/" + path, p) for p in patterns)


def _declared_current(config: Config, doc: Doc) -> tuple[tuple[int, ...], str] | None:
    """The current release from config, else from the docs site's own config (a `site_version` marker)."""
    marker = doc.marker("site_version")
    label, where = (
        (config.current_version, "config")
        if config.current_version
        else ((marker.value, marker.source) if marker else ("", ""))
    )
    number = label.strip().lstrip("vV")
    if not is_number(number):
        return None
    return release_key(number), f"{label} ({where})"
