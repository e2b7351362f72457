"""Weekly digests: each owner's findings, only what is new or changed since their last digest,
each with the one action to take. Building is pure (`now` injected); writing keeps the state.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from docaudit import rules
from docaudit.errors import DocauditError
from docaudit.records import Doc, Finding, safe_url

from .identity import Identities, Person, can_read

STATE_FILE = ".digest-state.json"
ACK_DAYS = 90  # the --until an acknowledgement command in a digest suggests


@dataclass
class Item:
    finding: Finding
    action: str  # what to do, in one sentence
    ack: str  # the command that acknowledges it instead
    title: str  # the doc as this recipient may see it
    url: str
    status: str  # new | changed


@dataclass
class Digest:
    person: Person
    items: list[Item] = field(default_factory=list)
    unchanged: int = 0  # findings already in an earlier digest, unchanged, left out
    problem: str = ""  # why it could not be written, when it could not

    @property
    def file_stem(self) -> str:
        return safe_file_stem(self.person.key)


def safe_file_stem(name: str) -> str:
    """A file name from an owner: no separators, no leading dots, so `../../etc/x` stays in the folder."""
    stem = re.sub(r"[^A-Za-z0-9@._+-]+", "-", name).strip("-.")
    stem = re.sub(r"\.{2,}", ".", stem)
    return (stem or "owner")[:80] + "-" + hashlib.sha256(name.encode()).hexdigest()[:6]


def _visible(person: Person, doc: Doc) -> str:
    if can_read(person, doc):
        return doc.title or doc.path
    owner = doc.owner.label() if doc.owner else "unknown"
    return f"a document you cannot access (owner: {owner})"


def _action(finding: Finding, person: Person) -> str:
    other = _visible(person, finding.related[0]) if finding.related else ""
    rule = rules.BY_ID.get(finding.rule)
    return rule.action.format(other=other) if rule else "Update it, archive it, or acknowledge the finding."


def _signature(finding: Finding) -> str:
    """What makes an already-sent item worth sending again: a stable fact about it changed (the docs
    involved, the doc's status, its markers, its successor), never a day count, a rank or a score."""
    doc = finding.doc
    facts = [
        finding.rule,
        finding.severity.name,
        doc.key,
        *sorted(d.key for d in finding.related),
        *sorted(f"{m.kind}={m.value}" for m in doc.markers if m.kind != "ignore"),
        str(finding.evidence.get("status", "")),
        *sorted(str(p.get("doc", "")) for p in finding.evidence.get("pages", [])),
        *sorted(str(d) for d in finding.evidence.get("docs", [])),
    ]
    if finding.rule == "conflict":
        facts += sorted(str(f.get("values")) for f in finding.evidence.get("facts", []))
    return hashlib.sha256("\x1f".join(facts).encode()).hexdigest()[:16]


def build(
    findings: list[Finding], identities: Identities, state: dict[str, dict[str, str]], now: datetime
) -> tuple[list[Digest], list[Finding]]:
    """Digests per owner with only new or changed items, and the findings nobody owns (no fallback)."""
    digests: dict[str, Digest] = {}
    orphans = []
    until = (now + timedelta(days=ACK_DAYS)).date().isoformat()
    for finding in findings:
        person = identities.owner_of(finding.doc)
        if person is None:
            orphans.append(finding)
            continue
        digest = digests.setdefault(person.key, Digest(person))
        sent = state.get(person.key, {}).get(finding.fingerprint)
        if sent == _signature(finding):
            digest.unchanged += 1
            continue
        doc = finding.doc
        readable = can_read(person, doc)
        ack = f"docaudit ack {shlex.quote(doc.path or doc.key)} --rule {finding.rule} --until {until} --reason '...'"
        digest.items.append(
            Item(
                finding,
                _action(finding, person),
                ack,
                _visible(person, doc),
                safe_url(doc.url) if readable else "",
                "changed" if sent else "new",
            )
        )
    return sorted(digests.values(), key=lambda d: d.person.key), orphans


def load_state(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / STATE_FILE
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError, OSError):
        raise DocauditError(f"{path}: not valid JSON; delete it to start the digests afresh") from None
    if not isinstance(state, dict) or not all(isinstance(v, dict) for v in state.values()):
        raise DocauditError(f"{path}: not a digest state file; delete it to start the digests afresh")
    return state


def save_state(folder: Path, state: dict[str, dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STATE_FILE).write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")


def remember(
    state: dict[str, dict[str, str]], digests: list[Digest], current: list[Finding], identities: Identities
) -> dict:
    """The state after these digests: what each owner has been told, minus what is no longer a finding."""
    live: dict[str, dict[str, str]] = {}
    for finding in current:
        person = identities.owner_of(finding.doc)
        if person is not None:
            told = state.get(person.key, {}).get(finding.fingerprint)
            if told:
                live.setdefault(person.key, {})[finding.fingerprint] = told
    for digest in digests:
        for item in digest.items:
            live.setdefault(digest.person.key, {})[item.finding.fingerprint] = _signature(item.finding)
    return live


def subject(digest: Digest, now: datetime) -> str:
    count = len(digest.items)
    return f"docaudit: {count} doc finding{'s' if count != 1 else ''} for you (week of {now.date().isoformat()})"


def to_markdown(digest: Digest, now: datetime, report_url: str = "") -> str:
    lines = [f"# {subject(digest, now)}", "", f"Hello {digest.person.name or digest.person.key},", ""]
    lines.append(
        "Retrieval returns these documents of yours over current ones, or they need an owner's eye. "
        "Each item says what to do; if the finding is wrong or intended, acknowledge it instead."
    )
    if digest.unchanged:
        lines += ["", f"{digest.unchanged} earlier finding(s) are unchanged and not repeated here."]
    for number, item in enumerate(digest.items, 1):
        f = item.finding
        title = f"[{item.title}]({item.url})" if item.url else item.title
        lines += [
            "",
            f"## {number}. {title}",
            "",
            f"- **{f.rule}** ({f.severity.name}, {item.status}): {visible_message(f, digest.person)}",
            f"- **Action**: {item.action}",
            f"- **Or acknowledge**: `{item.ack}`",
        ]
    if report_url:
        lines += ["", f"The full report: {report_url}"]
    return "\n".join(lines) + "\n"


def visible_message(finding: Finding, person: Person) -> str:
    """The finding's message, with the titles of docs this person cannot read taken out."""
    message = finding.message
    for doc in [finding.doc, *finding.related]:
        if not can_read(person, doc):
            for name in {doc.title, doc.path} - {""}:
                message = message.replace(name, "a document you cannot access")
    return message


def to_html(digest: Digest, now: datetime, report_url: str = "") -> str:
    e = html.escape
    items = []
    for number, item in enumerate(digest.items, 1):
        f = item.finding
        title = f'<a href="{e(item.url)}">{e(item.title)}</a>' if item.url else e(item.title)
        items.append(
            f"<li><h2>{number}. {title}</h2><p><strong>{e(f.rule)}</strong> ({e(f.severity.name)}, {e(item.status)}): "
            f"{e(visible_message(f, digest.person))}</p><p><strong>Action</strong>: {e(item.action)}</p>"
            f"<p>Or acknowledge: <code>{e(item.ack)}</code></p></li>"
        )
    link = (
        f'<p>The full report: <a href="{e(safe_url(report_url))}">{e(report_url)}</a></p>'
        if safe_url(report_url)
        else ""
    )
    unchanged = (
        f"<p>{digest.unchanged} earlier finding(s) are unchanged and not repeated here.</p>" if digest.unchanged else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(subject(digest, now))}</title></head><body>"
        f"<h1>{e(subject(digest, now))}</h1><p>Hello {e(digest.person.name or digest.person.key)},</p>"
        "<p>Retrieval returns these documents of yours over current ones, or they need an owner's eye. "
        "Each item says what to do; if the finding is wrong or intended, acknowledge it instead.</p>"
        f"{unchanged}<ol>{''.join(items)}</ol>{link}</body></html>\n"
    )
