"""Settings from `docaudit.toml` or `[tool.docaudit]` in pyproject.toml.

Secrets are never settings: a config may name the environment variable that holds one,
never the value.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InputError
from .sections import (
    MarkerSettings,
    RetrievalSettings,
    SlackSettings,
    SmtpSettings,
    TeamsSettings,
    VersionSettings,
)

DEFAULT_SERIES = (
    "**/postmortems/**",
    "**/incidents/**",
    "**/release-notes/**",
    "**/changelog*",
    "**/meeting-notes/**",
    "**/adr/**",
    "**/decisions/**",
    "**/design-docs/**",
    "**/rfcs/**",
    "**/proposals/**",
    "**/keps/**",
    "**/blog/**",
    "**/news/**",
)


MODES = ("dense", "bm25", "hybrid")
CHUNKINGS = ("sentences", "headings")
BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8", "openvino-bf16")
SECTIONS = {
    "smtp": SmtpSettings,
    "slack": SlackSettings,
    "teams": TeamsSettings,
    "markers": MarkerSettings,
    "retrieval": RetrievalSettings,
    "versions": VersionSettings,
}


DEFAULT_MAX_AGE_DAYS = 365


@dataclass
class Config:
    index: str = ".docaudit"  # folder of the embedded Chroma index
    chroma_url: str = ""  # a Chroma server (`chroma run`) instead of the embedded index
    collection: str = "docaudit"
    model: str = ""  # sentence-transformers model path or name; default: bundled all-MiniLM-L6-v2
    device: str = "auto"  # where to embed: auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps
    # How to run the sentence-transformers model: "torch" (the reference), "torch-bf16" (bfloat16 matrix
    # products, on CPUs with AVX512-BF16 or AMX and recent GPUs), or on the CPU by onnxruntime, "onnx" or
    # "onnx-int8" (int8 weights), or by OpenVINO in bf16, "openvino-bf16" (CPUs with AVX512-BF16 or AMX).
    # bench/backends.py measures each one's speed and top-10 overlap.
    backend: str = "torch"
    embed_processes: int = 1  # worker processes encoding on the CPU, each with the model: for many-core machines
    chunk_size: int = 200
    chunk_overlap: int = 30
    # How docs are cut into chunks, as the production RAG does it: "sentences" (llama-index's
    # SentenceSplitter), or "headings" (Markdown sections first, then sentences within each).
    chunk_by: str = "sentences"
    top_k: int = 5
    min_score: float = 0.3  # a chunk less similar than this to the query is not "retrieved", whatever its rank
    # Age alone is the weakest signal: with no policy set (here or in age_policy), docs past the default
    # show as aging in `docaudit docs` but raise no stale-surfaces finding.
    max_age_days: int | None = None
    age_policy: dict[str, int] = field(default_factory=dict)  # path prefix -> max age in days
    topic_similarity: float = 0.6  # doc-vector cosine at or above which two versioned docs share a topic
    nli_model: str = ""  # a sentence-transformers CrossEncoder folder with a 'contradiction' label; off when empty
    nli_threshold: float = 0.8  # NLI probability at or above which its verdict counts
    duplicate_similarity: float = 0.7  # estimated Jaccard of 3-word shingles at or above which docs are copies
    current_version: str = ""  # the version a docs site calls current, when no site config says
    series: list[str] = field(default_factory=lambda: list(DEFAULT_SERIES))  # dated series, never superseded
    # Committers who are not owners: a case-insensitive part of "Name <email>".
    # GitHub's ID+login@users.noreply.github.com addresses are people; its web-flow and Actions are not.
    ignore_authors: list[str] = field(
        default_factory=lambda: [
            "[bot]",
            " bot <",
            "-bot@",
            "_bot@",
            ".bot@",
            "<bot@",
            "@noreply.",
            "<noreply@github.com>",
            "github-actions",
            "actions@github.com",
            "dependabot",
            "renovate",
            "no-reply@",
            "<noreply@",
        ]
    )
    max_file_bytes: int = 2_000_000
    mass_edit_min_files: int = 10
    mass_edit_fraction: float = 0.25
    probes_per_doc: int = 3  # generated probes: the title plus this many headings, at most
    sample: int = 0  # generated probes from at most this many docs, spread evenly: a first look at a huge workspace
    # One person across sources: canonical email = [other emails, names, source ids such as "notion:<user id>"].
    aliases: dict[str, list[str]] = field(default_factory=dict)
    # Who gets the digest items of unowned docs: "source" or "source:path prefix" = email; the longest match wins.
    fallback_owners: dict[str, str] = field(default_factory=dict)
    report_url: str = ""  # where the team publishes the HTML report; digests link to it
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    teams: TeamsSettings = field(default_factory=TeamsSettings)
    markers: MarkerSettings = field(default_factory=MarkerSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    versions: VersionSettings = field(default_factory=VersionSettings)
    plugins: dict[str, object] = field(default_factory=dict)  # a third-party connector's section -> its settings
    source: str = ""  # where the config was read from

    def section(self, name: str) -> Any:
        """A settings section by name: a built-in one, or an installed connector's (its defaults if unset)."""
        if name in SECTIONS:
            return getattr(self, name)
        if name not in self.plugins:
            from connectors import settings_type

            kind = settings_type(name)
            if kind is None:
                raise KeyError(name)
            self.plugins[name] = kind()
        return self.plugins[name]

    def max_age_for(self, path: str) -> int:
        """The longest matching `age_policy` prefix wins, else `max_age_days`, else the default."""
        return self.age_policy_for(path)[0]

    def age_policy_for(self, path: str) -> tuple[int, str]:
        """(max age in days, where the policy was set: "" when it is only the built-in default)."""
        best = ("", self.max_age_days if self.max_age_days is not None else DEFAULT_MAX_AGE_DAYS)
        for prefix, days in self.age_policy.items():
            if path.startswith(prefix) and len(prefix) > len(best[0]):
                best = (prefix, days)
        if best[0]:
            return best[1], f'age_policy "{best[0]}"'
        return best[1], "max_age_days" if self.max_age_days is not None else ""


_TYPES = {f.name: f.type for f in fields(Config)}


def load_config(path: str | Path | None = None, cwd: Path | None = None) -> Config:
    """Read the named file, else the nearest `docaudit.toml` or pyproject's `[tool.docaudit]` from the
    working directory up to the repository's root (as ruff and pytest find theirs), else defaults.

    A relative `index` is beside the config file that set it (or would have), so every subfolder of a
    project uses the project's index.
    """
    if path is not None:
        candidates = [Path(path)]
        if not candidates[0].is_file():
            raise InputError(str(path), None, "config file not found")
    else:
        candidates = [
            folder / name for folder in _upwards(cwd or Path()) for name in ("docaudit.toml", "pyproject.toml")
        ]
    config = _first_config(candidates)
    if config.source and not Path(config.index).is_absolute():
        config.index = os.path.relpath(Path(config.source).parent / config.index)
    return config


def _upwards(start: Path) -> list[Path]:
    """`start` and its parents up to the first that holds `.git` (the repository's root), or the top.

    Relative when they can be: error messages name a file as the user sees it (`../docaudit.toml`)."""
    folders, here = [], start
    for _ in range(64):
        folders.append(here)
        if (here / ".git").exists() or here.resolve().parent == here.resolve():
            break
        here = here / ".."
    return [Path(os.path.normpath(f)) for f in folders]


def _first_config(candidates: list[Path]) -> Config:
    for candidate in candidates:
        if not candidate.is_file():
            continue
        try:
            text = candidate.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(str(candidate), None, f"not valid UTF-8 (byte {exc.start})") from None
        except OSError as exc:
            raise InputError(str(candidate), None, f"cannot read ({exc.strerror or exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            raise InputError(str(candidate), int(line.group(1)) if line else None, f"invalid TOML: {exc}") from None
        if candidate.name == "pyproject.toml":
            tool = data.get("tool", {})
            ours = tool.get("docaudit") if isinstance(tool, dict) else None
            if ours is None:
                continue
            if not isinstance(ours, dict):
                raise InputError(str(candidate), _line_of(text, "tool.docaudit"), "[tool.docaudit] must be a table")
            data = ours
        return _build(data, str(candidate), text)
    return Config()


def _build(data: dict, source: str, text: str) -> Config:
    config = Config(source=source)
    _fill(config, _TYPES, data, source, text, "")
    if config.current_version and not config.versions.current:  # the older spelling of [versions] current
        config.versions.current = config.current_version
    for key, section, message in itertools.chain(
        _range_problems(config), _choice_problems(config), _connector_problems(config)
    ):
        raise InputError(source, _line_of(text, key, section), message)
    return config


def _connector_problems(config: Config) -> Iterator[Problem]:
    """A connector's settings may refuse values (its `problems()`: setting, message), as the built-in
    sections do; the loader names the line."""
    for name, settings in config.plugins.items():
        check = getattr(settings, "problems", None)
        for key, message in check() if callable(check) else ():
            yield key, name, message


Problem = tuple[str, str, str]  # the key, its section ("" at the top), what is wrong


def _range_problems(config: Config) -> Iterator[Problem]:
    if config.top_k < 1:
        yield "top_k", "", "'top_k' must be at least 1"
    if config.chunk_size < 16:
        yield "chunk_size", "", "'chunk_size' must be at least 16 (tokens)"
    if not 0 <= config.chunk_overlap < config.chunk_size:
        yield "chunk_overlap", "", "'chunk_overlap' must be at least 0 and below 'chunk_size'"
    for name in ("min_score", "topic_similarity", "nli_threshold", "duplicate_similarity", "mass_edit_fraction"):
        value = getattr(config, name)
        if not (value == value and -1.0 <= value <= 1.0):  # NaN compares unequal to itself
            yield name, "", f"'{name}' must be a number between 0 and 1"
    if config.embed_processes < 1:
        yield "embed_processes", "", "'embed_processes' must be at least 1"
    if config.embed_processes > 1 and config.backend != "torch":
        yield (
            "embed_processes",
            "",
            "'embed_processes' above 1 runs the reference in workers: use it with backend 'torch'",
        )
    for name in ("max_age_days", "max_file_bytes", "probes_per_doc", "mass_edit_min_files"):
        if (getattr(config, name) or 0) < 0:
            yield name, "", f"'{name}' must not be negative"


def _choice_problems(config: Config) -> Iterator[Problem]:
    for name, section, value, allowed in (
        ("chunk_by", "", config.chunk_by, CHUNKINGS),
        ("backend", "", config.backend, BACKENDS),
        ("mode", "retrieval", config.retrieval.mode, MODES),
    ):
        if value not in allowed:
            yield name, section, f"'{section + '.' if section else ''}{name}' must be one of {', '.join(allowed)}"
    retrieval = config.retrieval
    if retrieval.base_url and not retrieval.base_url.startswith(("http://", "https://")):
        yield "base_url", "retrieval", "'retrieval.base_url' must be an http:// or https:// URL"
    if retrieval.base_url and config.backend != "torch":
        yield "backend", "", "'backend' applies to a local model, not to 'retrieval.base_url'"
    if retrieval.base_url and retrieval.embedding:
        yield "base_url", "retrieval", "set either 'retrieval.embedding' or 'retrieval.base_url', not both"
    for name in ("batch_size", "rerank_top_n"):
        if getattr(config.retrieval, name) < 1:
            yield name, "retrieval", f"'retrieval.{name}' must be at least 1"


def _fill(target: object, types: dict[str, Any], data: dict, source: str, text: str, prefix: str) -> None:
    for key, value in data.items():
        if key in SECTIONS and not prefix:
            if not isinstance(value, dict):
                raise InputError(source, _line_of(text, key), f"'{key}' must be a table ([{key}])")
            section = getattr(target, key)
            _fill(section, {f.name: f.type for f in fields(section)}, value, source, text, f"{key}.")
            continue
        if not prefix and isinstance(value, dict) and key not in types and isinstance(target, Config):
            from connectors import settings_type  # only now: config loading imports no connector otherwise

            kind = settings_type(key)
            if kind is not None:
                section = kind()
                _fill(section, {f.name: f.type for f in fields(section)}, value, source, text, f"{key}.")
                target.plugins[key] = section
                continue
        if key not in types or key in ("source", "plugins"):
            raise InputError(source, _line_of(text, key, prefix.rstrip(".")), f"unknown setting '{prefix}{key}'")
        expected = _type_name(types[key])
        ok = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "int | None": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, (int, float)) and not isinstance(value, bool),
            "str": isinstance(value, str),
            "list[str]": isinstance(value, list) and all(isinstance(v, str) for v in value),
            "dict[str, int]": isinstance(value, dict)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()),
            "dict[str, str]": isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
            "dict[str, list[str]]": isinstance(value, dict)
            and all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values()),
        }.get(expected, isinstance(types[key], type) and isinstance(value, types[key]))
        if not ok:
            raise InputError(
                source, _line_of(text, key, prefix.rstrip(".")), f"'{prefix}{key}' must be {_describe(expected)}"
            )
        setattr(target, key, float(value) if expected == "float" else value)


def _type_name(kind: object) -> str:
    """A field's type as written ("list[str]"), whether annotations are strings (PEP 563) or not."""
    if isinstance(kind, str):
        return kind
    return kind.__name__ if isinstance(kind, type) else str(kind)


def _describe(type_name: str) -> str:
    return {
        "bool": "true or false",
        "int": "a whole number",
        "int | None": "a whole number",
        "float": "a number",
        "str": "a string",
        "list[str]": "a list of strings",
        "dict[str, int]": "a table of path prefix = days",
        "dict[str, str]": "a table of strings",
        "dict[str, list[str]]": "a table of lists of strings",
    }.get(type_name, f"of type {type_name}")


def _line_of(text: str, key: str, section: str = "") -> int | None:
    """The line of `key`; inside `[section]` when given (the same key may appear in several sections)."""
    pattern = re.compile(rf"^\s*(\[\s*(tool\.docaudit\.)?{re.escape(key)}\s*\]|\"?{re.escape(key)}\"?\s*=)")
    header = re.compile(rf"^\s*\[\s*(tool\.docaudit\.)?{re.escape(section)}\s*\]") if section else None
    inside = header is None
    for number, line in enumerate(text.splitlines(), start=1):
        if header is not None and re.match(r"^\s*\[", line):
            inside = bool(header.match(line))
            continue
        if inside and pattern.match(line):
            return number
    return _line_of(text, key) if section else None
