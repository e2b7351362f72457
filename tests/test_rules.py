"""Each rule on hand-built records, including the cases it must not flag."""

from datetime import datetime, timezone

from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.probing.ranking import Ranking
from docaudit.records import Doc, Hit, Marker, Owner, Probe
from docaudit.rules import AuditInputs, Rule, evaluate
from docaudit.rules.coverage import unanswered_probe
from docaudit.rules.surfacing import deprecated_surfaces, rank_inversion, stale_surfaces
from docaudit.rules.upkeep import missing_owner, review_expired

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
OWNER = Owner("Ann", "ann@example.com", "frontmatter")


def doc(path, modified="2026-10-01", markers=(), owner=OWNER, title=None):
    return Doc(
        "git",
        "s",
        path,
        title or path,
        "text",
        path=path,
        owner=owner,
        markers=list(markers),
        last_modified=datetime.fromisoformat(modified).replace(tzinfo=timezone.utc),
    )


def ranking(probe_id, order, top_k=3, scores=None, expect=()):
    """A probe whose results are `order` (doc objects), best first."""
    probe = Probe(probe_id, f"question {probe_id}?", tuple(expect))
    hits = [
        Hit(probe_id, d.key, 0, rank, (scores or {}).get(d.key, 0.8 - rank / 100)) for rank, d in enumerate(order, 1)
    ]
    return Ranking.from_hits(probe, hits, top_k, min_score=0.3)


OLD, NEW = doc("api/v1/guide.md"), doc("api/v2/guide.md")
OTHER, X = doc("other.md"), doc("x.md")
DOCS = {d.key: d for d in (OLD, NEW, OTHER, X)}
CURRENCY = assess(DOCS, None, Config(), NOW)


def check(rule: Rule, docs, currency=None, rankings=(), **more):
    """One rule's own findings, before `evaluate` orders and folds them."""
    currency = currency if currency is not None else assess(docs, None, Config(), NOW)
    return rule.check(AuditInputs(docs, currency, NOW, rankings, **more))


def test_rank_inversion_when_the_superseded_doc_ranks_above_its_successor():
    [finding] = check(rank_inversion, DOCS, CURRENCY, [ranking("p", [OLD, OTHER, NEW])])
    assert finding.rule == "rank-inversion" and finding.severity.name == "error"
    assert finding.doc is OLD and finding.related == [NEW]
    assert finding.evidence["probes"][0] | {"score": None, "current_score": None} == {
        "probe": "p",
        "query": "question p?",
        "rank": 1,
        "score": None,
        "current_rank": 3,
        "current_score": None,
    }
    assert "v1 (path) is older than v2" in finding.message


def test_rank_inversion_when_the_successor_is_not_retrieved_at_all():
    [finding] = check(rank_inversion, DOCS, CURRENCY, [ranking("p", [OLD, OTHER])])
    assert finding.evidence["probes"][0]["current_rank"] is None
    assert "the current doc is not in the results" in finding.message


def test_no_rank_inversion_when_the_successor_ranks_first_or_the_old_doc_is_not_retrieved():
    assert check(rank_inversion, DOCS, CURRENCY, [ranking("p", [NEW, OLD])]) == []
    assert check(rank_inversion, DOCS, CURRENCY, [ranking("p", [OTHER, NEW, X, OLD])]) == []  # rank 4 > top 3
    low = ranking("p", [OLD, NEW], scores={OLD.key: 0.2, NEW.key: 0.1})  # below min_score: not really retrieved
    assert check(rank_inversion, DOCS, CURRENCY, [low]) == []


def test_one_finding_per_pair_lists_every_probe():
    [finding] = check(rank_inversion, DOCS, CURRENCY, [ranking("a", [OLD, NEW]), ranking("b", [OLD, OTHER])])
    assert [p["probe"] for p in finding.evidence["probes"]] == ["a", "b"]


def test_deprecated_surfaces_only_when_marked_and_retrieved():
    marked = doc("old.md", markers=[Marker("archived", "true", "cascade from archive/_index.md")])
    docs = {d.key: d for d in (marked, OTHER)}
    currency = assess(docs, None, Config(), NOW)
    [finding] = check(deprecated_surfaces, docs, currency, [ranking("p", [OTHER, marked])])
    assert finding.message.startswith("'old.md' is marked archived (cascade from archive/_index.md)")
    assert check(deprecated_surfaces, docs, currency, [ranking("p", [OTHER])]) == []


def test_stale_surfaces_respects_policy_and_leaves_superseded_docs_to_inversions():
    stale, fresh = doc("stale.md", modified="2024-01-01"), doc("fresh.md", modified="2026-11-01")
    old_versioned = doc("api/v1/guide.md", modified="2020-01-01")
    docs = {d.key: d for d in (stale, fresh, old_versioned, NEW)}
    currency = assess(docs, None, Config(max_age_days=365), NOW)
    findings = check(stale_surfaces, docs, currency, [ranking("p", [stale, fresh, old_versioned])])
    assert [f.doc.path for f in findings] == ["stale.md"]
    assert findings[0].evidence["age_days"] == 1054
    assert check(stale_surfaces, docs, currency, [ranking("p", [fresh])]) == []


def test_age_alone_against_the_built_in_default_raises_no_finding_but_shows_as_aging():
    stale = doc("stale.md", modified="2024-01-01")
    docs = {stale.key: stale, NEW.key: NEW}
    currency = assess(docs, None, Config(), NOW)
    assert currency[stale.key].status == "aging"
    assert "no age policy is set, so age alone raises no finding" in currency[stale.key].reasons[0]
    assert check(stale_surfaces, docs, currency, [ranking("p", [stale])]) == []


def test_missing_owner():
    orphan = doc("orphan.md", owner=None)
    assert [f.doc.path for f in check(missing_owner, {d.key: d for d in (orphan, OTHER)})] == ["orphan.md"]


def test_review_expired_only_after_the_date():
    due = doc("due.md", markers=[Marker("review_by", "2026-09-01", "frontmatter")])
    not_yet = doc("later.md", markers=[Marker("review_by", "2026-12-01", "frontmatter")])
    today = doc("today.md", markers=[Marker("review_by", "2026-11-20", "frontmatter")])
    bad = doc("bad.md", markers=[Marker("review_by", "soon", "frontmatter", valid=False)])
    findings = check(review_expired, {d.key: d for d in (due, not_yet, today, bad)})
    assert [(f.doc.path, f.severity.name) for f in findings] == [("due.md", "warning"), ("bad.md", "note")]
    assert findings[0].evidence["days_overdue"] == 80


def test_unanswered_probe_when_expected_doc_is_outside_top_k():
    r = ranking("p", [OTHER, OLD, X, NEW], expect=["api/v2/guide.md"])
    [finding] = check(unanswered_probe, DOCS, CURRENCY, [r], expectations={"p": [NEW.key]})
    assert finding.doc is NEW
    assert finding.message == "'api/v2/guide.md' is expected for \"question p?\" but ranks 4, outside the top 3"
    assert check(unanswered_probe, DOCS, CURRENCY, [ranking("p", [NEW, OTHER])], expectations={"p": [NEW.key]}) == []


def test_evaluate_reports_the_most_specific_retrieval_rule_once_per_doc():
    old = doc("api/v1/guide.md", modified="2020-01-01", markers=[Marker("deprecated", "true", "frontmatter")])
    docs = {d.key: d for d in (old, NEW)}
    currency = assess(docs, None, Config(), NOW)
    findings = evaluate(AuditInputs(docs, currency, NOW, [ranking("p", [old, NEW])]))
    assert [f.rule for f in findings] == ["rank-inversion"]
