"""What each rule attaches to its findings as evidence, one typed dict per shape.

The JSON report carries evidence as it is built (`Finding.evidence`), so these are `TypedDict`s, not
dataclasses: the type checker holds each rule to its shape, and the report's bytes do not move.
"""

from __future__ import annotations

from typing import TypedDict

from docaudit.probing.ranking import ProbeHit


class Dates(TypedDict):
    """Where a doc stands in time, and the reasons its verdict gives."""

    last_modified: str | None
    age_days: int | None
    version: str | None
    status: str
    reasons: list[str]


class MarkerRef(TypedDict):
    kind: str
    value: str
    source: str


class InversionProbe(ProbeHit):
    current_rank: int | None  # None: the successor is not in the results
    current_score: float | None


class InversionEvidence(TypedDict):
    """rank-inversion: the probes where the old doc outranks its successor, and both docs' dates."""

    probes: list[InversionProbe]
    superseded: Dates
    current: Dates


class DeprecatedEvidence(Dates):
    """deprecated-surfaces: the probes that retrieve it and the marker that says it is not current."""

    probes: list[ProbeHit]
    marker: MarkerRef


class StaleEvidence(Dates):
    """stale-surfaces: the probes that retrieve a doc past its age policy."""

    probes: list[ProbeHit]
    notes: list[str]


class UnownedEvidence(TypedDict):
    last_modified: str | None
    notes: list[str]
    why: str


class InvalidReviewEvidence(TypedDict):
    marker: MarkerRef


class ReviewEvidence(TypedDict):
    review_by: str
    days_overdue: int
    source: str
    last_modified: str | None


class RankedInstead(TypedDict):
    doc: str
    rank: int | None


class MissedProbe(ProbeHit):
    top_k: int
    ranked_instead: list[RankedInstead]


class UnansweredEvidence(TypedDict):
    probes: list[MissedProbe]


class CopyOf(TypedDict):
    doc: str
    last_modified: str | None
    exposure: int


class DuplicateEvidence(TypedDict):
    similarity: float
    copies: list[CopyOf]  # newest first
    older: CopyOf
    newer: CopyOf


class Nli(TypedDict):
    label: str
    probability: float


class _ConflictingFactBase(TypedDict):
    kind: str
    values: dict[str, str]  # doc label -> the value as written
    sentences: dict[str, str]
    probes: list[str]


class ConflictingFact(_ConflictingFactBase, total=False):
    nli: Nli  # when the NLI model judged the pair


class ConflictDoc(TypedDict):
    last_modified: str | None
    owner: str | None
    status: str
    exposure: int


class ConflictEvidence(TypedDict):
    facts: list[ConflictingFact]
    likely_right: str | None
    why: str
    docs: dict[str, ConflictDoc]  # doc label -> its standing


class VersionPage(TypedDict):
    doc: str
    current: str
    differs: bool  # says something its current twin does not
    probes: list[InversionProbe]


class VersionFolderEvidence(TypedDict):
    """rank-inversion folded: every page of an old version folder that outranks its current twin."""

    version: str
    folder: str
    current_version: str
    why: str
    pages: list[VersionPage]


class UnownedFolderEvidence(TypedDict):
    folder: str
    count: int
    docs: list[str]
    why: list[str]
