"""Is a document current? Pure: f(docs, doc vectors, config, now) -> a verdict with reasons per doc.

Dates alone are not trusted (a mass edit touches old pages, an upload keeps a local mtime),
so the verdict combines explicit markers, version lineage among docs on the same topic, a
declared current version, and the age policy, and keeps every reason that fired.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from .config import Config
from .records import Doc

CURRENT, AGING, SUPERSEDED, DEPRECATED = "current", "aging", "superseded", "deprecated"


@dataclass(frozen=True)
class Version:
    kind: str  # "release" (v3.1) or "time" (2021, 2026 Q3): only the same kind compares
    key: tuple[int, ...]
    label: str
    where: str  # "path" or "title"


@dataclass
class Currency:
    status: str
    reasons: list[str] = field(default_factory=list)
    superseded_by: str | None = None  # doc key
    version: Version | None = None
    age_days: int | None = None
    max_age_days: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": self.reasons,
            "superseded_by": self.superseded_by,
            "version": self.version.label if self.version else None,
            "age_days": self.age_days,
            "max_age_days": self.max_age_days,
        }


_RELEASE = re.compile(r"(?<![\w.])(?:v|version[-_ ]?)(\d+(?:\.\d+){0,2})(?![\w.]*\d)", re.IGNORECASE)
_BARE_RELEASE_SEGMENT = re.compile(r"^(\d+(?:\.\d+){1,2})(?:\.x)?$")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_QUARTER = re.compile(r"(?<![a-z])q([1-4])(?![a-z0-9])", re.IGNORECASE)
_VERSION_TOKENS = re.compile(
    r"(?<![\w.])(v|version[-_ ]?)\d+(\.\d+)*|(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)|(?<![a-z])q[1-4](?![a-z0-9])"
    r"|(?<![\w.])\d+\.\d+(\.\d+)?(\.x)?(?![\w.])|\b(old|legacy|archived?|deprecated|current|latest|new)\b",
    re.IGNORECASE,
)


def release_key(label: str) -> tuple[int, ...]:
    parts = [int(p) for p in label.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


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


def _path_stem(doc: Doc) -> str:
    path = PurePosixPath(doc.path or doc.id)
    return topic_stem(str(path.with_suffix(""))) if path.suffix else topic_stem(str(path))


def assess(
    docs: Mapping[str, Doc],
    vectors: Mapping[str, Any] | None,
    config: Config,
    now: datetime,
) -> dict[str, Currency]:
    """Currency of every doc, keyed like `docs`."""
    by_path = {}
    for key, doc in docs.items():
        for name in (doc.path, doc.id):
            if name:
                by_path.setdefault((doc.source, doc.space, name), key)
    versions = {key: find_version(doc) for key, doc in docs.items()}
    result: dict[str, Currency] = {}
    for key, doc in docs.items():
        max_age = config.max_age_for(doc.path or doc.id)
        age = (now - doc.last_modified).days if doc.last_modified else None
        currency = Currency(CURRENT, version=versions[key], age_days=age, max_age_days=max_age)
        for marker in doc.markers:
            if marker.kind in ("deprecated", "archived"):
                currency.status = DEPRECATED
                what = "marked" if marker.value.lower() in ("true", "yes") else f'says "{marker.value}"'
                currency.reasons.append(f"{marker.kind}: {what} ({marker.source})")
            elif marker.kind == "superseded_by":
                target = by_path.get((doc.source, doc.space, marker.value)) or (
                    marker.value if marker.value in docs else None
                )
                if currency.status != DEPRECATED:
                    currency.status = SUPERSEDED
                currency.superseded_by = currency.superseded_by or target
                if target:
                    currency.reasons.append(f"superseded by {marker.value} ({marker.source})")
                else:
                    currency.reasons.append(f"superseded by {marker.value}, which is not indexed ({marker.source})")
        result[key] = currency
    _lineage(docs, vectors, versions, config, result)
    for key, doc in docs.items():
        currency = result[key]
        if currency.age_days is not None and currency.age_days > currency.max_age_days:
            edited = doc.last_modified.date().isoformat() if doc.last_modified else "?"
            currency.reasons.append(
                f"last edited {edited}, {currency.age_days} days ago (policy: {currency.max_age_days} days)"
            )
            if currency.status == CURRENT:
                currency.status = AGING
    return result


def _lineage(
    docs: Mapping[str, Doc],
    vectors: Mapping[str, Any] | None,
    versions: Mapping[str, Version | None],
    config: Config,
    result: dict[str, Currency],
) -> None:
    """Older versions on the same topic are superseded by the newest one."""
    versioned = [
        key
        for key, version in versions.items()
        if version and not _in_series(docs[key].path or docs[key].id, config.series)
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
    import numpy as np

    keys = versioned
    path_stems = [_path_stem(docs[k]) for k in keys]
    title_stems = [topic_stem(docs[k].title) for k in keys]
    same_stem: dict[tuple[str, str], list[int]] = defaultdict(list)  # candidates by hashing, not all pairs
    for j, key in enumerate(keys):
        if path_stems[j]:
            same_stem[("path", docs[key].source + ":" + path_stems[j])].append(j)
        if title_stems[j]:
            same_stem[("title", title_stems[j])].append(j)
    matrix = None
    if vectors and all(k in vectors for k in keys):
        matrix = np.asarray([vectors[k] for k in keys], dtype=np.float32)
    for i, key in enumerate(keys):
        mine = versions[key]
        assert mine is not None
        current = declared[key]
        if current and mine.kind == "release" and mine.key == current[0]:
            continue  # the declared current version is current, whatever "next" folders exist
        sims = matrix @ matrix[i] if matrix is not None else None
        by_path = set(same_stem.get(("path", docs[key].source + ":" + path_stems[i]), ())) if path_stems[i] else set()
        by_title = set(same_stem.get(("title", title_stems[i]), ())) if title_stems[i] else set()
        by_topic = set(np.flatnonzero(sims >= config.topic_similarity).tolist()) if sims is not None else set()
        best: tuple[tuple, str, str] | None = None
        for j in sorted(by_path | by_title | by_topic):
            other = keys[j]
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
        if best is None:
            continue
        _, other, why = best
        currency = result[key]
        theirs = versions[other]
        assert theirs is not None
        if currency.status == CURRENT:
            currency.status = SUPERSEDED
        if currency.superseded_by is None:
            currency.superseded_by = other
        currency.reasons.append(
            f"{mine.label} ({mine.where}) is older than {theirs.label} in {docs[other].path or docs[other].title}: {why}"
        )


def _in_series(path: str, patterns: list[str]) -> bool:
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
    if not re.fullmatch(r"\d+(\.\d+){0,2}", number):
        return None
    return release_key(number), f"{label} ({where})"
