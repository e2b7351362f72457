"""Properties with real oracles for the small parsers everything else trusts: UTC conversion, the
index's record round trip, header blocks, banners, and Markdown escaping checked by a Markdown parser."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from docaudit.currency.banners import find_banners
from docaudit.currency.headers import KNOWN_KEYS, read_header
from docaudit.records import Doc, Marker, Owner, Release, iso, to_utc
from docaudit.reports.safe import markdown_cell

aware = st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.timezones()).filter(
    lambda d: d.utcoffset() is not None
)


@settings(max_examples=300, deadline=None)
@given(aware)
def test_to_utc_keeps_the_instant_and_iso_round_trips(moment):
    utc = to_utc(moment)
    # The same instant whatever the zone (by timestamp: PEP 495 makes == False across zones in a fold or gap).
    assert utc.tzinfo == timezone.utc and utc.timestamp() == moment.timestamp()
    assert to_utc(iso(utc)) == utc  # what the index stores reads back exactly
    assert to_utc(moment.isoformat()) == utc
    assert abs(to_utc(utc.timestamp()) - utc) <= timedelta(microseconds=10)  # epoch floats: microsecond noise


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2999, 12, 30)), st.dates())
def test_naive_times_and_dates_are_utc_and_order_is_kept(naive, day):
    assert to_utc(naive) == naive.replace(tzinfo=timezone.utc)
    assert to_utc(day) == datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    later = naive + timedelta(seconds=1)
    assert to_utc(later) > to_utc(naive)


text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
docs = st.builds(
    Doc,
    source=st.sampled_from(["git", "notion", "gdrive", "confluence"]),
    space=text,
    id=text.filter(bool),
    title=text,
    text=st.just(""),
    path=text,
    url=text,
    owner=st.none() | st.builds(Owner, name=text, email=text, via=text, id=text),
    last_modified=st.none() | aware.map(to_utc),
    created=st.none() | aware.map(to_utc),
    markers=st.lists(st.builds(Marker, kind=text, value=text, source=text, valid=st.booleans()), max_size=3),
    headings=st.lists(text, max_size=3),
    notes=st.lists(text, max_size=2),
    unowned_reason=text,
    permissions=st.lists(text, max_size=2),
    release=st.none()
    | st.builds(Release, label=text, status=st.sampled_from(["current", "preview", "older", "archived"]), source=text),
    version=text,
    minhash=st.lists(st.integers(0, 2**32 - 1), max_size=5),
)


@settings(max_examples=200, deadline=None)
@given(docs)
def test_a_doc_survives_the_index_record_round_trip(doc):
    """What the index stores (JSON of to_record) is the doc it reads back, field for field."""
    back = Doc.from_record(json.loads(json.dumps(doc.to_record())))
    assert back == doc
    assert back.key == doc.key


field_value = st.text(
    st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .-/"), min_size=1, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True),
        field_value.map(str.strip).filter(bool),
        max_size=6,
    ),
    st.sampled_from(sorted(KNOWN_KEYS)),
    field_value.map(str.strip).filter(bool),
    text,
)
def test_a_written_header_block_reads_back(fields, known, value, body):
    """Fields written as `Key: value` lines, a blank line, then prose: the reader returns the fields."""
    fields = {k.lower(): v for k, v in {**fields, known: value}.items()}
    if len(fields) < 2:  # a header block has at least two fields
        fields["x-extra"] = "yes"
    block = "\n".join(f"{key}: {value}" for key, value in fields.items())
    parsed = read_header(block + "\n\n" + body.replace("\n", " "))
    parsed.pop("_id", None)
    assert parsed == fields


notice = st.sampled_from(
    [
        "This page is deprecated.",
        "> **Deprecated**: superseded by [the new guide](new.md).",
        "This document has been superseded by [v2](v2.md).",
        "This page has moved to [Notion](https://www.notion.so/x).",
        "Do not use: see [the runbook](runbook.md) instead.",
    ]
)
prose = st.lists(
    st.sampled_from(["Deploys run from CI.", "Refunds take 14 days.", "The on-call rotation is weekly.", "## Steps"]),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(notice, prose, prose)
def test_a_notice_near_the_top_is_found_and_prose_alone_never_is(line, before, after):
    before = before[:3]  # near the top: within the first lines a reader sees
    found = find_banners("guide.md", "\n".join([*before, line, *after]))
    assert found and found[0].kind == "deprecated"
    if "](" in line and "superseded" in line or "moved" in line or "instead" in line:
        assert [m.kind for m in found] == ["deprecated", "superseded_by"]
    assert find_banners("guide.md", "\n".join([*before, *after])) == []


md = MarkdownIt("commonmark").enable("table")


def _inline_tokens(source: str) -> list:
    tokens = md.parseInline(source)
    return [child for token in tokens for child in (token.children or [])]


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=80))
def test_escaped_markdown_is_inert_to_a_markdown_parser(raw):
    """Whatever a title says, a CommonMark parser finds in the escaped cell no link, image, emphasis,
    code span or HTML: only text."""
    cell = markdown_cell(raw)
    kinds = {token.type for token in _inline_tokens(cell)}
    assert kinds <= {"text", "softbreak", "hardbreak"}, (raw, cell, kinds)
    assert "\n" not in cell and "|" not in cell.replace("\\|", "")  # one table cell, no new cells


def test_the_oracle_itself_sees_links_and_emphasis():
    """The Markdown oracle is not blind: unescaped, these are links, images, emphasis and code."""
    kinds = {t.type for t in _inline_tokens("[a](https://x) ![i](y) *e* `c` <b>")}
    assert {"link_open", "image", "em_open", "code_inline", "html_inline"} <= kinds
    assert date(2026, 1, 1) < date(2026, 1, 2)


segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12).filter(
    lambda s: s.strip(".") and not s.startswith("-")
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["github.com", "gitlab.com", "gitlab.acme.io", "github.acme.com"]),
    st.lists(segment, min_size=2, max_size=4),
    segment,
    st.booleans(),
)
def test_every_spelling_of_a_remote_gives_one_web_page_and_no_secret(host, parts, secret, dot_git):
    from connectors.git_history import web_base

    repo = "/".join(parts if "gitlab" in host else parts[:2])
    suffix = ".git" if dot_git else ""
    spellings = [
        f"git@{host}:{repo}{suffix}",
        f"ssh://git@{host}:22/{repo}{suffix}",
        f"https://{host}/{repo}{suffix}",
        f"https://ci-bot:{secret}x@{host}/{repo}{suffix}",
    ]
    pages = {web_base(remote) for remote in spellings}
    expected = f"https://{host}/{repo}/-/blob/" if "gitlab" in host else f"https://{host}/{repo}/blob/"
    assert pages == {expected}
    assert f"{secret}x@" not in expected and "@" not in expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_a_remote_that_is_not_github_or_gitlab_gives_no_link(remote):
    from connectors.git_history import web_base

    page = web_base(remote)
    assert page == "" or (
        page.startswith("https://") and page.endswith("/blob/") and ("github" in page or "gitlab" in page)
    )
    assert "@" not in page and ".." not in page


SCALARS = st.one_of(st.text(max_size=40), st.integers(-(10**12), 10**12), st.booleans(), st.none(), st.dates().map(str))
KEYS = st.text(st.characters(categories=["L", "N"], include_characters="_-"), min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@example({}, " ", False)  # the closing fence once took the whitespace after it
@given(
    st.dictionaries(KEYS, st.one_of(SCALARS, st.lists(SCALARS, max_size=4)), max_size=8),
    st.text(max_size=200),
    st.booleans(),
)
def test_frontmatter_written_by_a_yaml_library_reads_back(meta, body, crlf):
    """YAML frontmatter as any tool writes it (yaml.safe_dump, LF or CRLF) gives back what a YAML
    parser reads of it and the body after it, whatever the keys, values and body hold."""
    import yaml

    from connectors.git_frontmatter import split_frontmatter

    newline = "\r\n" if crlf else "\n"
    dumped = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) if meta else ""
    body = body.lstrip("\r\n")
    text = "---" + newline + dumped.replace("\n", newline) + "---" + newline + body
    read, rest, problem = split_frontmatter(text)
    # What YAML itself reads of the block (it folds a few line breaks like U+0085 into spaces).
    assert (read, rest, problem) == (yaml.safe_load(dumped) or {}, body, None)
    assert read.keys() == meta.keys()
