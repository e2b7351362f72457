"""The connector registry: built-ins, and third-party connectors from the entry-point group."""

import sys

import pytest

import connectors
from docaudit.errors import DocauditError


def test_builtin_git_connector():
    assert connectors.get("git").KIND == "git"
    assert "git" in connectors.available()


def install(folder, monkeypatch, module: str) -> None:
    """Register `module` (already written in `folder`) as the `wiki` connector, the way pip would:
    a dist-info with its entry point, on the path."""
    dist = folder / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[docaudit.connectors]\nwiki = {module}\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, module, raising=False)


def test_third_party_connector_loads_from_the_entry_point_group(tmp_path, monkeypatch):
    (tmp_path / "wiki_connector.py").write_text(
        "from docaudit.records import Doc\n"
        "KIND = 'wiki'\n"
        "def crawl(target, config, state):\n"
        "    state.next_cursor = {'page': 1}\n"
        "    yield Doc('wiki', target, 'p1', 'Page one', 'text')\n"
    )
    install(tmp_path, monkeypatch, "wiki_connector")
    assert "wiki" in connectors.available()
    module = connectors.get("wiki")
    state = connectors.CrawlState()
    [doc] = list(module.crawl("acme", None, state))
    assert (doc.key, state.next_cursor) == ("wiki:acme:p1", {"page": 1})


def test_unknown_connector_names_the_available_ones():
    with pytest.raises(DocauditError, match="unknown source 'nope': available are confluence, gdrive, git, notion$"):
        connectors.get("nope")


WIKI = """
from dataclasses import dataclass

from docaudit.records import Doc, Owner

KIND = "wiki"


@dataclass
class Settings:
    base_url: str = "https://wiki.example.com"
    pages: int = 2


SETTINGS = Settings


def space_for(target):
    return f"wiki-{target}"


def crawl(target, config, state):
    settings = config.section("wiki")
    state.next_cursor = {"seen": settings.pages}
    for n in range(settings.pages):
        yield Doc(KIND, state.space, f"p{n}", f"Wiki page {n}", f"Page {n} of {settings.base_url} says deploys happen on day {n}.",
                  owner=Owner("Wiki Admin", "wiki@example.com"))
"""


@pytest.fixture
def wiki_installed(tmp_path, monkeypatch):
    """A tiny third-party connector, installed the way pip would: a module and its dist-info."""
    (tmp_path / "wiki_plugin.py").write_text(WIKI)
    install(tmp_path, monkeypatch, "wiki_plugin")
    return tmp_path


def test_a_third_party_connector_declares_its_section_which_config_checks(wiki_installed, tmp_path):
    from docaudit.config import load_config
    from docaudit.errors import InputError

    path = tmp_path / "docaudit.toml"
    path.write_text('top_k = 4\n\n[wiki]\nbase_url = "https://kb.acme.test"\npages = 3\n')
    config = load_config(path)
    assert (config.section("wiki").base_url, config.section("wiki").pages) == ("https://kb.acme.test", 3)
    path.write_text('[wiki]\nbase_url = "x"\npages = "three"\n')
    with pytest.raises(InputError, match=r"docaudit.toml:3: 'wiki.pages' must be a whole number"):
        load_config(path)
    path.write_text("[wiki]\ncolour = 'blue'\n")
    with pytest.raises(InputError, match=r"docaudit.toml:2: unknown setting 'wiki.colour'"):
        load_config(path)
    path.write_text("[jira]\nspace = 'x'\n")  # no connector owns it
    with pytest.raises(InputError, match=r"unknown setting 'jira'"):
        load_config(path)


def test_a_third_party_connector_crawls_and_audits_end_to_end(wiki_installed, tmp_path, embedder):
    from conftest import NOW

    from docaudit.audit import audit, crawl
    from docaudit.config import load_config
    from docaudit.index.store import Index

    (tmp_path / "docaudit.toml").write_text(f'index = "{tmp_path / "idx"}"\n[wiki]\npages = 3\n')
    config = load_config(tmp_path / "docaudit.toml")
    index = Index(config, embedder)
    stats = crawl(index, "wiki", "kb", config)
    assert (stats.space, stats.added, stats.in_index) == ("wiki-kb", 3, 3)
    assert index.cursor("wiki", "wiki-kb") == {"seen": 3}
    result = audit(index, config, NOW)
    assert sorted(d.key for d in result.docs.values()) == [f"wiki:wiki-kb:p{n}" for n in range(3)]


def test_the_built_ins_are_listed_once_and_config_names_none_of_them():
    """pyproject's entry points are the one list; each built-in declares its own settings, as a
    third-party connector must, so config.py knows no connector by name."""
    from pathlib import Path

    listed = connectors._checkout_entry_points()
    assert sorted(listed) == ["confluence", "gdrive", "git", "notion"]
    assert [connectors.get(kind).KIND for kind in listed] == list(listed)
    assert {kind for kind in listed if connectors.settings_type(kind)} == {"confluence", "gdrive", "notion"}
    config_source = (Path(connectors.__file__).parent.parent / "docaudit" / "config.py").read_text()
    assert [kind for kind in listed if f'"{kind}"' in config_source or f"import {kind}" in config_source] == []
