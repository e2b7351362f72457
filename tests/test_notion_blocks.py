"""Real workspaces are messier than hand-made fixtures: generated pages, rows and block trees in the
shapes of Notion's API reference, served in both API versions through the local wire-format server and
read by the real notion-client. Every rich-text span lands in the doc text exactly once; trashed pages
never do; nothing crashes."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from notion_server import TEXT_BLOCKS, NotionServer, uid

from connectors import CrawlState, notion
from docaudit.audit import audit
from docaudit.audit import crawl as index_crawl
from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.probing.ranking import Ranking
from docaudit.records import Doc, Hit, Probe, Skipped
from docaudit.rules import AuditInputs
from docaudit.rules.conflicts import conflicts
from docaudit.rules.upkeep import missing_owner

VERSIONS = ("2022-06-28", "2025-09-03")
TEXT_TYPES = tuple(t for t in TEXT_BLOCKS if t != "toggle")  # toggles are generated as containers
MEDIA_TYPES = ("bookmark", "embed", "image", "file", "pdf", "video", "audio")
# Types newer than docaudit, or that it does not name: their text must still be read.
UNKNOWN_TEXT_TYPES = ("heading_4", "meeting_notes", "transcription")
_counter = itertools.count()


def token() -> str:
    return f"tok{next(_counter)}zq"


filler = st.text(alphabet=st.sampled_from("abc xyz\t—é漢😀\x07"), max_size=12)


@st.composite
def span(draw):
    """A rich-text value: plain text, or text with an equation, each carrying a unique token."""
    word = token()
    if draw(st.booleans()):
        return [draw(filler), word], [word]
    eq = token()
    return [word, {"equation": f"x^2 + {eq}"}], [word, eq]


@st.composite
def block(draw, depth: int = 0):
    """(block spec for the server, tokens it must contribute)."""
    choices = ["text", "media", "unknown", "equation", "divider"]
    if depth < 3:
        choices += ["toggle", "tab", "columns", "synced"]
    kind = draw(st.sampled_from(choices))
    if kind == "text":
        value, words = draw(span())
        return {draw(st.sampled_from(TEXT_TYPES)): value}, words
    if kind == "media":
        word = token()
        return {draw(st.sampled_from(MEDIA_TYPES)): "https://example.com/x", "caption": word}, [word]
    if kind == "unknown":
        value, words = draw(span())
        return {draw(st.sampled_from(UNKNOWN_TEXT_TYPES)): value}, words
    if kind == "equation":
        word = token()
        return {"equation": f"E = {word}"}, [word]
    if kind == "divider":
        return {"divider": None}, []
    children = draw(st.lists(block(depth + 1), min_size=1, max_size=3))
    words = [w for _, ws in children for w in ws]
    specs = [c for c, _ in children]
    if kind == "toggle":
        value, own = draw(span())
        return {"toggle": value, "children": specs}, own + words
    if kind == "tab":
        # A tab list holds panes; a pane's label is its rich text and its content its children.
        label, own = draw(span())
        return {"tab": None, "children": [{"tab_pane": label, "children": specs}]}, own + words
    if kind == "columns":
        return {
            "column_list": [specs[: len(specs) // 2 + 1], specs[len(specs) // 2 + 1 :] or [{"divider": None}]]
        }, words
    return {"synced_block": None, "children": specs}, words


titles = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=2000
)


@st.composite
def workspace(draw):
    pages, expected, hidden = [], {}, []
    for n in range(draw(st.integers(1, 3))):
        blocks = draw(st.lists(block(), min_size=1, max_size=4))
        page_id = f"page-{n}"
        creator = draw(st.sampled_from(["ann", "importer", "ghost"]))
        pages.append(
            {
                "id": page_id,
                "title": draw(titles),
                "parent": "workspace",
                "created": "2024-01-01T00:00:00Z",
                "edited": "2024-02-01T00:00:00Z",
                "created_by": creator,
                "edited_by": draw(st.sampled_from([creator, "ann"])),
                "blocks": [b for b, _ in blocks],
            }
        )
        expected[page_id] = [w for _, ws in blocks for w in ws]
    secret = token()
    pages.append(
        {
            "id": "trashed",
            "title": "Trashed page",
            "parent": "workspace",
            "created": "2024-01-01T00:00:00Z",
            "edited": "2024-03-01T00:00:00Z",
            "created_by": "ann",
            "in_trash": True,
            "blocks": [{"paragraph": secret}],
        }
    )
    hidden.append(secret)
    return (
        {
            "users": [
                {"id": "ann", "name": "Ann Example", "email": "ann@example.com"},
                {"id": "importer", "name": "Import Bot", "bot": True},
            ],
            "pages": pages,
        },
        expected,
        hidden,
    )


@pytest.fixture(scope="module")
def server():
    with NotionServer({"users": [], "pages": []}) as running:
        yield running


def crawl_all(server: NotionServer, version: str) -> tuple[dict[str, Doc], list]:
    config = Config()
    config.section("notion").base_url = server.url
    config.section("notion").api_version = version
    config.section("notion").requests_per_second = 0
    config.section("notion").retry_wait_seconds = 0.01
    records = list(notion.crawl("generated", config, CrawlState()))
    return {r.id: r for r in records if isinstance(r, Doc)}, [r for r in records if isinstance(r, Skipped)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=workspace())
def test_every_span_lands_once_trashed_pages_never_and_nothing_crashes(server, monkeypatch, data):
    generated, expected, hidden = data
    monkeypatch.setenv("NOTION_TOKEN", server.token)
    server.workspace = generated
    server._build()
    for version in VERSIONS:
        docs, skipped = crawl_all(server, version)
        assert set(docs) == {uid(page_id) for page_id in expected}
        for page_id, words in expected.items():
            text = docs[uid(page_id)].text
            for word in words:
                assert text.count(word) == 1, (version, word, text)
            assert "\n" not in docs[uid(page_id)].title and docs[uid(page_id)].title
        everything = "".join(d.text for d in docs.values())
        assert not any(word in everything for word in hidden)
        assert not [s for s in skipped if "tab" in s.reason or "heading_4" in s.reason]


def test_bots_unknown_creators_and_rows_of_one_table(server, monkeypatch):
    monkeypatch.setenv("NOTION_TOKEN", server.token)
    server.workspace = {
        "users": [
            {"id": "ann", "name": "Ann Example", "email": "ann@example.com"},
            {"id": "importer", "name": "Import Bot", "bot": True},
        ],
        "databases": [
            {
                "id": "contacts",
                "title": "Contacts",
                "parent": "workspace",
                "created": "2024-01-01T00:00:00Z",
                "edited": "2024-01-01T00:00:00Z",
                "created_by": "ann",
                "properties": {"Name": "title", "Role": "rich_text", "Phone": "phone_number"},
            }
        ],
        "pages": [
            {
                "id": "imported",
                "title": "Imported page",
                "parent": "workspace",
                "created": "2024-01-01T00:00:00Z",
                "edited": "2024-01-02T00:00:00Z",
                "created_by": "importer",
                "edited_by": "ann",
                "blocks": [{"paragraph": "Imported by a bot, edited since by a person."}],
            },
            {
                "id": "orphan",
                "title": "Page by a departed user",
                "parent": "workspace",
                "created": "2024-01-01T00:00:00Z",
                "edited": "2024-01-02T00:00:00Z",
                "created_by": "departed",
                "blocks": [{"paragraph": "Nobody the users API knows wrote this."}],
            },
            *[
                {
                    "id": f"contact-{n}",
                    "title": f"Contact {n}",
                    "parent": "contacts",
                    "created": "2024-01-01T00:00:00Z",
                    "edited": "2024-01-02T00:00:00Z",
                    "created_by": "ann",
                    "properties": {"Role": f"Title {n}", "Phone": f"+1 555 010{n}"},
                    "blocks": [{"paragraph": "Call during office hours."}],
                }
                for n in (2, 10)
            ],
        ],
    }
    server._build()
    docs, _ = crawl_all(server, "2025-09-03")
    by_title = {d.title: d for d in docs.values()}
    assert by_title["Imported page"].owner.email == "ann@example.com"  # the bot made it; Ann edits it
    orphan = by_title["Page by a departed user"].owner
    assert (orphan.name, orphan.id) == ("", f"notion:{uid('departed')}")  # kept for aliases to route
    assert [
        f.doc.title for f in missing_owner.check(AuditInputs(docs, {}, datetime(2026, 11, 20, tzinfo=timezone.utc)))
    ] == ["Page by a departed user"]
    rows = [by_title["Contact 2"], by_title["Contact 10"]]
    assert "Role: Title 2" in rows[0].text
    keyed = {d.key: d for d in rows}
    currency = assess(keyed, None, Config(), rows[0].last_modified)
    hits = [Hit("p", d.key, 0, rank, 0.9, d.text) for rank, d in enumerate(rows, 1)]
    ranking = Ranking.from_hits(Probe("p", "Who do I call?"), hits, 5)
    assert conflicts([ranking], keyed, currency) == []  # "Title 2" vs "Title 10" is two rows, not a conflict


@pytest.mark.slow
def test_a_2000_character_title_mid_batch_indexes_with_the_rest_in_both_versions(server, monkeypatch, tmp_path):
    monkeypatch.setenv("NOTION_TOKEN", server.token)
    long_title = "Quarterly vendor contacts and escalation paths " * 42
    server.workspace = {
        "users": [{"id": "ann", "name": "Ann Example", "email": "ann@example.com"}],
        "pages": [
            {
                "id": f"p{n}",
                "title": long_title if n == 2 else f"Runbook {n}: restarting service {n}",
                "parent": "workspace",
                "created": "2024-01-01T00:00:00Z",
                "edited": f"2024-01-0{n + 1}T00:00:00Z",
                "created_by": "ann",
                "blocks": [{"paragraph": f"Service {n} restarts with the deploy tool; wait for health checks."}],
            }
            for n in range(5)
        ],
    }
    server._build()
    from docaudit.index.store import Index

    for version in VERSIONS:
        config = Config(index=str(tmp_path / version))
        config.section("notion").base_url, config.section("notion").api_version = server.url, version
        config.section("notion").requests_per_second = 0
        index = Index(config)
        stats = index_crawl(index, "notion", "ws", config)
        assert (stats.added, stats.skipped) == (5, [])
        result = audit(index, config, rows_now())
        assert not [p for p in result.probes if p.query.startswith("Untitled")]


def rows_now():
    from datetime import datetime, timezone

    return datetime(2024, 6, 1, tzinfo=timezone.utc)
