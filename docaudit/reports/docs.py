"""`docaudit docs`: every indexed doc with its owner, age, currency and why, as a table or JSON;
sorted by path, or by risk (what to fix first), with the coverage of a collection under audit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docaudit.config import Config
from docaudit.currency.verdict import Currency
from docaudit.probing.retrievers import Coverage
from docaudit.records import Doc


@dataclass
class Listing:
    ordered: list[tuple[str, Doc]]
    currency: dict[str, Currency]
    risks: dict[str, Any] | None  # doc key -> Risk, when sorted by risk
    covered: Coverage | None  # when a collection is under audit


def listing(
    index: Any, config: Config, now: datetime, sort: str, probes: Any = None, top_k: int | None = None, acks: Any = ()
) -> Listing:
    """The docs in the order asked: by path, or by risk (which runs the audit to weigh findings)."""
    from docaudit.audit import audit, collection_coverage, docs_overview
    from docaudit.rules.risk import rank

    risks = None
    if sort == "risk":
        result = audit(index, config, now, probes, top_k, acks)
        docs_by_key, currency = result.docs, result.currency
        risks = rank(docs_by_key, currency, result.findings, result.exposure())
        ordered = sorted(docs_by_key.items(), key=lambda kv: (-risks[kv[0]].score, kv[1].path or kv[1].id))
    else:
        docs_by_key, currency = docs_overview(index, config, now)
        ordered = sorted(docs_by_key.items(), key=lambda kv: (kv[1].source, kv[1].path or kv[1].id))
    covered = collection_coverage(index, config, docs_by_key) if config.retrieval.collection else None
    return Listing(ordered, currency, risks, covered)


def render(docs: Listing, fmt: str) -> str:
    return _json(docs) if fmt == "json" else _table(docs)


def _json(docs: Listing) -> str:
    rows = []
    for key, doc in docs.ordered:
        row = {**doc.summary(), "currency": docs.currency[key].to_dict(), "notes": doc.notes}
        if docs.risks is not None:
            row["risk"] = {"score": docs.risks[key].score, "reasons": docs.risks[key].reasons}
        if docs.covered is not None:
            row["in_collection"] = (doc.path or doc.key) not in docs.covered.missing
        rows.append(row)
    return json.dumps(rows, indent=2)


def _table(docs: Listing) -> str:
    from rich import box
    from rich.table import Table

    from .safe import terminal
    from .table import to_text

    risks = docs.risks
    table = Table(box=box.ASCII)
    columns = ["doc", "owner", "age (days)", "currency", "why"]
    for column in ["risk", *columns] if risks is not None else columns:
        table.add_column(column, overflow="fold")
    for key, doc in docs.ordered:
        state = docs.currency[key]
        cells = [
            doc.path or doc.title,
            doc.owner.label() if doc.owner else "-",
            "-" if state.age_days is None else str(state.age_days),
            state.status,
            "; ".join((risks[key].reasons if risks is not None else []) + state.reasons + doc.notes) or "-",
        ]
        table.add_row(*([f"{risks[key].score:g}", *cells] if risks is not None else cells))
    text = to_text(table, f"{len(docs.ordered)} docs")
    return text + ("\n" + terminal(docs.covered.summary()) if docs.covered is not None else "")
