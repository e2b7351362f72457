"""What a site's own files say about its versions, each claim with the `file:line` and words it rests on.

Config files are read as the site wrote them: a line `latest: "2.3"`, `cliLatest = "2.4"`,
`latestMajorVersion: '2.20'`, `current = "21.0"` or `next = "22.0"` (Hugo/Docsy params in TOML, YAML or
JSON, also under `config/_default/`), lists of versions (`[params.versions] docs = [...]`, newest first;
`[params.unreleased]`), mike's `versions.json` aliases, and `latest`/`current` symlinks (or the one-line
files git writes for them). A version folder's index page can call itself `(latest)`, a draft, archived.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .site_model import DEFAULT, PAGE, VersionFolder, release_key, same_release
from .site_tree import ALIAS_NAMES, PREVIEW_NAMES, Tree, basename, in_archive, is_preview_name, name_tokens
from .yamlfile import bounded_load

MAX_CONFIG_BYTES = 1_000_000
CURRENT_KEYS = {"latest", "current", "stable", "default"}
PREVIEW_KEYS = {"next", "dev", "development", "preview", "unreleased", "upcoming", "draft", "nightly", "prerelease"}
# A key that names another tool's version (`maxHugoVersion`, `nodeLatest`) says nothing of the docs.
OTHER_TOOLS = {
    "min", "max", "hugo", "node", "npm", "go", "golang", "python", "ruby", "java", "k8s", "kubernetes", "helm",
    "chart", "theme", "schema", "date", "year", "api", "sdk", "image", "docker", "binaries", "binary",
}  # fmt: skip
LIST_KEYS = {"version", "versions", "release", "releases"}
CONFIG_NAMES = re.compile(r"(?:hugo|config|params|site|_config|mkdocs|antora|book)\.(?:toml|ya?ml|json)")
KEY_VALUE = re.compile(
    r"""^\s*(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*["']?v?(\d+(?:\.\d+){0,3}(?:\.x)?)["']?\s*,?\s*(?:#.*)?$"""
)
BRACKET = re.compile(r"\(([^)]*)\)")
PREVIEW_WORDS = re.compile(
    r"\b(development|dev|draft|next|preview|unreleased|upcoming|under construction|pre-?release|nightly|"
    r"release candidate|beta|alpha|canary|edge)\b",
    re.IGNORECASE,
)
ARCHIVED_WORDS = re.compile(r"\b(archived?|deprecated|obsolete|unsupported|end of life|eol|unmaintained)\b", re.I)
CURRENT_WORDS = re.compile(r"\b(latest|current|stable)\b", re.IGNORECASE)
REDIRECT_FILES = {"_redirects", "netlify.toml", "vercel.json"}
# `/latest/*  /2.13/:splat`, `from = "/docs/latest/*"` / `to = "/docs/2.20/:splat"`: where /latest/ goes.
REDIRECT = re.compile(
    r"""(/(?:[\w.-]+/)*(?:latest|stable|current)(?:/[^\s"']*)?)["']?(?:\s+|["']?\s*[,\n]\s*["']?(?:to|destination)["']?\s*[:=]\s*["']?)"""
    r"""(/(?:[\w.-]+/)*?v?(\d+(?:\.\d+){0,3}(?:\.x)?)(?=[/\s"']|$)(?:/[^\s"']*)?)""",
    re.IGNORECASE,
)
REFRESH = re.compile(
    r"""(?:http-equiv=["']?refresh["']?[^>]*?url=|(?:window\.)?location(?:\.href)?\s*=\s*|location\.replace\()["']?"""
    r"""((?:\.{0,2}/)?[\w.@-]+)/?(?:index\.html)?["'>)\s]""",
    re.IGNORECASE,
)
INDEX_NAMES = ("_index.md", "index.md", "_index.markdown", "index.mdx", "README.md", "index.rst", "_index.html")


@dataclass
class Claim:
    label: str
    why: str
    folder: str = ""  # when the claim names a folder (a symlink) rather than a label
    tokens: frozenset[str] = frozenset()  # the words of the key, to tell which track a list is for


@dataclass
class Claims:
    currents: list[Claim] = field(default_factory=list)  # explicit: latest/stable/current params, aliases
    lists: list[list[Claim]] = field(default_factory=list)  # released versions, newest first
    previews: list[Claim] = field(default_factory=list)
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)  # folder -> (status, why) from its index
    kinds: dict[str, str] = field(default_factory=dict)  # folder -> how the tree found it
    aliases: dict[str, str] = field(default_factory=dict)
    labels: set[tuple[int, ...]] = field(default_factory=set)  # every version folder's, in every track
    default_aliases: set[str] = field(default_factory=set)  # mkdocs.yml: the alias mike serves at the root

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
    claims.default_aliases = _mike_defaults(root, files)
    version_folders = [f.folder for fs in tree.tracks.values() for f in fs]
    claims.labels = {release_key(f.label) for fs in tree.tracks.values() for f in fs} - {()}
    inside = tuple(v + "/" for v in version_folders)
    for rel in files:
        if rel.startswith(inside):
            continue
        name = basename(rel)
        if _is_config(rel):
            _config_file(root, rel, claims)
        elif name == "versions.json":
            _mike(root, rel, claims)
        elif name == "conf.py":
            _sphinx(root, rel, claims)
        elif name == "antora.yml":
            _antora(root, rel, claims)
        if name in REDIRECT_FILES:
            _redirects(root, rel, claims)
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


def _is_config(rel: str) -> bool:
    """A site config: `hugo.toml`, `config.yaml`, `mkdocs.yml`... at the site's root (at most two folders
    down, for a site in `website/` or `docs/`), or in a Hugo `config/<environment>/` folder. Files named
    config.json deep in the content (a CLI's sample config) are not the site's."""
    parts = rel.split("/")
    if "node_modules" in parts or any(p.startswith(".") for p in parts[:-1]):
        return False
    if len(parts) >= 3 and parts[-3] == "config" and len(parts) <= 5:
        return bool(re.fullmatch(r"[\w-]+\.(?:toml|ya?ml|json)", parts[-1]))
    return len(parts) <= 3 and bool(CONFIG_NAMES.fullmatch(parts[-1]))


def generator(root: Path, files: list[str]) -> str:
    """The site generator, from its config files (the shallowest wins)."""
    found = []
    for rel in files:
        name, depth = basename(rel), rel.count("/")
        if "node_modules/" in rel:
            continue
        if name.startswith("docusaurus.config."):
            found.append((depth, 0, "docusaurus"))
        elif (
            re.fullmatch(r"hugo\.(toml|ya?ml|json)", name)
            or re.search(r"(^|/)config/_default/", rel)
            or re.fullmatch(r"config\.(toml|ya?ml|json)", name)
            and _looks_hugo(root / rel)
        ):
            found.append((depth, 1, "hugo"))
        elif name == "versions.json" and _mike_entries(root / rel):
            found.append((depth, 2, "mkdocs-mike"))
        elif name in ("mkdocs.yml", "mkdocs.yaml"):
            found.append((depth, 3, "mkdocs"))
        elif name == "antora.yml":
            found.append((depth, 3, "antora"))
        elif name == "conf.py" and "sphinx" in _text(root / rel)[:20000]:
            found.append((depth, 3, "sphinx"))
        elif name == "_config.yml":
            found.append((depth, 4, "jekyll"))
    return min(found)[2] if found else "none"


def _looks_hugo(path: Path) -> bool:
    return bool(re.search(r"(?im)^\s*(baseurl|params|\[params|contentdir|theme)\b", _text(path)[:50000]))


def _config_file(root: Path, rel: str, claims: Claims) -> None:
    text = _text(root / rel)
    if not text:
        return
    section: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if m := re.match(r"^\s*\[+([^\]]+)\]+\s*$", line):  # a TOML table: its name is part of each key
            section = [s.strip().strip("\"'") for s in m.group(1).split(".")]
            continue
        m = KEY_VALUE.match(line)
        if not m:
            continue
        key, label = m.group(1), m.group(2)
        tokens = name_tokens(key)
        context = tokens | (name_tokens(section[-1]) if section else set())
        if tokens & OTHER_TOOLS:
            continue
        why = f"{rel}:{number} {line.strip()[:80]}"
        if tokens & CURRENT_KEYS:
            claims.currents.append(Claim(label, why, tokens=frozenset(tokens)))
        elif tokens & PREVIEW_KEYS or (context & PREVIEW_KEYS and tokens & {"version", "label"}):
            claims.previews.append(Claim(label, why, tokens=frozenset(tokens)))
    data = _parse(rel, text)
    if isinstance(data, dict):
        _lists(data, [], rel, text, claims)
        own = basename(rel).startswith(("params.", "_config."))  # Jekyll's _config.yml: the site's own keys
        params = data if own else data.get("params")
        version = _entry_label(params.get("version")) if isinstance(params, dict) else ""
        if version:  # Docsy's params.version: the version this build of the site documents
            line = _key_line(text, ["version"] if own else ["params", "version"])
            said = "version" if own else "params.version"
            claims.lists.insert(0, [Claim(version, f"{rel}:{line} {said} = {version}")])


def _parse(rel: str, text: str) -> object:
    try:
        if rel.endswith(".toml"):
            return tomllib.loads(text, parse_float=str)  # "2.20" stays 2.20, not 2.2
        if rel.endswith(".json"):
            return json.loads(text, parse_float=str)
        return bounded_load(text, strings=True)
    except (ValueError, yaml.YAMLError, RecursionError, tomllib.TOMLDecodeError):
        return None


def _lists(data: dict, path: list[str], rel: str, text: str, claims: Claims) -> None:
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        here = [*path, key]
        if isinstance(value, dict):
            _lists(value, here, rel, text, claims)
            continue
        if not isinstance(value, list) or not value:
            continue
        labels = [_entry_label(v) for v in value]
        if not all(labels) or not all(release_key(x) for x in labels):
            continue
        tokens = frozenset(t for k in here for t in name_tokens(k))
        line = _key_line(text, here)
        why = f"{rel}:{line} {'.'.join(here)} = [{', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''}]"
        if tokens & PREVIEW_KEYS:
            claims.previews.extend(Claim(x, why, tokens=tokens) for x in labels)
        elif tokens & LIST_KEYS:
            claims.lists.append([Claim(x, f"{why} (newest first)", tokens=tokens) for x in labels])
        for entry, label in zip(value, labels, strict=True):  # {version: "v4.3", draft: true} / latest: true
            flags = (
                {k.lower() for k, v in entry.items() if isinstance(k, str) and _truthy(v)}
                if isinstance(entry, dict)
                else set()
            )
            if flags & PREVIEW_KEYS:
                claims.previews.append(Claim(label, f"{why}: {label} is marked {sorted(flags & PREVIEW_KEYS)[0]}"))
            elif flags & CURRENT_KEYS:
                claims.currents.append(Claim(label, f"{why}: {label} is marked {sorted(flags & CURRENT_KEYS)[0]}"))


def _entry_label(value: object) -> str:
    if isinstance(value, dict):
        value = next((value[k] for k in ("version", "name", "label", "title") if k in value), "")
    text = str(value).strip() if isinstance(value, (str, int, float)) else ""
    return text.lstrip("vV") if re.fullmatch(r"[vV]?\d+(\.\d+){0,3}(\.x)?", text) else ""


def _mike_entries(path: Path) -> list[dict]:
    try:
        data = json.loads(_text(path), parse_float=str) if path.stat().st_size < MAX_CONFIG_BYTES else None
    except (OSError, ValueError):
        return []
    if isinstance(data, list) and data and all(isinstance(e, dict) and "version" in e for e in data):
        return data
    return []


def _mike(root: Path, rel: str, claims: Claims) -> None:
    """mike's versions.json: each deployed version with its aliases; `latest`/`stable` is the default."""
    text = _text(root / rel)
    listed = []
    for entry in _mike_entries(root / rel):
        version = str(entry.get("version"))
        named = entry.get("aliases")
        aliases = {a.lower() for a in named if isinstance(a, str)} if isinstance(named, list) else set()
        line = _line_of(text, f'"{version}"')
        if aliases & (CURRENT_KEYS | claims.default_aliases):
            alias = sorted(aliases & (CURRENT_KEYS | claims.default_aliases))[0]
            claims.currents.append(Claim(version, f'{rel}:{line} "version": "{version}" has the alias "{alias}"'))
        if not (name_tokens(version) & PREVIEW_NAMES):
            listed.append(Claim(version, f"{rel}:{line} lists {version} (mike)"))
    if listed:
        claims.lists.append(listed)


def _mike_defaults(root: Path, files: list[str]) -> set[str]:
    """The alias (or version) mkdocs.yml tells mike to serve at the root: `extra.version.default`."""
    found = set()
    for rel in files:
        if basename(rel) in ("mkdocs.yml", "mkdocs.yaml") and "node_modules/" not in rel:
            try:
                data = bounded_load(_text(root / rel), strings=True)
            except yaml.YAMLError:
                continue
            extra = data.get("extra") if isinstance(data, dict) else None
            version = extra.get("version") if isinstance(extra, dict) else None
            default = version.get("default") if isinstance(version, dict) else None
            for value in default if isinstance(default, list) else [default]:
                if isinstance(value, str) and value:
                    found.add(value.lower())
    return found


def _redirects(root: Path, rel: str, claims: Claims) -> None:
    """A redirect from /latest/ (or /stable/, /current/) to a version's path names that version current."""
    text = _text(root / rel)
    for m in REDIRECT.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        claims.currents.append(Claim(m.group(3), f"{rel}:{line} redirects {m.group(1)} to {m.group(2)}"))


def _sphinx(root: Path, rel: str, claims: Claims) -> None:
    """Sphinx's conf.py: the release this checkout builds."""
    text = _text(root / rel)
    for number, line in enumerate(text.splitlines(), 1):
        if m := re.match(r"""^(release|version)\s*=\s*['"]v?(\d+(?:\.\d+){0,3})""", line):
            claims.lists.append([Claim(m.group(2), f"{rel}:{number} {line.strip()[:80]}")])
            return


def _antora(root: Path, rel: str, claims: Claims) -> None:
    """Antora's antora.yml: `version` with `prerelease: true` is a preview."""
    text = _text(root / rel)
    try:
        data = bounded_load(text, strings=True)
    except yaml.YAMLError:
        return
    if isinstance(data, dict) and data.get("version") and str(data.get("prerelease", "")).lower() == "true":
        claims.previews.append(Claim(str(data["version"]), f"{rel}:{_line_of(text, 'prerelease')} prerelease: true"))


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
    if page in listed and (m := REFRESH.search(_text(base / "index.html")[:20000])):  # a gh-pages root
        target = m.group(1).strip("./")
        target = {basename(k): basename(v) for k, v in claims.aliases.items()}.get(target, target)
        if target in names:
            line = _line_of(_text(base / "index.html"), m.group(0)[:20])
            claims.currents.append(Claim("", f"{page}:{line} sends readers to {target}/", folder=names[target]))


def _index_page(root: Path, folder: str, files: list[str], read_meta: Callable[[str], dict]) -> tuple[str, str] | None:
    """What a version folder's own index page says of it: (current | preview | archived, why)."""
    rel = next((f"{folder}/{n}" for n in INDEX_NAMES if f"{folder}/{n}" in files), "")
    if not rel:
        return None
    meta = read_meta(rel) or {}
    cascade = meta.get("cascade")
    if isinstance(cascade, list):
        cascade = next((c for c in cascade if isinstance(c, dict)), {})
    scopes = [("", meta), ("cascade ", cascade if isinstance(cascade, dict) else {})]
    text = _text(root / rel)
    for prefix, scope in scopes:
        for key in ("draft", "prerelease"):
            if _truthy(scope.get(key)):
                return "preview", f"{rel}:{_line_of(text, key)} {prefix}{key}: true"
        for key in ("is_deprecated", "deprecated", "archived", "archived_version"):
            if _truthy(scope.get(key)):
                return "archived", f"{rel}:{_line_of(text, key)} {prefix}{key}: true"
        warning = str(scope.get("page_warning") or scope.get("banner") or "")
        if warning and PREVIEW_WORDS.search(warning):
            word = PREVIEW_WORDS.search(warning).group(0)  # type: ignore[union-attr]
            return "preview", f"{rel}:{_line_of(text, 'page_warning')} {prefix}page_warning: {word}"
    for key in ("linkTitle", "title", "sidebar_label", "nav_title"):
        title = str(meta.get(key) or "")
        said = " ".join(BRACKET.findall(title))
        where = f"{rel}:{_line_of(text, key)} {key}: {_short(title)}"
        if PREVIEW_WORDS.search(said):
            return "preview", where
        if ARCHIVED_WORDS.search(said):
            return "archived", where
        if CURRENT_WORDS.search(said):
            return "current", where
    description = str(meta.get("description") or "")
    if re.search(r"\b(under construction|development release|unreleased|not yet released)\b", description, re.I):
        return "preview", f"{rel}:{_line_of(text, 'description')} description: {_short(description)}"
    return None


def _key_line(text: str, path: list[str]) -> int:
    """The line of the last key of `path`, found after each of its parents in turn (TOML tables, YAML)."""
    lines, at, found = text.splitlines(), 0, 1
    for key in path:
        pattern = re.compile(rf"""(^|[\s.\[])["']?{re.escape(key)}["']?\s*([:=\].]|$)""")
        hit = next((i for i in range(at, len(lines)) if pattern.search(lines[i])), None)
        if hit is None:
            continue
        at, found = hit, hit + 1
    return found


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def _text(path: Path) -> str:
    try:
        if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value is True or value == 1


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
