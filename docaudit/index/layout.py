"""What the index stores and how it is named: chunk ids (doc key, content hash, number), the freshness
metadata every chunk carries, a doc's record, and reading a Chroma collection whole. Shared by the
store and the crawl side; no Chroma client here."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from docaudit.records import Doc, iso

FRESHNESS_KEYS = ["doc_key", "source", "space", "path", "url", "owner", "last_modified", "content_hash", "chunk"]


def freshness(doc: Doc) -> dict[str, str]:
    """What every chunk carries about its doc, outside the embedded text."""
    return {
        "doc_key": doc.key,
        "source": doc.source,
        "space": doc.space,
        "path": doc.path,
        "url": doc.url,
        "owner": doc.owner.label() if doc.owner else "",
        "last_modified": iso(doc.last_modified) or "",
        "content_hash": doc.hash,
    }


def node_content_with(meta: dict | None, fresh: dict) -> dict:
    """The chunk's llama-index JSON with `fresh` metadata, as {"_node_content": ...} ({} if it has none).

    llama-index rebuilds a node from this JSON, not from the flat keys, so an app reading the collection
    would see the old owner and dates; the copies its relationships carry are brought along too.
    """
    if not meta or not isinstance(meta.get("_node_content"), str):
        return {}
    try:
        node = json.loads(meta["_node_content"])
    except ValueError:
        return {}
    if not isinstance(node, dict):
        return {}
    relationships = node.get("relationships")
    related = relationships.values() if isinstance(relationships, dict) else ()
    holders = [node, *(r for r in related if isinstance(r, dict))]
    for holder in holders:
        if isinstance(holder.get("metadata"), dict):
            holder["metadata"].update({k: v for k, v in fresh.items() if k in holder["metadata"]})
    return {"_node_content": json.dumps(node)}


def batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def chunk_id_for(key: str, content_hash: str, i: int) -> str:
    return f"{key}#{content_hash[:12]}#{i}"


def parse_chunk_id(chunk_id: str) -> tuple[str, str, int | None]:
    """(doc key, short content hash, chunk number) of a chunk id; the number is None when it is not one."""
    rest, _, number = chunk_id.rpartition("#")
    key, _, short_hash = rest.rpartition("#")
    return key, short_hash, int(number) if number.isdigit() else None


def vouched(chunk_id: str, live: dict[str, str]) -> tuple[str, int] | None:
    """(doc key, chunk number) when a committed doc (`live`: key -> content hash) vouches for the chunk."""
    key, short_hash, number = parse_chunk_id(chunk_id)
    return (key, number) if number is not None and live.get(key, "")[:12] == short_hash else None


def doc_json(doc: Doc) -> str:
    return json.dumps(doc.to_record(), sort_keys=True)


def one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def doc_meta(
    doc: Doc, old: dict | None, chunks: int | None = None, model: str | None = None, embedding: str | None = None
) -> dict:
    prior = old or {}  # a new doc brings its chunks, model and embedding
    return {
        "doc": doc_json(doc),
        "source": doc.source,
        "space": doc.space,
        "id": doc.id,
        "content_hash": doc.hash,
        "version": doc.version,  # a field of its own: reading it back parses no JSON
        "chunks": chunks if chunks is not None else prior["chunks"],
        "model": model or prior["model"],
        "embedding": embedding or prior.get("embedding", ""),
    }


def get_all(collection: Any, include: list[str], page: int = 5000) -> dict[str, list]:
    """Every row of a Chroma collection, `page` rows a call, in the order Chroma keeps them."""
    out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        out["ids"] += got["ids"]
        for key in include:
            values = got.get(key)
            out[key] += list(values) if values is not None else [None] * len(got["ids"])
        if len(got["ids"]) < page:
            return out
        offset += page
