"""Digests as Microsoft Teams messages: one Adaptive Card per owner, posted to a Workflows (or
incoming) webhook, which puts it in the channel the webhook belongs to; the owner is @mentioned by
email when the digest has one.

Titles, names and messages go into `TextRun`s of `RichTextBlock`s, which Teams does not read as
Markdown, and the mention's display name keeps only letters, digits and spaces: a title cannot
format, link or mention. The webhook URL is a secret: it comes from `[teams] webhook_env` and is
never printed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from docaudit.errors import DocauditError
from docaudit.sections import TeamsSettings

from .chat import GaveUpSending, NotSent, Sent, address, item_text, link, plain, post, send_each
from .digest import Digest, intro, subject

MAX_BYTES = 26_000  # Teams refuses messages over about 28 KB
CARD = "application/vnd.microsoft.card.adaptive"


def message(digest: Digest, now: datetime, report_url: str = "") -> dict:
    person = digest.person
    email = address(person.email)
    # The mention's name sits in Markdown: letters, digits, spaces, dots, apostrophes and hyphens only.
    name = re.sub(r"[^\w .'-]|_", "", person.name or person.key.split("@")[0])[:80].strip() or "owner"
    greeting: dict = (
        {"type": "TextBlock", "text": f"Hello <at>{name}</at>,", "wrap": True}
        if email
        else _run(f"Hello {person.name or person.key},")
    )
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": plain(subject(digest, now), 200),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        greeting,
        _run(intro(digest)),
    ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if email:
        mention = {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": email, "name": name}}
        card["msteams"]["entities"] = [mention]
    report = link(report_url)
    if report:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the report", "url": report}]
    for number, item in enumerate(digest.items, 1):
        title, text = item_text(number, item, digest)
        blocks = [_run(title, bold=True), _run(text)]
        if link(item.url):
            blocks.append(
                {
                    "type": "ActionSet",
                    "actions": [{"type": "Action.OpenUrl", "title": "Open the doc", "url": link(item.url)}],
                }
            )
        body.extend(blocks)
        if len(json.dumps(_envelope(card))) > MAX_BYTES:
            del body[-len(blocks) :]
            body.append(_run(f"and {len(digest.items) - number + 1} more: the full report lists them"))
            break
    envelope = _envelope(card)
    envelope["to"] = {"key": person.key, "name": person.name, "email": person.email}
    return envelope


def send(folder: Path, settings: TeamsSettings) -> Sent:
    """Post every queued card; each one the webhook accepts moves to sent-teams/."""
    return send_each(folder, "teams", lambda: _poster(settings))


@contextmanager
def _poster(settings: TeamsSettings) -> Iterator[Callable[[dict], None]]:
    url = webhook(settings)
    with httpx.Client(timeout=settings.timeout_seconds) as client:
        yield lambda payload: _post(client, url, settings, payload)


def _post(client: httpx.Client, url: str, settings: TeamsSettings, payload: dict) -> None:
    card = {k: v for k, v in payload.items() if k != "to"}
    try:
        response = post(client, url, settings.max_retries, settings.retry_wait_seconds, json=card)
    except GaveUpSending as exc:
        raise NotSent(str(exc)) from None
    if response.status_code in (401, 403, 404):
        raise NotSent(
            f"the webhook answered {response.status_code}: it was removed or its URL in "
            f"{settings.webhook_env} is wrong",
            stop=True,
        )
    if response.status_code >= 300:
        raise NotSent(f"HTTP {response.status_code} {plain(response.text, 120)}")


def webhook(settings: TeamsSettings) -> str:
    url = os.environ.get(settings.webhook_env, "").strip()
    # http only to this machine (a local relay, the tests' server): the URL is a credential
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise DocauditError(
            f"Teams: no webhook: set {settings.webhook_env} to the channel's Workflows webhook URL "
            "(or name another variable with webhook_env under [teams])"
        )
    return url


def _run(text: str, bold: bool = False) -> dict:
    run: dict = {"type": "TextRun", "text": plain(text, 4000)}
    if bold:
        run["weight"] = "Bolder"
    return {"type": "RichTextBlock", "inlines": [run]}


def _envelope(card: dict) -> dict:
    return {"type": "message", "attachments": [{"contentType": CARD, "contentUrl": None, "content": card}]}
