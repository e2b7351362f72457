"""Every finding rule, described once: its id, severity, summary, when it fires, what the owner should do
and how much it weighs when ranking what to fix first. Evaluation, SARIF, risk, digests, the rule
check on acknowledgements, `docaudit rules` and the README's rule table all read this; a test keeps
the README and the JSON schema in step with it. The checks themselves are the functions in `rules.py`."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DocauditError
from .records import Severity

DOCS_URL = "README.md#rules"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str  # one line: SARIF's short description, `docaudit rules`
    when: str  # when it fires, for the README's table and `docaudit rules NAME`
    action: str  # what the owner does, in a digest; {other} is the related doc
    weight: float  # risk points per finding when ranking docs by what to fix first


ALL = (
    Rule(
        "rank-inversion",
        Severity.error,
        "A superseded or deprecated doc ranks above its successor for a probe",
        "for a probe, a superseded or deprecated doc ranks above its successor, or the successor is not "
        "retrieved. Three or more pages of one old version folder that outrank their current twins are one "
        "finding for that version (every page listed, and how many of them say something the current page "
        "does not): the fix is one decision",
        "Mark it superseded by '{other}' (or archive it): retrieval prefers it to the current doc.",
        5.0,
    ),
    Rule(
        "deprecated-surfaces",
        Severity.warning,
        "A doc marked deprecated, archived or superseded is retrieved",
        "a doc marked deprecated/archived/superseded is retrieved (top-k, similarity ≥ `min_score`), or a page "
        "of an old version that the current version no longer has",
        "Archive it or remove it from the index: it is marked deprecated but still answers questions.",
        3.0,
    ),
    Rule(
        "stale-surfaces",
        Severity.warning,
        "A doc past its age policy is retrieved",
        "a doc past its age policy (one you set) is retrieved",
        "Update it, or archive it if nobody needs it: it is past its age policy and still retrieved.",
        2.0,
    ),
    Rule(
        "missing-owner",
        Severity.warning,
        "No owner can be resolved for a doc",
        "no owner can be resolved; three or more unowned docs under one folder (or Notion parent) are one "
        "finding with the list, since one CODEOWNERS line fixes them",
        "Assign an owner, or archive it: nobody is responsible for it.",
        1.0,
    ),
    Rule(
        "review-expired",
        Severity.warning,
        "A doc's review date has passed",
        "a `review_by` date has passed (`note` when it is not a date)",
        "Review it, update what is wrong, and set a new review date.",
        2.0,
    ),
    Rule(
        "unanswered-probe",
        Severity.warning,
        "A probe's expected doc is not retrieved",
        "a probe's expected doc is not retrieved",
        "Update it so it answers the question its probe asks.",
        1.0,
    ),
    Rule(
        "duplicate",
        Severity.warning,
        "Near-duplicate copies that will drift apart",
        "near-duplicate copies (MinHash LSH over 3-word shingles, estimated Jaccard ≥ `duplicate_similarity`), "
        "one finding per cluster of copies, on the oldest, listing each copy with its date and how often "
        "retrieval returns it. Versions of one page (twins across version folders, lineage) are not copies, "
        "and neither are rows of one database",
        "Archive the older copy, or mark it superseded by '{other}'.",
        2.0,
    ),
    Rule(
        "conflict",
        Severity.warning,
        "Two docs retrieved together state different values for the same fact",
        "two docs that retrieval returns for the same probe state different values for the same fact: "
        "quantities with units (durations compared across units), money, dates, versions, commands, flags "
        "(one doc documents a flag another says was removed), config values, URLs, emails. Statements scoped "
        'to another time or version ("in 2019 the limit was 100", "v2 allows 500") are not conflicts, nor '
        "are two versions of one page, nor two rows of one database differing in their fields. Reported on "
        "the doc likely wrong, saying which is likely right and why (current over superseded, clearly newer, "
        "retrieved more) or that it cannot tell",
        "Make it agree with '{other}' (or the other way round): they contradict each other.",
        4.0,
    ),
)
BY_ID = {rule.id: rule for rule in ALL}


def get(rule_id: str) -> Rule:
    return BY_ID[rule_id]


def readme_table() -> str:
    """The README's rule table, generated: a test fails when the README drifts from it."""
    rows = ["| rule | severity | when |", "|---|---|---|"]
    rows += [f"| `{r.id}` | {r.severity.name} | {r.when} |" for r in ALL]
    return "\n".join(rows)


def table() -> str:
    """Every rule on one line: id, severity, summary (`docaudit rules`)."""
    width = max(len(r.id) for r in ALL)
    return "\n".join(f"{rule.id:<{width}}  {rule.severity.name:<7}  {rule.summary}" for rule in ALL)


def explain(name: str) -> str:
    """One rule in full (`docaudit rules NAME`): when it fires, its severity, what the owner should do."""
    rule = BY_ID.get(name)
    if rule is None:
        raise DocauditError(f"unknown rule '{name}': rules are {', '.join(BY_ID)}")
    return (
        f"{rule.id} ({rule.severity.name})\n\n{rule.summary}.\n\nWhen: {rule.when}.\n\n"
        f"What to do: {rule.action.format(other='the current doc')}\n\n"
        f"Suppress it in a doc with <!-- docaudit: ignore {rule.id} -->, or for a while with "
        f"`docaudit ack DOC --rule {rule.id} --until DATE`."
    )
