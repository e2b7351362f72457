"""What to fix first: one score per doc from its findings, retrieval exposure, age and markers. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from docaudit import rules
from docaudit.currency.verdict import DEPRECATED, SUPERSEDED, Currency
from docaudit.records import Doc, Finding

EXPOSURE_WEIGHT = 0.5  # per probe that retrieves the doc, up to EXPOSURE_CAP probes
EXPOSURE_CAP = 10
AGE_CAP = 3.0  # at most this many multiples of the age policy count


@dataclass
class Risk:
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: float, reason: str) -> None:
        if points > 0:
            self.score = round(self.score + points, 2)
            self.reasons.append(f"{reason} (+{points:g})")


def rank(
    docs: Mapping[str, Doc],
    currency: Mapping[str, Currency],
    findings: Sequence[Finding],
    exposure: Mapping[str, int],
) -> dict[str, Risk]:
    """Doc key -> risk. A doc nobody retrieves matters less than one every answer leans on."""
    by_doc: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_doc[finding.doc.key].append(finding)
    risks = {}
    for key in docs:
        risk = Risk()
        counts: dict[str, int] = defaultdict(int)
        for finding in by_doc[key]:
            counts[finding.rule] += 1
        for rule, count in sorted(counts.items(), key=lambda kv: -_weight(kv[0])):
            risk.add(_weight(rule) * count, f"{rule}" + (f" x{count}" if count > 1 else ""))
        seen = exposure.get(key, 0)
        risk.add(EXPOSURE_WEIGHT * min(seen, EXPOSURE_CAP), f"retrieved for {seen} probe(s)")
        state = currency.get(key)
        if state is None:  # a doc the audit did not assess (a report built from parts): findings and exposure only
            risks[key] = risk
            continue
        if state.age_days is not None and state.max_age_days and state.age_days > state.max_age_days:
            multiple = min(state.age_days / state.max_age_days, AGE_CAP)
            risk.add(round(multiple, 1), f"{state.age_days} days old, policy {state.max_age_days}")
        if state.status in (SUPERSEDED, DEPRECATED) and seen:
            risk.add(1.0, f"{state.status} yet retrieved")
        risks[key] = risk
    return risks


def _weight(rule_id: str) -> float:
    known = rules.BY_ID.get(rule_id)
    return known.weight if known else 1.0
