import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from docaudit.records import Doc, Finding, Marker, Owner, Release, Severity, to_utc


def test_to_utc_turns_every_source_format_into_one_aware_type():
    expected = datetime(2026, 7, 15, 13, 45, tzinfo=timezone.utc)
    assert to_utc("2026-07-15T13:45:00Z") == expected
    assert to_utc("2026-07-15T15:45:00+02:00") == expected
    assert to_utc("2026-07-15T13:45:00") == expected  # naive means UTC
    assert to_utc(expected.timestamp()) == expected
    assert to_utc(date(2026, 7, 15)) == datetime(2026, 7, 15, tzinfo=timezone.utc)
    assert to_utc(datetime(2026, 7, 15, 15, 45, tzinfo=timezone(timedelta(hours=2)))).tzinfo == timezone.utc
    assert to_utc(None) is None and to_utc("") is None


def test_doc_record_round_trip_keeps_everything_but_the_text():
    doc = Doc(
        "git",
        "docs",
        "a.md",
        "A",
        "text",
        path="a.md",
        owner=Owner("Ann", "ann@example.com", "frontmatter"),
        last_modified=to_utc("2026-01-01T00:00:00Z"),
        markers=[Marker("deprecated", "true", "frontmatter")],
        headings=["Setup"],
        notes=["n"],
        permissions=["anyone"],
        minhash=[1, 2, 3],
        unowned_reason="",
        version="v7",
        release=Release("20.0", "old", "config.toml", "docs/20.0/", "docs/", True),
    )
    record = doc.to_record()
    back = Doc.from_record(json.loads(json.dumps(record)))  # as the index stores it
    assert back == replace(doc, text="", hash=doc.hash)  # every field but the text survives
    record["minhash"].append(4)
    assert doc.minhash == [1, 2, 3]  # the record is a copy
    assert back.text == ""
    assert (back.key, back.owner, back.last_modified, back.markers, back.headings, back.hash) == (
        doc.key,
        doc.owner,
        doc.last_modified,
        doc.markers,
        doc.headings,
        doc.hash,
    )


def test_fingerprint_ignores_ranks_and_dates_but_not_the_docs_involved():
    old = Doc("git", "docs", "old.md", "Old", "x")
    new = Doc("git", "docs", "new.md", "New", "y")
    a = Finding("rank-inversion", Severity.error, old, "m1", {"rank": 1}, [new])
    b = Finding("rank-inversion", Severity.error, old, "m2", {"rank": 3}, [new])
    c = Finding("rank-inversion", Severity.error, old, "m1", {"rank": 1}, [old])
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != c.fingerprint


def test_severities_are_ordered():
    assert Severity.note < Severity.warning < Severity.error
    assert Severity.parse("WARNING") is Severity.warning
