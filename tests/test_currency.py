"""The currency model on hand-built docs: pure, with `now` injected."""

from datetime import datetime, timezone

import numpy as np

from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.currency.lineage import find_version, topic_stem
from docaudit.records import Doc, Marker

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def doc(path, title=None, modified="2026-10-01", markers=(), created=None):
    return Doc(
        "git",
        "s",
        path,
        title or path,
        "text",
        path=path,
        last_modified=datetime.fromisoformat(modified).replace(tzinfo=timezone.utc),
        created=datetime.fromisoformat(created).replace(tzinfo=timezone.utc) if created else None,
        markers=list(markers),
    )


def keyed(*docs):
    return {d.key: d for d in docs}


def test_versions_in_paths_and_titles():
    assert find_version(doc("api/v3.1/auth.md")).key == (3, 1, 0)
    assert find_version(doc("docs/3.7/auth.md")).label == "3.7"
    assert find_version(doc("guide.md", "Deploy Guide version 2")).label == "v2"
    assert find_version(doc("billing/spec-2021.md")).key == (2021, 0)
    assert find_version(doc("plans/q3-2026-migration.md")).key == (2026, 3)
    assert find_version(doc("plans/q2-migration.md", created="2025-04-01")).label == "2025 Q2 (year from creation date)"
    assert find_version(doc("steps/step1.md", "Step 1 of 3")) is None
    assert find_version(doc("runbooks/deploy.md")) is None


def test_topic_stem_drops_versions_years_and_legacy_words():
    assert topic_stem("API Guide v1") == topic_stem("api guide (v2)") == "api guide"
    assert topic_stem("Legacy Billing Spec 2021") == "billing spec"


def test_release_lineage_same_path_apart_from_version():
    docs = keyed(doc("api/v3.1/auth.md"), doc("api/v3.7/auth.md"), doc("api/v3.7/other.md"))
    verdict = assess(docs, None, Config(), NOW)
    old = verdict["git:s:api/v3.1/auth.md"]
    assert old.status == "superseded"
    assert old.superseded_by == "git:s:api/v3.7/auth.md"
    assert "v3.1 (path) is older than v3.7" in old.reasons[0]
    assert verdict["git:s:api/v3.7/auth.md"].status == "current"
    assert verdict["git:s:api/v3.7/other.md"].status == "current"


def test_period_lineage_by_topic_similarity_only_when_vectors_and_titles_agree():
    a, b = doc("billing/spec-2021.md", "Billing Spec 2021"), doc("billing/q3-2026.md", "Billing Migration Q3 2026")
    near = {a.key: np.array([1.0, 0.0]), b.key: np.array([0.8, 0.6])}  # cosine 0.8
    far = {a.key: np.array([1.0, 0.0]), b.key: np.array([0.0, 1.0])}  # cosine 0.0
    assert assess(keyed(a, b), near, Config(), NOW)[a.key].superseded_by == b.key
    assert assess(keyed(a, b), far, Config(), NOW)[a.key].superseded_by is None


def test_similar_text_alone_never_makes_a_successor():
    a, b = doc("v2.3/administration.md", "Administration"), doc("v3.8/faq.md", "FAQ")
    same = {a.key: np.array([1.0, 0.0]), b.key: np.array([0.99, 0.14])}  # cosine 0.99
    assert assess(keyed(a, b), same, Config(), NOW)[a.key].superseded_by is None


def test_quarters_compare_within_a_year():
    a, b = doc("plan-q2-2026.md", "Plan Q2 2026"), doc("plan-q3-2026.md", "Plan Q3 2026")
    verdict = assess(keyed(a, b), None, Config(), NOW)
    assert verdict[a.key].superseded_by == b.key and verdict[b.key].status == "current"


def test_dated_series_never_supersede_each_other():
    a, b = doc("postmortems/outage-2023.md"), doc("postmortems/outage-2024.md")
    verdict = assess(keyed(a, b), None, Config(), NOW)
    assert verdict[a.key].status == "current"


def test_declared_current_version_wins_over_newer_folders():
    old, cur, nxt = doc("docs/3.1/auth.md"), doc("docs/3.7/auth.md"), doc("docs/4.0/auth.md")
    verdict = assess(keyed(old, cur, nxt), None, Config(current_version="3.7"), NOW)
    assert verdict[cur.key].status == "current"
    assert verdict[old.key].status == "superseded"
    assert verdict[old.key].reasons[0] == "3.1 is older than the declared current version 3.7 (config)"


def test_markers_and_age_policy():
    deprecated = doc("a.md", markers=[Marker("deprecated", "true", "frontmatter")])
    superseded = doc("b.md", markers=[Marker("superseded_by", "c.md", "frontmatter")])
    target = doc("c.md")
    aging = doc("runbooks/x.md", modified="2026-03-01")
    fresh = doc("guide.md", modified="2026-03-01")
    verdict = assess(
        keyed(deprecated, superseded, target, aging, fresh), None, Config(age_policy={"runbooks/": 180}), NOW
    )
    assert verdict[deprecated.key].status == "deprecated"
    assert verdict[deprecated.key].reasons == ["deprecated: marked (frontmatter)"]
    assert (verdict[superseded.key].status, verdict[superseded.key].superseded_by) == ("superseded", target.key)
    assert verdict[aging.key].status == "aging"
    assert verdict[aging.key].reasons == [
        'last edited 2026-03-01, 264 days ago (policy: 180 days, age_policy "runbooks/")'
    ]
    assert verdict[fresh.key].status == "current" and verdict[fresh.key].age_days == 264


def test_a_deprecated_newer_doc_does_not_supersede():
    old, new = doc("api/v1/guide.md"), doc("api/v2/guide.md", markers=[Marker("deprecated", "true", "frontmatter")])
    verdict = assess(keyed(old, new), None, Config(), NOW)
    assert verdict[old.key].status == "current"


def test_a_docs_site_declares_its_current_version():
    site = [Marker("site_version", "3.7", "versions.json")]
    old = doc("versioned_docs/version-3.1/auth.md", markers=site)
    cur = doc("versioned_docs/version-3.7/auth.md", markers=site)
    verdict = assess(keyed(old, cur), None, Config(), NOW)
    assert verdict[old.key].reasons[0] == "v3.1 is older than the declared current version 3.7 (versions.json)"
    assert verdict[cur.key].status == "current"


def test_a_successor_named_by_its_web_address_is_found_in_any_source():
    """A Confluence notice that links to the Notion page it moved to: the link resolves across tools."""
    new = Doc(
        "notion", "acme", "n1", "Incident response", "text", url="https://app.notion.com/p/Incident-response-796f"
    )
    old = Doc(
        "confluence",
        "OPS",
        "42",
        "Incident process",
        "text",
        markers=[Marker("superseded_by", "https://APP.notion.com/p/Incident-response-796f/?pvs=4#top", "banner")],
    )
    elsewhere = Doc(
        "confluence",
        "OPS",
        "43",
        "Old",
        "text",
        markers=[Marker("superseded_by", "https://example.com/nope", "banner")],
    )
    verdict = assess(keyed(new, old, elsewhere), None, Config(), NOW)
    assert (verdict[old.key].status, verdict[old.key].superseded_by) == ("superseded", new.key)
    assert verdict[elsewhere.key].superseded_by is None
    assert verdict[elsewhere.key].reasons[0] == "superseded by https://example.com/nope, which is not indexed (banner)"
