"""The Chroma index: chunks with freshness metadata, one record per doc, and crawl cursors.

This is the only module that imports chromadb and llama-index. Layout, in three collections:

- ``<name>_chunks``: llama-index nodes written through `ChromaVectorStore` (so any llama-index
  app can open the same collection), embedded by sentence-transformers. Freshness metadata
  rides on every chunk but is excluded from the embedded text.
- ``<name>_docs``: one record per doc (its metadata as JSON, the mean of its chunk vectors).
  A doc's record is written after its chunks, so the record is the commit point: chunks
  whose content hash differs from their doc's record are invisible to searches and are swept.
- ``<name>_state``: connector cursors, saved only after a crawl is fully indexed.

Consistency after a crash: a doc is indexed iff its record exists, and the record names the
content hash of its live chunks. Chunk ids carry that hash, so new chunks never overwrite
old ones; old ones are deleted after the record moves on.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.records import Doc

from .embedder import BUNDLED_MODEL, Embedder, embedder_for, offline  # noqa: F401 - BUNDLED_MODEL: re-exported
from .layout import (
    batches,
    chunk_id_for,
    doc_meta,
    freshness,
    get_all,
    node_content_with,
    one_line,
    parse_chunk_id,
    vouched,
)
from .lock import crawl_lock
from .sync import EMBED_BATCH_DOCS, CrawlStats, Sync  # noqa: F401 - EMBED_BATCH_DOCS and CrawlStats: re-exported

if TYPE_CHECKING:
    import numpy as np

    from .endpoint import EndpointEmbedder


@dataclass(frozen=True)
class ChunkHit:
    doc_key: str
    chunk: int
    score: float  # cosine similarity
    text: str
    chunk_id: str = ""


class Index(Sync):
    """The store: Chroma connection, reads, searches, the commit protocol and the sweep; the crawl side
    (apply) is `Sync`."""

    def __init__(self, config: Config, embedder: Embedder | EndpointEmbedder | None = None):
        self.config = config
        self.embedder = embedder or embedder_for(config)
        self._client: Any = None
        self._cols: dict[str, Any] = {}
        self._store: Any = None

    # --- connection -----------------------------------------------------------------

    def _collection(self, suffix: str) -> Any:
        if suffix not in self._cols:
            client = self._connect()
            name = f"{self.config.collection}_{suffix}"
            space = "l2" if suffix == "state" else "cosine"
            try:
                # embedding_function=None: chromadb's default one would try to download a model.
                self._cols[suffix] = client.get_or_create_collection(
                    name, embedding_function=None, metadata={"hnsw:space": space}
                )
            except Exception as exc:  # chromadb raises many types for a bad server or name
                raise DocauditError(f"Chroma collection '{name}': {one_line(exc)}") from None
        return self._cols[suffix]

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        offline()
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if self.config.chroma_url:
            try:
                url = urlparse(self.config.chroma_url)
                port = url.port
            except ValueError:
                url, port = None, None
            if url is None or url.scheme not in ("http", "https") or not url.hostname:
                raise DocauditError(f"--chroma-url '{self.config.chroma_url[:200]}' is not an http(s) URL")
            try:
                self._client = chromadb.HttpClient(
                    host=url.hostname,
                    port=port or (443 if url.scheme == "https" else 80),
                    ssl=url.scheme == "https",
                    settings=settings,
                )
                self._client.heartbeat()
            except Exception as exc:
                raise DocauditError(
                    f"Chroma server at {self.config.chroma_url} is not reachable ({one_line(exc)}); "
                    "start it with `chroma run` or drop --chroma-url"
                ) from None
        else:
            # Absolute: chromadb caches one client per path string in a process, and ".docaudit"
            # means another folder after a chdir.
            path = Path(self.config.index).resolve()
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        return self._client

    def _vector_store(self) -> Any:
        if self._store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._store = ChromaVectorStore(chroma_collection=self._collection("chunks"))
        return self._store

    # --- reading ----------------------------------------------------------------------

    def empty_error(self) -> DocauditError:
        where = self.config.chroma_url or self.config.index
        return DocauditError(
            f"the index is empty: no docs in collection '{self.config.collection}' at {where}; "
            "run `docaudit crawl PATH` first (or check `collection` and --index)"
        )

    def require_docs(self) -> None:
        """Readers create nothing: a misspelled `collection` or --index is an error, not an empty audit (and
        not a new empty folder)."""
        if not self.config.chroma_url and not Path(self.config.index).is_dir():
            raise self.empty_error()
        client = self._connect()
        name = f"{self.config.collection}_docs"
        try:
            client.get_collection(name, embedding_function=None)
        except Exception:
            raise self.empty_error() from None

    def docs(self, with_vectors: bool = False) -> tuple[dict[str, Doc], dict[str, np.ndarray]]:
        """Every indexed doc (without text) and, if asked, its mean chunk vector."""
        self.require_docs()
        include = ["metadatas", "embeddings"] if with_vectors else ["metadatas"]
        got = self._get_all("docs", include)
        docs, vectors = {}, {}
        for i, key in enumerate(got["ids"]):
            meta = got["metadatas"][i]
            if not meta or "doc" not in meta:  # a record a concurrent crawl is rewriting
                continue
            docs[key] = Doc.from_record(json.loads(meta["doc"]))
            if with_vectors:
                vectors[key] = got["embeddings"][i]
        return docs, vectors

    def records(self) -> dict[str, dict]:
        """Doc key -> its record's metadata: what `apply` compares against, fetched once per crawl."""
        got = self._get_all("docs", ["metadatas"])
        return {key: meta for key, meta in zip(got["ids"], got["metadatas"]) if meta and "content_hash" in meta}

    @staticmethod
    def known(records: dict[str, dict], source: str, space: str) -> dict[str, str]:
        """Doc id -> content hash, for one source and space (filtered in Python: a `where` costs more)."""
        return {m["id"]: m["content_hash"] for m in records.values() if m["source"] == source and m["space"] == space}

    @staticmethod
    def versions(records: dict[str, dict], source: str, space: str) -> dict[str, str]:
        """Doc id -> the source's change stamp the doc was indexed with, where it had one."""
        return {
            m["id"]: m["version"]
            for m in records.values()
            if m["source"] == source and m["space"] == space and m.get("version")
        }

    def search(
        self, queries: list[str], n_results: int, with_text: int | None = None, live: dict[str, str] | None = None
    ) -> list[list[ChunkHit]]:
        """Top chunks per query, best first, skipping chunks no doc record vouches for.

        Only ids and distances come back from the query (a chunk id names its doc and content hash);
        the text is fetched for the first `with_text` hits of each query (default: all). `live` is
        `live_hashes()` when the caller searches in batches and has it already.
        """
        if not queries:
            return []
        chunks = self._collection("chunks")
        if live is None:
            live = self.live_hashes()
        n = min(n_results, chunks.count())
        if n == 0:
            return [[] for _ in queries]
        vectors = self.embedder.encode(queries)
        result = chunks.query(query_embeddings=vectors, n_results=n, include=["distances"])
        found: list[list[tuple[str, str, int, float]]] = []
        wanted: set[str] = set()
        limit = n if with_text is None else with_text
        for ids, distances in zip(result["ids"], result["distances"]):
            hits = []
            for chunk_id, distance in zip(ids, distances):
                if found_chunk := vouched(chunk_id, live):
                    hits.append((chunk_id, *found_chunk, round(1.0 - float(distance), 4)))
            found.append(hits)
            wanted.update(h[0] for h in hits[:limit])
        texts: dict[str, str] = {}
        ids = sorted(wanted)
        for start in range(0, len(ids), self._max_batch()):
            got = chunks.get(ids=ids[start : start + self._max_batch()], include=["documents"])
            texts.update(zip(got["ids"], got["documents"]))
        return [
            [ChunkHit(key, number, score, texts.get(cid) or "", cid) for cid, key, number, score in hits]
            for hits in found
        ]

    def live_hashes(self) -> dict[str, str]:
        """Doc key -> content hash of every committed doc; checks the index was built with this model."""
        records = self.records()
        if not records:
            raise self.empty_error()
        in_use = {meta.get("model") for meta in records.values()}
        if in_use != {self.embedder.name}:
            built = sorted(m for m in in_use if m and m != self.embedder.name)
            raise DocauditError(
                f"the index was built with model '{built[0] if built else '?'}', not '{self.embedder.name}': crawl again"
            )
        return {key: meta["content_hash"] for key, meta in records.items()}

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """One writer per embedded index folder (see `lock.crawl_lock`)."""
        return crawl_lock(self.config)

    def _dirty(self, scope: str) -> bool:
        return bool(self._collection("state").get(ids=[f"dirty:{scope}"], include=[])["ids"])

    def _set_dirty(self, scope: str, dirty: bool) -> bool:
        """Raise or clear the flag that a crawl of `scope` is writing; returns the flag."""
        state = self._collection("state")
        if dirty:
            state.upsert(ids=[f"dirty:{scope}"], embeddings=[[0.0]], documents=["a crawl is writing"])
        else:
            state.delete(ids=[f"dirty:{scope}"])
        return dirty

    def cursor(self, source: str, space: str) -> dict | None:
        got = self._collection("state").get(ids=[f"cursor:{source}:{space}"], include=["documents"])
        return json.loads(got["documents"][0]) if got["ids"] else None

    def site_versions(self) -> list[str]:
        """How each crawled docs site's versions were read, one line per space (from the crawl cursors)."""
        got = self._collection("state").get(include=["documents"])
        lines = []
        for id_, document in sorted(zip(got["ids"], got["documents"], strict=True)):
            if id_.startswith("cursor:") and document:
                cursor = json.loads(document)
                if isinstance(cursor, dict) and cursor.get("versions"):
                    lines.append(f"{id_.split(':', 2)[2]}: {cursor['versions']}")
        return lines

    def save_cursor(self, source: str, space: str, cursor: dict | None) -> None:
        self._collection("state").upsert(
            ids=[f"cursor:{source}:{space}"], embeddings=[[0.0]], documents=[json.dumps(cursor)]
        )

    # --- writing ----------------------------------------------------------------------

    def _store_batch(self, entries: list[tuple[Doc, list[Any], list[float]]]) -> None:
        """Chunks first, then the doc records: the record is the commit point."""
        flat = [node for _, nodes, _ in entries for node in nodes]
        self._delete_chunks([n.id_ for n in flat])  # leftovers of a crawl that died before its commit
        for part in batches(flat, self._max_batch()):
            self._vector_store().add(part)
        self._commit([e[0] for e in entries], [e[2] for e in entries], [len(e[1]) for e in entries])

    def _max_batch(self) -> int:
        """Chroma refuses writes larger than its max batch size (5,461 embedded; a server says its own)."""
        try:
            return max(1, int(self._connect().get_max_batch_size()))
        except Exception:
            return 1000

    def _delete_chunks(self, ids: list[str]) -> None:
        chunks = self._collection("chunks")
        for part in batches(ids, self._max_batch()):
            chunks.delete(ids=part)

    def _refresh_metadata(self, doc: Doc, old: dict) -> None:
        """New owner or dates without new text: rewrite the record and the chunks' metadata, embed nothing."""
        self._collection("docs").update(ids=[doc.key], metadatas=[doc_meta(doc, old)])
        ids = [chunk_id_for(doc.key, doc.hash, i) for i in range(old["chunks"])]
        fresh = {k: v for k, v in freshness(doc).items() if k in ("path", "url", "owner", "last_modified")}
        chunks = self._collection("chunks")
        got = chunks.get(ids=ids, include=["metadatas"])
        metadatas = [{**fresh, **node_content_with(meta, fresh)} for meta in got["metadatas"]]
        chunks.update(ids=got["ids"], metadatas=metadatas)

    def _commit(self, docs: list[Doc], doc_vectors: list[list[float]], chunk_counts: list[int]) -> None:
        """The commit point: from here on searches see the docs' new chunks."""
        self._collection("docs").upsert(
            ids=[d.key for d in docs],
            embeddings=doc_vectors,
            metadatas=[
                doc_meta(d, None, n, self.embedder.name, self.embedding_signature) for d, n in zip(docs, chunk_counts)
            ],
        )

    def _remove(self, keys: list[str], records_by_key: dict[str, dict]) -> None:
        if not keys:
            return
        for part in batches(keys, self._max_batch()):
            self._collection("docs").delete(ids=part)  # uncommit first: the chunks become invisible
        ids = []
        for key in keys:
            old = records_by_key[key]
            ids += [chunk_id_for(key, old["content_hash"], i) for i in range(old["chunks"])]
        self._delete_chunks(ids)

    def _sweep(self, scope: str = "") -> None:
        """Delete chunks no doc record vouches for (left by a crawl that died midway, or by re-chunking),
        among the chunks of `scope` (`source:space`; every chunk when empty)."""
        live = {key: (meta["content_hash"][:12], meta["chunks"]) for key, meta in self.records().items()}
        orphans = []
        prefix = f"{scope}:" if scope else ""
        for chunk_id in self._get_all("chunks", [])["ids"]:
            if not chunk_id.startswith(prefix):
                continue  # another source's: a crawl of it may be writing right now
            key, short_hash, number = parse_chunk_id(chunk_id)
            record = live.get(key)
            if record is None or record[0] != short_hash or number is None or number >= record[1]:
                orphans.append(chunk_id)
        self._delete_chunks(orphans)

    def _get_all(self, suffix: str, include: list[str]) -> dict[str, list]:
        """Every row of a collection, a page at a time: one `get` of 50,000 rows fails in Chroma's
        SQLite ("too many SQL variables")."""
        return get_all(self._collection(suffix), include, self._max_batch())

    def client(self) -> Any:
        return self._connect()

    def chunk_texts(self) -> dict[str, list[str]]:
        """Doc key -> the text of its live chunks, to map passages another retriever returns to docs."""
        live = {key: meta["content_hash"] for key, meta in self.records().items()}
        texts: dict[str, list[str]] = {}
        for chunk_id, text in self.live_chunks(live).items():
            if text:
                texts.setdefault(parse_chunk_id(chunk_id)[0], []).append(text)
        return texts

    def live_chunks(self, live: dict[str, str]) -> dict[str, str]:
        """Chunk id -> text of every chunk a committed doc vouches for (`live` is `live_hashes()`)."""
        got = self._get_all("chunks", ["documents"])
        chunks: dict[str, str] = {}
        for chunk_id, text in zip(got["ids"], got["documents"]):
            if vouched(chunk_id, live):
                chunks[chunk_id] = text or ""
        return chunks

    def chunk_count(self) -> int:
        return self._collection("chunks").count()
