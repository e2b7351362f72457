"""Docusaurus's version model, read from `docusaurus.config.*`, `versions.json` and the version folders.

Docusaurus's own rules (`@docusaurus/plugin-content-docs`, `src/versions/`), applied where the config is
silent: the versions are `current` (the docs `path`, `docs/` by default) then versions.json's entries;
the last version is `lastVersion`, else the first entry of versions.json other than `current`, else
`current`; versions before it are unreleased, after it unmaintained. A `version-X` folder that
versions.json does not list is not built. `includeCurrentVersion: false` drops `docs/` from the build;
when the last version's folder is not in the repo, a build step copies `docs/` there, so `docs/` is it.
Each docs plugin instance has its own `path`, `<id>_versions.json` and `<id>_versioned_docs/`.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import jsliteral
from .jsliteral import DYNAMIC
from .site_model import ARCHIVED, CURRENT, DEFAULT, EXPLICIT, OLDER, PREVIEW, VersionFolder, cite
from .site_tree import basename

CONFIG = re.compile(r"(?:^|/)docusaurus\.config\.(?:js|ts|mjs|cjs|mts)$")
DOCS_PLUGIN = re.compile(r"""['"](?:@docusaurus/plugin-content-docs|content-docs)['"]\)?\s*,\s*\{""")
PRESET_DOCS = re.compile(r"\bdocs\s*:\s*\{")
DOCS_OPTIONS = {"path", "sidebarPath", "lastVersion", "versions", "routeBasePath", "includeCurrentVersion", "editUrl"}


@dataclass
class Found:
    folders: list[VersionFolder] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)  # folders this reader owns


@dataclass
class Instance:
    site: str  # the folder of docusaurus.config.* (or of versions.json), relative to the root
    config: str = ""  # the config file, for evidence
    id: str = "default"
    options: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)  # option -> line in the config


def read(root: Path, files: list[str]) -> list[Found]:
    """One Found per docs plugin instance that has versions (or a docs folder and a config)."""
    instances = []
    configs = [f for f in files if CONFIG.search(f) and "node_modules/" not in f]
    for rel in configs:
        instances.extend(_instances(root, rel))
    unique = {(i.site, i.id): i for i in reversed(instances)}  # a .js left beside a .ts: the first one read
    instances = list(reversed(unique.values()))
    sites = {i.site for i in instances}
    for rel in files:  # versions.json beside versioned_docs/ with no config in the repo: defaults
        if basename(rel) == "versions.json":
            site = _parent(rel)
            if site not in sites and any(f.startswith(_join(site, "versioned_docs") + "/") for f in files):
                instances.append(Instance(site))
    return [found for i in instances if (found := _read_instance(root, files, i)).folders]


def _instances(root: Path, rel: str) -> list[Instance]:
    try:
        src = jsliteral.strip_comments((root / rel).read_text(encoding="utf-8", errors="replace")[:2_000_000])
    except OSError:
        return []
    found = []
    for pattern in (PRESET_DOCS, DOCS_PLUGIN):
        for m in pattern.finditer(src):
            options, _ = jsliteral.parse_at(src, m.end() - 1)
            if not isinstance(options, jsliteral.Obj) or not set(options) & DOCS_OPTIONS:
                continue
            lines = {k: jsliteral.line_of(src, off) for k, off in options.offsets.items()}
            versions = options.get("versions")
            if isinstance(versions, jsliteral.Obj):
                for name, off in versions.offsets.items():
                    lines[f"versions.{name}"] = jsliteral.line_of(src, off)
            plugin_id = given if isinstance(given := options.get("id"), str) else "default"
            found.append(Instance(_parent(rel), rel, plugin_id, dict(options), lines))
    return found


def _read_instance(root: Path, files: list[str], inst: Instance) -> Found:
    opts = inst.options
    prefix = "" if inst.id == "default" else f"{inst.id}_"
    versions_file = _join(inst.site, f"{prefix}versions.json")
    listed = _versions_json(root / versions_file) if versions_file in files else []
    docs_path = given if isinstance(given := opts.get("path"), str) else ""
    docs = _docs_folder(files, inst.site, docs_path)
    track = (inst.site or ".") + ("" if inst.id == "default" else f"#{inst.id}")
    found = Found()
    if not listed and not _version_dirs(files, inst.site, prefix, listed):
        return found  # an unversioned docs plugin: its pages are plain pages
    per_version: dict = given if isinstance(given := opts.get("versions"), dict) else {}
    include_current = opts.get("includeCurrentVersion") is not False
    names = ([] if "current" in listed or not include_current else ["current"]) + listed
    last = opts.get("lastVersion")
    cfg = inst.config or versions_file
    if isinstance(last, str) and last:
        last_why = f"{cfg}:{inst.lines.get('lastVersion', 1)} lastVersion: '{last}'"
        authority = EXPLICIT
    else:
        released = [n for n in names if n != "current"]
        last = released[0] if released else "current"
        last_why = (
            f"{versions_file}:1 first entry {last!r} (Docusaurus: the last version is versions.json's first)"
            if released
            else "Docusaurus: with no versions.json, docs/ is the only version"
        )
        authority = DEFAULT
    only = opts.get("onlyIncludeVersions")
    only = [str(v) for v in only] if isinstance(only, list) and DYNAMIC not in only else None
    versioned = _join(inst.site, f"{prefix}versioned_docs")
    position = {n: i for i, n in enumerate(names)}
    for name in names:
        folder = docs if name == "current" else _join(versioned, f"version-{name}")
        status, why, how_sure = "", "", authority
        if not folder or not _has_pages(files, folder):
            if not (name == last and name != "current" and not include_current and docs):
                continue
            # The last version's folder is made at build time from docs/ (and git-ignored): docs/ is it.
            folder, status = docs, CURRENT
            missing = _join(versioned, f"version-{name}")
            why = (
                f"{last_why}; includeCurrentVersion: false and {missing}/ is not in the repo: docs/ is built as {name}"
            )
        elif only is not None and name not in only:
            line = inst.lines.get("onlyIncludeVersions", 1)
            status, why, how_sure = ARCHIVED, f"{cfg}:{line} onlyIncludeVersions leaves it out: not built", EXPLICIT
        if status:
            found.folders.append(_folder(folder, name, per_version, track, status, why, how_sure, files))
            continue
        status, why = _position_status(name, last, position, last_why)
        banner = own.get("banner") if isinstance(own := per_version.get(name), dict) else None
        if banner in ("unreleased", "unmaintained"):
            status = PREVIEW if banner == "unreleased" else OLDER
            why = f"{cfg}:{inst.lines.get(f'versions.{name}', 1)} versions['{name}'].banner: '{banner}'"
        found.folders.append(_folder(folder, name, per_version, track, status, why, authority, files))
    if not include_current and docs and not any(f.folder == docs for f in found.folders):
        line = inst.lines.get("includeCurrentVersion", 1)
        why = f"{cfg}:{line} includeCurrentVersion: false: {docs}/ is not built"
        found.folders.append(_folder(docs, "current", per_version, track, PREVIEW, why, EXPLICIT, files))
    for folder in _version_dirs(files, inst.site, prefix, listed):
        name = basename(folder).removeprefix("version-")
        why = f"{versions_file} does not list {name!r}: Docusaurus does not build it"
        found.folders.append(_folder(folder, name, per_version, track, ARCHIVED, why, DEFAULT, files))
    found.folders += _translations(files, inst, {f.folder: f for f in found.folders}, docs, versioned)
    found.roots = [f.folder for f in found.folders]
    return found


def _translations(
    files: list[str], inst: Instance, by_folder: dict[str, VersionFolder], docs: str, versioned: str
) -> list[VersionFolder]:
    """`i18n/<locale>/docusaurus-plugin-content-docs[-<id>]/current|version-X/`: each version's translation
    has that version's status, in a track of its own locale."""
    plugin = "docusaurus-plugin-content-docs" + ("" if inst.id == "default" else f"-{inst.id}")
    base = _join(inst.site, "i18n") + "/"
    seen: dict[str, VersionFolder] = {}
    for rel in files:
        if not rel.startswith(base):
            continue
        parts = rel[len(base) :].split("/")
        if len(parts) < 4 or parts[1] != plugin or parts[2] in seen:
            continue
        source = docs if parts[2] == "current" else _join(versioned, parts[2])
        original = by_folder.get(source)
        if original is None:
            continue
        folder = base + "/".join(parts[:3])
        seen[parts[2] + "@" + parts[0]] = VersionFolder(
            folder,
            original.label,
            f"{original.track}@{parts[0]}",
            original.status,
            f"translation ({parts[0]}) of {source}/: {original.why}",
            original.authority,
            sum(f.startswith(folder + "/") for f in files),
        )
    return list(seen.values())


def _position_status(name: str, last: str, position: dict[str, int], last_why: str) -> tuple[str, str]:
    if name == last:
        return CURRENT, last_why
    if last in position and position[name] < position[last]:
        return PREVIEW, f"before the last version {last!r} ({cite(last_why)}): unreleased"
    return OLDER, f"after the last version {last!r} ({cite(last_why)}): unmaintained"


def _folder(
    folder: str, name: str, per_version: dict, track: str, status: str, why: str, authority: int, files: list[str]
) -> VersionFolder:
    own = given if isinstance(given := per_version.get(name), dict) else {}
    label = given if isinstance(given := own.get("label"), str) else ("Next" if name == "current" else name)
    pages = sum(f.startswith(folder + "/") for f in files)
    return VersionFolder(folder, label, track, status, why, authority, pages)


def _version_dirs(files: list[str], site: str, prefix: str, listed: list[str]) -> list[str]:
    """`version-X` folders under the site that versions.json does not list (kept, but not built)."""
    out = set()
    base = site + "/" if site else ""
    for rel in files:
        if not rel.startswith(base) or "node_modules/" in rel:
            continue
        parts = rel[len(base) :].split("/")[:-1]
        for depth, part in enumerate(parts[:3]):
            if part.startswith("version-") and part.removeprefix("version-") not in listed:
                owner = parts[depth - 1] if depth else ""
                if (prefix and owner.startswith(prefix)) or (not prefix and "_versioned_docs" not in owner):
                    out.add(base + "/".join(parts[: depth + 1]))
                break
    return sorted(out)


def _docs_folder(files: list[str], site: str, path: str) -> str:
    candidates = [_join(site, path)] if path else [_join(site, "docs"), _join(_parent(site) if site else "", "docs")]
    return next((c for c in candidates if c and _has_pages(files, c)), "")


def _has_pages(files: list[str], folder: str) -> bool:
    prefix = folder + "/"
    return any(f.startswith(prefix) and f.endswith((".md", ".mdx", ".markdown")) for f in files)


def _versions_json(path: Path) -> list[str]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(v) for v in data if isinstance(v, (str, int, float))] if isinstance(data, list) else []


def _join(*parts: str) -> str:
    joined = posixpath.normpath(posixpath.join(*[p for p in parts if p]) if any(parts) else ".")
    return "" if joined == "." else joined


def _parent(rel: str) -> str:
    return rel.rpartition("/")[0]
