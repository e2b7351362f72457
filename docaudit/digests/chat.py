"""What the Slack and Teams digests share: a queue per service on disk, the send loop, plain text.

A digest's message is rendered when the digest is written and queued in `outbox-<service>/`; it moves
to `sent-<service>/` only once the service accepted it, so a failed send loses nothing and a re-run
sends only what did not go out (as the email outbox does). Untrusted text (titles, names, messages)
only ever goes into the services' plain-text fields, so a title cannot mention `@channel`, add a
link or change formatting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from docaudit.records import safe_url
from docaudit.retry import GaveUp, RetryableAnswer, http_with_retries, transport_problem

from .digest import Digest, Item, findings_text

SERVICES = ("slack", "teams")


@dataclass
class Sent:
    """What one send run did: who got their message, who did not and why."""

    service: str
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "who: why", one per message that stays queued
    stopped: str = ""  # a problem that stopped the run (bad credentials): nothing after it was tried

    def problems(self) -> list[str]:
        out = [f"{self.service}: could not send to {line}" for line in self.failed]
        return out + ([f"{self.service}: {self.stopped}"] if self.stopped else [])

    def summary(self) -> str:
        return f"{self.service.capitalize()}: sent {len(self.sent)} digests" + (
            f"; {len(self.failed)} stay queued and go out on the next --send" if self.failed else ""
        )


class NotSent(Exception):
    """A message the service did not take; `stop` when nothing after it can go either (bad credentials)."""

    def __init__(self, message: str, stop: bool = False) -> None:
        super().__init__(message)
        self.stop = stop


def send_each(
    folder: Path, service: str, connect: Callable[[], AbstractContextManager[Callable[[dict], None]]]
) -> Sent:
    """Post every queued message of a service through `connect()`'s poster (opened only when something is
    queued); each one it takes moves to sent-<service>/, each it refuses stays queued."""
    result = Sent(service)
    pending = list(queued(folder, service))
    if not pending:
        return result
    with connect() as deliver:
        for number, (path, payload) in enumerate(pending):
            try:
                deliver(payload)
            except NotSent as exc:
                if exc.stop:
                    result.stopped = str(exc)
                    result.failed += [f"{who(p)}: not tried" for _, p in pending[number:]]
                    break
                result.failed.append(f"{who(payload)}: {exc}")
                continue
            done(folder, service, path)
            result.sent.append(who(payload))
    return result


def outbox(folder: Path, service: str) -> Path:
    return folder / f"outbox-{service}"


def queue(folder: Path, service: str, now: datetime, stem: str, message: dict) -> Path:
    box = outbox(folder, service)
    box.mkdir(parents=True, exist_ok=True)
    path = box / f"{now.date().isoformat()}-{stem}.json"
    path.write_text(json.dumps(message, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def queued(folder: Path, service: str) -> Iterator[tuple[Path, dict]]:
    box = outbox(folder, service)
    for path in sorted(box.glob("*.json")) if box.is_dir() else []:
        try:
            yield path, json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a file someone broke by hand stays where it is, for them to look at


def done(folder: Path, service: str, path: Path) -> None:
    sent = folder / f"sent-{service}"
    sent.mkdir(exist_ok=True)
    path.replace(sent / path.name)


def plain(text: str, limit: int) -> str:
    """Text for a plain-text field: printable, at most `limit` characters."""
    text = "".join(c if c.isprintable() or c == "\n" else " " for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def item_text(number: int, item: Item, digest: Digest) -> tuple[str, str]:
    """An item's heading and body, as plain text."""
    lines = [f"Do this ({item.status}): {item.action}", *findings_text(item, digest.person)]
    if item.why_you:
        lines.append(f"Why you: {item.why_you}")
    lines += [f"Or acknowledge: {ack}" for ack in item.acks]
    return f"{number}. {item.title}", "\n".join(lines)


def link(url: str) -> str:
    """A URL a button may open: http(s) only, and short enough for the services' limits."""
    url = safe_url(url)
    return url if url.startswith(("http://", "https://")) and len(url) <= 2000 else ""


class GaveUpSending(Exception):
    """A post that failed every retry; the message says how."""


def post(client: httpx.Client, url: str, max_retries: int, first_wait: float, **body: object) -> httpx.Response:
    """POST, retried on 429 (after Retry-After), 5xx, timeouts and dropped connections; any other
    answer is returned for the caller to judge."""
    try:
        return http_with_retries(
            lambda: client.post(url, **body),  # type: ignore[arg-type]
            retry_status=lambda status: status == 429 or status >= 500,
            max_retries=max_retries,
            first_wait=first_wait,
        )
    except GaveUp as exc:
        last = exc.last
        what = f"HTTP {last.response.status_code}" if isinstance(last, RetryableAnswer) else transport_problem(last)
        raise GaveUpSending(f"failed after {exc.attempts} attempts ({what})") from None


def address(text: str) -> str:
    """An email address, or "" for what only looks like one (a team such as `@acme/docs`)."""
    return text if re.fullmatch(r"[^@\s<>]+@[^@\s<>/]+\.[^@\s<>/]+", text or "") else ""


def who(payload: dict) -> str:
    """The recipient of a queued message, for lines on the terminal."""
    to = payload.get("to") or {}
    name, email = str(to.get("name") or ""), address(str(to.get("email") or ""))
    return f"{name} <{email}>" if name and email else name or email or str(to.get("key") or "someone")
