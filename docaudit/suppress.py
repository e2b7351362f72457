"""Findings people chose not to see: in-document ignores, acknowledgements, and a baseline.

All pure apart from reading and writing the two committed files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from docaudit import rules

from . import yamlfile
from .errors import DocauditError, InputError
from .records import Finding

if TYPE_CHECKING:
    from .index.store import Index

ACKS_FILE = ".docaudit-acks.yaml"
BASELINE_FILE = ".docaudit-baseline.json"
ACK_KEYS = {"doc", "rule", "until", "reason"}


@dataclass(frozen=True)
class Ack:
    doc: str  # doc path (or key) as the report shows it
    rule: str
    until: date
    reason: str
    origin: str


def load_acks(path: str | Path) -> list[Ack]:
    """The acknowledgements file (`acks:` list of doc, rule, until, reason). Missing file: none."""
    if not Path(path).is_file():
        return []
    name = str(path)
    data = yamlfile.load(path, "acknowledgements file")
    items = data.get("acks") if isinstance(data, dict) else data
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(name, None, "expected a list of acknowledgements under 'acks:'")
    acks = []
    for item in items:
        if not isinstance(item, dict):
            raise InputError(name, None, f"each acknowledgement must be a mapping, got {item!r}")
        yamlfile.check_keys(item, ACK_KEYS, name, "acknowledgement")
        lines = item["__key_lines__"]
        line = item["__line__"]
        for key in ("doc", "rule", "until"):
            if not item.get(key):
                raise InputError(name, line, f"acknowledgement needs '{key}'")
        if item["rule"] not in rules.BY_ID:
            raise InputError(name, lines["rule"], f"unknown rule '{item['rule']}' (rules: {', '.join(rules.BY_ID)})")
        until = item["until"]
        if isinstance(until, str):
            try:
                until = date.fromisoformat(until)
            except ValueError:
                until = None
        if not isinstance(until, date):
            raise InputError(name, lines["until"], f"'until' must be a date such as 2027-01-31, got {item['until']!r}")
        acks.append(
            Ack(str(item["doc"]).strip("/"), item["rule"], until, str(item.get("reason", "")), f"{name}:{line}")
        )
    return acks


def suppressions(findings: Sequence[Finding], acks: Iterable[Ack], now: datetime) -> dict[str, str]:
    """Fingerprint -> why it is suppressed, for findings an ignore marker or a live acknowledgement covers."""
    live = [a for a in acks if a.until >= now.date()]
    why = {}
    for finding in findings:
        doc = finding.doc
        for marker in doc.markers:
            if marker.kind == "ignore" and marker.value in (finding.rule, "all"):
                why[finding.fingerprint] = f"ignored in the document ({marker.source})"
                break
        else:
            for ack in live:
                if ack.rule == finding.rule and ack.doc in (doc.path, doc.id, doc.key):
                    why[finding.fingerprint] = (
                        f"acknowledged until {ack.until.isoformat()}: {ack.reason} ({ack.origin})"
                    )
                    break
    return why


def write_baseline(findings: Sequence[Finding], path: str | Path) -> None:
    """The fingerprints of today's findings, with enough context to review the file in a diff."""
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "doc": f.doc.path or f.doc.key} for f in findings),
        key=lambda e: (e["doc"], e["rule"], e["fingerprint"]),
    )
    Path(path).write_text(json.dumps({"version": 1, "findings": entries}, indent=2) + "\n", encoding="utf-8")


def load_baseline(path: str | Path) -> set[str]:
    name = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(name, None, "baseline not found: create it with `docaudit baseline`") from None
    except json.JSONDecodeError as exc:
        raise InputError(name, exc.lineno, f"invalid JSON ({exc.msg})") from None
    except (OSError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(name, None, f"cannot read the baseline ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise InputError(name, None, "not a docaudit baseline (expected a 'findings' list)")
    return {e["fingerprint"] for e in data["findings"] if isinstance(e, dict) and isinstance(e.get("fingerprint"), str)}


def check_ack(index: Index | None, path: str | Path, doc: str, rule: str, until: date, today: date) -> None:
    """Refuse an acknowledgement that would do nothing: an unknown rule, and (with an `index`; `ack --force`
    passes none) one that lapses at once or names a doc the index does not hold (a typo in the path)."""
    if rule not in rules.BY_ID:
        raise InputError(str(path), None, f"unknown rule '{rule}' (rules: {', '.join(rules.BY_ID)})")
    if index is None:
        return
    if until <= today:
        raise DocauditError(
            f"--until {until.isoformat()} is not after today ({today.isoformat()}): the acknowledgement would lapse "
            "at once (--force writes it anyway)"
        )
    try:
        docs, _ = index.docs()
    except DocauditError as exc:
        raise DocauditError(f"{exc}; or --force to acknowledge without checking the doc") from None
    wanted = doc.strip("/")
    if not any(wanted in (d.path, d.id, key) for key, d in docs.items()):
        raise DocauditError(
            f"'{wanted}' is not a doc in the index (give its path or key as `docaudit docs` lists them; "
            "--force writes it anyway)"
        )


def add_ack(path: str | Path, doc: str, rule: str, until: date, reason: str) -> str:
    """Acknowledge a finding in the file meant to be committed; one entry per doc and rule (`check_ack` first).
    Says what it did."""
    load_acks(path)  # a malformed file fails here, with its line, before anything is written
    import yaml

    from .yamlfile import safe_load

    data = safe_load(Path(path).read_text(encoding="utf-8")) if Path(path).is_file() else None
    entries = (data.get("acks") if isinstance(data, dict) else data) or []
    doc = doc.strip("/")
    entry = {"doc": doc, "rule": rule, "until": until.isoformat(), "reason": reason}
    done = "added"
    for i, old in enumerate(entries):
        if str(old.get("doc", "")).strip("/") == doc and old.get("rule") == rule:
            entries[i], done = entry, "updated"
            break
    else:
        entries.append(entry)
    header = (
        "# Findings the team has seen and accepted, each until a date. Commit this file.\n"
        "# Written by `docaudit ack`; edit by hand as you like.\n"
    )
    Path(path).write_text(
        header + yaml.safe_dump({"acks": entries}, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return done
