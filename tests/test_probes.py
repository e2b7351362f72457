import pytest

from docaudit.errors import InputError
from docaudit.probing.probes import generate_probes, load_probes_yaml, load_query_log, resolve_expectations
from docaudit.records import Doc


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_probes_yaml_with_expect_and_tags(tmp_path):
    path = write(
        tmp_path,
        "probes.yaml",
        "probes:\n  - id: a\n    query: How?\n    expect: x.md\n    tags: [t]\n"
        "  - query: Why?\n    expect: [y.md, z.md]\n",
    )
    first, second = load_probes_yaml(path)
    assert (first.id, first.query, first.expect, first.tags) == ("a", "How?", ("x.md",), ("t",))
    assert first.origin == f"{path}:2"
    assert second.expect == ("y.md", "z.md") and second.id.startswith("q-")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("probes:\n  - id: a\n    query: [unclosed\n", r"probes.yaml:4: invalid YAML"),
        ("probes:\n  - id: a\n    query: ''\n", r"probes.yaml:3: probe needs a non-empty 'query' string"),
        ("probes:\n  - id: a\n    query: q\n    expects: x.md\n", r"probes.yaml:4: unknown probe key 'expects'"),
        (
            "probes:\n  - id: a\n    query: q\n  - id: a\n    query: r\n",
            r"probes.yaml:4: duplicate probe id 'a' \(first at line 2\)",
        ),
        (
            "probes:\n  - id: a\n    query: q\n    expect: {x: 1}\n",
            r"probes.yaml:4: 'expect' must be a string or a list",
        ),
        ("questions:\n  - query: q\n", r"probes.yaml:1: unknown top-level key 'questions'"),
        ("probes: []\n", r"probes.yaml: expected a non-empty list"),
    ],
)
def test_malformed_probes_name_file_and_line(tmp_path, text, error):
    with pytest.raises(InputError, match=error):
        load_probes_yaml(write(tmp_path, "probes.yaml", text))


def test_query_log_csv_with_header_dedupes_repeats(tmp_path):
    path = write(
        tmp_path,
        "log.csv",
        "timestamp,question\n2026-01-01,How do refunds work?\n"
        "2026-01-02,  How do refunds   work?\n2026-01-03,Where is the VPN guide?\n",
    )
    probes = load_query_log(path)
    assert [p.query for p in probes] == ["How do refunds work?", "Where is the VPN guide?"]
    assert probes[0].origin == f"{path}:2" and probes[1].origin == f"{path}:4"


def test_query_log_jsonl_errors_name_the_line(tmp_path):
    assert [p.query for p in load_query_log(write(tmp_path, "log.jsonl", '{"query": "a?"}\n\n{"q": "b?"}\n'))] == [
        "a?",
        "b?",
    ]
    with pytest.raises(InputError, match=r"log.jsonl:2: invalid JSON"):
        load_query_log(write(tmp_path, "log.jsonl", '{"query": "a?"}\n{oops\n'))
    with pytest.raises(InputError, match=r"log.jsonl:1: no query field"):
        load_query_log(write(tmp_path, "log.jsonl", '{"user": "x"}\n'))


def test_generated_probes_drop_versions_so_old_and_new_compete():
    docs = [
        Doc("git", "s", "api/v1/guide.md", "API Guide v1", "t", path="api/v1/guide.md", headings=["Authentication"]),
        Doc("git", "s", "api/v2/guide.md", "API Guide v2", "t", path="api/v2/guide.md", headings=["Authentication"]),
        Doc("git", "s", "billing-2021.md", "Billing Spec 2021", "t", path="billing-2021.md"),
    ]
    queries = [p.query for p in generate_probes(docs, per_doc=3)]
    assert queries == ["API Guide", "API Guide: Authentication", "Billing Spec"]


def test_expectation_that_matches_no_doc_is_an_input_error(tmp_path):
    doc = Doc("git", "s", "here.md", "Here", "t", path="here.md")
    found = load_probes_yaml(write(tmp_path, "ok.yaml", "- id: b\n  query: q\n  expect: /here.md\n"))
    assert resolve_expectations(found, {doc.key: doc}) == {"b": [doc.key]}
    probes = load_probes_yaml(write(tmp_path, "probes.yaml", "- id: a\n  query: q\n  expect: gone.md\n"))
    with pytest.raises(InputError, match=r"probes.yaml:1: probe 'a' expects 'gone.md', which is not in the index"):
        resolve_expectations(probes, {doc.key: doc})
