"""The retrieval under audit: docaudit's own index, the user's own retriever, or a Chroma collection
another pipeline built. Each answers a probe with ranked items; items are mapped back to crawled docs,
whose owners, dates, markers and lineage the crawl supplied.

A user's retriever is named `MODULE:NAME` or `path/to/file.py:NAME`. NAME is a callable
`(query, top_k) -> iterable`, or an object with `.retrieve(query)` (llama-index) or `.invoke(query)`
(LangChain). An item may be a dict with `text` and optional `score` and `metadata`, a llama-index
`NodeWithScore`, a LangChain `Document`, a `(Document, score)` pair, or plain text.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docaudit.errors import DocauditError
from docaudit.index.duplicates import shingles
from docaudit.records import Doc, Hit, Probe

BUILTIN = "docaudit"  # the name that means docaudit's own index among --retriever values
CONTAINMENT = 0.8  # share of a passage's 3-word shingles one doc must hold for the passage to be that doc's
PATH_KEYS = ("path", "file_path", "source", "file_name", "filename", "relative_path")
ID_KEYS = ("page_id", "file_id", "id", "doc_id", "document_id", "ref_doc_id")


@dataclass(frozen=True)
class Item:
    """One retrieved passage, as the user's system returned it."""

    text: str
    score: float | None
    metadata: Mapping[str, Any]


@dataclass
class Outside:
    """Passages that match no crawled doc: retrieved from outside the audited sources."""

    count: int = 0
    ambiguous: int = 0  # the text is in several crawled docs (copies, versions) and metadata did not say which
    examples: list[str] = field(default_factory=list)


class UserRetriever:
    """The user's retriever, called once per probe."""

    def __init__(self, spec: str) -> None:
        self.name = spec
        self._target = _load(spec)

    def retrieve(self, query: str, top_k: int) -> list[Item]:
        target = self._target
        try:
            if hasattr(target, "retrieve"):
                raw = target.retrieve(query)
            elif hasattr(target, "invoke"):
                raw = target.invoke(query)
            else:
                raw = target(query, top_k)
            return [_item(x) for x in list(raw or [])[: max(top_k, 1) * 10]]
        except DocauditError:
            raise
        except Exception as exc:  # the user's code: one line naming it, exit 2
            raise DocauditError(f"retriever {self.name} failed: {type(exc).__name__}: {_short(exc)}") from None


class CollectionRetriever:
    """A Chroma collection another pipeline wrote (llama-index, LangChain, raw chromadb), probed with the
    embedding that built it."""

    def __init__(self, client: Any, name: str, embed: Callable[[list[str]], Any]) -> None:
        self.name = f"collection:{name}"
        try:
            # embedding_function=None: chromadb's default would try to download a model.
            self._collection = client.get_collection(name, embedding_function=None)
        except Exception:
            names = ", ".join(sorted(c if isinstance(c, str) else c.name for c in client.list_collections()))
            raise DocauditError(f"no Chroma collection '{name}' (collections: {names or 'none'})") from None
        self._embed = embed
        space = (self._collection.metadata or {}).get("hnsw:space")
        if space is None:
            try:  # chromadb 1.x keeps it in the collection's configuration
                space = self._collection.configuration_json.get("hnsw", {}).get("space")
            except Exception:
                space = None
        self._space = space or "l2"  # chromadb's default

    def _similarity(self, distance: float) -> float:
        """Cosine similarity from the collection's distance (unit vectors: l2 is squared, 2 - 2cos)."""
        if self._space == "l2":
            return 1.0 - distance / 2.0
        return 1.0 - distance

    def retrieve_many(self, queries: list[str], top_k: int) -> list[list[Item]]:
        count = self._collection.count()
        if not queries or count == 0:
            return [[] for _ in queries]
        vectors = self._embed(queries)
        try:
            got = self._collection.query(
                query_embeddings=vectors, n_results=min(top_k, count), include=["metadatas", "documents", "distances"]
            )
        except Exception as exc:
            raise DocauditError(
                f"{self.name}: the query failed ({_short(exc)}); is [retrieval] embedding the model that built it?"
            ) from None
        out = []
        for metas, texts, distances in zip(got["metadatas"], got["documents"], got["distances"]):
            out.append(
                [
                    Item(_collection_text(text, meta), round(self._similarity(float(d)), 4), _flat_metadata(meta))
                    for meta, text, d in zip(metas, texts, distances)
                ]
            )
        return out

    def chunk_items(self) -> list[Item]:
        from docaudit.index.layout import get_all

        got = get_all(self._collection, ["metadatas", "documents"])
        return [
            Item(_collection_text(t, m), None, _flat_metadata(m)) for m, t in zip(got["metadatas"], got["documents"])
        ]


class DocMapper:
    """Maps a retrieved item to a crawled doc: by metadata first, else by its text."""

    def __init__(self, docs: Mapping[str, Doc], chunk_texts: Mapping[str, list[str]]) -> None:
        self.docs = docs
        self.by_name: dict[str, str] = {}
        for key, doc in docs.items():
            self.by_name[key] = key
            for name in (doc.url, doc.id, doc.path):
                if name:
                    self.by_name.setdefault(_norm_name(name), key)
        self.paths = sorted(((d.path, k) for k, d in docs.items() if d.path), key=lambda p: -len(p[0]))
        self.chunks: list[tuple[str, str]] = [(key, _norm_text(t)) for key, texts in chunk_texts.items() for t in texts]
        self.chunks_of: dict[str, list[str]] = defaultdict(list)
        for key, chunk in self.chunks:
            self.chunks_of[key].append(chunk)
        self.shingle_docs: dict[str, set[str]] = defaultdict(set)
        for key, texts in chunk_texts.items():
            for text in texts:
                for gram in shingles(text):
                    self.shingle_docs[gram].add(key)
        self.outside = Outside()
        self._cache: dict[tuple, str | None] = {}

    def map(self, item: Item) -> str | None:
        found = self._by_metadata(item.metadata)
        if found:
            return found
        cache_key = (item.text[:2000],)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._by_text(item.text)
        found = self._cache[cache_key]
        if found is None:
            self.outside.count += 1
            if len(self.outside.examples) < 10:
                self.outside.examples.append(_short_text(item.text, item.metadata))
        return found

    def _by_metadata(self, metadata: Mapping[str, Any]) -> str | None:
        key = metadata.get("doc_key")
        if isinstance(key, str) and key in self.docs:
            return key
        for name in ("url", *ID_KEYS):
            value = metadata.get(name)
            if isinstance(value, str) and _norm_name(value) in self.by_name:
                return self.by_name[_norm_name(value)]
        for name in PATH_KEYS:
            value = metadata.get(name)
            if not isinstance(value, str) or not value:
                continue
            norm = _norm_name(value)
            if norm in self.by_name:
                return self.by_name[norm]
            for path, key in self.paths:  # an absolute path or one relative to another root: match the end
                if norm.endswith("/" + path) or norm == path:
                    return key
        return None

    def _by_text(self, text: str) -> str | None:
        """The one doc whose text contains the passage, else the one doc holding most of its shingles."""
        norm = _norm_text(text)
        grams = shingles(text)
        if not norm:
            return None
        if not grams:  # a passage of one or two words: only a scan can place it
            return self._unique({key for key, chunk in self.chunks if norm in chunk})
        counts: Counter[str] = Counter()
        for gram in grams:
            counts.update(self.shingle_docs.get(gram, ()))
        if not counts:
            return None
        complete = [key for key, n in counts.items() if n == len(grams)]
        if complete:  # every shingle in these docs: is the passage itself in one of their chunks?
            holders = {key for key in complete if any(norm in chunk for chunk in self.chunks_of[key])}
            if holders:
                return self._unique(holders)
        (best, hits), *rest = counts.most_common(2)
        if hits / len(grams) < CONTAINMENT:
            return None
        if rest and rest[0][1] == hits:  # the same share in two docs: copies or versions, cannot tell
            self.outside.ambiguous += 1
            return None
        return best

    def _unique(self, holders: set[str]) -> str | None:
        if len(holders) == 1:
            return holders.pop()
        if len(holders) > 1:
            self.outside.ambiguous += 1
        return None


@dataclass
class Coverage:
    """How a collection another pipeline built lines up with the crawl."""

    name: str
    chunks: int
    mapped: int
    outside: Outside
    missing: list[str]  # crawled docs with no chunk in the collection: production does not index them

    def summary(self) -> str:
        listed = ", ".join(self.missing[:5]) + (f" and {len(self.missing) - 5} more" if len(self.missing) > 5 else "")
        return (
            f"{self.name}: {self.mapped} of {self.chunks} chunks map to crawled docs"
            + (f", {self.outside.count} come from outside the audited sources" if self.outside.count else "")
            + (
                f" ({self.outside.ambiguous} of them are in several crawled docs at once)"
                if self.outside.ambiguous
                else ""
            )
            + (
                f"; {len(self.missing)} crawled {'doc is' if len(self.missing) == 1 else 'docs are'} not in it: {listed}"
                if self.missing
                else "; every crawled doc is in it"
            )
        )


def coverage(collection: CollectionRetriever, mapper: DocMapper) -> Coverage:
    items = collection.chunk_items()
    found = {key for key in (mapper.map(item) for item in items) if key}
    missing = sorted(doc.path or doc.key for key, doc in mapper.docs.items() if key not in found)
    return Coverage(collection.name, len(items), len(items) - mapper.outside.count, mapper.outside, missing)


def hits_for(probes: Sequence[Probe], answers: Iterable[list[Item]], mapper: DocMapper) -> list[list[Hit]]:
    """Each probe's items as hits on crawled docs, in the order the retriever ranked them."""
    out = []
    for probe, items in zip(probes, answers):
        hits = []
        for rank, item in enumerate(items, 1):
            key = mapper.map(item)
            if key is not None:
                score = item.score if item.score is not None else 1.0 - rank / 1000
                hits.append(Hit(probe.id, key, 0, rank, float(score), item.text))
        out.append(hits)
    return out


_loaded_files: dict[Path, Any] = {}


def _load(spec: str) -> Any:
    module_name, sep, name = spec.rpartition(":")
    if not sep or not module_name or not name:
        raise DocauditError(f"--retriever '{spec}': expected MODULE:NAME or path/to/file.py:NAME")
    try:
        if module_name.endswith(".py") or "/" in module_name:
            path = Path(module_name)
            if not path.is_file():
                raise DocauditError(f"--retriever '{spec}': {path} is not a file")
            module = _loaded_files.get(path.resolve())
            if module is None:  # one app file named twice (app.py:dense, app.py:hybrid) is loaded once
                module_spec = importlib.util.spec_from_file_location(f"docaudit_user_{path.stem}", path)
                if module_spec is None or module_spec.loader is None:
                    raise DocauditError(f"--retriever '{spec}': {path} cannot be loaded as Python")
                module = importlib.util.module_from_spec(module_spec)
                sys.path.insert(0, str(path.parent.resolve()))
                try:
                    module_spec.loader.exec_module(module)
                finally:
                    sys.path.remove(str(path.parent.resolve()))
                _loaded_files[path.resolve()] = module
        else:
            module = importlib.import_module(module_name)
    except DocauditError:
        raise
    except Exception as exc:
        raise DocauditError(
            f"--retriever '{spec}': importing {module_name} failed: {type(exc).__name__}: {_short(exc)}"
        ) from None
    target = getattr(module, name, None)
    if target is None:
        raise DocauditError(f"--retriever '{spec}': {module_name} has no '{name}'")
    if not (callable(target) or hasattr(target, "retrieve") or hasattr(target, "invoke")):
        raise DocauditError(f"--retriever '{spec}': '{name}' is not callable and has no retrieve() or invoke()")
    return target


def _item(raw: Any) -> Item:
    """Any of the shapes a retriever returns, as one Item."""
    score = None
    if isinstance(raw, tuple) and len(raw) == 2 and isinstance(raw[1], (int, float)):
        raw, score = raw
    if isinstance(raw, str):
        return Item(raw, score, {})
    if isinstance(raw, Mapping):
        text = raw.get("text") or raw.get("page_content") or raw.get("document") or ""
        value = raw.get("score", score)
        return Item(
            str(text), float(value) if isinstance(value, (int, float)) else None, dict(raw.get("metadata") or {})
        )
    node = getattr(raw, "node", None)
    if node is not None:  # llama-index NodeWithScore
        value = getattr(raw, "score", None)
        text = node.get_content() if hasattr(node, "get_content") else str(getattr(node, "text", ""))
        metadata = dict(getattr(node, "metadata", {}) or {})
        if getattr(node, "ref_doc_id", None):
            metadata.setdefault("ref_doc_id", node.ref_doc_id)
        return Item(text, float(value) if isinstance(value, (int, float)) else score, metadata)
    if hasattr(raw, "page_content"):  # LangChain Document
        return Item(str(raw.page_content), score, dict(getattr(raw, "metadata", {}) or {}))
    raise DocauditError(f"a retriever returned a {type(raw).__name__}, which is not a passage docaudit knows")


def _collection_text(text: str | None, meta: Mapping[str, Any] | None) -> str:
    if text:
        return text
    content = (meta or {}).get("_node_content")  # llama-index may keep the text only inside its node JSON
    if isinstance(content, str):
        import json

        try:
            return str(json.loads(content).get("text", ""))
        except ValueError:
            return ""
    return ""


def _flat_metadata(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (meta or {}).items() if not k.startswith("_")}


def _norm_text(text: str) -> str:
    return " ".join(text.split()).lower()


def _norm_name(value: str) -> str:
    return value.strip().strip("/").replace("\\", "/")


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or "no message"


def _short_text(text: str, metadata: Mapping[str, Any]) -> str:
    where = next((str(metadata[k]) for k in (*PATH_KEYS, "url", *ID_KEYS) if metadata.get(k)), "")
    snippet = re.sub(r"\s+", " ", text).strip()[:80]
    return f"{where}: {snippet}" if where else snippet
