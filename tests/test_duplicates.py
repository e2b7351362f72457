"""Near-duplicates: MinHash signatures, LSH candidates, and the `duplicate` rule on hand-built records."""

from datetime import datetime, timezone

from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.index.duplicates import DuplicatePair, find_duplicates, signature
from docaudit.records import Doc
from docaudit.rules import AuditInputs
from docaudit.rules.copies import duplicate

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
BASE = (
    "Every change needs one approving review from a code owner before it merges. Keep pull requests small, "
    "describe why the change is needed, and link the ticket. Review within one business day. Prefer questions "
    "to commands, and approve once your blocking comments are resolved. Look for tests that fail without the "
    "change, names that explain themselves, and error handling for real inputs."
)
DRIFTED = BASE.replace("one approving review from a code owner", "two approving reviews from code owners")
OTHER = (
    "Production access is granted just in time through the access portal. Choose the system and role you need, "
    "give a reason and a ticket link, and your manager approves it. Access lasts at most eight hours, and every "
    "session is recorded and reviewed weekly by the security team for unusual activity."
)


def doc(path, text, modified):
    return Doc(
        "git",
        "s",
        path,
        path,
        text,
        path=path,
        last_modified=datetime.fromisoformat(modified).replace(tzinfo=timezone.utc),
    )


def test_signatures_are_those_of_a_fresh_minhash_so_stored_ones_stay_comparable():
    from datasketch import MinHash

    from docaudit.index.duplicates import NUM_PERM, SCHEME, SEED, shingles

    for text in (BASE, OTHER):
        fresh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
        fresh.update_batch([g.encode() for g in shingles(text)])
        assert signature(text) == [int(v) for v in fresh.hashvalues]


def test_short_texts_have_no_signature():
    assert signature("Too short to compare.") == []
    assert len(signature(BASE)) == 128


def test_near_duplicates_are_found_and_unrelated_docs_are_not():
    signatures = {"a": signature(BASE), "b": signature(DRIFTED), "c": signature(OTHER), "d": signature("tiny")}
    [pair] = find_duplicates(signatures, threshold=0.7)
    assert (pair.a, pair.b) == ("a", "b")
    assert 0.7 <= pair.similarity < 1.0
    assert find_duplicates({"a": signature(BASE), "c": signature(OTHER)}, threshold=0.3) == []


def test_duplicate_finding_is_on_the_older_copy_and_says_which_is_newer():
    old, new = doc("legacy/review.md", DRIFTED, "2026-02-10"), doc("engineering/review.md", BASE, "2026-10-05")
    docs = {d.key: d for d in (old, new)}
    currency = assess(docs, None, Config(), NOW)
    [finding] = duplicate.check(AuditInputs(docs, currency, NOW, duplicates=[DuplicatePair(new.key, old.key, 0.82)]))
    assert (finding.rule, finding.doc.path, finding.related[0].path) == (
        "duplicate",
        "legacy/review.md",
        "engineering/review.md",
    )
    assert finding.message.startswith(
        "legacy/review.md and engineering/review.md are near-duplicates (similarity "
        "0.82); engineering/review.md is newer (2026-10-05 vs 2026-02-10)"
    )


def test_versions_of_one_topic_are_lineage_not_copies():
    v1, v2 = doc("api/v1/guide.md", DRIFTED, "2022-01-01"), doc("api/v2/guide.md", BASE, "2026-01-01")
    docs = {d.key: d for d in (v1, v2)}
    currency = assess(docs, None, Config(), NOW)
    assert currency[v1.key].superseded_by == v2.key
    assert duplicate.check(AuditInputs(docs, currency, NOW, duplicates=[DuplicatePair(v1.key, v2.key, 0.9)])) == []


def test_a_threshold_above_what_lsh_can_band_still_finds_exact_copies():
    """0.99 and 1.0 are valid settings; datasketch cannot band them, so candidates come at a lower bar."""
    from docaudit.index.duplicates import find_duplicates, signature

    text = " ".join(f"word{i}" for i in range(300))
    sigs = {"a": signature(text), "b": signature(text), "c": signature(text + " and one more sentence here")}
    for threshold in (0.99, 1.0):
        pairs = find_duplicates(sigs, threshold)
        assert {(p.a, p.b) for p in pairs} >= {("a", "b")}, threshold
