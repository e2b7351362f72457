"""The git/markdown connector on temporary repos and folders."""

import os
from datetime import datetime, timezone

from conftest import commit

from connectors import CrawlState, gitrepo
from docaudit.config import Config
from docaudit.records import Doc, Gone, Owner, Skipped


def crawl(root, config=None, known=None):
    state = CrawlState(known=known or {})
    records = list(gitrepo.crawl(str(root), config or Config(), state))
    docs = {r.id: r for r in records if isinstance(r, Doc)}
    skipped = {r.id: r.reason for r in records if isinstance(r, Skipped)}
    gone = [r.id for r in records if isinstance(r, Gone)]
    return docs, skipped, gone, state


def test_titles_from_frontmatter_then_heading_then_file_name(tmp_path):
    commit(
        tmp_path,
        {
            "a.md": "---\ntitle: From Frontmatter\n---\n# Heading\ntext\n",
            "b.md": "Intro line\n\n# First Heading\n## Second\n```\n# not a heading\n```\n## Third\n",
            "c-file_name.txt": "plain text\n",
            "d.rst": "Restructured Title\n==================\n\nbody\n",
            "e.adoc": "= Ascii Title\n\nbody\n",
            "f.html": "<html><head><title>Html Title</title><script>var x=1;</script></head><body><h1>H</h1><p>Body text</p></body></html>",
            "g.mdx": '+++\ntitle = "Toml Front"\n+++\nbody\n',
        },
    )
    docs, _, _, _ = crawl(tmp_path)
    assert {k: d.title for k, d in docs.items()} == {
        "a.md": "From Frontmatter",
        "b.md": "First Heading",
        "c-file_name.txt": "c file name",
        "d.rst": "Restructured Title",
        "e.adoc": "Ascii Title",
        "f.html": "Html Title",
        "g.mdx": "Toml Front",
    }
    assert docs["b.md"].headings == ["Second", "Third"]
    assert "var x" not in docs["f.html"].text and "Body text" in docs["f.html"].text


def test_dates_and_authors_come_from_git_and_skip_mass_edits(tmp_path):
    pages = {f"p{i}.md": f"# Page {i}\n" for i in range(12)}
    commit(tmp_path, pages, when="2021-01-01T00:00:00", author="Old Author <old@example.com>")
    commit(tmp_path, {"p0.md": "# Page 0\nreal edit\n"}, when="2024-05-05T00:00:00", author="Editor <ed@example.com>")
    commit(
        tmp_path,
        {k: v + "\nfooter\n" for k, v in pages.items()},
        when="2026-06-01T00:00:00",
        author="Mass Editor <mass@example.com>",
    )
    docs, _, _, state = crawl(tmp_path)
    assert docs["p0.md"].last_modified == datetime(2024, 5, 5, tzinfo=timezone.utc)
    assert docs["p0.md"].owner.email == "ed@example.com"
    assert docs["p1.md"].last_modified == datetime(2021, 1, 1, tzinfo=timezone.utc)
    assert docs["p1.md"].created == datetime(2021, 1, 1, tzinfo=timezone.utc)
    assert any("mass edits not counted" in n for n in docs["p1.md"].notes)
    assert len(state.next_cursor["head"]) == 40


def test_blame_ignore_revs_are_not_edits(tmp_path):
    commit(tmp_path, {"a.md": "# A\n"}, when="2022-01-01T00:00:00")
    commit(tmp_path, {"a.md": "# A\nreformatted\n"}, when="2026-01-01T00:00:00")
    sha = os.popen(f"git -C {tmp_path} rev-parse HEAD").read().strip()
    commit(tmp_path, {".git-blame-ignore-revs": f"# prettier\n{sha}\n"}, when="2026-01-02T00:00:00")
    docs, _, _, _ = crawl(tmp_path)
    assert docs["a.md"].last_modified == datetime(2022, 1, 1, tzinfo=timezone.utc)


def test_owner_precedence_codeowners_last_match_and_bots(tmp_path):
    commit(
        tmp_path,
        {
            ".github/CODEOWNERS": "*.md @acme/docs\n/team/ @acme/team lead@example.com\n/orphans/\n",
            "fm.md": "---\nowner: Fran Front <fran@example.com>\n---\n# Fm\n",
            "plain.md": "# Plain\n",
            "team/page.md": "# Team\n",
            "orphans/page.md": "# Orphan\n",
        },
        author="Import Bot <import-bot@noreply.example.com>",
    )
    docs, _, _, _ = crawl(tmp_path)
    assert (docs["fm.md"].owner.name, docs["fm.md"].owner.email, docs["fm.md"].owner.via) == (
        "Fran Front",
        "fran@example.com",
        "frontmatter",
    )
    assert docs["plain.md"].owner.name == "@acme/docs"
    assert docs["plain.md"].owner.via == "CODEOWNERS (.github/CODEOWNERS:1)"
    assert docs["team/page.md"].owner.name == "@acme/team lead@example.com"
    assert docs["orphans/page.md"].owner is None  # unowned pattern, and the only committer is a bot
    assert docs["orphans/page.md"].notes == [
        "no owner: no frontmatter owner; CODEOWNERS (.github/CODEOWNERS:3) assigns no one; "
        "the last committer, Import Bot <import-bot@noreply.example.com>, is not a person (ignore_authors)"
    ]


def test_last_human_committer_owns_what_nothing_else_claims(tmp_path):
    commit(tmp_path, {"a.md": "# A\n"}, author="Human Person <human@example.com>")
    docs, _, _, _ = crawl(tmp_path)
    assert docs["a.md"].owner.email == "human@example.com"
    assert docs["a.md"].owner.via == "last committer"


def test_markers_frontmatter_cascade_and_banners(tmp_path):
    commit(
        tmp_path,
        {
            "old/_index.md": "---\ncascade:\n  deprecated: true\n  owner: Old Team <old@example.com>\n---\n",
            "old/page.md": "# Old page\ntext\n",
            "old/own.md": "---\ndeprecated: false\nowner: Me <me@example.com>\n---\n# Own\n",
            "fm.md": "---\narchived: yes\nreview_by: 2026-01-31\nsuperseded_by: ../new/guide.md\n---\n# Fm\n",
            "sub/banner.md": "# Guide\n\n> **Warning:** This guide is deprecated. Use [the new guide](../new/guide.md) instead.\n",
            "prose.md": "# Policy\n\nWe deprecated the v1 endpoints in 2023 and explain the process here.\n",
            "new/guide.md": "# New\n",
        },
    )
    docs, _, _, _ = crawl(tmp_path)
    page = docs["old/page.md"]
    assert [(m.kind, m.source) for m in page.markers] == [("deprecated", "cascade from old/_index.md")]
    assert page.owner.email == "old@example.com"
    own = docs["old/own.md"]
    assert own.marker("deprecated") is None  # the page's own `deprecated: false` beats the cascade
    fm = docs["fm.md"]
    assert {m.kind: m.value for m in fm.markers} == {
        "archived": "True",
        "review_by": "2026-01-31",
        "superseded_by": "new/guide.md",
    }
    banner = docs["sub/banner.md"]
    assert banner.marker("deprecated").source == "banner at body line 3"
    assert banner.marker("superseded_by").value == "new/guide.md"
    assert docs["prose.md"].markers == []


def test_binary_huge_and_undecodable_files_are_skipped_and_counted(tmp_path):
    commit(
        tmp_path,
        {
            "ok.md": "# Fine\n",
            "image.md": b"\x89PNG\r\n\x1a\n\x00\x00binary",
            "latin1.txt": "caf\xe9".encode("latin-1"),
            "huge.md": "# Big\n" + "word " * 500,
            "picture.png": b"\x89PNG",
        },
    )
    docs, skipped, _, _ = crawl(tmp_path, Config(max_file_bytes=1000))
    assert set(docs) == {"ok.md"}
    assert skipped["image.md"] == "binary file"
    assert skipped["latin1.txt"] == "not valid UTF-8 (byte 3)"
    assert skipped["huge.md"].startswith("huge file (2,506 bytes")
    assert "picture.png" not in skipped  # not a doc type at all


def test_broken_frontmatter_is_noted_not_fatal(tmp_path):
    commit(tmp_path, {"a.md": "---\ntitle: [unclosed\n---\n# Heading\n"})
    docs, _, _, _ = crawl(tmp_path)
    assert docs["a.md"].title == "Heading"
    assert docs["a.md"].notes[0].startswith("frontmatter could not be parsed")


def test_plain_folder_falls_back_to_mtime_and_reports_gone_docs(tmp_path):
    (tmp_path / "a.md").write_text("# A\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.md").write_text("# hidden\n")
    os.utime(tmp_path / "a.md", (1_700_000_000, 1_700_000_000))
    docs, _, gone, state = crawl(tmp_path, known={"a.md": "h", "deleted.md": "h"})
    assert set(docs) == {"a.md"}
    assert docs["a.md"].last_modified == datetime.fromtimestamp(1_700_000_000, timezone.utc)
    assert "file modification time" in docs["a.md"].notes[0]
    assert gone == ["deleted.md"]
    assert state.next_cursor == {"head": None, "identity": str(tmp_path.resolve())}


def test_gitignored_files_are_not_docs(tmp_path):
    commit(tmp_path, {".gitignore": "build/\n", "a.md": "# A\n"})
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.md").write_text("# generated\n")
    (tmp_path / "draft.md").write_text("# Untracked draft\n")
    docs, _, _, _ = crawl(tmp_path)
    assert set(docs) == {"a.md", "draft.md"}
    assert "not in git history" in docs["draft.md"].notes[0]


def test_docusaurus_versions_json_declares_the_current_version_and_docs_is_next(tmp_path):
    # The layout of jestjs/jest: website/versions.json, website/versioned_docs/version-X, ../docs is "next"
    commit(
        tmp_path,
        {
            "website/versions.json": '["30.4", "30.0"]',
            "website/versioned_docs/version-30.0/CLI.md": "# CLI\n",
            "website/versioned_docs/version-30.4/CLI.md": "# CLI\n",
            "docs/CLI.md": "# CLI\n",
        },
    )
    docs, _, _, _ = crawl(tmp_path)
    old, cur, nxt = (
        docs[p].release
        for p in (
            "website/versioned_docs/version-30.0/CLI.md",
            "website/versioned_docs/version-30.4/CLI.md",
            "docs/CLI.md",
        )
    )
    assert (old.label, old.status, old.inner) == ("30.0", "older", "CLI.md")
    assert (cur.label, cur.status, cur.inner) == ("30.4", "current", "CLI.md")
    assert (
        cur.source
        == "website/versions.json:1 first entry '30.4' (Docusaurus: the last version is versions.json's first)"
    )
    assert (nxt.label, nxt.status, nxt.inner) == ("Next", "preview", "CLI.md")
    assert nxt.source == "before the last version '30.4' (website/versions.json:1): unreleased"
    assert old.site == cur.site == nxt.site == "website"


HUGO_CONFIG = '[params.versions]\ncurrent = "21.0"\nnext = "22.0"\n'


def test_hugo_params_versions_and_index_pages_say_which_version_is_what(tmp_path):
    # The shapes of vitessio/website: config.toml [params.versions], version folders with _index.md
    commit(
        tmp_path,
        {
            "config.toml": HUGO_CONFIG,
            "content/en/docs/20.0/_index.md": "---\ntitle: v20.0 (Stable)\ncascade:\n  version: v20.0\n---\n",
            "content/en/docs/20.0/cell.md": "# Cell\n",
            "content/en/docs/21.0/cell.md": "# Cell\n",
            "content/en/docs/22.0/_index.md": "---\ntitle: v22.0 (Development)\n---\n",
            "content/en/docs/22.0/cell.md": "# Cell\n",
            "content/en/docs/archive/16.0/_index.md": "---\ntitle: v16.0 (Archived)\n---\n",
            "content/en/docs/archive/16.0/cell.md": "# Cell\n",
        },
    )
    docs, _, _, _ = crawl(tmp_path)
    release = {p.split("/")[-2]: d.release for p, d in docs.items() if p.endswith("cell.md")}
    assert {v: r.status for v, r in release.items()} == {
        "20.0": "older",
        "21.0": "current",
        "22.0": "preview",
        "16.0": "archived",
    }
    assert release["21.0"].source == 'config.toml:2 current = "21.0"'
    assert release["22.0"].source == 'config.toml:3 next = "22.0"'
    assert release["16.0"].source == "content/en/docs/archive/16.0/_index.md:2 title: v16.0 (Archived)"
    assert len({(r.site, r.inner) for r in release.values()}) == 1  # one page, four versions


def test_without_a_declaration_the_index_page_still_marks_a_development_version(tmp_path):
    commit(
        tmp_path,
        {
            "docs/v1.0/a.md": "# A\n",
            "docs/v2.0/a.md": "# A\n",
            "docs/v3.0/_index.md": "---\ntitle: v3.0\ncascade:\n  page_warning: This is a DRAFT of an unreleased version\n---\n",
            "docs/v3.0/a.md": "# A\n",
        },
    )
    docs, _, _, _ = crawl(tmp_path)
    assert [docs[f"docs/v{v}/a.md"].release.status for v in ("1.0", "2.0", "3.0")] == ["older", "current", "preview"]


def test_mike_versions_json_aliases_name_the_current_version(tmp_path):
    mike = '[{"version": "2.0", "title": "2.0 dev", "aliases": ["dev"]}, {"version": "1.5", "aliases": ["latest"]}]'
    commit(tmp_path, {"versions.json": mike, "1.5/a.md": "# A\n", "2.0/a.md": "# A\n", "1.0/a.md": "# A\n"})
    docs, _, _, _ = crawl(tmp_path)
    assert [docs[f"{v}/a.md"].release.status for v in ("1.0", "1.5", "2.0")] == ["older", "current", "preview"]


PEP_OLD = """PEP: 8100
Title: January 2019 steering council election
Author: Nathaniel J. Smith <njs@pobox.com>, Ee Durbin <ee@python.org>
Status: Superseded
Type: Informational
Superseded-By: 8101

Abstract
========

This document describes the schedule and other details of the election.

.. deprecated:: 2.6
   The ``old()`` function below is deprecated.
"""
PEP_NEW = """PEP: 8101
Title: 2020 Term steering council election
Author: Ewa Jodlowska <ewa@python.org>
Status: Final
Type: Informational
Replaces: 8100

Abstract
========

The 2020 election.
"""


def test_header_blocks_give_title_status_owner_and_a_successor_by_number(tmp_path):
    # Real shapes of the peps repository: RFC-822-style headers above reST sections
    commit(tmp_path, {"peps/pep-8100.rst": PEP_OLD, "peps/pep-8101.rst": PEP_NEW}, author="Bot <x@noreply.example.com>")
    docs, _, _, _ = crawl(tmp_path)
    old, new = docs["peps/pep-8100.rst"], docs["peps/pep-8101.rst"]
    assert (old.title, new.title) == ("January 2019 steering council election", "2020 Term steering council election")
    assert old.owner == Owner("Nathaniel J. Smith", "njs@pobox.com", "author field")
    assert [(m.kind, m.value) for m in old.markers] == [
        ("deprecated", "Superseded"),
        ("superseded_by", "8101"),
        ("alias", "8100"),
    ]
    assert [(m.kind, m.value) for m in new.markers] == [("current", "Final"), ("replaces", "8100"), ("alias", "8101")]
    from docaudit.currency.assess import assess

    verdict = assess({d.key: d for d in (old, new)}, None, Config(), datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert verdict[old.key].superseded_by == new.key
    assert verdict[new.key].status == "current"  # Final: its age does not count
    assert "explicitly current (header status: Final)" in verdict[new.key].reasons[0]


def test_a_directive_deep_in_a_doc_deprecates_the_thing_it_annotates_not_the_doc(tmp_path):
    body = "# Logging\n\n" + "Configure logging.\n\n" * 20 + ".. deprecated:: 2.6\n   Use the new handler.\n"
    admonition = "# Mocks\n\n" + "Text.\n\n" * 20 + ":::caution\n\nThe --foo flag is deprecated: use --bar.\n\n:::\n"
    top = ":::caution Deprecated\n\nThis page is deprecated. Use [the new one](new.md).\n\n:::\n\n# Old\n"
    commit(tmp_path, {"logging.md": body, "mocks.md": admonition, "old.md": top})
    docs, _, _, _ = crawl(tmp_path)
    assert docs["logging.md"].markers == [] and docs["mocks.md"].markers == []
    assert [m.kind for m in docs["old.md"].markers] == ["deprecated", "superseded_by"]


def test_is_deprecated_in_a_cascade_and_prow_owners_files(tmp_path):
    commit(
        tmp_path,
        {
            "docs/v1/_index.md": "---\ntitle: v1\ncascade:\n  is_deprecated: true\n---\n",
            "docs/v1/page.md": "# Page\n",
            "OWNERS": "approvers:\n- alice\nreviewers:\n- bob\n",
            "docs/OWNERS": "reviewers:\n- carol\n",
        },
        author="web-flow <noreply@github.com>",
    )
    docs, _, _, _ = crawl(tmp_path)
    assert docs["docs/v1/page.md"].marker("deprecated").source == "cascade from docs/v1/_index.md"
    assert docs["docs/v1/page.md"].owner == Owner("carol", "", "docs/OWNERS reviewers")


def test_github_noreply_committers_are_people_and_bots_are_not(tmp_path):
    commit(tmp_path, {"a.md": "# A\n"}, author="Shlomi Noach <2607934+shlomi-noach@users.noreply.github.com>")
    commit(tmp_path, {"b.md": "# B\n"}, author="dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>")
    commit(tmp_path, {"c.md": "# C\n"}, author="GitHub <noreply@github.com>")
    docs, _, _, _ = crawl(tmp_path)
    assert docs["a.md"].owner.name == "Shlomi Noach"
    assert docs["b.md"].owner is None and docs["c.md"].owner is None


def test_year_folders_and_numbered_chapters_are_not_versions(tmp_path):
    commit(
        tmp_path, {"blog/2020/launch.md": "# Launch\n", "blog/2021/launch.md": "# Launch\n", "book/3/intro.md": "# I\n"}
    )
    docs, _, _, _ = crawl(tmp_path)
    assert sorted(docs) == ["blog/2020/launch.md", "blog/2021/launch.md", "book/3/intro.md"]  # all were read
    assert [d.release for d in docs.values()] == [None, None, None]


def test_a_guessed_current_version_is_not_declared(tmp_path):
    commit(tmp_path, {"api/v1/auth.md": "# Auth\n", "api/v2/auth.md": "# Auth\n", "config.toml": HUGO_CONFIG})
    docs, _, _, _ = crawl(tmp_path)
    assert (docs["api/v1/auth.md"].release.status, docs["api/v1/auth.md"].release.declared) == ("older", False)


def test_sphinx_conf_py_names_the_release_it_builds(tmp_path):
    commit(
        tmp_path,
        {
            "docs/conf.py": "project = 'x'\nrelease = '3.2.1'\n",
            "docs/3.1/a.rst": "A\n=\n",
            "docs/3.2.1/a.rst": "A\n=\n",
        },
    )
    docs, _, _, _ = crawl(tmp_path)
    assert docs["docs/3.2.1/a.rst"].release.source == "docs/conf.py:2 release = '3.2.1'"
    assert docs["docs/3.1/a.rst"].release.status == "older"


def raw_commit(repo, author: bytes, message: bytes) -> None:
    """A commit object written byte for byte: git's porcelain would clean the author name."""
    import subprocess

    tree = subprocess.run(["git", "-C", repo, "write-tree"], capture_output=True, check=True).stdout.strip()
    parent = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, check=True).stdout.strip()
    body = b"tree %s\nparent %s\nauthor %s 1767225600 +0000\ncommitter %s 1767225600 +0000\n\n%s\n" % (
        tree,
        parent,
        author,
        author,
        message,
    )
    sha = subprocess.run(
        ["git", "-C", repo, "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
        input=body,
        capture_output=True,
        check=True,
    ).stdout.strip()
    subprocess.run(["git", "-C", repo, "update-ref", "HEAD", sha], check=True)


def test_author_names_and_subjects_with_any_byte_git_allows_never_break_the_crawl(tmp_path):
    commit(tmp_path, {"a.md": "# A\n", "b.md": "# B\n"}, author="Ann Author <ann@example.com>")
    (tmp_path / "a.md").write_text("# A\nEdited.\n")
    import subprocess

    subprocess.run(["git", "-C", tmp_path, "add", "a.md"], check=True)
    raw_commit(tmp_path, b"Odd\x1e Na\x1fme\tX <odd@example.com>", b"subject \x1e\x1f with\nnewlines\n\nand a body")
    docs, _, _, _ = crawl(tmp_path)
    assert docs["a.md"].owner.name == "Odd\x1e Na\x1fme\tX"
    assert docs["a.md"].last_modified == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert docs["b.md"].owner.name == "Ann Author"


def test_rest_field_lists_and_a_sites_own_status_field_become_markers(tmp_path):
    """`:Status: Withdrawn` in a reST field list, and a site's own field and values through [markers]."""
    commit(
        tmp_path,
        {
            "rfc/old.rst": "=====\nOld\n=====\n\n:Status: Withdrawn\n:Author: Ann <ann@example.com>\n\nText.\n",
            "rfc/ours.md": "---\nlifecycle: retired\n---\n# Ours\n\nText.\n",
            "rfc/kept.md": "---\nlifecycle: living\n---\n# Kept\n\nText.\n",
        },
    )
    docs, _, _, _ = crawl(tmp_path)
    assert ("deprecated", "Withdrawn") in [(m.kind, m.value) for m in docs["rfc/old.rst"].markers]
    assert not any(m.kind == "deprecated" for m in docs["rfc/ours.md"].markers)  # `lifecycle` means nothing yet
    config = Config()
    config.markers.status_field = "lifecycle"
    docs, _, _, _ = crawl(tmp_path, config)
    assert ("deprecated", "retired") in [(m.kind, m.value) for m in docs["rfc/ours.md"].markers]
    assert ("current", "living") in [(m.kind, m.value) for m in docs["rfc/kept.md"].markers]


def test_mass_edit_thresholds_decide_what_counts_as_an_edit(tmp_path):
    """mass_edit_min_files and mass_edit_fraction: a commit touching 12 of 12 docs is a mass edit by
    default; with the bar raised above it, it is an edit like any other."""
    pages = {f"p{i}.md": f"# Page {i}\n" for i in range(12)}
    commit(tmp_path, pages, when="2021-01-01T00:00:00")
    commit(tmp_path, {k: v + "\nfooter\n" for k, v in pages.items()}, when="2026-06-01T00:00:00")
    default, _, _, _ = crawl(tmp_path)
    assert default["p1.md"].last_modified == datetime(2021, 1, 1, tzinfo=timezone.utc)
    raised = Config(mass_edit_min_files=13)
    counted, _, _, _ = crawl(tmp_path, raised)
    assert counted["p1.md"].last_modified == datetime(2026, 6, 1, tzinfo=timezone.utc)
    share = Config(mass_edit_min_files=2, mass_edit_fraction=1.01)  # more than every doc: never a mass edit
    counted, _, _, _ = crawl(tmp_path, share)
    assert counted["p1.md"].last_modified == datetime(2026, 6, 1, tzinfo=timezone.utc)


def test_a_sites_own_marker_fields_and_values(tmp_path):
    """[markers] deprecated_values, current_values, superseded_by_field and owner_field, each by its effect."""
    commit(
        tmp_path,
        {
            "a.md": "---\nstatus: sunset\nreplaced-in: b.md\nmaintainer: Ann Lee <ann@example.com>\n---\n# A\n\nText.\n",
            "b.md": "---\nstatus: evergreen\n---\n# B\n\nText.\n",
        },
        author="Bot <bot@noreply.example.com>",
    )
    plain, _, _, _ = crawl(tmp_path)
    assert plain["a.md"].markers == [] and plain["b.md"].markers == [] and plain["a.md"].owner is None
    config = Config()
    config.markers.deprecated_values = ["sunset"]
    config.markers.current_values = ["evergreen"]
    config.markers.superseded_by_field = "replaced-in"
    config.markers.owner_field = "maintainer"
    docs, _, _, _ = crawl(tmp_path, config)
    assert [(m.kind, m.value) for m in docs["a.md"].markers] == [("deprecated", "sunset"), ("superseded_by", "b.md")]
    assert [(m.kind, m.value) for m in docs["b.md"].markers] == [("current", "evergreen")]
    assert docs["a.md"].owner == Owner("Ann Lee", "ann@example.com", "maintainer field")


def test_docs_link_to_their_page_on_github_or_gitlab(tmp_path):
    """A doc in a checkout of a GitHub or GitLab repository links to its file there, at the branch; a
    remote's credentials never reach the link; other hosts give no link."""
    from conftest import git as run_git

    repo = tmp_path / "repo"
    commit(repo, {"docs/guides/set up.md": "# Set up\n", "README.md": "# Read me\n"})
    git = lambda *args: run_git(repo, *args)  # noqa: E731
    git("remote", "add", "origin", "https://ci:s3cret@github.com/acme/handbook.git")
    docs, _, _, _ = crawl(repo / "docs")
    assert docs["guides/set up.md"].url == "https://github.com/acme/handbook/blob/main/docs/guides/set%20up.md"
    git("remote", "set-url", "origin", "git@gitlab.example.com:platform/docs/handbook.git")
    docs, _, _, _ = crawl(repo)
    assert docs["README.md"].url == "https://gitlab.example.com/platform/docs/handbook/-/blob/main/README.md"
    git("remote", "set-url", "origin", "https://git.internal.example.com/handbook.git")
    docs, _, _, _ = crawl(repo)
    assert docs["README.md"].url == ""
