"""The records every stage passes along: plain dataclasses, no framework imports."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timezone
from typing import Any, Literal, get_args, overload


@overload
def to_utc(value: datetime | date | int | float) -> datetime: ...
@overload
def to_utc(value: datetime | date | str | int | float | None) -> datetime | None: ...
def to_utc(value: datetime | date | str | int | float | None) -> datetime | None:
    """Turn any source's timestamp into one tz-aware UTC datetime.

    Every connector goes through here so that naive times, epoch seconds, ISO strings
    with a trailing ``Z`` and plain dates all compare with each other.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if not isinstance(value, date):
        raise TypeError(f"not a timestamp: {type(value).__name__}")
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def required_utc(value: datetime | date | str | int | float | None) -> datetime:
    """`to_utc` of a timestamp that must be there: a missing or blank one is a ValueError, not None."""
    when = to_utc(value.strip() if isinstance(value, str) else value)
    if when is None:
        raise ValueError("no timestamp")
    return when


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Owner:
    name: str = ""
    email: str = ""
    via: str = ""  # where the owner came from: frontmatter, CODEOWNERS:<line>, last committer
    id: str = ""  # the source's own id for the person, e.g. notion:<user id>, when it has one

    def label(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email


MarkerKind = Literal[
    "deprecated",  # the doc says it is deprecated (frontmatter, a status field, a banner, a label)
    "archived",
    "superseded_by",  # value: the successor's path, id, number or web address
    "replaces",  # value: the predecessor it supersedes
    "review_by",  # value: an ISO date
    "current",  # the doc says it is current (`Status: Final`): not superseded by a guess
    "alias",  # another name the doc is linked by (an RFC number)
    "ignore",  # value: a rule id the doc suppresses, or "all"
    "site_version",  # value: the current version the docs site's config declares
    "database",  # value: the Notion database a row belongs to
    "property",  # a Notion property, shown as evidence
]
MARKER_KINDS: tuple[str, ...] = get_args(MarkerKind)


@dataclass(frozen=True)
class Marker:
    """An explicit statement that a doc is not current, and where it was found."""

    kind: MarkerKind
    value: str  # "true", the superseding doc, or an ISO date
    source: str  # e.g. "frontmatter", "cascade from guides/_index.md", "banner line 3"
    valid: bool = (
        True  # False: the doc says something here that is not what the kind needs (a review_by that is no date)
    )


@dataclass(frozen=True)
class Release:
    """Which version of a docs site a page belongs to, as the site itself says (see `docaudit.currency.sites`)."""

    label: str  # "21.0", or "next" for a Docusaurus docs/ folder
    status: str  # current | preview | older | archived
    source: str  # why: "config.toml [params.versions]", "22.0/_index.md is titled ..."
    inner: str = ""  # the page's path inside its version folder: twins across versions share it
    site: str = ""  # the path above the version folders: one repo can hold several sites
    declared: bool = False  # the site says so (config, versions.json, an index page); else docaudit guessed


@dataclass
class Doc:
    source: str  # connector kind: git, notion, gdrive, confluence
    space: str  # which repo / workspace / drive the doc came from
    id: str  # source-native id; the relative path for repo docs
    title: str
    text: str
    path: str = ""  # relative to the crawled root, or a breadcrumb
    url: str = ""
    owner: Owner | None = None
    last_modified: datetime | None = None
    created: datetime | None = None
    markers: list[Marker] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # provenance worth showing, e.g. ignored mass edits
    unowned_reason: str = ""  # why no owner could be resolved, when none could
    permissions: list[str] = field(default_factory=list)
    release: Release | None = None  # the site version the doc belongs to, when the site declares versions
    version: str = ""  # the source's change stamp (an edit time, a revision), when it has a trustworthy one
    minhash: list[int] = field(default_factory=list)  # near-duplicate signature, set by the index
    hash: str = ""

    def __post_init__(self) -> None:
        if not self.hash:
            self.hash = content_hash(self.text)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.space}:{self.id}"

    def marker(self, kind: MarkerKind) -> Marker | None:
        return next((m for m in self.markers if m.kind == kind), None)

    def summary(self) -> dict[str, Any]:
        """The doc as reports show it (no text)."""
        return {
            "key": self.key,
            "source": self.source,
            "space": self.space,
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "url": self.url,
            "owner": self.owner.label() if self.owner else None,
            "last_modified": iso(self.last_modified),
        }

    def to_record(self) -> dict[str, Any]:
        """JSON-safe form without the text, for the index's doc table. Field by field: `asdict` deep-copies
        every list (the MinHash signature's 128 numbers) and cost a tenth of a crawl beside embedding."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "text"}
        for name in ("headings", "notes", "permissions", "minhash"):
            data[name] = list(data[name])
        data["owner"] = asdict(self.owner) if self.owner else None
        data["markers"] = [asdict(m) for m in self.markers]
        data["release"] = asdict(self.release) if self.release else None
        data["last_modified"] = iso(self.last_modified)
        data["created"] = iso(self.created)
        return data

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Doc:
        data = dict(data)
        data["owner"] = Owner(**data["owner"]) if data.get("owner") else None
        data["markers"] = [Marker(**m) for m in data.get("markers", [])]
        data["release"] = Release(**data["release"]) if data.get("release") else None
        data["last_modified"] = to_utc(data.get("last_modified"))
        data["created"] = to_utc(data.get("created"))
        return cls(text="", **data)


def safe_url(url: str) -> str:
    """The url if it is a web or mail link; reports never turn anything else (javascript:, data:) into a link."""
    return url if url.lower().startswith(("https://", "http://", "mailto:")) else ""


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass(frozen=True)
class Skipped:
    """A file a connector could not turn into a doc, and why (binary, huge, undecodable)."""

    source: str
    space: str
    id: str
    reason: str
    category: str = ""  # what summaries count it as ("binary file"); default: the reason before its details

    @property
    def kind(self) -> str:
        return self.category or self.reason.split(" (")[0]


@dataclass(frozen=True)
class Touched:
    """A doc whose text the source says is unchanged but whose metadata may not be (a permission
    change, a new owner): the index updates the record without reading or embedding anything."""

    source: str
    space: str
    id: str
    changes: dict[str, Any] = field(
        default_factory=dict
    )  # Doc field -> new value: owner, permissions, path, url, title

    @property
    def key(self) -> str:
        return f"{self.source}:{self.space}:{self.id}"


@dataclass(frozen=True)
class Gone:
    """A doc the source no longer has; the index drops it."""

    source: str
    space: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.source}:{self.space}:{self.id}"


@dataclass(frozen=True)
class Probe:
    id: str
    query: str
    expect: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    origin: str = ""  # file:line, or "generated from <doc>"


@dataclass(frozen=True)
class Hit:
    probe_id: str
    doc_key: str
    chunk: int
    rank: int  # 1-based chunk rank in the probe's results
    score: float  # cosine similarity
    text: str = ""


class Severity(enum.IntEnum):
    note = 1
    warning = 2
    error = 3

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.lower()]


@dataclass
class Finding:
    rule: str
    severity: Severity
    doc: Doc
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    related: list[Doc] = field(default_factory=list)
    file: str | None = None  # the doc's file relative to its repository, when the gate knows it
    line: int | None = None  # where in that file the offending text is
    group: str = ""  # one finding for many docs (a version folder, a folder of unowned docs): what it covers

    @property
    def fingerprint(self) -> str:
        """Stable across re-crawls and unrelated edits: rule and doc identities only, never ranks or dates.

        A grouped finding is identified by what it covers, so that one more doc in it is not a new finding.
        """
        parts = (
            [self.rule, self.group] if self.group else [self.rule, self.doc.key, *sorted(d.key for d in self.related)]
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.name,
            "doc": self.doc.summary(),
            "message": self.message,
            "evidence": self.evidence,
            "related": [d.summary() for d in self.related],
            "fingerprint": self.fingerprint,
            "file": self.file,
            "line": self.line,
            **({"group": self.group} if self.group else {}),
        }
