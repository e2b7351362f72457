"""What an audit found: the one record every output format, digest and gate reads. Importing it
imports no connector, index or model."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from docaudit.currency.verdict import Currency
from docaudit.probing.ranking import Ranking, exposure
from docaudit.probing.retrievers import Outside
from docaudit.rules.fixes import Fix, by_doc
from docaudit.rules.risk import Risk, rank

from .owners import NOBODY
from .records import Doc, Finding, Probe


@dataclass
class AuditResult:
    findings: list[Finding]
    docs: dict[str, Doc]
    currency: dict[str, Currency]
    probes: list[Probe]
    rankings: list[Ranking]
    suppressed: dict[str, str] = field(default_factory=dict)  # fingerprint -> why (ignore marker, ack)
    hidden: dict[str, int] = field(default_factory=dict)  # why findings were left out of `findings` -> how many
    acknowledged: list[Finding] = field(default_factory=list)  # the suppressed findings themselves, for reports
    retrievers: list[str] = field(default_factory=list)  # the retrieval audited, by name
    outside: dict[str, Outside] = field(default_factory=dict)  # retriever -> passages from outside the sources
    versions: list[str] = field(default_factory=list)  # how each docs site's versions were read, one line each
    owners: dict[str, str] = field(default_factory=dict)  # doc key -> its owner, aliases and fallbacks applied
    exposed: dict[str, int] | None = None  # doc key -> probes that retrieve it, for a result read from a report
    probe_count: int | None = None  # how many probes ran, for a result read from a report

    @property
    def probe_total(self) -> int:
        return len(self.probes) if self.probe_count is None else self.probe_count

    def owner(self, doc: Doc, nobody: str = NOBODY) -> str:
        """Who the doc's findings go to: the digests' owner, else the owner the source gave."""
        named = self.owners.get(doc.key) or (doc.owner.label() if doc.owner else NOBODY)
        return nobody if named == NOBODY else named

    def fixes(self) -> list[tuple[Fix, Risk]]:
        """The findings folded into one action per doc, what to fix first on top (risk, then path)."""
        risks = rank(self.docs, self.currency, self.findings, self.exposure())
        folded = [(fix, risks.get(fix.doc.key) or Risk()) for fix in by_doc(self.findings)]
        return sorted(folded, key=lambda pair: (-pair[1].score, -pair[0].findings[0].severity, pair[0].doc.path))

    def tally(self) -> str:
        """ "2 errors, 6 warnings": the findings by severity, worst first ("" when there are none)."""
        counts = Counter(f.severity.name for f in self.findings)
        return ", ".join(
            f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in ("error", "warning", "note") if counts[s]
        )

    def exposure(self) -> dict[str, int]:
        """Doc key -> how many probes put it in the top-k (0 for every other doc)."""
        counts = self.exposed if self.exposed is not None else exposure(self.rankings)
        return {**dict.fromkeys(self.docs, 0), **counts}
