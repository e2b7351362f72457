"""Fact extraction and contradiction, per kind of fact, and the `conflict` rule on hand-built records."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.probing.ranking import Ranking
from docaudit.records import Doc, Hit, Probe
from docaudit.rules.conflicts import conflicts as conflict_rule
from docaudit.rules.facts import FactBook, conflicts, contradicts, extract

QUALITY = Path(__file__).resolve().parent.parent / "fixtures" / "quality"

# (kind, statement, conflicting statement, same-topic statement that does not conflict, scoped statement)
CASES = [
    (
        "quantity",
        "The API rate limit is 100 requests per minute.",
        "The API rate limit is 500 requests per minute.",
        "The API rate limit is 100 requests per minute per key.",
        "In 2019 the API rate limit was 500 requests per minute.",
    ),
    (
        "money",
        "The Pro plan costs $49 per seat per month.",
        "The Pro plan costs $59 per seat per month.",
        "The Team plan costs $19 per seat per month.",
        "Legacy Pro plans cost $39 per seat per month.",
    ),
    (
        "quantity",
        "Backups are kept for 30 days.",
        "Backups are kept for 90 days.",
        "Backups are kept for one month.",
        "Backups were kept for 7 days during the 2023 pilot.",
    ),
    (
        "date",
        "The migration completes on 2026-09-30 for every region.",
        "The migration completes on 2026-10-15 for every region.",
        "The billing freeze starts on 2026-09-01 for finance.",
        "The v1 migration completes on 2026-10-15 for every region.",
    ),
    (
        "command",
        "Restore with `etcdctl snapshot restore backup.db`.",
        "Restore with `etcdutl snapshot restore backup.db`.",
        "Take a snapshot with `etcdctl snapshot save backup.db`.",
        "Before v3.5, restore with `etcdutl snapshot restore backup.db`.",
    ),
    (
        "flag",
        "Start the server with `--legacy-auth` to accept API keys.",
        "The `--legacy-auth` flag was removed.",
        "Start the server with `--port` to choose a port.",
        "The `--legacy-auth` flag was removed in v4.",
    ),
    (
        "config",
        "Set `max_connections = 100` in postgresql.conf.",
        "Set `max_connections = 300` in postgresql.conf.",
        "Set `shared_buffers = 4GB` in postgresql.conf.",
        "Version 9 used `max_connections = 300` by default.",
    ),
    (
        "url",
        "The status page lives at https://status.acme.io for incidents.",
        "The status page lives at https://status.acme.com for incidents.",
        "The developer portal lives at https://developers.acme.io for keys.",
        "In 2021 the status page lived at https://status.acme.com for incidents.",
    ),
    (
        "email",
        "Send billing questions to billing@acme.com with the invoice.",
        "Send billing questions to payments@acme.com with the invoice.",
        "Send security reports to security@acme.com with the steps.",
        "Billing questions previously went to payments@acme.com with the invoice.",
    ),
]


@pytest.mark.parametrize(("kind", "base", "conflicting", "unrelated", "scoped"), CASES)
def test_each_kind_conflicts_only_when_it_should(kind, base, conflicting, unrelated, scoped):
    assert [a.kind for a, _ in conflicts(base, conflicting)][0].startswith(kind.split("-")[0])
    assert conflicts(base, unrelated) == []
    assert conflicts(base, scoped) == []
    assert conflicts(base, base) == []


def test_durations_compare_across_units_and_show_as_written():
    [(a, b)] = conflicts("Reset links expire after 30 minutes.", "Reset links expire after 2 hours.")
    assert (a.shown, b.shown) == ("30 minutes", "2 hours")
    assert conflicts("Reset links expire after 30 minutes.", "Reset links expire after half an hour.") == []
    assert extract("Reset links expire after 30 minutes.")[0].value == "1800"


def test_labelled_set_meets_the_targets():
    """The tuning set (bench/quality.py also reports the two held-out sets, which tests do not pin)."""
    pairs = yaml.safe_load((QUALITY / "conflicts.yaml").read_text())["pairs"]
    assert len(pairs) >= 60
    predicted = [bool(conflicts(p["a"], p["b"])) for p in pairs]
    tp = sum(p["conflict"] and got for p, got in zip(pairs, predicted))
    precision = tp / sum(predicted)
    recall = tp / sum(p["conflict"] for p in pairs)
    assert precision >= 0.85 and recall >= 0.7


NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def _ranking(passages):
    probe = Probe("p", "what is the rate limit?")
    hits = [Hit("p", d.key, 0, rank, 0.8, text) for rank, (d, text) in enumerate(passages, 1)]
    return Ranking.from_hits(probe, hits, top_k=5, min_score=0.3)


def test_conflict_across_sources_names_the_likely_right_doc():
    repo = Doc(
        "git",
        "docs",
        "api/limits.md",
        "Limits",
        "",
        path="api/limits.md",
        last_modified=datetime(2026, 10, 1, tzinfo=timezone.utc),
    )
    wiki = Doc(
        "notion",
        "acme",
        "abc123",
        "API FAQ",
        "",
        path="Engineering / API FAQ",
        last_modified=datetime(2025, 3, 1, tzinfo=timezone.utc),
    )
    docs = {d.key: d for d in (repo, wiki)}
    currency = assess(docs, None, Config(), NOW)
    ranking = _ranking(
        [
            (wiki, "The API rate limit is 100 requests per minute."),
            (repo, "The API rate limit is 600 requests per minute."),
        ]
    )
    [finding] = conflict_rule([ranking], docs, currency)
    assert finding.doc is wiki and finding.related == [repo]
    assert finding.evidence["likely_right"] == "api/limits.md"
    assert finding.evidence["why"] == "newer: edited 2026-10-01, the other 2025-03-01"
    assert finding.evidence["facts"][0]["probes"] == ["p"]


def test_conflict_among_current_docs_of_the_same_age_cannot_tell():
    a = Doc("git", "d", "a.md", "A", "", path="a.md", last_modified=datetime(2026, 10, 1, tzinfo=timezone.utc))
    b = Doc("git", "d", "b.md", "B", "", path="b.md", last_modified=datetime(2026, 10, 9, tzinfo=timezone.utc))
    docs = {d.key: d for d in (a, b)}
    currency = assess(docs, None, Config(), NOW)
    ranking = _ranking([(a, "Backups are kept for 30 days."), (b, "Backups are kept for 90 days.")])
    [finding] = conflict_rule([ranking], docs, currency)
    assert finding.evidence["likely_right"] is None
    assert finding.message.endswith(
        "cannot tell which is right (both current, edited within a month of each other, and retrieved alike)"
    )
    assert conflict_rule([_ranking([(a, "Backups are kept for 30 days.")])], docs, currency) == []


def test_a_sentence_stating_both_values_contradicts_neither():
    # vitess's get-started pages, seen through BM25: the same sentence in two docs was read as "4GB" vs "20GB".
    same = "We will launch multiple copies of mysqld, so we recommend more than 4GB RAM, as well as 20GB of disk space."
    assert conflicts(same, same) == []
    other = same.replace("4GB", "8GB")
    assert [(a.shown, b.shown) for a, b in conflicts(same, other)] == [("4GB", "8GB")]


# Sentences built from the pieces facts are made of, so that generated texts state values often.
PIECES = st.sampled_from(
    ["The limit is", "30 minutes", "$49 per month", "was removed", "`--legacy-flag`", "in 2019", "Pro plan",
     "max_connections = 200", "https://docs.example.com/a", "ops@example.com", "`kubectl apply -f`", "2024-05-01",
     "two replicas", "no longer supported", ".", "\n\n", "\n- ", "tokens expire after", "10%", "é\u0000"]
)  # fmt: skip


@settings(deadline=None)  # a loaded CI machine is no reason to fail a pure function
@given(st.lists(st.lists(PIECES, max_size=12).map(" ".join), min_size=1, max_size=6))
def test_an_audits_fact_book_gives_extracts_facts_and_parses_each_passage_once(texts):
    book = FactBook()
    for text in texts:
        assert book(text) == extract(text)
        # The same tuple again, not an equal one parsed anew: a passage met in a later batch costs a lookup.
        assert book(text) is book(text)
    for a in texts:
        for b in texts:
            assert conflicts(a, b, book) == conflicts(a, b)


def test_values_are_normalised_and_names_are_the_capitalised_words_after_the_first():
    """1,000 is 1000 (no conflict), 2.5 stays 2.5; a sentence's names are the capitalised words after its
    first, lower-cased, acronyms left out: what tells "the Pro plan" from "the Team plan"."""
    (comma,) = extract("The API allows 1,000 requests per minute.")
    (plain,) = extract("The API allows 1000 requests per minute.")
    (more,) = extract("The API allows 1,500 requests per minute.")
    assert (comma.value, plain.value, more.value) == ("1000", "1000", "1500")
    assert not contradicts(comma, plain) and contradicts(comma, more)
    assert extract("The upload limit is 2.5 GB per file.")[0].value == "2.5"
    assert extract("Use Acme Billing with the API for 30 days.")[0].names == frozenset({"acme", "billing"})


TEMPLATES = [
    "Backups are kept for {} days.",
    "The API rate limit is {} requests per minute.",
    "The Pro plan costs ${} per seat per month.",
]


@settings(deadline=None, max_examples=150)
@given(st.sampled_from(TEMPLATES), st.integers(1, 10**7), st.integers(1, 10**7), st.booleans())
def test_two_statements_conflict_exactly_when_their_values_differ(template, n, m, commas):
    """Whatever the numbers and however they are written (1,000 or 1000): the same statement with
    another value conflicts, both ways round; with the same value it never does."""
    spelt = f"{n:,}" if commas else str(n)
    a, same, other = template.format(spelt), template.format(n), template.format(m)
    assert conflicts(a, same) == [] and conflicts(a, a) == []
    assert bool(conflicts(a, other)) == bool(conflicts(other, a)) == (n != m)


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ("The Pro plan costs $49 per seat per month.", "The Pro plan costs $490 per seat per year.", False),
        ("The Pro plan costs $49.", "The Pro plan costs $59.", True),  # no period at all
        ("The Pro plan costs €49 per month.", "The Pro plan costs $59 per month.", False),  # another currency
        ("The Pro plan costs 49 EUR per month.", "The Pro plan costs 59 eur per month.", True),
        (
            "Start the server with `--legacy-auth` to accept keys.",
            "Start the server with `--modern-auth` to accept keys.",
            False,
        ),
        (
            "The status page is https://status.example.com/now.",
            "The status page is https://STATUS.example.com/now.",
            False,
        ),
        (
            "The status page is https://status.example.com/now.",
            "The status page is https://status.other.com/now.",
            True,
        ),
        ("Send refund requests to billing@example.com.", "Send refund requests to BILLING@example.com.", False),
        ("Send refund requests to billing@example.com.", "Send refund requests to finance@example.com.", True),
        ("Set `max_connections = 100` in postgresql.conf.", "Set `MAX_CONNECTIONS = 100` in postgresql.conf.", False),
        ("Set `max_connections = 100` in postgresql.conf.", "Set `max_connections = 200` in postgresql.conf.", True),
        ("Set `log_level = debug` in app.conf.", "Set `log_level = DEBUG` in app.conf.", False),
    ],
)
def test_values_compare_as_their_kind_says(a, b, conflict):
    """Case never makes a difference (hosts, addresses, settings, currency codes); a price per month and
    one per year, or in two currencies, are different things, not a contradiction."""
    assert bool(conflicts(a, b)) == bool(conflicts(b, a)) == conflict
