"""Digests on disk (Markdown, HTML, a ready-to-send .eml) and the outbox that `--send` empties.

A digest is queued in `outbox/` when it is written and moves to `sent/` only once the SMTP
server took it, so a failed send loses nothing: the next run sends it.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from docaudit.config import SmtpSettings
from docaudit.errors import DocauditError
from docaudit.records import Finding

from .digest import Digest, subject, to_html, to_markdown


@dataclass
class DigestRun:
    folder: Path
    digests: list[Digest]
    orphans: list[Finding]  # findings nobody owns and no fallback_owners entry claims
    written: list[Path]

    def warnings(self) -> list[str]:
        return [
            f"the digest for {d.person.label()} could not be written ({d.problem}); it comes again next time"
            for d in self.digests
            if d.problem
        ]

    def lines(self) -> list[str]:
        """One line per owner told, then the tally."""
        out = []
        for d in self.digests:
            if d.items and not d.problem:
                new = sum(1 for i in d.items if i.status == "new")
                out.append(
                    f"{d.person.label()}: {len(d.items)} doc{'s' if len(d.items) != 1 else ''} ({new} new, {len(d.items) - new} changed), "
                    f"{d.unchanged} unchanged left out -> {self.folder / d.file_stem}.md"
                )
        quiet_owners = sum(1 for d in self.digests if not d.items)
        out.append(
            f"Wrote {len(self.written)} digests to {self.folder}"
            + (f"; {quiet_owners} owners have nothing new" if quiet_owners else "")
            + (f"; {len(self.orphans)} findings have no owner and no fallback_owners entry" if self.orphans else "")
        )
        return out


def _inside(folder: Path, name: str) -> Path:
    path = (folder / name).resolve()
    if path.parent != folder.resolve():  # file stems are sanitized; this is the belt to those braces
        raise DocauditError(f"refusing to write {name!r} outside {folder}")
    return path


def _header(text: str) -> str:
    """A header value from an owner's name or a title: one line, no control characters."""
    return "".join(c for c in " ".join(text.split()) if c.isprintable())[:300]


def write(
    digests: list[Digest], folder: Path, now: datetime, sender: str, report_url: str = ""
) -> tuple[list[Path], dict[str, str]]:
    """Each digest as .md, .html and .eml; the .eml of each owner with an address is queued in outbox/.

    Each digest stands alone: one that cannot be written is reported (person key -> why), the rest are.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "outbox").mkdir(exist_ok=True)
    written: list[Path] = []
    failed: dict[str, str] = {}
    for digest in digests:
        if not digest.items:
            continue
        try:
            written.append(_write_one(digest, folder, now, sender, report_url))
        except (ValueError, OSError, DocauditError) as exc:
            failed[digest.person.key] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    return written, failed


def _write_one(digest: Digest, folder: Path, now: datetime, sender: str, report_url: str) -> Path:
    markdown = to_markdown(digest, now, report_url)
    page = to_html(digest, now, report_url)
    message = EmailMessage()
    message["Subject"] = _header(subject(digest, now))
    message["From"] = sender
    person = digest.person
    # formataddr quotes a display name with specials: "Aaron Bcc: x@y" stays a name, never an address.
    message["To"] = formataddr((_header(person.name), person.email)) if person.email else _header(person.key)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "docaudit.local")
    message.set_content(markdown)
    message.add_alternative(page, subtype="html")
    stem = digest.file_stem
    eml = message.as_string()
    for suffix, body in ((".md", markdown), (".html", page), (".eml", eml)):
        _inside(folder, stem + suffix).write_text(body, encoding="utf-8")
    if digest.person.email:
        _inside(folder / "outbox", f"{now.date().isoformat()}-{stem}.eml").write_text(eml, encoding="utf-8")
    return _inside(folder, stem + ".md")


def send_outbox(folder: Path, smtp: SmtpSettings) -> tuple[int, int, str]:
    """Send every queued .eml; sent ones move to sent/. Returns (sent, still queued, the first error)."""
    outbox = folder / "outbox"
    queued = sorted(outbox.glob("*.eml")) if outbox.is_dir() else []
    if not queued:
        return 0, 0, ""
    if not smtp.host:
        return 0, len(queued), "no SMTP host: set host under [smtp]"
    password = os.environ.get(smtp.password_env, "") if smtp.user else ""
    if smtp.user and not password:
        return 0, len(queued), f"no SMTP password: set {smtp.password_env}"
    from email import message_from_string, policy

    (folder / "sent").mkdir(exist_ok=True)
    sent = 0
    refused: list[str] = []
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as server:
            if smtp.starttls:  # verified: smtplib's own default context would accept any certificate
                server.starttls(context=ssl.create_default_context(cafile=smtp.ca_file or None))
            if smtp.user:
                server.login(smtp.user, password)
            for path in queued:
                try:
                    message = message_from_string(path.read_text(encoding="utf-8"), policy=policy.default)
                    server.send_message(message)
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused,
                    ValueError,
                    UnicodeDecodeError,
                ) as exc:
                    # One message the server refuses stays queued; the ones after it still go out.
                    refused.append(f"{path.name}: {type(exc).__name__}")
                    continue
                path.replace(folder / "sent" / path.name)
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        problem = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
        return sent, len(queued) - sent, f"{smtp.host}:{smtp.port}: {problem}"
    if refused:
        return sent, len(queued) - sent, f"{smtp.host}:{smtp.port} refused {len(refused)}: " + "; ".join(refused[:3])
    return sent, 0, ""
