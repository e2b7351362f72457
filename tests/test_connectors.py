"""The connector registry: built-ins, and third-party connectors from the entry-point group."""

import sys

import pytest

import connectors
from docaudit.errors import DocauditError


def test_builtin_git_connector():
    assert connectors.get("git").KIND == "git"
    assert "git" in connectors.available()


def test_third_party_connector_loads_from_the_entry_point_group(tmp_path, monkeypatch):
    (tmp_path / "wiki_connector.py").write_text(
        "from docaudit.records import Doc\n"
        "KIND = 'wiki'\n"
        "def crawl(target, config, state):\n"
        "    state.next_cursor = {'page': 1}\n"
        "    yield Doc('wiki', target, 'p1', 'Page one', 'text')\n"
    )
    dist = tmp_path / "wiki_connector-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: wiki-connector\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[docaudit.connectors]\nwiki = wiki_connector\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "wiki_connector", raising=False)
    assert "wiki" in connectors.available()
    module = connectors.get("wiki")
    state = connectors.CrawlState()
    [doc] = list(module.crawl("acme", None, state))
    assert (doc.key, state.next_cursor) == ("wiki:acme:p1", {"page": 1})


def test_unknown_connector_names_the_available_ones():
    with pytest.raises(DocauditError, match="unknown source 'nope': available are gdrive, git, notion$"):
        connectors.get("nope")
