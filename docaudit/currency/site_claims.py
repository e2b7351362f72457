"""What a site says about its versions, matched to its version folders, each claim with its `file:line`.

The config files' statements come from `site_configs`; here: `latest`/`current` symlinks (or the one-line
files git writes for them), a gh-pages root that redirects, and what a version folder's index page says
of itself (`(latest)`, a draft, archived). `Claims` decides, track by track, which claim wins.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import site_configs
from .site_configs import LIST_KEYS, line_of, text_of, truthy
from .site_model import DEFAULT, PAGE, Claim, Said, VersionFolder, release_key, same_release
from .site_tree import ALIAS_NAMES, Tree, basename, in_archive, is_preview_name, name_tokens

BRACKET = re.compile(r"\(([^)]*)\)")
PREVIEW_WORDS = re.compile(
    r"\b(development|dev|draft|next|preview|unreleased|upcoming|under construction|pre-?release|nightly|"
    r"release candidate|beta|alpha|canary|edge)\b",
    re.IGNORECASE,
)
ARCHIVED_WORDS = re.compile(r"\b(archived?|deprecated|obsolete|unsupported|end of life|eol|unmaintained)\b", re.I)
CURRENT_WORDS = re.compile(r"\b(latest|current|stable)\b", re.IGNORECASE)
REFRESH = re.compile(
    r"""(?:http-equiv=["']?refresh["']?[^>]*?url=|(?:window\.)?location(?:\.href)?\s*=\s*|location\.replace\()["']?"""
    r"""((?:\.{0,2}/)?[\w.@-]+)/?(?:index\.html)?["'>)\s]""",
    re.IGNORECASE,
)
INDEX_NAMES = ("_index.md", "index.md", "_index.markdown", "index.mdx", "README.md", "index.rst", "_index.html")


@dataclass
class Claims(Said):
    """What the site says, and what the tree and index pages say, with the rules that match it to folders."""

    pages: dict[str, tuple[str, str]] = field(default_factory=dict)  # folder -> (status, why) from its index
    kinds: dict[str, str] = field(default_factory=dict)  # folder -> how the tree found it
    aliases: dict[str, str] = field(default_factory=dict)
    labels: set[tuple[int, ...]] = field(default_factory=set)  # every version folder's, in every track

    def explicit_current(self, track: str, folders: list[VersionFolder]) -> tuple[VersionFolder, str] | None:
        """The newest version the site explicitly calls latest/stable/current. Several such params can
        name several lines (`latest: 1.76` for v1, `latestV2: 2.20`): the newest line's is current."""
        found = [
            (f, c)
            for c in self.currents
            for f in folders
            if (f.folder == c.folder if c.folder else same_release(f.label, c.label) and release_key(c.label))
        ]
        if found:
            f, c = max(found, key=lambda fc: (bool(fc[1].folder), release_key(fc[0].label)))
            return f, c.why
        numbered = [release_key(f.label) for f in folders if self.kinds.get(f.folder) == "numbered"]
        newer = [  # a claim another track's folder answers is that track's, not this one's
            c
            for c in self.currents
            if not c.folder
            and numbered
            and release_key(c.label) > max(numbered)
            and release_key(c.label) not in self.labels
        ]
        mirrors = [f for f in folders if self.kinds.get(f.folder) in ("mirror", "alias-name")]
        if newer and len(mirrors) == 1:  # linkerd: `latestMajorVersion: 2.20`, and 2.20 lives in docs/
            c = max(newer, key=lambda c: release_key(c.label))
            mirrors[0].label = c.label
            return mirrors[0], f"{c.why}; no {c.label} folder: {mirrors[0].folder}/ mirrors the version folders"
        return None

    def listed_current(self, track: str, folders: list[VersionFolder]) -> tuple[VersionFolder, str] | None:
        """The first released entry of a list of versions (newest first) that names this track, or of a
        list that names no track."""
        names = name_tokens(basename(track))
        mine = [lst for lst in self.lists if lst and lst[0].tokens & names]
        for lst in mine or [lst for lst in self.lists if lst and not (lst[0].tokens - LIST_KEYS - {"params"})]:
            for claim in lst:
                f = next((f for f in folders if same_release(f.label, claim.label)), None)
                if f is not None and not self.preview_of(f):
                    return f, claim.why
        return None

    def page_current(self, folders: list[VersionFolder]) -> tuple[VersionFolder, str] | None:
        said = [f for f in folders if self.pages.get(f.folder, ("",))[0] == "current"]
        return (said[0], self.pages[said[0].folder][1]) if len(said) == 1 else None

    def preview_of(self, f: VersionFolder) -> tuple[str, int] | None:
        claim = next((c for c in self.previews if same_release(f.label, c.label)), None)
        if claim:
            return claim.why, DEFAULT
        page = self.pages.get(f.folder)
        if page and page[0] == "preview":
            return page[1], PAGE
        if self.kinds.get(f.folder) == "preview-name" or is_preview_name(f.label):
            return f"the folder name {basename(f.folder)!r} names a preview", 1
        return None

    def archived_of(self, f: VersionFolder) -> tuple[str, int] | None:
        page = self.pages.get(f.folder)
        if page and page[0] == "archived":
            return page[1], PAGE
        where = in_archive(f.folder)
        if where:
            return f"in the {where}/ folder", PAGE
        return None


def collect(root: Path, files: list[str], tree: Tree, read_meta: Callable[[str], dict]) -> Claims:
    claims = Claims(kinds=dict(tree.kinds))
    defaults = site_configs.mike_defaults(root, files)
    version_folders = [f.folder for fs in tree.tracks.values() for f in fs]
    claims.labels = {release_key(f.label) for fs in tree.tracks.values() for f in fs} - {()}
    inside = tuple(v + "/" for v in version_folders)
    for rel in files:
        # Inside a version folder, copies of the site's config speak for an old build; Antora's descriptor
        # is the one file there that speaks for that version itself (its `version`, its `prerelease`).
        if not rel.startswith(inside) or basename(rel) == "antora.yml":
            _read_config(root, rel, claims, defaults)
    listed = set(files)
    for track, parents in tree.parents.items():
        for parent in parents:
            _aliases(root, parent, tree.tracks[track], claims, listed)
    for folders in tree.tracks.values():
        for f in folders:
            said = _index_page(root, f.folder, files, read_meta)
            if said:
                claims.pages[f.folder] = said
    return claims


def _read_config(root: Path, rel: str, claims: Claims, defaults: set[str]) -> None:
    """What one site config file says of the versions, added to `claims`."""
    name = basename(rel)
    if name == "antora.yml":  # before the generic config reading, which would take it as any YAML
        site_configs.antora(root, rel, claims)
    elif site_configs.is_config(rel):
        site_configs.config_file(root, rel, claims)
    elif name == "versions.json":
        site_configs.mike(root, rel, claims, defaults)
    elif name == "conf.py":
        site_configs.sphinx(root, rel, claims)
    if name in site_configs.REDIRECT_FILES:
        site_configs.redirects(root, rel, claims)


def _aliases(root: Path, parent: str, folders: list[VersionFolder], claims: Claims, listed: set[str]) -> None:
    """`latest -> 2.13`, `releases/current -> 2.8.1`: a symlink, or the one-line file git checks out for one
    where symlinks are off, that names a version folder beside it."""
    base = root / parent if parent else root
    names = {basename(f.folder): f.folder for f in folders}
    for alias in ALIAS_NAMES | {"default"}:
        path = base / alias
        target = ""
        try:
            if path.is_symlink():
                target = os.readlink(path)
            elif path.is_file() and path.stat().st_size < 200:
                target = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            continue
        target = target.rstrip("/").removeprefix("./")
        if target in names:
            rel = f"{parent}/{alias}" if parent else alias
            claims.aliases[rel] = names[target]
            claims.currents.append(Claim("", f"{rel} -> {target} (symlink)", folder=names[target]))
    page = f"{parent}/index.html" if parent else "index.html"
    if page in listed and (m := REFRESH.search(text_of(base / "index.html")[:20000])):  # a gh-pages root
        target = m.group(1).strip("./")
        target = {basename(k): basename(v) for k, v in claims.aliases.items()}.get(target, target)
        if target in names:
            line = line_of(text_of(base / "index.html"), m.group(0)[:20])
            claims.currents.append(Claim("", f"{page}:{line} sends readers to {target}/", folder=names[target]))


def _index_page(root: Path, folder: str, files: list[str], read_meta: Callable[[str], dict]) -> tuple[str, str] | None:
    """What a version folder's own index page says of it: (current | preview | archived, why)."""
    rel = next((f"{folder}/{n}" for n in INDEX_NAMES if f"{folder}/{n}" in files), "")
    if not rel:
        return None
    meta = read_meta(rel) or {}
    text = text_of(root / rel)
    return _flags(rel, meta, text) or _title_words(rel, meta, text) or _description(rel, meta, text)


def _flags(rel: str, meta: dict, text: str) -> tuple[str, str] | None:
    """`draft`, `prerelease`, `deprecated`, a preview `page_warning`: in the page's frontmatter or its cascade."""
    cascade = meta.get("cascade")
    if isinstance(cascade, list):
        cascade = next((c for c in cascade if isinstance(c, dict)), {})
    for prefix, scope in (("", meta), ("cascade ", cascade if isinstance(cascade, dict) else {})):
        for key in ("draft", "prerelease"):
            if truthy(scope.get(key)):
                return "preview", f"{rel}:{line_of(text, key)} {prefix}{key}: true"
        for key in ("is_deprecated", "deprecated", "archived", "archived_version"):
            if truthy(scope.get(key)):
                return "archived", f"{rel}:{line_of(text, key)} {prefix}{key}: true"
        warning = str(scope.get("page_warning") or scope.get("banner") or "")
        if found := PREVIEW_WORDS.search(warning):
            return "preview", f"{rel}:{line_of(text, 'page_warning')} {prefix}page_warning: {found.group(0)}"
    return None


def _title_words(rel: str, meta: dict, text: str) -> tuple[str, str] | None:
    """A bracketed word in the page's title: `v1.2 (latest)`, `[Deprecated]`."""
    for key in ("linkTitle", "title", "sidebar_label", "nav_title"):
        title = str(meta.get(key) or "")
        said = " ".join(BRACKET.findall(title))
        where = f"{rel}:{line_of(text, key)} {key}: {_short(title)}"
        if PREVIEW_WORDS.search(said):
            return "preview", where
        if ARCHIVED_WORDS.search(said):
            return "archived", where
        if CURRENT_WORDS.search(said):
            return "current", where
    return None


def _description(rel: str, meta: dict, text: str) -> tuple[str, str] | None:
    description = str(meta.get("description") or "")
    if re.search(r"\b(under construction|development release|unreleased|not yet released)\b", description, re.I):
        return "preview", f"{rel}:{line_of(text, 'description')} description: {_short(description)}"
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
