"""Probe queries: from probes.yaml, from query logs (CSV / JSONL), or generated from titles and headings."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from docaudit import yamlfile
from docaudit.errors import InputError
from docaudit.records import Doc, Probe

PROBE_KEYS = {"id", "query", "expect", "tags"}
QUERY_COLUMNS = ("query", "question", "q", "text")
MAX_QUERY_CHARS = 2000


def load_probes_yaml(path: str | Path) -> list[Probe]:
    """Probes from YAML: a list, or a mapping with a `probes:` list. Errors name file and line."""
    name = str(path)
    data = yamlfile.load(path, "probes file")
    if isinstance(data, dict):
        extra = set(data) - {"probes", "__line__", "__key_lines__"}
        if extra:
            key = sorted(extra)[0]
            raise InputError(name, data["__key_lines__"].get(key), f"unknown top-level key '{key}' (expected 'probes')")
        data = data.get("probes")
    if not isinstance(data, list) or not data:
        raise InputError(name, None, "expected a non-empty list of probes (or 'probes:' with one)")
    probes: list[Probe] = []
    seen: dict[str, int] = {}
    for item in data:
        if not isinstance(item, dict):
            raise InputError(name, None, f"each probe must be a mapping with 'query', got {item!r}")
        line = item["__line__"]
        keys = item["__key_lines__"]
        yamlfile.check_keys(item, PROBE_KEYS, name, "probe")
        query = item.get("query")
        if not isinstance(query, str) or not query.strip():
            raise InputError(name, keys.get("query", line), "probe needs a non-empty 'query' string")
        probe_id = str(item.get("id") or _auto_id(query))
        if probe_id in seen:
            raise InputError(
                name, keys.get("id", line), f"duplicate probe id '{probe_id}' (first at line {seen[probe_id]})"
            )
        seen[probe_id] = line
        expect = _string_list(item.get("expect"), name, keys.get("expect", line), "expect")
        tags = _string_list(item.get("tags"), name, keys.get("tags", line), "tags")
        probes.append(Probe(probe_id, query.strip(), tuple(expect), tuple(tags), f"{name}:{line}"))
    return probes


def _string_list(value: object, name: str, line: int, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InputError(name, line, f"'{key}' must be a string or a list of strings")


QUERY_LOG = "query-log"  # the tag of a real user's question


def asked_only(probes: Sequence[Probe]) -> bool:
    """Only real users' questions: the generated probes still run beside them (`--probes-from` adds)."""
    return all(QUERY_LOG in probe.tags for probe in probes)


def load_query_log(path: str | Path) -> list[Probe]:
    """Real user questions: CSV with a query/question column (else the first), or JSONL objects."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(name, None, "query log not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, None, f"cannot read query log ({exc})") from None
    jsonl = name.endswith((".jsonl", ".ndjson", ".json"))
    queries = _jsonl_queries(name, text) if jsonl else _csv_queries(name, text)
    probes, seen = [], set()
    for query, number in queries:
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        probe_id = _auto_id(query)
        if probe_id not in seen:  # query logs repeat popular questions
            seen.add(probe_id)
            probes.append(Probe(probe_id, query, (), (QUERY_LOG,), f"{name}:{number}"))
    if not probes:
        raise InputError(name, None, "query log has no queries")
    return probes


def _jsonl_queries(name: str, text: str) -> list[tuple[str, int]]:
    """(query, line number) of each JSON object with a query field."""
    queries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(name, number, f"invalid JSON ({exc.msg})") from None
        query = next((row.get(c) for c in QUERY_COLUMNS if isinstance(row, dict) and row.get(c)), None)
        if not isinstance(query, str):
            raise InputError(name, number, f"no query field (one of: {', '.join(QUERY_COLUMNS)})")
        queries.append((query, number))
    return queries


def _csv_queries(name: str, text: str) -> list[tuple[str, int]]:
    """(query, line number) from the query/question column, else the first column of a headerless file."""
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise InputError(name, None, "query log is empty")
    header = [h.strip().lower() for h in rows[0]]
    column = next((header.index(c) for c in QUERY_COLUMNS if c in header), None)
    body = rows[1:] if column is not None else rows
    offset = 2 if column is not None else 1
    queries = []
    for number, row in enumerate(body, offset):
        value = row[column or 0] if len(row) > (column or 0) else ""
        if value.strip():
            queries.append((value, number))
    return queries


def generate_probes(docs: Iterable[Doc], per_doc: int = 3) -> list[Probe]:
    """Without an LLM: each doc's title, and its first few headings in the context of the title.

    Version and year tokens are dropped from the query so that old and new versions of a
    topic compete for the same question, as they do for a real user's.
    """
    probes, seen = [], set()
    for doc in sorted(docs, key=lambda d: d.key):
        if not is_real_title(doc.title):
            continue
        candidates = [doc.title] + [f"{doc.title}: {h}" for h in doc.headings[:per_doc]]
        for text in candidates:
            query = _strip_versions(text)
            if len(query) < 3 or query.lower() in seen:
                continue
            seen.add(query.lower())
            probes.append(Probe(_auto_id(query), query, (), ("generated",), f"generated from {doc.path or doc.id}"))
    return probes


_VERSION_WORDS = re.compile(
    r"\b(v\d+(\.\d+)*|\d+\.\d+(\.\d+)*|(19|20)\d\d|q[1-4]|fy\d{2,4}|version|legacy|old|new|current|archived?|deprecated)\b",
    re.IGNORECASE,
)


def _strip_versions(text: str) -> str:
    text = _VERSION_WORDS.sub(" ", text)
    text = re.sub(r"\([\s,.]*\)|\[[\s,.]*\]", " ", text)  # "(v2)" leaves "()" behind; "(experimental)" stays
    text = re.sub(r"[\s\-–—:]+$", "", re.sub(r"^[\s\-–—:]+", "", text))
    return re.sub(r"\s+([:,.?])", r"\1", " ".join(text.split()))


# "Untitled", a bare number or date, or a row label ("Contact 10", "Row 3", "Item #12") says nothing a user
# would ask: a probe made of it retrieves whatever happens to be nearest.
_NOT_A_TITLE = re.compile(
    r"^(untitled( \d+)?|new page|no title|[\d\s.,:/#-]*|\d{4}-\d\d-\d\d([ t]\d\d:\d\d(:\d\d)?)?|"
    r"(row|item|entry|record|contact|page|task|ticket|card|untitled|copy of)\s*#?\s*\d+)$",
    re.IGNORECASE,
)


def is_real_title(title: str) -> bool:
    text = " ".join(title.split())
    return len(text) >= 3 and not _NOT_A_TITLE.fullmatch(text)


def _auto_id(query: str) -> str:
    # 64 bits: 32 collided in practice (two different questions among 20,000 log rows).
    return "q-" + hashlib.sha1(query.lower().encode()).hexdigest()[:16]


def resolve_expectations(probes: list[Probe], docs: dict[str, Doc]) -> dict[str, list[str]]:
    """Probe id -> doc keys it expects. An expectation that matches no doc is an input error."""
    by_name: dict[str, str] = {}
    for key, doc in docs.items():
        for name in (doc.path, doc.id, key, doc.url):
            if name:
                by_name.setdefault(name.strip("/"), key)
    resolved = {}
    for probe in probes:
        keys = []
        for wanted in probe.expect:
            found = by_name.get(wanted.strip("/"))
            if found is None:
                path, _, line = probe.origin.rpartition(":")
                raise InputError(
                    path or probe.origin,
                    int(line) if line.isdigit() else None,
                    f"probe '{probe.id}' expects '{wanted}', which is not in the index",
                )
            keys.append(found)
        resolved[probe.id] = keys
    return resolved


DEFAULT_PROBES = "probes.yaml"


def load_probes(
    paths: Sequence[str], log_path: str | None = None, defaults: Sequence[str] = (DEFAULT_PROBES,)
) -> list[Probe] | None:
    """The probes of these files (none given: the first of `defaults` that exists) and of a query log;
    None when there are none, so the audit generates them from the docs (and adds a query log's to them)."""
    if not paths:
        paths = next(((path,) for path in defaults if Path(path).is_file()), ())
    probes = [probe for path in paths for probe in load_probes_yaml(path)] if paths else None
    if log_path:
        probes = (probes or []) + load_query_log(log_path)
    return probes
