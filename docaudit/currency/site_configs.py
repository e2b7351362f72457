"""Site config files read as the site wrote them, each statement with its `file:line`.

A line `latest: "2.3"`, `cliLatest = "2.4"`, `latestMajorVersion: '2.20'`, `current = "21.0"` or
`next = "22.0"` (Hugo/Docsy params in TOML, YAML or JSON, also under `config/_default/`); lists of versions
(`[params.versions] docs = [...]`, newest first; `[params.unreleased]`) and flags on their entries; mike's
`versions.json` aliases and mkdocs.yml's default; `/latest/` redirects; Sphinx's release; Antora's
prerelease. What they say goes into a `Said`; `site_claims` matches it to the folders.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

from docaudit.yamlfile import bounded_load

from .site_model import Claim, Said, release_key
from .site_tree import PREVIEW_NAMES, basename, name_tokens

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
REDIRECT_FILES = {"_redirects", "netlify.toml", "vercel.json"}
# `/latest/*  /2.13/:splat`, `from = "/docs/latest/*"` / `to = "/docs/2.20/:splat"`: where /latest/ goes.
REDIRECT = re.compile(
    r"""(/(?:[\w.-]+/)*(?:latest|stable|current)(?:/[^\s"']*)?)["']?(?:\s+|["']?\s*[,\n]\s*["']?(?:to|destination)["']?\s*[:=]\s*["']?)"""
    r"""(/(?:[\w.-]+/)*?v?(\d+(?:\.\d+){0,3}(?:\.x)?)(?=[/\s"']|$)(?:/[^\s"']*)?)""",
    re.IGNORECASE,
)


def is_config(rel: str) -> bool:
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
        elif name == "versions.json" and mike_entries(root / rel):
            found.append((depth, 2, "mkdocs-mike"))
        elif name in ("mkdocs.yml", "mkdocs.yaml"):
            found.append((depth, 3, "mkdocs"))
        elif name == "antora.yml":
            found.append((depth, 3, "antora"))
        elif name == "conf.py" and "sphinx" in text_of(root / rel)[:20000]:
            found.append((depth, 3, "sphinx"))
        elif name == "_config.yml":
            found.append((depth, 4, "jekyll"))
    return min(found)[2] if found else "none"


def _looks_hugo(path: Path) -> bool:
    return bool(re.search(r"(?im)^\s*(baseurl|params|\[params|contentdir|theme)\b", text_of(path)[:50000]))


def config_file(root: Path, rel: str, said: Said) -> None:
    text = text_of(root / rel)
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
            said.currents.append(Claim(label, why, tokens=frozenset(tokens)))
        elif tokens & PREVIEW_KEYS or (context & PREVIEW_KEYS and tokens & {"version", "label"}):
            said.previews.append(Claim(label, why, tokens=frozenset(tokens)))
    data = _parse(rel, text)
    if isinstance(data, dict):
        _lists(data, [], rel, text, said)
        own = basename(rel).startswith(("params.", "_config."))  # Jekyll's _config.yml: the site's own keys
        params = data if own else data.get("params")
        version = _entry_label(params.get("version")) if isinstance(params, dict) else ""
        if version:  # Docsy's params.version: the version this build of the site documents
            at = key_line(text, ["version"] if own else ["params", "version"])
            key = "version" if own else "params.version"
            said.lists.insert(0, [Claim(version, f"{rel}:{at} {key} = {version}")])


def _parse(rel: str, text: str) -> object:
    try:
        if rel.endswith(".toml"):
            return tomllib.loads(text, parse_float=str)  # "2.20" stays 2.20, not 2.2
        if rel.endswith(".json"):
            return json.loads(text, parse_float=str)
        return bounded_load(text, strings=True)
    except (ValueError, yaml.YAMLError, RecursionError, tomllib.TOMLDecodeError):
        return None


def _lists(data: dict, path: list[str], rel: str, text: str, said: Said) -> None:
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        here = [*path, key]
        if isinstance(value, dict):
            _lists(value, here, rel, text, said)
            continue
        if not isinstance(value, list) or not value:
            continue
        labels = [_entry_label(v) for v in value]
        if not all(labels) or not all(release_key(x) for x in labels):
            continue
        tokens = frozenset(t for k in here for t in name_tokens(k))
        line = key_line(text, here)
        why = f"{rel}:{line} {'.'.join(here)} = [{', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''}]"
        if tokens & PREVIEW_KEYS:
            said.previews.extend(Claim(x, why, tokens=tokens) for x in labels)
        elif tokens & LIST_KEYS:
            said.lists.append([Claim(x, f"{why} (newest first)", tokens=tokens) for x in labels])
        for entry, label in zip(value, labels, strict=True):  # {version: "v4.3", draft: true} / latest: true
            flags = (
                {k.lower() for k, v in entry.items() if isinstance(k, str) and truthy(v)}
                if isinstance(entry, dict)
                else set()
            )
            if flags & PREVIEW_KEYS:
                said.previews.append(Claim(label, f"{why}: {label} is marked {sorted(flags & PREVIEW_KEYS)[0]}"))
            elif flags & CURRENT_KEYS:
                said.currents.append(Claim(label, f"{why}: {label} is marked {sorted(flags & CURRENT_KEYS)[0]}"))


def _entry_label(value: object) -> str:
    if isinstance(value, dict):
        value = next((value[k] for k in ("version", "name", "label", "title") if k in value), "")
    text = str(value).strip() if isinstance(value, (str, int, float)) else ""
    return text.lstrip("vV") if re.fullmatch(r"[vV]?\d+(\.\d+){0,3}(\.x)?", text) else ""


def mike_entries(path: Path) -> list[dict]:
    try:
        data = json.loads(text_of(path), parse_float=str) if path.stat().st_size < MAX_CONFIG_BYTES else None
    except (OSError, ValueError):
        return []
    if isinstance(data, list) and data and all(isinstance(e, dict) and "version" in e for e in data):
        return data
    return []


def mike(root: Path, rel: str, said: Said, defaults: set[str]) -> None:
    """mike's versions.json: each deployed version with its aliases; `latest`/`stable` is the default."""
    text = text_of(root / rel)
    listed = []
    for entry in mike_entries(root / rel):
        version = str(entry.get("version"))
        named = entry.get("aliases")
        aliases = {a.lower() for a in named if isinstance(a, str)} if isinstance(named, list) else set()
        line = line_of(text, f'"{version}"')
        if aliases & (CURRENT_KEYS | defaults):
            alias = sorted(aliases & (CURRENT_KEYS | defaults))[0]
            said.currents.append(Claim(version, f'{rel}:{line} "version": "{version}" has the alias "{alias}"'))
        if not (name_tokens(version) & PREVIEW_NAMES):
            listed.append(Claim(version, f"{rel}:{line} lists {version} (mike)"))
    if listed:
        said.lists.append(listed)


def mike_defaults(root: Path, files: list[str]) -> set[str]:
    """The alias (or version) mkdocs.yml tells mike to serve at the root: `extra.version.default`."""
    found = set()
    for rel in files:
        if basename(rel) in ("mkdocs.yml", "mkdocs.yaml") and "node_modules/" not in rel:
            try:
                data = bounded_load(text_of(root / rel), strings=True)
            except yaml.YAMLError:
                continue
            extra = data.get("extra") if isinstance(data, dict) else None
            version = extra.get("version") if isinstance(extra, dict) else None
            default = version.get("default") if isinstance(version, dict) else None
            for value in default if isinstance(default, list) else [default]:
                if isinstance(value, str) and value:
                    found.add(value.lower())
    return found


def redirects(root: Path, rel: str, said: Said) -> None:
    """A redirect from /latest/ (or /stable/, /current/) to a version's path names that version current."""
    text = text_of(root / rel)
    for m in REDIRECT.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        said.currents.append(Claim(m.group(3), f"{rel}:{line} redirects {m.group(1)} to {m.group(2)}"))


def sphinx(root: Path, rel: str, said: Said) -> None:
    """Sphinx's conf.py: the release this checkout builds."""
    text = text_of(root / rel)
    for number, line in enumerate(text.splitlines(), 1):
        if m := re.match(r"""^(release|version)\s*=\s*['"]v?(\d+(?:\.\d+){0,3})""", line):
            said.lists.append([Claim(m.group(2), f"{rel}:{number} {line.strip()[:80]}")])
            return


def antora(root: Path, rel: str, said: Said) -> None:
    """Antora's antora.yml: `version` with `prerelease: true` is a preview."""
    text = text_of(root / rel)
    try:
        data = bounded_load(text, strings=True)
    except yaml.YAMLError:
        return
    if isinstance(data, dict) and data.get("version") and str(data.get("prerelease", "")).lower() == "true":
        said.previews.append(Claim(str(data["version"]), f"{rel}:{line_of(text, 'prerelease')} prerelease: true"))


def key_line(text: str, path: list[str]) -> int:
    """The line of the last key of `path`, found after each of its parents in turn (TOML tables, YAML)."""
    lines, at, found = text.splitlines(), 0, 1
    for key in path:
        pattern = re.compile(rf"""(^|[\s.\[])["']?{re.escape(key)}["']?\s*([:=\].]|$)""")
        hit = next((i for i in range(at, len(lines)) if pattern.search(lines[i])), None)
        if hit is None:
            continue
        at, found = hit, hit + 1
    return found


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def text_of(path: Path) -> str:
    try:
        if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value is True or value == 1
