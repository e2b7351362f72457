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

from docaudit.errors import DocauditError
from docaudit.owners import Identities, Person, can_read
from docaudit.records import Doc, Finding, safe_url
from docaudit.rules.fixes import by_doc

STATE_FILE = ".digest-state.json"
ACK_DAYS = 90  # the --until an acknowledgement command in a digest suggests


@dataclass
class Item:
    """One doc: its new or changed findings folded into the one thing to do about it."""

    findings: list[Finding]  # most severe first
    action: str  # what to do, in one sentence
    acks: list[str]  # the commands that acknowledge the findings instead, one per rule
    title: str  # the doc as this recipient may see it
    url: str
    status: str  # new | changed
    why_you: str = ""  # said when the recipient is not the doc's owner but its fallback

    @property
    def finding(self) -> Finding:
        return self.findings[0]


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
    """Digests per owner, one item per doc with its new or changed findings, and the findings nobody
    owns (no fallback)."""
    digests: dict[str, Digest] = {}
    orphans = []
    per_doc: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        person = identities.owner_of(finding.doc)
        if person is None:
            orphans.append(finding)
            continue
        digest = digests.setdefault(person.key, Digest(person))
        if state.get(person.key, {}).get(finding.fingerprint) == _signature(finding):
            digest.unchanged += 1
            continue
        per_doc.setdefault((person.key, finding.doc.key), []).append(finding)
    until = (now + timedelta(days=ACK_DAYS)).date().isoformat()
    for (key, _), found in per_doc.items():
        digest = digests[key]
        digest.items.append(_item(digest.person, found, identities, state.get(key, {}), until))
    return sorted(digests.values(), key=lambda d: d.person.key), orphans


def _item(person: Person, found: list[Finding], identities: Identities, told: dict[str, str], until: str) -> Item:
    doc = found[0].doc
    fix = by_doc(found, name=lambda d: _visible(person, d))[0]
    target = shlex.quote(doc.path or doc.key)
    acks = [f"docaudit ack {target} --rule {rule} --until {until} --reason '...'" for rule in fix.rules]
    fallback = identities.fallback_for(doc)
    return Item(
        list(fix.findings),
        fix.action,
        acks,
        _visible(person, doc),
        safe_url(doc.url) if can_read(person, doc) else "",
        "changed" if any(f.fingerprint in told for f in found) else "new",
        f"nobody owns it, and fallback_owners sends unowned docs of {fallback} to you" if fallback else "",
    )


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
            for finding in item.findings:
                live.setdefault(digest.person.key, {})[finding.fingerprint] = _signature(finding)
    return live


def subject(digest: Digest, now: datetime) -> str:
    count = len(digest.items)
    return f"docaudit: {count} doc{'s' if count != 1 else ''} to look at (week of {now.date().isoformat()})"


def intro(digest: Digest) -> str:
    """Why this person gets these docs: they own them, or config names them for docs nobody owns."""
    if digest.items and all(item.why_you for item in digest.items):
        return (
            "Nobody owns these documents, and docaudit's config (fallback_owners) names you for them. "
            "Retrieval returns them over current ones, or they need an owner's eye: each says what to do, "
            "and giving each doc an owner is the lasting fix."
        )
    return (
        "Retrieval returns these documents over current ones, or they need an owner's eye. "
        "Each says what to do; if a finding is wrong or intended, acknowledge it instead."
    )


def findings_text(item: Item, person: Person) -> list[str]:
    """One line per finding on the item's doc: rule, severity, and the message this person may read."""
    return [f"{f.rule} ({f.severity.name}): {visible_message(f, person)}" for f in item.findings]


def to_markdown(digest: Digest, now: datetime, report_url: str = "") -> str:
    lines = [f"# {subject(digest, now)}", "", f"Hello {digest.person.name or digest.person.key},", "", intro(digest)]
    if digest.unchanged:
        lines += ["", f"{digest.unchanged} earlier finding(s) are unchanged and not repeated here."]
    for number, item in enumerate(digest.items, 1):
        title = f"[{item.title}]({item.url})" if item.url else item.title
        lines += ["", f"## {number}. {title}", "", f"**Do this** ({item.status}): {item.action}", ""]
        lines += [f"- {line}" for line in findings_text(item, digest.person)]
        if item.why_you:
            lines.append(f"- Why you: {item.why_you}")
        lines.append("- Or acknowledge: " + ", ".join(f"`{ack}`" for ack in item.acks))
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


STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:44rem;padding:0 1rem;color:#1d1d1f}"
    ".muted{color:#666}ol{padding-left:1.3rem}li{margin:0 0 1.2rem}h2{font-size:1.05rem;margin:0 0 .3rem}"
    ".action{font-weight:600;margin:.2rem 0}ul{margin:.3rem 0;padding-left:1.1rem}code{font-size:.85em;"
    "overflow-wrap:anywhere}.sev-error{color:#b3261e}.sev-warning{color:#9a5b00}.sev-note{color:#3c6e9f}"
)


def to_html(digest: Digest, now: datetime, report_url: str = "") -> str:
    e = html.escape
    items = []
    for item in digest.items:
        title = f'<a href="{e(item.url)}">{e(item.title)}</a>' if item.url else e(item.title)
        found = "".join(
            f'<li><strong class="sev-{f.severity.name}">{e(f.rule)}</strong> ({e(f.severity.name)}): '
            f"{e(visible_message(f, digest.person))}</li>"
            for f in item.findings
        )
        why = f'<p class="muted">Why you: {e(item.why_you)}</p>' if item.why_you else ""
        acks = "<br>".join(f"<code>{e(ack)}</code>" for ack in item.acks)
        items.append(
            f'<li><h2>{title}</h2><p class="action">{e(item.action)} <span class="muted">({e(item.status)})</span></p>'
            f'<ul>{found}</ul>{why}<p class="muted">Or acknowledge: {acks}</p></li>'
        )
    link = (
        f'<p>The full report: <a href="{e(safe_url(report_url))}">{e(report_url)}</a></p>'
        if safe_url(report_url)
        else ""
    )
    unchanged = (
        f'<p class="muted">{digest.unchanged} earlier finding(s) are unchanged and not repeated here.</p>'
        if digest.unchanged
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(subject(digest, now))}</title><style>{STYLE}</style></head><body>"
        f"<h1>{e(subject(digest, now))}</h1><p>Hello {e(digest.person.name or digest.person.key)},</p>"
        f"<p>{e(intro(digest))}</p>{unchanged}<ol>{''.join(items)}</ol>{link}</body></html>\n"
    )
