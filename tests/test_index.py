"""The index with real Chroma and the real embedding model."""

import json

import pytest
from conftest import NOW, commit

import docaudit.index.sync as sync_module
from docaudit.audit import audit, crawl
from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.index.store import Embedder, Index
from docaudit.index.sync import CrawlStats
from docaudit.records import Skipped

PAGES = {
    "refunds.md": "# Refunds\nAnnual plan refunds are available for 14 days after renewal in the customer portal.\n",
    "deploy.md": "# Deploying\nMerge to main, and the deploy pipeline ships the service to production.\n",
    "vpn.md": "# VPN\nConnect to the office VPN with the WireGuard profile from the IT portal.\n",
    "oncall.md": "# On-call\nRotations last one week and hand over on Mondays.\n",
    "access.md": "# Access\nProduction access is granted just in time through the access portal.\n",
}


@pytest.fixture()
def repo(tmp_path):
    commit(tmp_path / "docs", PAGES)
    return tmp_path / "docs"


@pytest.fixture()
def index(tmp_path, embedder):
    return Index(Config(index=str(tmp_path / "idx")), embedder)


def top_doc(index, query):
    return index.search([query], 3)[0][0].doc_key


def test_recrawl_without_changes_embeds_nothing(repo, index):
    first = crawl(index, "git", str(repo), index.config)
    assert (first.added, first.chunks_embedded) == (5, 5)
    again = crawl(index, "git", str(repo), index.config)
    assert (again.seen, again.unchanged, again.added, again.updated, again.chunks_embedded) == (5, 5, 0, 0, 0)
    assert index.cursor("git", "docs")["head"]


def test_changed_doc_is_reembedded_and_its_old_chunks_leave(repo, index):
    crawl(index, "git", str(repo), index.config)
    commit(repo, {"vpn.md": "# VPN\nThe VPN was retired; use the zero-trust browser extension instead.\n"})
    stats = crawl(index, "git", str(repo), index.config)
    assert (stats.updated, stats.unchanged, stats.chunks_embedded) == (1, 4, 1)
    assert index.chunk_count() == 5
    hit = index.search(["How do I connect to the network remotely?"], 5)[0]
    vpn = [h for h in hit if h.doc_key == "git:docs:vpn.md"]
    assert "zero-trust" in vpn[0].text and "WireGuard" not in vpn[0].text


def test_deleted_doc_leaves_the_index(repo, index):
    crawl(index, "git", str(repo), index.config)
    commit(repo, {"refunds.md": None})
    stats = crawl(index, "git", str(repo), index.config)
    assert stats.removed == 1
    docs, _ = index.docs()
    assert "git:docs:refunds.md" not in docs
    assert index.chunk_count() == 4
    assert all(h.doc_key != "git:docs:refunds.md" for h in index.search(["annual plan refunds"], 10)[0])


def test_metadata_only_change_updates_the_record_without_embedding(repo, index):
    crawl(index, "git", str(repo), index.config)
    commit(repo, {".github/CODEOWNERS": "*.md @acme/docs\n"})
    stats = crawl(index, "git", str(repo), index.config)
    assert stats.chunks_embedded == 0
    docs, _ = index.docs()
    assert docs["git:docs:vpn.md"].owner.name == "@acme/docs"
    chunk = index._collection("chunks").get(where={"doc_key": "git:docs:vpn.md"}, include=["metadatas"])
    assert chunk["metadatas"][0]["owner"] == "@acme/docs"
    assert chunk["metadatas"][0]["content_hash"] == docs["git:docs:vpn.md"].hash  # the rest is kept
    # A llama-index app rebuilds each node from its stored JSON, not from the flat keys: it must agree.
    from llama_index.vector_stores.chroma import ChromaVectorStore

    node = ChromaVectorStore(chroma_collection=index._collection("chunks")).get_nodes(node_ids=chunk["ids"])[0]
    assert node.metadata["owner"] == node.source_node.metadata["owner"] == "@acme/docs"
    assert node.metadata["path"] == "vpn.md" and "WireGuard" in node.get_content()


class CrashingIndex(Index):
    """Dies at the commit point of the second batch, as a killed process would."""

    commits = 0

    def _commit(self, *args, **kwargs):
        self.commits += 1
        if self.commits == 2:
            raise KeyboardInterrupt
        super()._commit(*args, **kwargs)


def test_crash_midway_leaves_a_consistent_index_and_the_next_crawl_picks_up(repo, tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(sync_module, "EMBED_BATCH_DOCS", 2)
    config = Config(index=str(tmp_path / "idx"))
    crashing = CrashingIndex(config, embedder)
    with pytest.raises(KeyboardInterrupt):
        crawl(crashing, "git", str(repo), config)
    docs, _ = crashing.docs()
    assert len(docs) == 2  # the first batch committed
    assert crashing.chunk_count() == 4  # the second batch's chunks were written but never committed
    assert {h.doc_key for h in crashing.search(["anything at all"], 10)[0]} == set(docs)  # invisible
    assert crashing.cursor("git", "docs") is None  # not saved: the next crawl redoes the rest

    resumed = Index(config, embedder)
    stats = crawl(resumed, "git", str(repo), config)
    assert (stats.unchanged, stats.added) == (2, 3)
    assert len(resumed.docs()[0]) == 5
    assert resumed.chunk_count() == 5  # nothing duplicated, no orphan left
    assert resumed.cursor("git", "docs") is not None


def test_chunks_a_dead_crawl_left_under_the_ids_the_next_one_writes_are_replaced(tmp_path, embedder, monkeypatch):
    # The dead crawl split the page whole; the next one splits it by headings: chunk #0 has the same id
    # and another text, and Chroma's add would keep the old one: the crawl deletes before it adds.
    monkeypatch.setattr(sync_module, "EMBED_BATCH_DOCS", 1)
    page = "# Runbook\n\nIntro line.\n\n## Failover\n\nPromote the replica.\n"
    commit(tmp_path / "docs", {"a.md": "# A\nFirst page.\n", "runbook.md": page})
    config = Config(index=str(tmp_path / "idx"))
    with pytest.raises(KeyboardInterrupt):
        crawl(CrashingIndex(config, embedder), "git", str(tmp_path / "docs"), config)
    config.chunk_by = "headings"
    index = Index(config, embedder)
    crawl(index, "git", str(tmp_path / "docs"), config)
    assert sorted(index.chunk_texts()["git:docs:runbook.md"]) == [
        "# Runbook\n\nIntro line.",
        "## Failover\n\nPromote the replica.",
    ]


def test_freshness_metadata_rides_on_chunks_but_not_in_the_embedded_text(repo, index):
    crawl(index, "git", str(repo), index.config)
    chunks = index._collection("chunks").get(include=["metadatas"])
    meta = chunks["metadatas"][0]
    assert meta["last_modified"] == "2026-10-01T12:00:00Z" and meta["owner"] == "Ann Author <ann@example.com>"
    node = json.loads(meta["_node_content"])
    assert {"last_modified", "owner", "path", "url"} <= set(node["excluded_embed_metadata_keys"])
    assert "title" not in node["excluded_embed_metadata_keys"]


def test_a_llama_index_app_can_read_the_same_collection(repo, index, embedder):
    from llama_index.core.vector_stores.types import VectorStoreQuery
    from llama_index.vector_stores.chroma import ChromaVectorStore

    crawl(index, "git", str(repo), index.config)
    store = ChromaVectorStore(chroma_collection=index._collection("chunks"))
    vector = embedder.encode(["How long is an on-call rotation?"])[0].tolist()
    result = store.query(VectorStoreQuery(query_embedding=vector, similarity_top_k=1))
    assert result.nodes[0].metadata["path"] == "oncall.md"
    assert "Rotations last one week" in result.nodes[0].get_content()


@pytest.mark.parametrize("chunk_by", ["sentences", "headings"])
def test_a_llama_index_app_can_walk_from_a_chunk_to_its_neighbours_and_its_doc(tmp_path, embedder, chunk_by):
    """PREVIOUS/NEXT name the stored ids of the doc's other chunks (the splitter's own ids are renamed
    to docaudit's, and the links must follow), and SOURCE names the doc."""
    from llama_index.core.schema import NodeRelationship
    from llama_index.vector_stores.chroma import ChromaVectorStore

    sections = [
        f"## Part {i}\n\n" + f"Step {i} of the rollout moves shard {i} to the new cluster. " * 12 for i in range(6)
    ]
    commit(tmp_path / "docs", {"rollout.md": "# Rollout\n\n" + "\n\n".join(sections) + "\n"})
    index = Index(Config(index=str(tmp_path / "idx"), chunk_size=128, chunk_overlap=0, chunk_by=chunk_by), embedder)
    crawl(index, "git", str(tmp_path / "docs"), index.config)
    store = ChromaVectorStore(chroma_collection=index._collection("chunks"))
    ordered = sorted(
        store.get_nodes(node_ids=index._collection("chunks").get()["ids"]), key=lambda n: n.metadata["chunk"]
    )
    assert len(ordered) >= 4
    for before, after in zip(ordered, ordered[1:]):
        assert after.relationships[NodeRelationship.PREVIOUS].node_id == before.node_id
        assert before.relationships[NodeRelationship.NEXT].node_id == after.node_id
    assert NodeRelationship.PREVIOUS not in ordered[0].relationships
    assert NodeRelationship.NEXT not in ordered[-1].relationships
    assert {node.ref_doc_id for node in ordered} == {"git:docs:rollout.md"}
    walked = store.get_nodes(node_ids=[ordered[0].relationships[NodeRelationship.NEXT].node_id])
    assert walked[0].get_content() == ordered[1].get_content()


def test_searching_with_another_model_than_the_index_was_built_with_is_an_error(repo, index, tmp_path):
    crawl(index, "git", str(repo), index.config)
    other = Index(Config(index=index.config.index), Embedder("/models/other"))
    with pytest.raises(DocauditError, match="built with model 'all-MiniLM-L6-v2'"):
        other.search(["q"], 3)


def test_empty_index_is_a_clear_error(index):
    with pytest.raises(
        DocauditError,
        match="the index is empty: no docs in collection 'docaudit' at .*; run `docaudit crawl PATH` first",
    ):
        audit(index, index.config, NOW)


def test_sample_story_through_the_library(sample_index, sample_repo):
    from make_sample import AUDIT_DATE  # noqa: F401  (the CLI test asserts the same story through JSON)

    result = audit(sample_index, sample_index.config, NOW)  # generated probes, no probes file
    rules = {(f.rule, f.doc.path) for f in result.findings}
    assert ("missing-owner", "legacy/expense-reimbursement.md") in rules
    assert ("review-expired", "runbooks/database-failover.md") in rules
    assert result.currency["git:sample-workspace:billing/billing-spec-2021.md"].superseded_by == (
        "git:sample-workspace:billing/billing-migration-q3-2026.md"
    )


def test_changing_the_chunking_reembeds_and_leaves_no_stale_chunks(tmp_path, embedder):
    long_page = "# Long\n\n" + " ".join(f"Sentence number {i} about the deploy pipeline." for i in range(120)) + "\n"
    commit(tmp_path / "docs", {"long.md": long_page, "short.md": "# Short\nOne line.\n"})
    config = Config(index=str(tmp_path / "idx"), chunk_size=64, chunk_overlap=0)
    small = crawl(Index(config, embedder), "git", str(tmp_path / "docs"), config)
    assert small.chunks_embedded > 10
    config.chunk_size = 400
    index = Index(config, embedder)
    large = crawl(index, "git", str(tmp_path / "docs"), config)
    assert (large.updated, large.unchanged) == (2, 0)  # same text, new chunking: embedded again
    assert index.chunk_count() == large.chunks_embedded < small.chunks_embedded


def test_chunking_by_markdown_headings_gives_each_section_its_chunks_and_reembeds_when_chosen(tmp_path, embedder):
    page = "# Runbook\n\nIntro line.\n\n## Failover\n\nPromote the replica.\n\n## Restore\n\nRestore from backup.\n"
    commit(tmp_path / "docs", {"runbook.md": page})
    config = Config(index=str(tmp_path / "idx"))
    index = Index(config, embedder)
    assert crawl(index, "git", str(tmp_path / "docs"), config).chunks_embedded == 1  # one short page, one chunk
    config.chunk_by = "headings"
    index = Index(config, embedder)
    stats = crawl(index, "git", str(tmp_path / "docs"), config)
    assert (stats.updated, stats.chunks_embedded) == (1, 3)
    texts = sorted(index.chunk_texts()["git:docs:runbook.md"])
    assert texts == [
        "# Runbook\n\nIntro line.",
        "## Failover\n\nPromote the replica.",
        "## Restore\n\nRestore from backup.",
    ]
    meta = index._collection("chunks").get(include=["metadatas"])["metadatas"]
    assert all("header_path" not in m for m in meta) and {m["path"] for m in meta} == {"runbook.md"}


def _docs(n: int, **overrides) -> list:
    from docaudit.records import Doc

    return [
        Doc("git", "space", f"p{i}.md", f"Page {i}", f"# Page {i}\nPage {i} says the deploy window is {i} minutes.\n")
        for i in range(n)
    ]


def test_a_hostile_record_mid_batch_is_skipped_alone_and_long_titles_never_break_the_split(index):
    from docaudit.records import Doc

    docs = _docs(4)
    docs.insert(2, Doc("git", "space", "long-title.md", "word " * 400, "A row with a 2,000-character title.\n"))
    docs.insert(3, Doc("git", "space", "cjk.md", "标题" * 500, "一个很长的标题的页面。\n"))

    class RefusesOne(Index):
        def _store_batch(self, entries):
            if any(doc.id == "p1.md" for doc, _, _ in entries):
                raise ValueError("store refused this record")
            super()._store_batch(entries)

    refusing = RefusesOne(index.config, index.embedder)
    stats = refusing.apply(docs)
    indexed, _ = refusing.docs()
    assert sorted(d.id for d in indexed.values()) == ["cjk.md", "long-title.md", "p0.md", "p2.md", "p3.md"]
    assert [(s.id, s.reason) for s in stats.skipped] == [("p1.md", "could not be stored (store refused this record)")]
    assert (stats.added, stats.seen) == (5, 5)
    assert refusing.chunk_count() == 5  # the refused doc left no chunk behind
    long_chunk = refusing._collection("chunks").get(where={"doc_key": "git:space:long-title.md"}, include=["metadatas"])
    assert (
        long_chunk["metadatas"][0]["title"].startswith("word word") and len(long_chunk["metadatas"][0]["title"]) < 300
    )


def test_writes_respect_the_stores_max_batch_size(index, monkeypatch):
    calls: list[int] = []
    collection = index._collection("chunks")
    original = type(collection).add

    def counting_add(self, *args, **kwargs):
        calls.append(len(kwargs["ids"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(collection), "add", counting_add)
    monkeypatch.setattr(Index, "_max_batch", lambda self: 3)
    index.apply(_docs(8))
    assert calls and max(calls) <= 3 and sum(calls) >= 8
    assert index.chunk_count() == 8


def test_one_doc_with_more_chunks_than_chroma_takes_in_one_write_is_stored_whole(tmp_path, embedder):
    """Chroma refuses a write over its max batch size (5,461 embedded): the real limit, on a real client."""
    from docaudit.records import Doc

    index = Index(Config(index=str(tmp_path / "idx"), chunk_size=16, chunk_overlap=0), embedder)
    limit = index._max_batch()
    text = "\n\n".join(f"Step {i} of the runbook sets the window to {i} minutes." for i in range(3800))
    stats = index.apply([Doc("git", "space", "big.md", "Big runbook", text)])
    assert stats.chunks_embedded == index.chunk_count() > limit == 5461
    stored = " ".join(index.chunk_texts()["git:space:big.md"])
    assert "Step 0 " in stored and "Step 3799 " in stored  # the first write and the last


def test_a_crawl_that_died_after_its_commit_is_cleaned_up_by_the_next_even_with_nothing_changed(
    repo, tmp_path, embedder
):
    config = Config(index=str(tmp_path / "idx"))
    first = Index(config, embedder)
    crawl(first, "git", str(repo), config)
    old_hash = first.records()["git:docs:vpn.md"]["content_hash"][:12]
    commit(repo, {"vpn.md": "# VPN\nThe VPN was retired; use the zero-trust browser extension instead.\n"})

    class DiesBeforeCleanup(Index):
        def _delete_chunks(self, ids):
            if any(old_hash in i for i in ids):  # the new record is committed; the old chunks are next
                raise KeyboardInterrupt
            super()._delete_chunks(ids)

    with pytest.raises(KeyboardInterrupt):
        crawl(DiesBeforeCleanup(config, embedder), "git", str(repo), config)
    index = Index(config, embedder)
    assert index.chunk_count() == 6  # the old vpn chunk is still there
    stats = crawl(index, "git", str(repo), config)
    assert (stats.added, stats.updated) == (0, 0)
    assert index.chunk_count() == 5


def test_a_second_writer_on_one_index_folder_is_refused_in_one_line(repo, index):
    with index.writing():
        other = Index(index.config, index.embedder)
        with pytest.raises(DocauditError, match=r"another crawl \(pid \d+\) is writing to the index"):
            crawl(other, "git", str(repo), index.config)
    assert crawl(Index(index.config, index.embedder), "git", str(repo), index.config).added == 5


def test_two_folders_with_one_name_keep_their_own_docs(tmp_path, embedder):
    commit(tmp_path / "svc1" / "docs", {"a.md": "# A\nService one deploys on Mondays.\n"})
    commit(tmp_path / "svc2" / "docs", {"b.md": "# B\nService two deploys on Fridays.\n"})
    config = Config(index=str(tmp_path / "idx"))
    index = Index(config, embedder)
    first = crawl(index, "git", str(tmp_path / "svc1" / "docs"), config)
    second = crawl(index, "git", str(tmp_path / "svc2" / "docs"), config)
    assert (first.space, first.removed) == ("docs", 0)
    assert second.space.startswith("docs@") and second.removed == 0
    assert sorted(d.id for d in index.docs()[0].values()) == ["a.md", "b.md"]
    again = crawl(index, "git", str(tmp_path / "svc1" / "docs"), config)  # each finds its own docs again
    assert (again.space, again.unchanged, again.removed) == ("docs", 1, 0)
    named = crawl(index, "git", str(tmp_path / "svc2" / "docs"), config, space="service-two")
    assert (named.space, named.added) == ("service-two", 1)


def test_an_index_from_before_cursors_named_their_folder_keeps_working(repo, index):
    crawl(index, "git", str(repo), index.config)
    index.save_cursor("git", "docs", {"head": "0" * 40})  # as older docaudit saved it: no identity
    stats = crawl(index, "git", str(repo), index.config)
    assert (stats.space, stats.unchanged, stats.added) == ("docs", 5, 0)


def test_device_auto_takes_the_accelerator_torch_sees_and_otherwise_the_cpu():
    import torch

    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert Embedder.pick_device("auto") == expected
    assert Embedder.pick_device("cuda:1") == "cuda:1"  # anything else is torch's to judge


def test_reading_every_row_goes_a_page_at_a_time(index, monkeypatch):
    index.apply(_docs(7))
    monkeypatch.setattr(Index, "_max_batch", lambda self: 3)  # pages of 3: 7 rows take three calls
    calls = []
    collection = index._collection("docs")
    original = type(collection).get

    def counting_get(self, *args, **kwargs):
        calls.append(kwargs.get("limit"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(collection), "get", counting_get)
    assert len(index.records()) == 7
    assert calls == [3, 3, 3]


def test_what_a_crawl_says_of_itself():
    """The crawl's own lines, exact: counts, skips by kind (a doc with no text is not a skip to report),
    the index's total only when known, and the versions line only when a site was read."""
    skipped = [
        Skipped("git", "s", "a.png", "binary file"),
        Skipped("git", "s", "b.md", "not valid UTF-8 (byte 12)"),
        Skipped("git", "s", "c.png", "binary file"),
        Skipped("git", "s", "empty.md", "no text"),
    ]
    stats = CrawlStats(seen=5, added=2, updated=1, unchanged=2, removed=1, chunks_embedded=7, skipped=skipped)
    counts = "5 checked (2 added, 1 updated, 2 unchanged), 1 removed, 7 chunks embedded"
    skips = "; skipped 3 (2 binary file, 1 not valid UTF-8)"
    assert stats.lines("docs") == [f"Crawled docs: {counts}{skips}"]  # an index total nobody counted is not said
    assert stats.warnings() == [
        "skipped a.png: binary file",
        "skipped b.md: not valid UTF-8 (byte 12)",
        "skipped c.png: binary file",
    ]
    stats.in_index, stats.versions, stats.skipped = 40, "current 2.1 (the site config)", []
    assert stats.lines("docs") == [
        f"Crawled docs: 40 docs in the index; {counts}",
        "Versions read: current 2.1 (the site config) (`docaudit versions docs` shows why)",
    ]
