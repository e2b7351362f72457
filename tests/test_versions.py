"""The version model: `docaudit versions`, the conventions real sites use, corrections in config, and
generated version trees ordered as their declarations say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import commit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.gitrepo import site_of
from docaudit.cli import cli
from docaudit.config import Config, VersionSettings
from docaudit.currency.jsliteral import DYNAMIC, parse_at, strip_comments
from docaudit.currency.site_model import release_key
from docaudit.yamlfile import bounded_load

# A Hugo/Docsy site: versions newest first with the unreleased draft on top, the latest stable one named
# apart, and the draft marked in its index page's cascade, written with a YAML anchor and alias.
DOCSY = {
    "config.toml": (
        '[params]\nlatest_stable_version = "4.2"\n\n'
        '[[params.versions]]\nversion = "v4.3"\nurl = "/docs/v4.3"\n\n'
        '[[params.versions]]\nversion = "v4.2"\nurl = "/docs/v4.2"\n\n'
        '[[params.versions]]\nversion = "v4.1"\nurl = "/docs/v4.1"\n'
    ),
    "content/en/docs/v4.3/_index.md": (
        "---\ntitle: &v v4.3\nlinkTitle: *v\ncascade:\n"
        "  page_warning: &w This is a DRAFT of an unreleased version\n  notice: *w\n---\n"
    ),
    "content/en/docs/v4.3/setup.md": "# Setup\n",
    "content/en/docs/v4.2/_index.md": "---\ntitle: v4.2\n---\n",
    "content/en/docs/v4.2/setup.md": "# Setup\n",
    "content/en/docs/v4.1/setup.md": "# Setup\n",
    "content/en/blog/post.md": "# Post\n",
}

# A Docusaurus site: lastVersion is the newest release and includeCurrentVersion is false (a build step
# copies docs/ into version-3.1/, which git ignores), and its oldest versions sit in a second folder.
DOCUSAURUS = {
    "website/docusaurus.config.ts": (
        "import versions from './versions.json';\n"
        "export default {\n  presets: [\n    ['classic', {\n      docs: {\n"
        "        path: '../docs',\n"
        "        // lastVersion: 'current',\n"
        "        lastVersion: '3.1',\n"
        "        includeCurrentVersion: false,\n"
        "        sidebarPath: require.resolve('./sidebars.js'),\n"
        "        versions: { [versions[0]]: { label: `${versions[0]} (latest)` }, '3.0': { banner: 'unmaintained' } },\n"
        "      },\n    }],\n  ],\n};\n"
    ),
    "website/versions.json": '["3.1", "3.0", "2.9"]',
    "website/.gitignore": "versioned_docs/version-3.1/\n",
    "website/versioned_docs/version-3.0/intro.md": "# Intro\n",
    "website/versioned_docs/version-2.9/intro.md": "# Intro\n",
    "website/archived_docs/version-1.x/intro.md": "# Intro\n",
    "docs/intro.md": "# Intro\n",
}


def reading_of(files: dict, tmp_path: Path, versions: VersionSettings | None = None):
    commit(tmp_path, files)
    config = Config()
    if versions:
        config.versions = versions
    return site_of(str(tmp_path), config).reading


def statuses(reading) -> dict[str, str]:
    return {f.folder: f.status for f in reading.folders}


def test_a_docsy_site_names_its_stable_version_apart_from_the_draft_on_top_of_its_list(tmp_path):
    reading = reading_of(DOCSY, tmp_path)
    assert statuses(reading) == {
        "content/en/docs/v4.3": "preview",
        "content/en/docs/v4.2": "current",
        "content/en/docs/v4.1": "older",
    }
    why = {f.folder: f.why for f in reading.folders}
    assert why["content/en/docs/v4.2"] == 'config.toml:2 latest_stable_version = "4.2"'
    assert why["content/en/docs/v4.3"] == "content/en/docs/v4.3/_index.md:5 cascade page_warning: DRAFT"
    assert reading.summary() == (
        'hugo: current 4.2 (config.toml:2 latest_stable_version = "4.2"); '
        "4.3 preview (content/en/docs/v4.3/_index.md:5 cascade page_warning: DRAFT); 1 older"
    )


def test_without_the_stable_param_the_first_released_entry_of_the_list_is_current(tmp_path):
    files = {**DOCSY, "config.toml": DOCSY["config.toml"].replace('latest_stable_version = "4.2"\n', "")}
    reading = reading_of(files, tmp_path)
    assert statuses(reading)["content/en/docs/v4.2"] == "current"
    assert statuses(reading)["content/en/docs/v4.3"] == "preview"


def test_docusaurus_last_version_built_from_docs_and_an_unlisted_second_folder(tmp_path):
    reading = reading_of(DOCUSAURUS, tmp_path)
    assert reading.generator == "docusaurus"
    assert statuses(reading) == {
        "docs": "current",
        "website/versioned_docs/version-3.0": "older",
        "website/versioned_docs/version-2.9": "older",
        "website/archived_docs/version-1.x": "archived",
    }
    docs = next(f for f in reading.folders if f.folder == "docs")
    assert (docs.label, docs.why) == (
        "3.1",
        "website/docusaurus.config.ts:8 lastVersion: '3.1'; includeCurrentVersion: false and "
        "website/versioned_docs/version-3.1/ is not in the repo: docs/ is built as 3.1",
    )
    assert len({f.track for f in reading.folders}) == 1


def test_docusaurus_with_the_current_folder_built_lists_docs_as_the_unreleased_next(tmp_path):
    files = {**DOCUSAURUS}
    files["website/docusaurus.config.ts"] = (
        files["website/docusaurus.config.ts"]
        .replace("        lastVersion: '3.1',\n", "")
        .replace("includeCurrentVersion: false", "onlyIncludeVersions: ['current', '3.1', '3.0']")
    )
    files["website/versioned_docs/version-3.1/intro.md"] = "# Intro\n"
    del files["website/.gitignore"]
    reading = reading_of(files, tmp_path)
    assert statuses(reading) == {
        "docs": "preview",
        "website/versioned_docs/version-3.1": "current",
        "website/versioned_docs/version-3.0": "older",
        "website/versioned_docs/version-2.9": "archived",  # onlyIncludeVersions leaves it out
        "website/archived_docs/version-1.x": "archived",
    }


def test_the_config_corrects_any_part_of_the_reading(tmp_path):
    fix = VersionSettings(current="4.3", archived=["content/en/docs/v4.1"], ignore=["content/en/docs/v4.2"])
    reading = reading_of(DOCSY, tmp_path, fix)
    assert statuses(reading) == {"content/en/docs/v4.3": "current", "content/en/docs/v4.1": "archived"}
    assert {f.why for f in reading.folders} == {
        "docaudit config [versions] current = '4.3'",
        "docaudit config [versions] archived has 'content/en/docs/v4.1'",
    }


def test_versions_command_prints_the_reading_and_its_json(tmp_path):
    commit(tmp_path, DOCSY)
    runner = CliRunner()
    result = runner.invoke(cli, ["versions", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "generator": "hugo",
        "current": "4.2",
        "current_folder": "content/en/docs/v4.2",
        "versions": [
            {
                "folder": "content/en/docs/v4.2",
                "label": "4.2",
                "status": "current",
                "why": 'config.toml:2 latest_stable_version = "4.2"',
            },
            {
                "folder": "content/en/docs/v4.3",
                "label": "4.3",
                "status": "preview",
                "why": "content/en/docs/v4.3/_index.md:5 cascade page_warning: DRAFT",
            },
            {
                "folder": "content/en/docs/v4.1",
                "label": "4.1",
                "status": "older",
                "why": "older than the current 4.2 (config.toml:2)",
            },
        ],
        "unversioned": ["content/en/blog/"],
    }
    table = runner.invoke(cli, ["versions", str(tmp_path)])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[:2] == ["generator: hugo", "current: 4.2 (content/en/docs/v4.2/)"]
    assert lines[-2:] == [
        "unversioned: content/en/blog/",
        "Wrong? Correct it in docaudit.toml [versions]: current, previews, archived, ignore.",
    ]
    missing = runner.invoke(cli, ["versions", str(tmp_path / "nope")])
    assert (missing.exit_code, missing.output) == (2, f"docaudit: error: {tmp_path / 'nope'}: not a folder\n")


def test_a_config_with_a_wrong_versions_key_names_its_line(tmp_path):
    (tmp_path / "docaudit.toml").write_text('[versions]\ncurrent = "2.0"\nnewest = "3.0"\n')
    result = CliRunner().invoke(cli, ["versions", str(tmp_path), "--config", str(tmp_path / "docaudit.toml")])
    assert result.exit_code == 2
    assert result.output == f"docaudit: error: {tmp_path / 'docaudit.toml'}:3: unknown setting 'versions.newest'\n"


def test_frontmatter_anchors_are_expanded_and_a_bomb_is_refused():
    assert bounded_load("a: &x {k: [1, 2]}\nb: *x\n") == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}}
    assert bounded_load("v: 2.20\n", strings=True) == {"v": "2.20"}
    bomb = "l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9)
    )
    with pytest.raises(yaml.YAMLError, match="aliases expand to more than 100,000 nodes"):
        bounded_load(bomb)
    with pytest.raises(yaml.YAMLError):
        bounded_load("a: &a [*a]\n")  # an alias inside its own anchor


def test_javascript_config_literals_are_read_and_expressions_are_not_guessed():
    src = strip_comments(
        "x = { a: 'one', // lastVersion: 'no'\n b: [1, \"two\"], c: versions[0], d: `t${x}`, 'e-f': { g: true },"
        " h: require('./x'), ...rest, [k]: 1, i: /* c */ 2 }"
    )
    value, _ = parse_at(src, src.index("{"))
    assert value == {"a": "one", "b": [1, "two"], "c": DYNAMIC, "d": DYNAMIC, "e-f": {"g": True}, "h": DYNAMIC, "i": 2}


LABEL = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 12))
TREE_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@TREE_SETTINGS
@given(
    labels=st.lists(LABEL, min_size=2, max_size=7, unique=True),
    data=st.data(),
    prefix=st.sampled_from(["", "v", "version-"]),
    section=st.sampled_from(["docs", "content/docs", "site/content/en/docs", "releases"]),
    declare=st.sampled_from(["param", "list", "symlink", "page", "none"]),
    draft=st.booleans(),
    renamed=st.booleans(),
    grouped=st.booleans(),
)
def test_generated_version_trees_are_ordered_as_their_declarations_say(
    tmp_path_factory, labels, data, prefix, section, declare, draft, renamed, grouped
):
    names = [".".join(map(str, label if label[2] else label[:2])) for label in labels]
    ordered = sorted(names, key=release_key, reverse=True)  # newest first, 1.10 above 1.9
    preview = ordered[0] if draft else None
    released = [n for n in ordered if n != preview]
    current = data.draw(st.sampled_from(released)) if declare != "none" else released[0]
    files: dict[str, str] = {}

    def parent(name: str) -> str:  # grouped: docs/v1/1.76, docs/v2/2.20
        return f"{section}/v{name.split('.')[0]}" if grouped else section

    for name in names:
        folder = f"{parent(name)}/{prefix}{name}"
        files[f"{folder}/guide/setup.md"] = f"# Setup {name}\n"
        files[f"{folder}/{'start' if renamed and name == current else 'intro'}.md"] = "# Intro\n"
        files[f"{folder}/_index.md"] = "---\ntitle: " + name + (" (latest)" if declare == "page" and name == current else "") + (
            "\ncascade:\n  draft: true" if name == preview else ""
        ) + "\n---\n"  # fmt: skip
    if declare == "param":
        files["config.yaml"] = f'params:\n  latestVersion: "{current}"\n'
    elif declare == "list":
        files["hugo.toml"] = (
            "[params]\nversions = [" + ", ".join(f'"{n}"' for n in released[released.index(current) :]) + "]\n"
        )
    root = tmp_path_factory.mktemp("tree")
    commit(root, files)
    if declare == "symlink":
        (root / parent(current) / "latest").symlink_to(f"{prefix}{current}")
    reading = site_of(str(root), Config()).reading
    got = {f.label: f.status for f in reading.folders}
    for name in names:
        want = (
            "current"
            if name == current
            else "preview"
            if name == preview or release_key(name) > release_key(current)
            else "older"
        )
        assert got[name] == want, (name, reading.to_json())  # fmt: skip
    assert reading.main_current().label == current


def test_a_page_renamed_in_the_current_version_is_its_old_pages_twin():
    from docaudit.currency.families import current_twins
    from docaudit.index.duplicates import signature
    from docaudit.records import Doc, Release

    body = " ".join(
        f"Step {i}: run the migrate command on shard {i} with the dry run flag, then apply." for i in range(12)
    )

    def page(path: str, title: str, text: str, status: str, inner: str) -> Doc:
        d = Doc("git", "site", path, title, text, path=path)
        d.release, d.minhash = Release(path.split("/")[1], status, "", inner, "docs"), signature(text)
        return d

    docs = {
        d.key: d
        for d in (
            page("docs/1.0/commands/migrate.md", "Migrate", body, "older", "commands/migrate.md"),
            page("docs/2.0/commands/vt-migrate.md", "Migrate", body + "Now named vt-migrate.", "current", "commands/vt-migrate.md"),
            page("docs/1.0/faq.md", "FAQ", " ".join(f"Question {i}: how do I reset token number {i}? Ask the admin." for i in range(12)), "older", "faq.md"),
            page("docs/2.0/reference/faq.md", "FAQ", " ".join(f"Since 2.0 the portal lists {i} sessions per user, and you revoke them there." for i in range(12)), "current", "reference/faq.md"),
        )
    }  # fmt: skip
    twins = current_twins(docs, {k: d.release for k, d in docs.items()})
    assert twins == {
        "git:site:docs/1.0/commands/migrate.md": (
            "git:site:docs/2.0/commands/vt-migrate.md",
            "renamed or moved: same title, near-identical text",
        )
    }  # the FAQ moved but was rewritten: not near-identical, so no twin is guessed


@pytest.mark.parametrize(
    "name, text",
    [
        ("_redirects", "/  /latest/  301\n/latest/*  /2.1/:splat  302\n"),
        ("netlify.toml", '[[redirects]]\nfrom = "/latest/*"\nto = "/2.1/:splat"\nstatus = 302\n'),
        ("vercel.json", '{"redirects": [{"source": "/latest/:path*", "destination": "/2.1/:path*"}]}'),
    ],
)
def test_a_redirect_from_latest_names_the_current_version(tmp_path, name, text):
    files = {f"{v}/{page}": f"# {page}\n" for v in ("2.0", "2.1", "2.2") for page in ("a.md", "b.md")}
    reading = reading_of({**files, name: text}, tmp_path)
    assert statuses(reading) == {"2.0": "older", "2.1": "current", "2.2": "preview"}
    assert next(f.why for f in reading.folders if f.folder == "2.1").startswith(f"{name}:")


def test_unnumbered_folders_beside_versions_are_never_read_as_older(tmp_path):
    pages = ("a.md", "b.md", "c/d.md")
    files = {f"docs/{v}/{p}": f"# {p}\n" for v in ("1.0", "1.1", "latest", "work") for p in pages}
    reading = reading_of(files, tmp_path)
    got = {f.folder: (f.label, f.status) for f in reading.folders}
    assert got == {
        "docs/1.1": ("1.1", "current"),
        "docs/latest": ("1.1", "current"),  # a copy of the current version, not a version of its own
        "docs/work": ("work", "preview"),  # mirrors the versions; nothing says which: it supersedes nothing
        "docs/1.0": ("1.0", "older"),
    }


def test_docusaurus_translations_and_plugin_instances_keep_their_versions_statuses(tmp_path):
    files = {
        "website/docusaurus.config.js": (
            "module.exports = {\n  presets: [['classic', { docs: { sidebarPath: 'x' } }]],\n  plugins: [\n"
            "    [require.resolve('@docusaurus/plugin-content-docs'), { id: 'community', path: 'community',"
            " lastVersion: 'current', versions: { current: { label: '2.x' } } }],\n  ],\n};\n"
        ),
        "website/versions.json": '["1.1", "1.0"]',
        "website/docs/a.md": "# A\n",
        "website/versioned_docs/version-1.1/a.md": "# A\n",
        "website/versioned_docs/version-1.0/a.md": "# A\n",
        "website/i18n/ja/docusaurus-plugin-content-docs/current/a.md": "# A\n",
        "website/i18n/ja/docusaurus-plugin-content-docs/version-1.1/a.md": "# A\n",
        "website/community_versions.json": '["1.x"]',
        "website/community/c.md": "# C\n",
        "website/community_versioned_docs/version-1.x/c.md": "# C\n",
    }
    reading = reading_of(files, tmp_path)
    assert {f.folder: (f.label, f.status, f.track) for f in reading.folders} == {
        "website/docs": ("Next", "preview", "website"),
        "website/versioned_docs/version-1.1": ("1.1", "current", "website"),
        "website/versioned_docs/version-1.0": ("1.0", "older", "website"),
        "website/i18n/ja/docusaurus-plugin-content-docs/current": ("Next", "preview", "website@ja"),
        "website/i18n/ja/docusaurus-plugin-content-docs/version-1.1": ("1.1", "current", "website@ja"),
        "website/community": ("2.x", "current", "website#community"),
        "website/community_versioned_docs/version-1.x": ("1.x", "older", "website#community"),
    }


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_javascript_literals_read_json_back_as_it_was(value):
    text = json.dumps(value)
    assert parse_at(text, 0)[0] == value


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from([*"{}[]()'\"`,:;/*\\ \nab1.$", "//", "/*", "${"]), max_size=60).map("".join))
def test_javascript_reading_ends_on_any_text(text):
    src = strip_comments(text)
    assert len(src) == len(text) and src.count("\n") == text.count("\n")  # offsets still give lines
    for i in range(0, len(src), 7):
        value, end = parse_at(src, i)
        assert i <= end <= len(src)


CONFIG_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(['{"version": 1}', "[1, {}, null]", '[{"version": "2.0", "aliases": 5}]', "latest: [", "a: &a [*a]"]),
    st.lists(st.sampled_from(["latest = ", '"2.0"', "[params.versions]\n", "docs = [", "'1.0',", "]\n", "next: 3.0\n",
                              "lastVersion: ", "{", "}", "versions: {", "'x': {banner: 'unreleased'},", "\n"]),
             max_size=20).map("".join),
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.fixed_dictionaries({name: CONFIG_TEXT for name in (
    "hugo.toml", "config.yaml", "versions.json", "website/docusaurus.config.js", "website/versions.json",
    "docs/2.0/_index.md", "_redirects", "docs/conf.py")}))  # fmt: skip
def test_any_config_text_gives_a_reading_never_an_error(tmp_path_factory, texts):
    root = tmp_path_factory.mktemp("hostile")
    pages = {f"docs/{v}/page.md": "# Page\n" for v in ("1.0", "2.0")} | {
        "website/versioned_docs/version-1/a.md": "# A\n"
    }
    for rel, text in {**pages, **texts}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8", errors="surrogatepass")
    reading = site_of(str(root), Config()).reading
    assert {f.status for f in reading.folders} <= {"current", "preview", "older", "archived"}
    json.dumps(reading.to_json())


@pytest.mark.parametrize(
    "extra, current",
    [
        ({"index.html": '<meta http-equiv="refresh" content="0; url=./2.1/">'}, "2.1"),
        ({"index.html": "<script>window.location.href = 'stable/'</script>", "stable": "2.0"}, "2.0"),
        ({"hugo.yaml": "params:\n  versions:\n    - {version: v2.2, draft: true}\n    - {version: v2.1, latest: true}\n"}, "2.1"),
        ({"_config.yml": "title: Site\nversion: 2.0\n"}, "2.0"),
        ({"2.2/antora.yml": "name: guide\nversion: '2.2'\nprerelease: true\n"}, "2.1"),
        ({"versions.json": '[{"version": "2.2", "aliases": ["dev"]}, {"version": "2.1", "aliases": ["v2"]}, '
                           '{"version": "2.0", "aliases": []}]', "mkdocs.yml": "extra:\n  version:\n    default: v2\n"}, "2.1"),
    ],
)  # fmt: skip
def test_conventions_for_the_default_version(tmp_path, extra, current):
    files = {f"{v}/{page}": f"# {page}\n" for v in ("2.0", "2.1", "2.2") for page in ("a.md", "b.md")}
    reading = reading_of({**files, **extra}, tmp_path)
    assert reading.main_current().label == current, reading.to_json()
    assert all(f.status == ("preview" if f.label > current else "older") for f in reading.folders if f.label != current)


def test_a_section_named_like_a_preview_beside_the_versions_is_no_version(tmp_path):
    files = {f"docs/{v}/{p}": f"# {p}\n" for v in ("1.0", "1.1", "master") for p in ("_index.md", "a.md", "b.md")}
    files |= {"docs/development/_index.md": "# Dev\n", "docs/development/building.md": "# Building\n"}
    reading = reading_of(files, tmp_path)
    assert statuses(reading) == {"docs/1.1": "current", "docs/master": "preview", "docs/1.0": "older"}
    assert "docs/development/" in reading.unversioned
