"""What a rule is: one registered `Rule` with its id, severity, words and weight, the check that finds
it, and how it orders and groups against the others. A rule family module declares its rules with
`@rule(...)`; `docaudit.rules` imports the families in the order `docaudit rules`, the README's table,
SARIF and the JSON schema list them, and `evaluate` runs them in that order."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from docaudit.config import Config
from docaudit.currency.verdict import Currency
from docaudit.index.duplicates import DuplicatePair
from docaudit.probing.ranking import Ranking, exposure
from docaudit.records import Doc, Finding, Severity

Verdicts = Mapping[tuple[str, str], tuple[str, float]]  # NLI: sentence pair -> (label, probability)


@dataclass(frozen=True)
class AuditInputs:
    """Everything a rule may read. Rules are pure functions of it: `now` is given, never read."""

    docs: Mapping[str, Doc]
    currency: Mapping[str, Currency]
    now: datetime
    rankings: Sequence[Ranking] = ()
    expectations: Mapping[str, Sequence[str]] = field(default_factory=dict)  # probe id -> expected doc keys
    duplicates: Sequence[DuplicatePair] = ()
    config: Config = field(default_factory=Config)
    verdicts: Verdicts | None = None
    # Conflicts an audit collected batch by batch (its rankings then carry no passages); None: read the passages.
    conflicts_seen: Mapping[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] | None = None

    @functools.cached_property
    def exposure(self) -> dict[str, int]:
        """Doc key -> how many probes retrieve it."""
        return exposure(self.rankings)


Check = Callable[[AuditInputs], list[Finding]]
Fold = Callable[["Rule", list[Finding], AuditInputs], list[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str  # one line: SARIF's short description, `docaudit rules`
    when: str  # when it fires, for the README's table and `docaudit rules NAME`
    action: str  # what the owner does, in a digest; {other} is the related doc
    weight: float  # risk points per finding when ranking docs by what to fix first
    check: Check = field(repr=False)
    # Docs these earlier rules reported are not reported again by this one: the more specific finding wins.
    after: tuple[Rule, ...] = ()
    # Folds this rule's findings that one fix resolves (a version folder, a folder of unowned docs) into one.
    fold: Fold | None = field(default=None, repr=False)

    def finding(
        self,
        doc: Doc,
        message: str,
        evidence: Mapping[str, Any],  # one of `evidence`'s typed dicts
        related: Sequence[Doc] = (),
        *,
        severity: Severity | None = None,
        group: str = "",
    ) -> Finding:
        return Finding(self.id, severity or self.severity, doc, message, dict(evidence), list(related), group=group)


REGISTERED: list[Rule] = []


def rule(
    id: str,
    severity: Severity,
    *,
    summary: str,
    when: str,
    action: str,
    weight: float,
    after: tuple[Rule, ...] = (),
    fold: Fold | None = None,
) -> Callable[[Check], Rule]:
    """Register the decorated check as a rule; the name it is defined under becomes the `Rule`."""

    def register(check: Check) -> Rule:
        if any(r.id == id for r in REGISTERED):
            raise ValueError(f"rule '{id}' is registered twice")
        if any(earlier not in REGISTERED for earlier in after):
            raise ValueError(f"rule '{id}' must be registered after the rules it follows")
        registered = Rule(id, severity, summary, when, action, weight, check, after, fold)
        REGISTERED.append(registered)
        return registered

    return register


def evaluate(rules: Sequence[Rule], inputs: AuditInputs) -> list[Finding]:
    """Every rule in order; most severe first, then by rule and doc."""
    reported: dict[str, set[str]] = {}
    findings: list[Finding] = []
    for each in rules:
        skip = set().union(*(reported[earlier.id] for earlier in each.after))
        found = [f for f in each.check(inputs) if f.doc.key not in skip]
        reported[each.id] = {f.doc.key for f in found}
        findings += each.fold(each, found, inputs) if each.fold else found
    return sorted(findings, key=lambda f: (-f.severity, f.rule, f.doc.path or f.doc.id))
