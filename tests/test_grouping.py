"""Findings a person acts on once: a version folder, a cluster of copies, a folder of unowned docs."""

from dataclasses import replace

from test_rules import NOW, OWNER, doc, ranking

from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.index.duplicates import DuplicatePair
from docaudit.records import Release
from docaudit.rules import AuditInputs, evaluate

SITE = "content/en/docs"


def page(version: str, inner: str, status: str, text: str = "same text", owner=OWNER):
    d = doc(f"{SITE}/{version}/{inner}", owner=owner, title=inner.split(".")[0].title())
    d.release = Release(version, status, f"{version} is {status} (config.toml [params.versions])", inner, SITE)
    d.text = text
    d.hash = f"{version}-{inner}-{hash(text)}" if text != "same text" else f"same-{inner}"
    return d


def audit(docs, rankings, duplicates=()):
    keyed = {d.key: d for d in docs}
    return evaluate(AuditInputs(keyed, assess(keyed, None, Config(), NOW), NOW, rankings, duplicates=list(duplicates)))


def test_an_old_versions_inversions_are_one_finding_naming_every_page_and_the_preview_supersedes_nothing():
    inners = ["cell.md", "shard.md", "tablet.md"]
    old = [page("20.0", i, "older", text="old words") for i in inners]
    cur = [page("21.0", i, "current") for i in inners]
    dev = [page("22.0", i, "preview") for i in inners]
    rankings = [ranking(f"p{n}", [old[n], dev[n], cur[n]], top_k=3) for n in range(3)]
    findings = audit(old + cur + dev, rankings)
    assert [(f.rule, f.group) for f in findings] == [("rank-inversion", f"version:git:s:{SITE}:20.0")]
    finding = findings[0]
    assert finding.message.startswith(
        f"3 pages of version 20.0 ({SITE}/20.0/) outrank their twins in the current 21.0 for 3 probe(s) "
        "(3 of them say something the current page does not)"
    )
    assert [(p["doc"], p["current"]) for p in finding.evidence["pages"]] == [
        (o.path, c.path) for o, c in sorted(zip(old, cur), key=lambda pair: pair[0].path)
    ]
    # One more page joining the group is the same finding, not a new one.
    more_old, more_cur = page("20.0", "vtgate.md", "older", "x"), page("21.0", "vtgate.md", "current")
    bigger = audit(old + cur + dev + [more_old, more_cur], [*rankings, ranking("p4", [more_old, more_cur])])
    assert bigger[0].fingerprint == finding.fingerprint and len(bigger[0].evidence["pages"]) == 4


def test_two_inverted_pages_stay_two_findings():
    old = [page("20.0", i, "older") for i in ("a.md", "b.md")]
    cur = [page("21.0", i, "current") for i in ("a.md", "b.md")]
    findings = audit(old + cur, [ranking(f"p{n}", [old[n], cur[n]]) for n in range(2)])
    assert [(f.rule, f.doc.path, f.group) for f in findings] == [
        ("rank-inversion", f"{SITE}/20.0/a.md", ""),
        ("rank-inversion", f"{SITE}/20.0/b.md", ""),
    ]


def test_pages_of_a_current_or_preview_version_are_never_stale_and_twins_never_copies_or_conflicts():
    cur, dev = page("21.0", "cell.md", "current"), page("22.0", "cell.md", "preview")
    cur.last_modified = cur.last_modified.replace(year=2019)
    keyed = {d.key: d for d in (cur, dev)}
    currency = assess(keyed, None, Config(max_age_days=30), NOW)
    assert currency[cur.key].status == "current" and currency[dev.key].status == "current"
    assert currency[dev.key].reasons == [
        "preview version 22.0: supersedes nothing (22.0 is preview (config.toml [params.versions]))",
        "the site's preview version: its age (50 days) does not count",
    ]
    assert currency[cur.key].reasons[-1].startswith("the site's current version: its age (")
    findings = audit([cur, dev], [ranking("p", [dev, cur])], [DuplicatePair(cur.key, dev.key, 1.0)])
    assert findings == []


def test_copies_are_one_finding_per_cluster_on_the_oldest_copy():
    a, b, c = (doc(p, modified=m) for p, m in (("a.md", "2024-01-01"), ("b.md", "2025-01-01"), ("c.md", "2026-01-01")))
    lone, twin = doc("x/guide.md", modified="2020-01-01"), doc("y/guide.md", modified="2021-01-01")
    pairs = [
        DuplicatePair(a.key, b.key, 0.9),
        DuplicatePair(b.key, c.key, 0.8),
        DuplicatePair(lone.key, twin.key, 0.95),
    ]
    findings = [f for f in audit([a, b, c, lone, twin], [], pairs) if f.rule == "duplicate"]
    assert [(f.doc.path, [r.path for r in f.related]) for f in findings] == [
        ("a.md", ["c.md", "b.md"]),
        ("x/guide.md", ["y/guide.md"]),
    ]
    assert findings[0].message.startswith("3 near-duplicate copies (similarity 0.80-0.90): c.md, b.md, a.md")


def test_unowned_docs_under_one_folder_are_one_finding_with_the_list():
    unowned = [replace(doc(f"guides/{n}.md"), owner=None) for n in ("a", "b", "c", "d")]
    pair = [replace(doc(f"misc/{n}.md"), owner=None) for n in ("x", "y")]
    findings = audit(unowned + pair, [])
    assert [(f.rule, f.doc.path, f.group) for f in findings] == [
        ("missing-owner", "guides/a.md", "unowned:git:s:guides"),
        ("missing-owner", "misc/x.md", ""),
        ("missing-owner", "misc/y.md", ""),
    ]
    assert findings[0].message == (
        "4 docs under guides/ have no owner (guides/a.md, guides/b.md, guides/c.md, guides/d.md); "
        "one CODEOWNERS line (`guides/ @team`) fixes them"
    )
    assert findings[0].evidence["docs"] == [d.path for d in unowned]


def test_a_page_gone_from_the_current_version_surfaces_only_when_the_site_declared_its_versions():
    declared = page("20.0", "local-docker.md", "older")
    declared.release = replace(declared.release, declared=True)
    guessed = page("1.0", "legacy.md", "older")
    current = page("21.0", "cell.md", "current")
    findings = audit([declared, guessed, current], [ranking("p", [declared, guessed, current])])
    assert [(f.rule, f.doc.path) for f in findings] == [("deprecated-surfaces", declared.path)]
    assert (
        "belongs to version 20.0" in findings[0].message
        and "the current version has no such page" in findings[0].message
    )


def test_two_pages_with_one_title_are_told_apart_in_a_duplicate():
    a = doc("Wiki/Onboarding", modified="2025-01-01")
    b = doc("Wiki/Onboarding", modified="2026-01-01")
    a.id, b.id = "0a1", "0b2"  # two Notion pages under one breadcrumb
    findings = [f for f in audit([a, b], [], [DuplicatePair(a.key, b.key, 0.95)]) if f.rule == "duplicate"]
    assert findings[0].message.startswith("Wiki/Onboarding (0a1) and Wiki/Onboarding (0b2) are near-duplicates")
