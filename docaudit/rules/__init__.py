"""The finding rules: what docaudit reports, and why.

Owns the rule registry (`registry`), the rule families (`surfacing`, `upkeep`, `coverage`, `copies`,
`conflicts`), the passes that fold findings one fix resolves (`grouping`), fact extraction and NLI for
conflicts (`facts`, `nli`) and what-to-fix-first scoring (`risk`). Rules read `AuditInputs` and
return findings; they may import the records, currency, the index's duplicate pairs and probing's
rankings, never the audit, reports, digests or CLI above them.

A new rule is one `@rule(...)` in a family module (a new family: its module, imported below) and its
test. `docaudit rules`, SARIF, acknowledgements and risk weights read `ALL`; the table in docs/rules.md and
the JSON schema's enum are written from it by `python -m docaudit.clidoc` (a test fails until they are).
"""

from __future__ import annotations

from docaudit.errors import DocauditError
from docaudit.records import Finding

# The families, imported in the order rules are listed and evaluated.
from . import surfacing, upkeep, coverage, copies, conflicts  # noqa: F401  isort: skip
from .registry import REGISTERED, AuditInputs, Rule
from .registry import evaluate as _evaluate

ALL: tuple[Rule, ...] = tuple(REGISTERED)
BY_ID = {each.id: each for each in ALL}

__all__ = ["ALL", "BY_ID", "AuditInputs", "Rule", "evaluate", "explain", "get", "docs_table", "table"]


def get(rule_id: str) -> Rule:
    return BY_ID[rule_id]


def evaluate(inputs: AuditInputs) -> list[Finding]:
    """Every rule over the inputs, in registry order."""
    return _evaluate(ALL, inputs)


def docs_table() -> str:
    """The rule table of docs/rules.md, generated: a test fails when the page drifts from it."""
    rows = ["| rule | severity | when |", "|---|---|---|"]
    rows += [f"| `{r.id}` | {r.severity.name} | {r.when} |" for r in ALL]
    return "\n".join(rows)


def table() -> str:
    """Every rule on one line: id, severity, summary (`docaudit rules`)."""
    width = max(len(r.id) for r in ALL)
    return "\n".join(f"{each.id:<{width}}  {each.severity.name:<7}  {each.summary}" for each in ALL)


def explain(name: str) -> str:
    """One rule in full (`docaudit rules NAME`): when it fires, its severity, what the owner should do."""
    found = BY_ID.get(name)
    if found is None:
        raise DocauditError(f"unknown rule '{name}': rules are {', '.join(BY_ID)}")
    return (
        f"{found.id} ({found.severity.name})\n\n{found.summary}.\n\nWhen: {found.when}.\n\n"
        f"What to do: {found.action.format(other='the current doc')}\n\n"
        f"Suppress it in a doc with <!-- docaudit: ignore {found.id} -->, or for a while with "
        f"`docaudit ack DOC --rule {found.id} --until DATE`."
    )
