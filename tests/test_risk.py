from datetime import datetime, timezone

from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.records import Doc, Finding, Marker, Severity
from docaudit.rules.risk import rank

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def doc(path, modified, markers=()):
    return Doc(
        "git",
        "s",
        path,
        path,
        "t",
        path=path,
        markers=list(markers),
        last_modified=datetime.fromisoformat(modified).replace(tzinfo=timezone.utc),
    )


def test_findings_exposure_and_age_order_what_to_fix_first():
    inverted = doc("old-spec.md", "2021-03-10", [Marker("deprecated", "true", "frontmatter")])
    stale_unseen = doc("stale.md", "2023-01-01")
    healthy = doc("fresh.md", "2026-11-01")
    docs = {d.key: d for d in (inverted, stale_unseen, healthy)}
    currency = assess(docs, None, Config(), NOW)
    findings = [
        Finding("rank-inversion", Severity.error, inverted, "m"),
        Finding("missing-owner", Severity.warning, stale_unseen, "m"),
    ]
    risks = rank(docs, currency, findings, {inverted.key: 4, healthy.key: 6})
    order = sorted(docs, key=lambda k: -risks[k].score)
    assert [docs[k].path for k in order] == ["old-spec.md", "stale.md", "fresh.md"]
    assert risks[inverted.key].reasons == [
        "rank-inversion (+5)",
        "retrieved for 4 probe(s) (+2)",
        "2081 days old, policy 365 (+3)",
        "deprecated yet retrieved (+1)",
    ]
    assert risks[inverted.key].score == 11
    assert risks[healthy.key].reasons == ["retrieved for 6 probe(s) (+3)"]
    assert risks[stale_unseen.key].score == 1 + 3  # missing owner, and capped at 3x its age policy


def test_each_finding_counts_the_heaviest_first_and_age_counts_as_multiples_of_the_policy():
    """Exact points: two conflicts count twice, reasons read heaviest first, 1.5 years against a
    one-year policy is 1.5 points (not the cap), a rule nobody registered weighs 1, and a doc the
    audit did not assess still gets the points of its findings."""
    aging = doc("guide.md", "2025-05-24")  # 545 days before NOW
    docs = {aging.key: aging}
    currency = assess(docs, None, Config(max_age_days=365), NOW)
    findings = [
        Finding("missing-owner", Severity.warning, aging, "m"),
        Finding("conflict", Severity.warning, aging, "m"),
        Finding("conflict", Severity.warning, aging, "m"),
        Finding("plugin-rule", Severity.note, aging, "m"),
    ]
    risk = rank(docs, currency, findings, {})[aging.key]
    assert risk.reasons == [
        "conflict x2 (+8)",
        "missing-owner (+1)",
        "plugin-rule (+1)",
        "545 days old, policy 365 (+1.5)",
    ]
    assert risk.score == 11.5
    unassessed = rank(docs, {}, findings[:1], {aging.key: 2})[aging.key]
    assert (unassessed.score, unassessed.reasons) == (2, ["missing-owner (+1)", "retrieved for 2 probe(s) (+1)"])
