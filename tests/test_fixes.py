"""One action per doc (`rules.fixes`): which finding decides it, and how the other doc is named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from docaudit.records import Doc, Finding, Marker, Severity
from docaudit.rules.fixes import action, by_doc

OLD = Doc("git", "s", "old.md", "Billing Spec 2021", "", path="billing/old.md")
NEW = Doc("git", "s", "new.md", "Billing Migration Q3", "", path="billing/new.md")


def finding(rule: str, severity: Severity = Severity.warning, doc: Doc = OLD, **kwargs) -> Finding:
    return Finding(rule, severity, doc, f"{rule} message", **kwargs)


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        (
            [finding("missing-owner"), finding("rank-inversion", Severity.error, related=[NEW])],
            "Add a superseded-by link to 'Billing Migration Q3', or archive it: retrieval prefers it to the "
            "current doc. Then set an owner.",
        ),
        (
            [finding("conflict", related=[NEW]), finding("missing-owner"), finding("duplicate", related=[NEW])],
            "Archive it: it is an older copy of 'Billing Migration Q3'.",  # archiving ends the other two
        ),
        (
            [finding("conflict", related=[NEW])],
            "Make it agree with 'Billing Migration Q3' (or the other way round): they contradict each other.",
        ),
        (
            [finding("unanswered-probe", evidence={"probes": [{"query": "How do refunds work?"}]})],
            'Update it so it answers "How do refunds work?".',
        ),
        ([finding("missing-owner")], "Assign an owner, or archive it: nobody is responsible for it."),
        (
            [finding("rank-inversion", Severity.error)],  # no successor named: no empty quotes either
            "Mark it superseded by the other doc (or archive it): retrieval prefers it to the current doc.",
        ),
        (
            [finding("deprecated-surfaces", evidence={"probes": [{"query": "How do refunds work?"}]})],
            "Archive it or remove it from the index: it is marked deprecated but still answers questions.",
        ),
        (
            [finding("plugin-rule", Severity.note), finding("plugin-other", Severity.error)],
            "Update it, archive it, or acknowledge the finding.",
        ),
        (
            [finding("review-expired"), finding("stale-surfaces")],
            "Update it, or archive it if nobody needs it: it is past its age policy and still retrieved.",
        ),
    ],
)
def test_the_finding_that_decides_the_action(findings, expected):
    assert action(OLD, findings) == expected


def test_a_doc_that_already_names_its_successor_is_archived_and_a_namesake_is_named_by_place():
    marked = replace(OLD, markers=[Marker("superseded_by", "billing/new.md", "frontmatter")])
    namesake = replace(NEW, title=OLD.title)
    text = action(marked, [finding("rank-inversion", Severity.error, marked, related=[namesake])])
    assert (
        text
        == "Archive it: it already names its successor, yet retrieval prefers it to 'Billing Spec 2021 (git: billing/new.md)'."
    )


def test_findings_fold_per_doc_most_severe_first_in_the_order_docs_appear():
    fixes = by_doc(
        [
            finding("missing-owner"),
            finding("stale-surfaces", doc=NEW),
            finding("rank-inversion", Severity.error, related=[NEW]),
        ]
    )
    assert [(f.doc.key, f.rules, f.severity) for f in fixes] == [
        (OLD.key, ["rank-inversion", "missing-owner"], "error"),
        (NEW.key, ["stale-surfaces"], "warning"),
    ]


def test_an_archived_version_page_and_the_most_severe_of_unknown_rules():
    from docaudit.records import Release

    archived = replace(OLD, release=Release("1.76", "archived", "1.76/_index.md: (archive)"))
    text = action(archived, [finding("rank-inversion", Severity.error, archived, related=[NEW])])
    assert text.startswith("Keep version 1.76 out of the RAG index")
    current = replace(OLD, release=Release("2.20", "current", "hugo.yaml latest"))
    assert action(current, [finding("rank-inversion", Severity.error, current, related=[NEW])]).startswith(
        "Add a superseded-by link to 'Billing Migration Q3'"
    )
    (fix,) = by_doc([finding("plugin-rule", Severity.note), finding("plugin-other", Severity.error)])
    assert fix.rules == ["plugin-other", "plugin-rule"] and fix.severity == "error"
