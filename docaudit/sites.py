"""A docs site's own statement of its versions: which folder is current, which is a preview, which are old.

Read from what the common generators declare, preferred to guessing from folder names:
Hugo / Docsy params (``[params.versions] current/next``, ``latest_stable_version``, a ``versions``
list), Docusaurus (``versions.json``, newest first; ``docs/`` is the unreleased "next"), MkDocs
``mike`` (``versions.json`` with ``latest``/``stable`` aliases) and Antora (``antora.yml``
``version``/``prerelease``). A version folder's own index page can call itself a preview
("v22.0 (Development)", ``draft: true``, a ``page_warning`` cascade) or archived ("(Archived)",
``is_deprecated: true``).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import yaml

from .records import Release
from .yamlfile import safe_load

CURRENT, PREVIEW, OLDER, ARCHIVED = "current", "preview", "older", "archived"
MAX_CONFIG_BYTES = 1_000_000

# A folder named like a release: 21.0, v3, v3.1, 3.x, version-30.4 (Docusaurus), release-1.2. A bare
# number is not one: blog/2021/ and chapters/3/ are not versions.
VERSION_SEGMENT = re.compile(
    r"^(?:(?:v|version[-_]|release[-_])(\d+(?:\.\d+){0,2})|(\d+\.\d+(?:\.\d+)?|\d+)\.x|(\d+\.\d+(?:\.\d+)?))$",
    re.IGNORECASE,
)
PREVIEW_WORDS = re.compile(
    r"\b(development|dev|draft|next|preview|unreleased|upcoming|under construction|pre-?release|nightly|"
    r"rc\d*|release candidate|beta|alpha|canary|main|master)\b",
    re.IGNORECASE,
)
ARCHIVED_WORDS = re.compile(r"\b(archived?|deprecated|obsolete|unsupported|end of life|eol)\b", re.IGNORECASE)
HUGO_CONFIGS = (
    "config.toml",
    "hugo.toml",
    "config.yaml",
    "config.yml",
    "hugo.yaml",
    "hugo.yml",
    "config/_default/params.toml",
    "config/_default/config.toml",
    "config/_default/hugo.toml",
    "config/_default/params.yaml",
)


def release_key(label: str) -> tuple[int, ...]:
    parts = [int(p) for p in label.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


@dataclass
class Declared:
    """What the site's config says, before the folders are matched."""

    current: str = ""
    previews: set[str] = field(default_factory=set)
    archived: set[str] = field(default_factory=set)
    source: str = ""


@dataclass
class Site:
    """Version folders of one docs site, each with its status and why."""

    folders: dict[str, Release] = field(default_factory=dict)  # folder path -> release (inner path empty)

    def locate(self, rel: str) -> Release | None:
        """The release a file belongs to, with its path inside the version folder."""
        best = ""
        for folder in self.folders:
            if (rel.startswith(folder + "/") or folder == "") and len(folder) >= len(best):
                best = folder if rel.startswith(folder + "/") else best
        if not best:
            return None
        release = self.folders[best]
        return replace(release, inner=rel[len(best) + 1 :])


def read_site(root: Path, files: list[str], read_meta: Callable[[str], dict]) -> Site:
    """Version folders among `files` (paths relative to root) and what the site says of each.

    `read_meta(rel)` returns a file's frontmatter (the caller owns frontmatter parsing).
    """
    declared = _declared(root, files)
    folders: dict[str, tuple[str, str]] = {}  # folder -> (label, site root)
    docusaurus_next: list[tuple[str, str]] = []
    for rel in files:
        parts = PurePosixPath(rel).parts[:-1]
        for depth, part in enumerate(parts):
            if m := VERSION_SEGMENT.match(part):
                folder = "/".join(parts[: depth + 1])
                # The site root: the path above the version folder, without archive-like folders,
                # so that archive/16.0/x and 21.0/x are the same page.
                above = [p for p in parts[:depth] if not ARCHIVED_WORDS.fullmatch(p) and p != "versioned_docs"]
                label = next(g for g in m.groups() if g)
                folders.setdefault(folder, (label, "/".join(above)))
                break
    for rel in files:
        if PurePosixPath(rel).name == "versions.json":
            site_dir = str(PurePosixPath(rel).parent)
            for candidate in (site_dir, str(PurePosixPath(site_dir).parent)):
                docs = "/".join(p for p in (candidate, "docs") if p and p != ".")
                if any(f.startswith(docs + "/") for f in files):
                    docusaurus_next.append((docs, site_dir if site_dir != "." else ""))
                    break
    site = Site()
    index_meta = {folder: _index_meta(folder, files, read_meta) for folder in folders}
    known_labels = [label for label, _ in folders.values()]
    current = declared.current if declared.current in known_labels else ""
    if not current:  # nothing declared: the newest version that does not call itself a preview
        candidates = [
            label
            for folder, (label, _) in folders.items()
            if label not in declared.previews and _index_status(index_meta[folder]) is None
        ]
        current = max(candidates, key=release_key, default="")
    for folder, (label, site_root) in folders.items():
        status, why = _status(label, current, declared, index_meta[folder])
        # Declared: the site says so in its config or an index page, rather than docaudit guessing.
        said = (
            declared.current in known_labels
            or label in declared.previews
            or _index_status(index_meta[folder]) is not None
        )
        site.folders[folder] = Release(label, status, why, "", site_root, said)
    for docs, site_dir in docusaurus_next:
        if docs not in site.folders:
            site.folders[docs] = Release(
                "next", PREVIEW, f"Docusaurus: {docs}/ is the unreleased next version", "", site_dir, True
            )
    return site


def _status(label: str, current: str, declared: Declared, meta: dict) -> tuple[str, str]:
    own = _index_status(meta)
    if label in declared.previews:
        return PREVIEW, f"{label} is the site's next version ({declared.source})"
    if label == declared.current:  # the site config beats a stale index title ("v21.0 (RC)")
        return CURRENT, f"{label} is the current version ({declared.source})"
    if own and own[0] == PREVIEW:
        return PREVIEW, own[1]
    if label == current:
        where = declared.source if declared.current == label else "the newest released version folder"
        return CURRENT, f"{label} is the current version ({where})"
    if not current:
        return CURRENT, f"{label}: no current version found"
    if release_key(label) > release_key(current):
        return PREVIEW, f"{label} is newer than the current {current}: not yet released"
    if label in declared.archived or (own and own[0] == ARCHIVED):
        return ARCHIVED, own[1] if own else f"{label} is archived ({declared.source})"
    return OLDER, f"{label} is older than the current {current} ({declared.source or 'newest version folder'})"


def _index_meta(folder: str, files: list[str], read_meta: Callable[[str], dict]) -> dict:
    for name in ("_index.md", "index.md", "_index.markdown", "README.md"):
        rel = f"{folder}/{name}"
        if rel in files:
            meta = read_meta(rel)
            return {**meta, "_file": rel}
    return {}


def _index_status(meta: dict) -> tuple[str, str] | None:
    """What a version folder's own index page says of it."""
    if not meta:
        return None
    where = meta.get("_file", "index page")
    cascade = meta.get("cascade")
    cascade = next((c for c in cascade if isinstance(c, dict)), {}) if isinstance(cascade, list) else cascade
    cascade = cascade if isinstance(cascade, dict) else {}
    for scope in (meta, cascade):
        if _truthy(scope.get("draft")) or _truthy(scope.get("prerelease")):
            return PREVIEW, f"{where} says draft"
        for key in ("is_deprecated", "deprecated", "archived", "archived_version"):
            if _truthy(scope.get(key)):
                return ARCHIVED, f"{where} says {key}"
        warning = str(scope.get("page_warning") or "")
        if warning and PREVIEW_WORDS.search(warning):
            return PREVIEW, f'{where} warns "{_short(warning)}"'
    title = str(meta.get("title") or "")
    bracket = " ".join(re.findall(r"\(([^)]*)\)", title))
    if PREVIEW_WORDS.search(bracket):
        return PREVIEW, f'{where} is titled "{_short(title)}"'
    if ARCHIVED_WORDS.search(bracket):
        return ARCHIVED, f'{where} is titled "{_short(title)}"'
    description = str(meta.get("description") or "")
    if re.search(r"\b(under construction|development release|unreleased|not yet released)\b", description, re.I):
        return PREVIEW, f'{where} says "{_short(description)}"'
    return None


def _declared(root: Path, files: list[str]) -> Declared:
    """What the site says of its versions: Hugo's params first, then versions.json (Docusaurus, mike),
    Sphinx's conf.py and Antora's antora.yml."""
    for name in HUGO_CONFIGS:
        params = _params(root / name)
        if params is not None:
            declared = _from_hugo(name, params)
            if declared.current or declared.previews:
                return declared
    declared = Declared()
    for rel in files:
        file_name = PurePosixPath(rel).name
        if file_name == "versions.json":
            _, current, source = _versions_json(root / rel, rel)
            if current:
                declared.current, declared.source = current, source
                return declared
        elif file_name == "conf.py" and not declared.current:  # Sphinx: the release it builds
            text = _load_small(root / rel, lambda t: t)
            m = re.search(r"^(?:release|version)\s*=\s*['\"]v?(\d+(?:\.\d+){0,2})", str(text or ""), re.MULTILINE)
            if m:
                declared.current, declared.source = m.group(1), f"{rel} release"
        elif file_name == "antora.yml":
            data = _load_small(root / rel, safe_load)
            if isinstance(data, dict) and data.get("version") and _truthy(data.get("prerelease")):
                declared.previews.add(_label(data["version"]))
                declared.source = rel
    return declared


def _from_hugo(name: str, params: dict) -> Declared:
    """Hugo/Docsy: `[params.versions]` current and next, a list of versions, or a latest-version param."""
    declared = Declared()
    versions = params.get("versions")
    if isinstance(versions, dict):
        declared.current = _label(versions.get("current") or versions.get("latest") or "")
        for key in ("next", "development", "dev", "preview", "unreleased"):
            if versions.get(key):
                declared.previews.add(_label(versions[key]))
        declared.source = f"{name} [params.versions]"
    elif isinstance(versions, list):
        labels = [_label(v.get("version", "")) for v in versions if isinstance(v, dict)]
        if params.get("version"):
            declared.current = _label(params["version"])
        elif labels:
            declared.current = labels[0]
        declared.source = f"{name} params.versions"
    for key in ("latest_stable_version", "latest_version", "current_version", "stable_version"):
        if params.get(key) and not declared.current:
            declared.current, declared.source = _label(params[key]), f"{name} params.{key}"
    return declared


def _versions_json(path: Path, rel: str) -> tuple[list[str], str, str]:
    """Docusaurus: a list of labels, newest first. mike: a list of {version, aliases}; latest/stable is current."""
    data = _load_small(path, json.loads)
    if not isinstance(data, list) or not data:
        return [], "", ""
    if all(isinstance(v, str) for v in data):
        return [_label(v) for v in data], _label(data[0]), f"{rel} (newest first)"
    labels, current = [], ""
    for entry in data:
        if isinstance(entry, dict) and entry.get("version"):
            labels.append(_label(entry["version"]))
            aliases = entry.get("aliases") or []
            if not current and isinstance(aliases, list) and {"latest", "stable"} & {str(a) for a in aliases}:
                current = _label(entry["version"])
    return labels, current or (labels[0] if labels else ""), f"{rel} (mike aliases)"


def _params(path: Path) -> dict | None:
    data = _load_small(path, tomllib.loads) if path.suffix == ".toml" else _load_small(path, safe_load)
    if not isinstance(data, dict):
        return None
    params = data if path.name.startswith("params.") else data.get("params")
    return params if isinstance(params, dict) else None


def _load_small(path: Path, parse: Callable[[str], object]) -> object:
    try:
        if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, tomllib.TOMLDecodeError, yaml.YAMLError):
        return None


def _label(value: object) -> str:
    text = str(value).strip()
    m = re.search(r"(\d+(?:\.\d+){0,2})", text)
    return m.group(1) if m else text


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value is True or value == 1


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."
