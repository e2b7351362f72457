"""A crawl's records into the index: what is new or changed is split, embedded and committed a batch at a
time, what is unchanged is left alone (or its metadata refreshed), what is gone is removed, and the
cleanup a dead crawl left is finished. The store underneath is `Index`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docaudit.config import Config
from docaudit.records import Doc, Gone, Skipped, Touched

from .duplicates import signature
from .layout import FRESHNESS_KEYS, chunk_id_for, doc_json, freshness, one_line

EMBED_BATCH_DOCS = 256  # docs per encode-and-commit: fewer, larger Chroma writes (bench: 9.1% -> 7.0% of a crawl)


@dataclass
class CrawlStats:
    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    in_index: int | None = None  # the source's docs in the index after the crawl (an incremental crawl checks fewer)
    space: str = ""  # the name the source's docs have in the index
    versions: str = ""  # how a docs site's versions were read, in one line

    def lines(self, name: str) -> list[str]:
        """What `docaudit crawl` says: the summary, and how a docs site's versions were read."""
        read = f"Versions read: {self.versions} (`docaudit versions {name}` shows why)"
        return [self.summary(name), *([read] if self.versions else [])]

    def warnings(self) -> list[str]:
        return [f"skipped {s.id}: {s.reason}" for s in self.skipped if s.reason != "no text"]

    def summary(self, name: str) -> str:
        """One line for people: what the index holds for the source, and what this crawl did."""
        reasons = Counter(s.kind for s in self.skipped if s.reason != "no text")
        held = f"{self.in_index} docs in the index; " if self.in_index is not None else ""
        return (
            f"Crawled {name}: {held}{self.seen} checked ({self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged), {self.removed} removed, {self.chunks_embedded} chunks embedded"
            + (
                f"; skipped {sum(reasons.values())} ({', '.join(f'{n} {r}' for r, n in sorted(reasons.items()))})"
                if reasons
                else ""
            )
        )


class Sync:
    """The crawl side of `Index` (a mixin: the store's methods are `self`'s)."""

    # What the store provides, declared for the type checker.
    config: Config
    embedder: Any

    if TYPE_CHECKING:

        def records(self) -> dict[str, dict]: ...
        def _dirty(self, scope: str) -> bool: ...
        def _set_dirty(self, scope: str, dirty: bool) -> bool: ...
        def _store_batch(self, entries: list[tuple[Doc, list[Any], list[float]]]) -> None: ...
        def _delete_chunks(self, ids: list[str]) -> None: ...
        def _refresh_metadata(self, doc: Doc, old: dict) -> None: ...
        def _remove(self, keys: list[str], records_by_key: dict[str, dict]) -> None: ...
        def _sweep(self, scope: str = "") -> None: ...

    def apply(
        self,
        records: Iterable[Doc | Skipped | Gone | Touched],
        progress: Any = None,
        existing: dict[str, dict] | None = None,
        scope: str = "",
    ) -> CrawlStats:
        """Index what a connector yields: embed new and changed docs, drop gone ones.

        `existing` is `records()` when the caller fetched it already (to tell the connector what is known).
        `scope` is the `source:space` this crawl writes: its cleanup touches those chunks only, so crawls
        of other sources into one Chroma server at the same time lose nothing.
        """
        stats = CrawlStats()
        records_by_key = existing if existing is not None else self.records()
        # A crawl that died between a commit and its cleanup left chunks no record vouches for:
        # the flag outlives it, and this crawl sweeps even if nothing changed.
        unfinished = self._dirty(scope)
        changed: list[Doc] = []
        gone: list[str] = []
        reading = progress.add_task("Reading", total=None) if progress else None
        # The model loads at the first batch: say so, or the bar sits at 0 for seconds with no word why.
        first = "Embedding" if getattr(self.embedder, "loaded", True) else "Loading the embedding model"
        embedding = progress.add_task(first, total=None) if progress else None
        failures: list[Exception] = []
        for record in _until_failure(records, failures):
            if reading is not None:
                progress.advance(reading)
            doc = self._file(record, records_by_key, stats, gone)
            if doc is not None:
                unfinished = unfinished or self._set_dirty(scope, True)
                changed.append(doc)
                # Embed as the source yields: a slow API crawl that dies keeps what it fetched.
                if len(changed) >= EMBED_BATCH_DOCS:
                    self._embed_batch(changed, records_by_key, stats, progress, embedding)
                    changed = []
        if gone:
            unfinished = unfinished or self._set_dirty(scope, True)
        self._remove(gone, records_by_key)
        stats.removed = len(gone)
        if changed:
            self._embed_batch(changed, records_by_key, stats, progress, embedding)
        if unfinished:
            self._sweep(scope)
            self._set_dirty(scope, False)
        if failures:
            raise failures[0]
        return stats

    def _file(
        self,
        record: Doc | Skipped | Gone | Touched,
        records_by_key: dict[str, dict],
        stats: CrawlStats,
        gone: list[str],
    ) -> Doc | None:
        """Count one record and settle what needs no embedding; the doc when it must be split and embedded."""
        if isinstance(record, Skipped):
            stats.skipped.append(record)
        elif isinstance(record, Gone):
            if record.key in records_by_key:
                gone.append(record.key)
        elif isinstance(record, Touched):
            self._touch(record, records_by_key.get(record.key), stats)
        elif self._settle(record, records_by_key.get(record.key), stats, gone):
            return record
        return None

    def _touch(self, record: Touched, old: dict | None, stats: CrawlStats) -> None:
        if old is None:
            return
        doc = Doc.from_record(json.loads(old["doc"]))
        for name, value in record.changes.items():
            setattr(doc, name, value)
        stats.seen += 1
        stats.unchanged += 1
        if doc_json(doc) != old["doc"]:
            self._refresh_metadata(doc, old)

    def _settle(self, record: Doc, old: dict | None, stats: CrawlStats, gone: list[str]) -> bool:
        """Count the doc and settle what needs no embedding: an empty doc is skipped (and removed if it was
        indexed), an unchanged one keeps its chunks (its record refreshed if its metadata moved). Sets its
        MinHash. True: the doc must be split and embedded."""
        if not record.text.strip():  # e.g. a section index page that only carries a cascade
            stats.skipped.append(Skipped(record.source, record.space, record.id, "no text"))
            if old:
                gone.append(record.key)
            return False
        stats.seen += 1
        if old is None or old["content_hash"] != record.hash:
            record.minhash = signature(record.text)
            return True
        # Signatures cost a millisecond a doc: an unchanged text keeps the one it has.
        record.minhash = json.loads(old["doc"]).get("minhash") or signature(record.text)
        if old.get("embedding") != self.embedding_signature:
            return True
        stats.unchanged += 1
        if old["doc"] != doc_json(record):  # metadata moved (owner, dates), text did not
            self._refresh_metadata(record, old)
        return False

    def _embed_batch(
        self, batch: list[Doc], records_by_key: dict[str, dict], stats: CrawlStats, progress: Any, task: Any
    ) -> None:
        committed, skipped, chunks = self._write(batch, records_by_key)
        stats.chunks_embedded += chunks
        stats.skipped += skipped
        stats.seen -= len(skipped)
        for doc in committed:
            if doc.key in records_by_key:
                stats.updated += 1
            else:
                stats.added += 1
        if task is not None:
            progress.update(task, advance=len(batch), description="Embedding")

    @property
    def embedding_signature(self) -> str:
        """What a doc's chunks depend on besides its text: a change re-embeds every doc."""
        config = self.config
        by = "" if config.chunk_by == "sentences" else f"|by={config.chunk_by}"
        return f"{self.embedder.name}|chunk_size={config.chunk_size}|overlap={config.chunk_overlap}{by}"

    def split(self, docs: list[Doc]) -> list[list[Any] | str]:
        """Each doc as llama-index nodes, or why it could not be split.

        Freshness metadata rides along but stays out of the embedded text. The title is embedded
        with every chunk, cut to a quarter of the chunk size: a 780-character title must not make
        the splitter refuse the doc (its metadata would not fit a chunk).
        """
        from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter
        from llama_index.core.schema import Document
        from llama_index.core.utils import get_tokenizer

        splitter = SentenceSplitter(chunk_size=self.config.chunk_size, chunk_overlap=self.config.chunk_overlap)
        # By headings: each Markdown section its own node (its heading in its text), cut by sentences when long.
        sections = MarkdownNodeParser() if self.config.chunk_by == "headings" else None
        tokenizer = get_tokenizer()
        budget = max(self.config.chunk_size // 4, 1)
        nodes_by_doc: list[list[Any] | str] = []
        for doc in docs:
            try:
                document = Document(
                    id_=doc.key,
                    text=doc.text,
                    metadata={"title": _fit(doc.title, budget, tokenizer), **freshness(doc)},
                    excluded_embed_metadata_keys=FRESHNESS_KEYS,
                    excluded_llm_metadata_keys=FRESHNESS_KEYS,
                )
                parts: list[Any] = sections.get_nodes_from_documents([document]) if sections else [document]
                for part in parts:  # the heading trail is in the section's text already
                    part.metadata.pop("header_path", None)
                nodes = splitter.get_nodes_from_documents(parts)
            except Exception as exc:  # one odd doc is skipped and reported, never the batch
                nodes_by_doc.append(f"could not be split into chunks ({one_line(exc)[:200]})")
                continue
            for i, node in enumerate(nodes):
                node.id_ = chunk_id_for(doc.key, doc.hash, i)
                node.metadata["chunk"] = i
            _link_neighbours(nodes)
            nodes_by_doc.append(nodes)
        return nodes_by_doc

    @staticmethod
    def embed_text(node: Any) -> str:
        from llama_index.core.schema import MetadataMode

        return node.get_content(metadata_mode=MetadataMode.EMBED)

    def _write(self, docs: list[Doc], records_by_key: dict[str, dict]) -> tuple[list[Doc], list[Skipped], int]:
        """Embed and commit a batch: the docs committed, those that could not be (with why), chunks embedded.

        A doc that cannot be split, embedded or stored is skipped alone: the batch is retried doc by
        doc, so one hostile record never costs the other docs of its batch.
        """
        import numpy as np

        skipped: list[Skipped] = []
        kept: list[tuple[Doc, list[Any]]] = []
        for doc, nodes in zip(docs, self.split(docs)):
            if isinstance(nodes, str):
                skipped.append(Skipped(doc.source, doc.space, doc.id, nodes))
            elif nodes:
                kept.append((doc, nodes))
            else:
                skipped.append(Skipped(doc.source, doc.space, doc.id, "no text"))
        flat = [node for _, nodes in kept for node in nodes]
        if not flat:
            return [], skipped, 0
        vectors = self.embedder.encode([self.embed_text(n) for n in flat])
        for node, vector in zip(flat, vectors):
            node.embedding = vector.tolist()
        doc_vectors, start = [], 0
        for _, nodes in kept:
            mean = vectors[start : start + len(nodes)].mean(axis=0)
            doc_vectors.append((mean / (np.linalg.norm(mean) or 1.0)).tolist())
            start += len(nodes)
        entries = [(doc, nodes, vector) for (doc, nodes), vector in zip(kept, doc_vectors)]
        try:
            self._store_batch(entries)
            committed = entries
        except Exception:
            committed = []
            for entry in entries:  # find the doc the store refused; the rest go in
                try:
                    self._store_batch([entry])
                    committed.append(entry)
                except Exception as exc:
                    doc = entry[0]
                    skipped.append(
                        Skipped(doc.source, doc.space, doc.id, f"could not be stored ({one_line(exc)[:200]})")
                    )
                    self._delete_chunks([n.id_ for n in entry[1]])
        stale = []
        for doc, _, _ in committed:
            old = records_by_key.get(doc.key)
            if old and old["content_hash"] != doc.hash:
                stale += [chunk_id_for(doc.key, old["content_hash"], i) for i in range(old["chunks"])]
        self._delete_chunks(stale)
        return [doc for doc, _, _ in committed], skipped, len(flat)


def _link_neighbours(nodes: list[Any]) -> None:
    """PREVIOUS/NEXT between a doc's chunks in order, by their stored ids.

    The splitter links its nodes under the ids it made up; those are replaced by docaudit's, so its
    links would name chunks no store holds.
    """
    from llama_index.core.schema import NodeRelationship

    for i, node in enumerate(nodes):
        node.relationships.pop(NodeRelationship.PREVIOUS, None)
        node.relationships.pop(NodeRelationship.NEXT, None)
        if i:
            node.relationships[NodeRelationship.PREVIOUS] = nodes[i - 1].as_related_node_info()
        if i + 1 < len(nodes):
            node.relationships[NodeRelationship.NEXT] = nodes[i + 1].as_related_node_info()


def _fit(title: str, budget: int, tokenizer: Any) -> str:
    """The title cut to at most `budget` tokens (of the splitter's tokenizer), on a word boundary when it can."""
    title = " ".join(title.split())
    if len(tokenizer(f"title: {title}")) <= budget:
        return title
    low, high = 0, len(title)
    while low < high:  # the longest prefix that fits
        middle = (low + high + 1) // 2
        if len(tokenizer(f"title: {title[:middle]}…")) <= budget:
            low = middle
        else:
            high = middle - 1
    cut = title[:low]
    if " " in cut[len(cut) // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…" if cut else ""


def _until_failure(
    records: Iterable[Doc | Skipped | Gone | Touched], failures: list[Exception]
) -> Iterator[Doc | Skipped | Gone | Touched]:
    """The records a source yields until it fails midway; its error goes to `failures`, so the complete
    docs it gave are indexed before the error is reported."""
    source = iter(records)
    while True:
        try:
            record = next(source)
        except StopIteration:
            return
        except Exception as exc:
            failures.append(exc)
            return
        yield record
