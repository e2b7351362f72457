"""Hostile and unlucky input: never a traceback, exit codes by the contract, nothing outside the root
read, output well-formed in every format. Each case was a crash, a leak or an injection before."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import NOW, commit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_gitrepo import crawl

from docaudit.audit import AuditResult
from docaudit.cli import cli
from docaudit.config import load_config
from docaudit.errors import InputError
from docaudit.probing.probes import load_probes_yaml, load_query_log
from docaudit.records import Doc, Finding, Owner, Severity
from docaudit.reports import concise, github, junit, markdown, safe, sarif, table
from docaudit.suppress import load_acks, load_baseline

HOSTILE_TITLE = (
    "Guide \x1b[31mRED\x1b[0m \x07\x00 [click](javascript:alert(1)) ![x](http://e/x.png) @everyone `x` | </a>"
)


def hostile_result() -> AuditResult:
    doc = Doc(
        "git", "s", "g.md", HOSTILE_TITLE, "", path="docs/`g`|\x1b.md", owner=Owner("Eve\n@admins", "eve@example.com")
    )
    finding = Finding("stale-surfaces", Severity.warning, doc, f"'{doc.title}' is old", {"probes": []})
    from docaudit.currency.verdict import Currency

    return AuditResult([finding], {doc.key: doc}, {doc.key: Currency("stale", ["edited long ago"])}, [], [])


def test_every_output_format_stays_well_formed_and_inert():
    result = hostile_result()
    suite = ET.fromstring(junit.render(result, NOW).split("\n", 1)[1])  # well-formed despite control characters
    failure = suite.find("./testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == f"'{safe.xml_text(HOSTILE_TITLE)}' is old"
    (sarif_result,) = json.loads(sarif.render(result, NOW))["runs"][0]["results"]
    assert sarif_result["message"]["text"] == f"'{safe.terminal(HOSTILE_TITLE)}' is old"  # what a viewer shows
    assert not any(c in sarif_result["message"]["text"] for c in "\x1b\x07\x00")
    text = table.render(result, NOW)
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    md = markdown.render(result, NOW)
    assert "](javascript" not in md and "![" not in md and "@everyone" not in md and "@admins" not in md
    assert "\x1b" not in md and "</a>" not in md
    row = md.splitlines()[-1]
    assert row.count(" | ") == 4  # the pipes in the title did not add cells
    lines = concise.render(result, NOW).splitlines()
    assert len(lines) == 2 and not any(c in lines[0] for c in "\x1b\x07\x00")  # one line per finding, inert
    annotations = github.render(result, NOW)
    assert "\x1b" not in annotations and annotations.count("\n") == 0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("chunk_size = 100\nchunk_overlap = 200\n", "docaudit.toml:2: 'chunk_overlap' must be at least 0 and below"),
        ("chunk_size = -5\n", "docaudit.toml:1: 'chunk_size' must be at least 16"),
        ("min_score = nan\n", "docaudit.toml:1: 'min_score' must be a number between 0 and 1"),
        ('[age_policy]\n"a/" = true\n', "docaudit.toml:1: 'age_policy' must be a table of path prefix = days"),
        (b"top_k = 5\n# caf\xe9\n", "docaudit.toml: not valid UTF-8 (byte 15)"),
        ("top_k = 3\n[gdrive]\ncredentials = 'x'\n\nmax_retries = 'five'\n", "docaudit.toml:5: 'gdrive.max_retries'"),
    ],
)
def test_bad_config_is_one_line_naming_the_line(tmp_path, monkeypatch, config, message):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "docaudit.toml"
    path.write_bytes(config if isinstance(config, bytes) else config.encode())
    result = CliRunner().invoke(cli, ["docs"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"docaudit: error: {message}") and result.stderr.count("\n") == 1


def test_pyproject_tool_not_a_table_and_a_broken_chroma_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('tool = "x"\n')
    assert load_config().collection == "docaudit"  # no [tool.docaudit]: defaults, no crash
    (tmp_path / "pyproject.toml").write_text('[tool]\ndocaudit = "x"\n')
    with pytest.raises(InputError, match=r"\[tool.docaudit\] must be a table"):
        load_config()
    (tmp_path / "pyproject.toml").unlink()
    result = CliRunner().invoke(cli, ["docs", "--chroma-url", "http://[::1"])
    assert (result.exit_code, result.stderr) == (
        2,
        "docaudit: error: --chroma-url 'http://[::1' is not an http(s) URL\n",
    )


def test_yaml_bombs_and_deep_nesting_are_refused_in_one_short_line(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
    bomb += "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nprobes: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    (tmp_path / "bomb.yaml").write_text(bomb)
    with pytest.raises(InputError) as caught:
        load_probes_yaml(tmp_path / "bomb.yaml")
    assert "aliases are not allowed" in str(caught.value) and len(str(caught.value)) < 400
    (tmp_path / "deep.yaml").write_text("probes: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError, match="nested too deeply|invalid YAML"):
        load_probes_yaml(tmp_path / "deep.yaml")
    (tmp_path / "big.yaml").write_text("- query: " + "x" * 50 + "\n- " + "[1]" * 3000 + "\n")
    with pytest.raises(InputError) as caught:
        load_probes_yaml(tmp_path / "big.yaml")
    assert len(str(caught.value)) < 400


def test_one_bad_file_never_stops_the_crawl_and_nothing_outside_the_root_is_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\nThe production root password.\n")
    repo = tmp_path / "repo"
    # Anchors and aliases are ordinary in Hugo frontmatter; a "billion laughs" bomb (9^9 nodes) is not.
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
    frontmatter_bomb = "---\nl0: &l0 [x, x, x, x, x, x, x, x, x]\n" + levels + "title: Bomb\n---\n# Bomb\n"
    anchored = "---\ndefaults: &d {owner: ann@example.com}\nreview: *d\ntitle: Anchored\n---\n# Anchored\n"
    deep = "---\ntitle: " + "[" * 3000 + "]" * 3000 + "\n---\n# Deep\nbody\n"
    commit(
        repo,
        {
            "ok.md": "# Fine\nA normal page.\n",
            "bomb.md": frontmatter_bomb,
            "anchored.md": anchored,
            "deep.md": deep,
            "late-nul.md": "# Late\n" + "x" * 9000 + "\x00",
            "linked/page.md": "# Linked\n",
            "long-title.md": "# " + "word " * 400 + "\nbody\n",
        },
        author="Ctrl\x07 Char <ctrl@example.com>",
    )
    # A tracked folder replaced by a symlink to a folder outside the repo.
    (repo / "linked" / "page.md").unlink()
    (repo / "linked").rmdir()
    (repo / "linked").symlink_to(outside)
    weird = os.fsencode(repo) + b"/caf\xe9.md"
    with open(weird, "wb") as handle:
        handle.write(b"# Latin-1 name\n")
    docs, skipped, _, _ = crawl(repo)
    assert {"ok.md", "bomb.md", "deep.md", "long-title.md"} <= set(docs)
    assert docs["bomb.md"].notes[0] == "frontmatter could not be parsed (aliases expand to more than 100,000 nodes)"
    assert docs["anchored.md"].title == "Anchored" and not docs["anchored.md"].notes
    assert skipped["late-nul.md"] == "binary file"
    assert skipped["caf\ufffd.md"] == "file name is not valid UTF-8"
    assert not any("Secret" in d.title or "password" in d.text for d in docs.values())
    assert docs["ok.md"].owner.name == "Ctrl\x07 Char"  # kept as written; every output format makes it inert


def test_an_unexpected_error_is_one_line_and_exit_2_with_debug_for_the_traceback(tmp_path, monkeypatch):
    import docaudit.audit

    monkeypatch.chdir(tmp_path)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero in a place nobody foresaw")

    monkeypatch.setattr(docaudit.audit, "docs_overview", broken)
    result = CliRunner().invoke(cli, ["docs"])
    assert result.exit_code == 2
    assert result.stderr.startswith("docaudit: error: unexpected ZeroDivisionError (division by zero in a place")
    assert "Run with --debug for the traceback" in result.stderr and result.stderr.count("\n") == 1
    debug = CliRunner().invoke(cli, ["--debug", "docs"])
    assert isinstance(debug.exception, ZeroDivisionError)


FILE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400) | st.sampled_from(
    [
        "probes:\n  - query: q\n    expect: [",
        "- {query: 1}\n",
        "acks:\n  - doc: a\n    rule: nope\n",
        '{"findings": [{"fingerprint": [1]}]}',
        "top_k = true\n[notion]\napi_version = 3\n",
        "[[x]]\n" * 50,
        "query\n" + "\x00\n" * 3,
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=FILE_TEXT)
def test_user_files_either_load_or_fail_with_an_input_error(tmp_path, text):
    loaders = [
        ("docaudit.toml", lambda p: load_config(p)),
        ("probes.yaml", load_probes_yaml),
        ("log.csv", load_query_log),
        ("log.jsonl", load_query_log),
        ("acks.yaml", load_acks),
        ("baseline.json", load_baseline),
    ]
    for name, load in loaders:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        try:
            load(path)
        except InputError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 700


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=600))
def test_any_markdown_or_rst_body_becomes_a_doc(tmp_path, body):
    from connectors import gitrepo

    (tmp_path / "docs").mkdir(exist_ok=True)
    for suffix in (".md", ".rst", ".txt", ".html"):
        (tmp_path / "docs" / f"page{suffix}").write_text(body, encoding="utf-8")
    docs, skipped, _, _ = crawl(tmp_path / "docs")
    assert set(docs) | set(skipped) == {f"page{s}" for s in (".md", ".rst", ".txt", ".html")}
    for doc in docs.values():
        assert "\n" not in doc.title and doc.title.strip()  # one line, never empty (the file name at worst)
        assert doc.source == gitrepo.KIND


def test_report_files_as_the_cli_writes_them_are_valid_for_hostile_docs(tmp_path):
    """`--report r.xml --report r.sarif ...` goes through emit() and the format the suffix names."""
    from html.parser import HTMLParser

    from docaudit.reports import emit, format_for_file

    paths = [tmp_path / f"r{suffix}" for suffix in (".xml", ".sarif", ".json", ".html", ".md", ".txt")]
    emit(hostile_result(), NOW, "table", "error", reports=tuple((str(p), format_for_file(str(p))) for p in paths))
    xml, sarif_file, json_file, html_file, md_file, txt_file = paths
    case = ET.parse(xml).getroot().find(".//testcase")
    assert case is not None and case.get("name") == "docs/`g`|\ufffd.md"  # the escape character replaced
    assert "RED" in ET.tostring(case, encoding="unicode")
    runs = json.loads(sarif_file.read_text())["runs"]
    assert "RED" in runs[0]["results"][0]["message"]["text"]
    assert json.loads(json_file.read_text())["findings"][0]["doc"]["title"] == HOSTILE_TITLE  # data, kept exactly
    page = html_file.read_text()
    HTMLParser().feed(page)
    assert 'href="javascript' not in page and "| </a>" not in page  # the title's markup is text, not tags
    assert "`x` | &lt;/a&gt;" in page
    assert "](javascript" not in md_file.read_text() and "\x1b" not in txt_file.read_text()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)
_node_meta = st.dictionaries(st.sampled_from(["owner", "path", "title", "x"]), _json, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    node=st.one_of(
        _json,
        st.fixed_dictionaries(
            {"metadata": _node_meta},
            optional={
                "relationships": st.dictionaries(
                    st.sampled_from(["1", "2", "3", "5"]),
                    _json | st.fixed_dictionaries({"metadata": _node_meta}, optional={"node_id": _json}),
                    max_size=4,
                )
            },
        ),
    ),
    raw=st.none() | st.text(max_size=40),
)
def test_a_chunk_s_stored_node_json_is_refreshed_or_left_alone_never_a_crash(node, raw):
    """Another writer to the collection may have stored anything as `_node_content`."""
    from docaudit.index.layout import node_content_with as _node_content_with

    fresh = {"owner": "New Owner <new@example.com>", "path": "moved.md"}
    assert _node_content_with({}, fresh) == {}
    if raw is not None:
        try:
            readable = isinstance(json.loads(raw), dict)
        except ValueError:
            readable = False
        assert bool(_node_content_with({"_node_content": raw}, fresh)) == readable
    out = _node_content_with({"_node_content": json.dumps(node)}, fresh)
    if not isinstance(node, dict):
        assert out == {}  # not a llama-index node: left alone
        return
    stored = json.loads(out["_node_content"])
    for before, after in _holders(node, stored):
        meta = before.get("metadata")
        if isinstance(meta, dict):  # the keys it had, the fresh value where it had one
            assert after["metadata"] == {k: fresh.get(k, v) for k, v in meta.items()}
        kept = {"metadata", "relationships"} if before is node else {"metadata"}
        assert {k: v for k, v in after.items() if k not in kept} == {k: v for k, v in before.items() if k not in kept}


def _holders(original: dict, stored: dict) -> list[tuple[dict, dict]]:
    """The node and the related nodes it carries, before and after."""
    pairs = [(original, stored)]
    related = original.get("relationships")
    if isinstance(related, dict):
        pairs += [(r, stored["relationships"][k]) for k, r in related.items() if isinstance(r, dict)]
    return pairs
