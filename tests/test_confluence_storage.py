"""Confluence storage format to text: generated bodies (nested macros, tables, CDATA, links,
control characters) and generated listings, checked against what was put in."""

from __future__ import annotations

import itertools
from pathlib import Path

from confluence_server import ConfluenceServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import CrawlState, confluence
from connectors.confluence_storage import markdown, plain, to_text
from docaudit.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONTROL = "".join(chr(c) for c in (*range(0, 9), *range(11, 32), 127))

# A body is a tree; words are filled in afterwards, so that each visible word is unique.
leaf = st.sampled_from(["text", "strong", "code", "link", "weblink", "hidden", "mention", "br"])
tree = st.recursive(
    leaf,
    lambda children: st.tuples(
        st.sampled_from(
            [
                "p",
                "h2",
                "h3",
                "ul",
                "ol",
                "table",
                "info",
                "warning",
                "expand",
                "panel",
                "unknown-macro",
                "layout",
                "adf-panel",
                "tasks",
                "div",
            ]
        ),
        st.lists(children, min_size=1, max_size=4),
    ),
    max_leaves=25,
)


class Body:
    """Renders a tree to storage XHTML, noting which words a reader sees and which are configuration."""

    def __init__(self, noise: str) -> None:
        self.counter = itertools.count()
        self.visible: list[str] = []
        self.hidden: list[str] = []
        self.noise = noise

    def word(self, visible: bool = True) -> str:
        word = f"w{next(self.counter)}x"
        (self.visible if visible else self.hidden).append(word)
        return word

    def render(self, node) -> str:
        if isinstance(node, str):
            return self.leaf(node)
        kind, children = node
        if kind in ("ul", "ol"):
            return f"<{kind}>" + "".join(f"<li>{self.render(c)}</li>" for c in children) + f"</{kind}>"
        if kind == "table":
            cells = "".join(f"<td><p>{self.render(c)}</p></td>" for c in children)
            return f"<table><tbody><tr><th>{self.word()}</th></tr><tr>{cells}</tr></tbody></table>"
        inner = "".join(self.render(child) for child in children)
        if kind in ("p", "h2", "h3", "div"):
            return f"<{kind}>{inner}</{kind}>"
        if kind in ("info", "warning", "expand", "panel", "unknown-macro"):
            title = f'<ac:parameter ac:name="title">{self.word()}</ac:parameter>' if kind != "unknown-macro" else ""
            return (
                f'<ac:structured-macro ac:name="{kind}" ac:schema-version="1">{title}'
                f'<ac:parameter ac:name="icon">{self.word(False)}</ac:parameter>'
                f"<ac:rich-text-body>{inner}</ac:rich-text-body></ac:structured-macro>"
            )
        if kind == "layout":
            return f"<ac:layout><ac:layout-section><ac:layout-cell>{inner}</ac:layout-cell></ac:layout-section></ac:layout>"
        if kind == "adf-panel":
            return (
                f'<ac:adf-extension><ac:adf-node type="panel"><ac:adf-attribute key="panel-type">{self.word(False)}'
                f"</ac:adf-attribute><ac:adf-content>{inner}</ac:adf-content></ac:adf-node>"
                f"<ac:adf-fallback><p>{self.word(False)}</p></ac:adf-fallback></ac:adf-extension>"
            )
        if kind == "tasks":
            return (
                f"<ac:task-list><ac:task><ac:task-id>{self.word(False)}</ac:task-id>"
                f"<ac:task-status>incomplete</ac:task-status><ac:task-body>{inner}</ac:task-body></ac:task></ac:task-list>"
            )
        raise AssertionError(kind)

    def leaf(self, kind: str) -> str:
        if kind == "text":
            return f" {self.noise}{self.word()} &amp; {self.word()}{self.noise} "
        if kind == "strong":
            return f" <strong>{self.word()}</strong> <em>{self.word()}</em> "
        if kind == "code":
            return (
                f'<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">{self.word(False)}</ac:parameter>'
                f"<ac:plain-text-body><![CDATA[{self.word()} < {self.word()}]]></ac:plain-text-body></ac:structured-macro>"
            )
        if kind == "link":
            return (
                f'<ac:link><ri:page ri:content-title="{self.word(False)}" />'
                f"<ac:plain-text-link-body><![CDATA[{self.word()}]]></ac:plain-text-link-body></ac:link> "
            )
        if kind == "weblink":  # the address is no text: plain() keeps only what the link says
            return f' <a href="https://example.com/{self.word(False)}">{self.word()}</a> '
        if kind == "hidden":
            return f"<ac:placeholder>{self.word(False)}</ac:placeholder>"
        if kind == "mention":
            return ' <ac:link><ri:user ri:account-id="557058:x" /></ac:link> '
        return "<br />"


@settings(max_examples=300, deadline=None)
@given(tree, st.sampled_from(["", " ", "\n  ", *CONTROL]))
def test_every_visible_word_lands_once_and_configuration_never(node, noise):
    body = Body(noise)
    storage = body.render(node)
    text = plain(to_text(storage, lambda title, space: "42", lambda user: "Ann"))
    words = text.replace("**", " ").replace("|", " ").split()
    for word in body.visible:
        assert words.count(word) == 1, (word, storage, text)
    for word in body.hidden:
        assert word not in text, (word, storage, text)
    assert not any(c in text for c in CONTROL.replace("\t", "")), text
    assert "<ac:" not in text and "ri:" not in text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_text_in_a_paragraph_reads_back_as_its_words(raw):
    """Escaped into storage and read back, a paragraph's words survive (control characters dropped)."""
    from html import escape

    text = to_text(f"<p>{escape(raw)}</p>")
    expected = " ".join("".join(c for c in raw if c not in CONTROL or c == "\t").split())
    assert text.strip() == expected
    assert to_text(f"<p>{escape(text.strip())}</p>") == text  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_malformed_markup_never_raises(storage):
    to_text(storage)


page_spec = st.fixed_dictionaries(
    {
        "title": st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=2000),
        "status": st.sampled_from(["current", "archived", "trashed", "draft"]),
        "labels": st.lists(st.sampled_from(["deprecated", "howto", "outdated", "approved"]), max_size=3, unique=True),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(page_spec, min_size=1, max_size=12), st.sampled_from(["cloud", "datacenter"]), st.integers(1, 5))
def test_generated_listings_index_current_and_archived_pages_only(specs, flavour, page_size):
    pages = [
        {
            "id": f"p{i}",
            "space": "GEN",
            "title": spec["title"],
            "status": spec["status"],
            "labels": spec["labels"],
            "created": "2024-01-01T00:00:00Z",
            "edited": "2025-01-01T00:00:00Z",
            "author": "ann",
            "body": f"<p>Body of page {i}.</p>",
        }
        for i, spec in enumerate(specs)
    ]
    site = {"users": [{"id": "ann", "name": "Ann", "email": "ann@example.com"}], "spaces": [{"key": "GEN"}]}
    site["pages"] = pages
    with ConfluenceServer(site, flavour=flavour) as server:
        server.max_v2 = server.max_v1 = page_size
        config = Config()
        settings_ = config.section("confluence")
        settings_.base_url, settings_.requests_per_second = server.base_url, 0
        settings_.email = server.email if flavour == "cloud" else ""
        import os

        os.environ["CONFLUENCE_API_TOKEN"] = server.token
        try:
            records = list(confluence.crawl("GEN", config, CrawlState()))
        finally:
            del os.environ["CONFLUENCE_API_TOKEN"]
    indexed = {r.id: r for r in records if hasattr(r, "text")}
    expected = {server.by_name[p["id"]]: p for p in pages if p["status"] in ("current", "archived")}
    assert set(indexed) == set(expected)
    for page_id, doc in indexed.items():
        spec = expected[page_id]
        assert doc.title == (" ".join(spec["title"].split()) or "Untitled")
        assert f"Body of page {spec['id'][1:]}." in doc.text
        kinds = {m.kind for m in doc.markers}
        marked = spec["status"] == "archived" or bool(
            spec["status"] == "current" and {"deprecated", "outdated"} & set(spec["labels"])
        )
        assert bool(kinds & {"deprecated", "archived"}) == marked, (spec, doc.markers)


def test_a_page_reads_as_markdown_like_text():
    storage = (
        '<ac:structured-macro ac:name="warning"><ac:parameter ac:name="title">Deprecated</ac:parameter>'
        '<ac:rich-text-body><p>Superseded by <ac:link><ri:page ri:content-title="Billing v2" /></ac:link>.</p>'
        "</ac:rich-text-body></ac:structured-macro>"
        "<h2>Steps</h2><ol><li>One <strong>bold</strong></li><li>Two<ul><li>nested</li></ul></li></ol>"
        "<table><tbody><tr><th>A</th><th></th><th>C</th></tr><tr><td><p>1</p></td><td>x|y</td><td /></tr></tbody></table>"
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>'
        "<ac:plain-text-body><![CDATA[make deploy\n  --env prod]]></ac:plain-text-body></ac:structured-macro>"
        '<p>Ask <ac:link><ri:user ri:account-id="u1" /></ac:link>, due <time datetime="2026-12-01" />.<br />Then&nbsp;this.</p>'
        '<p>Moved to <a href="https://app.notion.com/p/Billing-1a2b">Notion</a>; <a href="javascript:x()">not this</a>.</p>'
    )
    text = to_text(storage, lambda title, space: "98" if title == "Billing v2" else "", lambda user: "Priya Raman")
    assert markdown(text) == (
        "> **Deprecated**\n"
        "> Superseded by [Billing v2](confluence:98).\n"
        "\n"
        "## Steps\n"
        "\n"
        "1. One bold\n"
        "1. Two\n"
        "  - nested\n"
        "\n"
        "| A |  | C |\n"
        "| 1 | x/y |  |\n"
        "\n"
        "```\n"
        "make deploy\n"
        "  --env prod\n"
        "```\n"
        "\n"
        "Ask @Priya Raman, due 2026-12-01.\n"
        "Then this.\n"
        "\n"
        "Moved to [Notion](https://app.notion.com/p/Billing-1a2b); not this.\n"
    )
    assert plain(text).splitlines()[1] == "> Superseded by Billing v2."
    assert plain(text).splitlines()[-1] == "Moved to Notion; not this."
    # Markdown a page writes itself is its text: neither plain() nor markdown() rewrites it.
    literal = to_text("<p>See [the spec](https://example.com/spec) \ue000[x](y)\ue001</p>")
    assert plain(literal) == markdown(literal) == "See [the spec](https://example.com/spec) [x](y)\n"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
page_fields = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        for key in (
            "id",
            "title",
            "status",
            "parentId",
            "parentType",
            "createdAt",
            "ownerId",
            "authorId",
            "version",
            "history",
            "ancestors",
            "_links",
            "body",
        )
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, page_fields))
def test_any_page_payload_reads_as_a_page_or_nothing(raw):
    """Whatever a listing entry holds, reading it never raises: wrong types are absent, no id is no page."""
    from connectors.confluence_api import page_from_v1, page_from_v2, storage_of

    for read in (page_from_v2, page_from_v1):
        page = read(raw)
        has_id = isinstance(raw, dict) and isinstance(raw.get("id"), (str, int)) and not isinstance(raw.get("id"), bool)
        assert (page is not None) == (has_id and str(raw["id"]) != "")
        if page:
            assert page.id == str(raw["id"]) and isinstance(page.number, int) and isinstance(page.title, str)
    assert storage_of(raw) is None or isinstance(storage_of(raw), str)
