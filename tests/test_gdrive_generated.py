"""Generated Drive listings in the shapes of Drive v3 (owners present, absent or anonymous, shared drives,
shortcuts, every export and upload type, a modifiedTime before the createdTime, long and odd names),
served by the local Drive server and read through the real google-api-python-client: the crawl never
fails, every readable file's text arrives once, trashed files never do, and each doc has a UTC edit time."""

from __future__ import annotations

import itertools
import json

import pytest
from drive_server import DriveServer, service_account_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import CrawlState, gdrive
from docaudit.config import Config
from docaudit.records import Doc

READABLE = ("doc", "slides", "markdown", "text", "html", "pdf", "docx", "sheet", "csv")
NOT_DOCS = ("png",)
_counter = itertools.count()

names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"), min_size=1, max_size=300
) | st.sampled_from(["Budget\n2024", "  ", "Q3 plan\t(final).v2"])
times = st.sampled_from(["2021-03-04T05:06:07Z", "2024-11-30T23:59:59Z", "2026-01-01T00:00:00Z"])


@st.composite
def drive(draw):
    files, expected, hidden = [], {}, []
    shared = draw(st.booleans())
    folders = [
        {
            "id": "top",
            "name": draw(names),
            "kind": "folder",
            "parents": ["root"],
            "owners": ["ann"],
            "created": "2020-01-01T00:00:00Z",
            "modified": "2020-01-01T00:00:00Z",
        }
    ]
    if shared:
        folders.append(
            {
                "id": "team",
                "name": "Team",
                "kind": "folder",
                "parents": ["shared"],
                "drive": "shared",
                "modified_by": "ann",
                "created": "2020-01-01T00:00:00Z",
                "modified": "2020-01-01T00:00:00Z",
            }
        )
    for n in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(READABLE + NOT_DOCS))
        token = f"drivetok{next(_counter)}zq"
        in_shared = shared and draw(st.booleans())
        spec = {
            "id": f"f{n}",
            "name": draw(names) + {"pdf": ".pdf", "docx": ".docx", "csv": ".csv", "markdown": ".md"}.get(kind, ""),
            "kind": kind,
            "parents": ["team" if in_shared else "top"],
            "created": draw(times),
            "modified": draw(times),  # may be earlier than created: an upload keeps its own time
            "content": f"Line one mentions {token}.\nLine two, plain words.\n"
            if kind != "sheet" and kind != "csv"
            else f"column,value\n{token},1\n",
            "modified_by": draw(st.sampled_from(["ann", "anonymous"])),
        }
        if in_shared:
            spec["drive"] = "shared"
        else:
            spec["owners"] = draw(st.sampled_from([["ann"], ["bob"], []]))
        if draw(st.integers(0, 5)) == 0:
            spec["trashed"] = True
            hidden.append(token)
        elif kind in READABLE:
            expected[f"f{n}"] = token
        files.append(spec)
        if draw(st.integers(0, 3)) == 0 and not spec.get("trashed"):
            files.append(
                {
                    "id": f"s{n}",
                    "name": f"Shortcut {n}",
                    "kind": "shortcut",
                    "target": f"f{n}",
                    "parents": ["top"],
                    "owners": ["ann"],
                    "created": "2025-01-01T00:00:00Z",
                    "modified": "2025-01-01T00:00:00Z",
                }
            )
    return (
        {
            "users": [
                {"id": "ann", "name": "Ann Example", "email": "ann@example.com"},
                {"id": "bob", "name": "Bob Example", "email": "bob@example.com"},
            ],
            "shared_drives": [{"id": "shared", "name": "Shared"}] if shared else [],
            "files": folders + files,
        },
        expected,
        hidden,
    )


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    return json.loads(
        service_account_file(tmp_path_factory.mktemp("sa") / "sa.json", "http://unused/token").read_text()
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=drive())
def test_generated_drives_crawl_whole(tmp_path, monkeypatch, key_file, data):
    listing, expected, hidden = data
    with DriveServer(listing) as server:
        credentials = tmp_path / "sa.json"
        credentials.write_text(json.dumps({**key_file, "token_uri": f"{server.url}/token"}))
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
        config = Config()
        config.section("gdrive").api_endpoint = server.endpoint
        config.section("gdrive").retry_wait_seconds = 0.01
        config.section("gdrive").export_sheets = True
        records = list(gdrive.crawl("generated", config, CrawlState()))
    docs = [r for r in records if isinstance(r, Doc)]
    text = "\n".join(d.text for d in docs)
    for token in expected.values():
        assert text.count(token) == 1, token  # once: a shortcut reads its target once, under the target's path
    assert not any(token in text for token in hidden)
    for doc in docs:
        assert doc.last_modified is not None and doc.last_modified.utcoffset().total_seconds() == 0
        assert doc.title and "\n" not in doc.title
        assert doc.owner is None or doc.owner.email in ("ann@example.com", "bob@example.com")
