"""Version folders found in a site's tree of pages, wherever they sit.

A folder named like a release (`2.20`, `v2.3`, `release-1.2`, `11.x`) among siblings is a version; a
level whose members each hold version folders (`docs/v1/1.76`, `docs/v2/2.20`) groups them. Beside
them, a folder named like a preview (`master`, `_dev`, `2-edge`) or whose pages mirror the newest
version's tree (`docs/` beside `2.19/`) is a version too. A bare number (`blog/2021/`) is not.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from .site_model import VersionFolder, release_key

PAGE_SUFFIXES = {".md", ".mdx", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".html", ".htm", ".ipynb"}
NUMBERED = re.compile(
    r"^(?:(?:version|release)[-_]?)?"
    r"(?:v?\d+(?:\.\d+){1,3}|v?\d+(?:\.\d+)*[._-]?x|v\d+|(?<=[-_])v?\d+)"
    r"(?:[-.]?(?:rc|beta|alpha|pre)\.?\d*)?$",
    re.IGNORECASE,
)
PREVIEW_NAMES = {
    "next", "main", "master", "dev", "develop", "development", "nightly", "edge", "canary", "unreleased",
    "upcoming", "preview", "draft", "trunk", "head", "snapshot", "beta", "alpha", "rc", "prerelease", "unstable",
    "wip",
}  # fmt: skip
ALIAS_NAMES = {"latest", "current", "stable"}
ARCHIVE_SEGMENTS = {
    "archive",
    "archived",
    "archives",
    "old",
    "legacy",
    "previous",
    "deprecated",
    "unmaintained",
    "attic",
}
SKIP_PARTS = {"node_modules", "__pycache__"}
INDEX_PAGES = {"_index.md", "index.md", "index.mdx", "_index.html", "index.html", "README.md", "index.rst"}
MIRROR_SHARE = 0.5  # of the smaller tree's pages present at the same paths in the other


def basename(rel: str) -> str:
    return rel.rpartition("/")[2]


def name_tokens(name: str) -> set[str]:
    """`2-edge` -> {2, edge}; `latestMajorVersion` -> {latest, major, version}; `_dev` -> {dev}."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return {t.lower() for t in re.split(r"[^A-Za-z0-9]+", spaced) if t}


def is_preview_name(name: str) -> bool:
    return bool(name_tokens(name) & PREVIEW_NAMES) and not NUMBERED.match(name)


@dataclass
class Tree:
    tracks: dict[str, list[VersionFolder]] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)  # track -> the folders its versions sit in
    kinds: dict[str, str] = field(default_factory=dict)  # folder -> numbered | preview-name | alias-name | mirror


def pages_of(files: list[str], claimed: list[str]) -> list[str]:
    out = []
    for rel in files:
        folders, _, name = rel.rpartition("/")
        if "." not in name or "." + name.rpartition(".")[2].lower() not in PAGE_SUFFIXES:
            continue
        if folders and any(p.startswith(".") or p in SKIP_PARTS for p in folders.split("/")):
            continue
        if any(rel.startswith(c + "/") for c in claimed):
            continue
        out.append(rel)
    return out


def find(pages: list[str]) -> Tree:
    """Version folders among `pages` (see `pages_of`), grouped into tracks."""
    children: dict[str, set[str]] = defaultdict(set)  # dir -> child dirs holding pages
    count: dict[str, int] = defaultdict(int)
    for rel in pages:
        parts = rel.split("/")[:-1]
        for depth in range(len(parts)):
            d = "/".join(parts[: depth + 1])
            count[d] += 1
            children["/".join(parts[:depth])].add(d)
    numbered = {d for d in count if NUMBERED.match(basename(d))}
    groups: set[str] = set()
    accepted: dict[str, list[str]] = {}  # parent -> its version folders
    for parent in sorted(children, key=lambda d: (d.count("/") + bool(d), d)):
        members = sorted(c for c in children[parent] if c in numbered)
        if not members or any(under(parent, a) for p in accepted for a in accepted[p]):
            continue
        holding = [m for m in members if any(c in numbered for c in children.get(m, ()))]
        if len(holding) * 2 >= len(members) and holding:
            groups.update(members)  # docs/v1/1.76, docs/v2/2.20: v1 and v2 group versions, they are none
            continue
        accepted[parent] = members
    tree = Tree()
    for parent, members in accepted.items():
        track = _track_of(parent, groups)
        folders = tree.tracks.setdefault(track, [])
        tree.parents.setdefault(track, []).append(parent)
        for m in members:
            folders.append(VersionFolder(m, _label(basename(m)), track, pages=count[m]))
            tree.kinds[m] = "numbered"
        newest = max(members, key=lambda m: release_key(basename(m)))
        newest_inner = _inner(pages, newest)
        for sibling in sorted(children[parent] - set(members) - groups):
            name, inner = basename(sibling), _inner(pages, sibling)
            # A `development/` or `main/` section beside the versions is no version unless it shares pages.
            shares = any(basename(p) not in INDEX_PAGES for p in inner & newest_inner)
            if is_preview_name(name) and shares:
                kind = "preview-name"
            elif name.lower() in ALIAS_NAMES and shares:
                kind = "alias-name"
            elif _mirrors(inner, newest_inner):
                kind = "mirror"
            else:
                continue
            label = name.lstrip("_@") or name
            folders.append(VersionFolder(sibling, label, track, pages=count[sibling]))
            tree.kinds[sibling] = kind
    return tree


def _track_of(parent: str, groups: set[str]) -> str:
    """The track a version set belongs to: its parent without grouping and archive folders, so that
    `docs/archive/16.0` and `docs/21.0`, or `docs/v1/1.76` and `docs/v2/2.20`, are one track."""
    parts = parent.split("/") if parent else []
    kept = [
        p for i, p in enumerate(parts) if "/".join(parts[: i + 1]) not in groups and p.lower() not in ARCHIVE_SEGMENTS
    ]
    return "/".join(kept) or "."


def in_archive(folder: str) -> str:
    """The archive-like folder a version folder sits in ("archive"), or ""."""
    return next((p for p in folder.split("/")[:-1] if p.lower() in ARCHIVE_SEGMENTS), "")


def _label(name: str) -> str:
    text = re.sub(r"^(?:version|release)[-_]?", "", name, flags=re.IGNORECASE)
    return text[1:] if re.match(r"[vV]\d", text) and "." in text else text


def _inner(pages: list[str], folder: str) -> set[str]:
    prefix = folder + "/"
    return {p[len(prefix) :] for p in pages if p.startswith(prefix)}


def _mirrors(a: set[str], b: set[str]) -> bool:
    common = len(a & b)
    return common >= 2 and common >= MIRROR_SHARE * min(len(a), len(b))


def under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def unversioned(pages: list[str], version_folders: list[str], claimed: list[str]) -> list[str]:
    """Where the pages outside every version folder are: the first folder off the path to the versions.
    `pages` leave out the claimed folders already (`pages_of`)."""
    inside = tuple(f + "/" for f in version_folders)
    ancestors: set[str] = set()
    for folder in [*version_folders, *claimed]:
        parts = folder.split("/")
        ancestors.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    out = set()
    for rel in pages:
        if rel.startswith(inside):
            continue
        parts = rel.split("/")
        bucket = rel
        for depth in range(1, len(parts)):
            d = "/".join(parts[:depth])
            if d not in ancestors:
                bucket = d + "/"
                break
        out.add(bucket)
    return sorted(out)
