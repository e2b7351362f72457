"""Digests as Slack direct messages: Block Kit built from a digest, sent through the Web API.

Each owner is found by email (`users.lookupByEmail`), a DM opened (`conversations.open`) and the
message posted (`chat.postMessage`). An owner Slack does not know, and a team (`@acme/docs`), go to
`[slack] fallback_channel` with a line saying why. An `ok: false` answer is that owner's failure
only; bad credentials stop the run. 429s wait for Retry-After through `docaudit.retry`.

Titles, names and messages go into `plain_text` objects only, and the notification text is sent
with `mrkdwn: false`: a title like `<!channel>` or `*urgent*` shows as written and notifies no one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from docaudit.errors import DocauditError
from docaudit.sections import SlackSettings

from .chat import GaveUpSending, NotSent, Sent, address, item_text, link, plain, post, send_each
from .digest import Digest, intro, subject

DEFAULT_API = "https://slack.com/api"
MAX_BLOCKS = 50  # Slack's limits for one message
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON = 75
FATAL = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope"}


def message(digest: Digest, now: datetime, report_url: str = "") -> dict:
    """One owner's digest as a Block Kit message (without its channel, which is found when sending)."""
    person = digest.person
    blocks: list[dict] = [
        {"type": "header", "text": _plain(subject(digest, now), MAX_HEADER)},
        {"type": "section", "text": _plain(f"Hello {person.name or person.key},\n{intro(digest)}", MAX_SECTION)},
    ]
    report = link(report_url)
    # Each item takes two blocks; keep room for the "and N more" line, the report button and the line
    # a fallback channel gets saying whose digest it is.
    room = (MAX_BLOCKS - len(blocks) - 3) // 2
    for number, item in enumerate(digest.items[:room], 1):
        title, body = item_text(number, item, digest)
        blocks.append({"type": "section", "text": _plain(f"{title}\n{body}", MAX_SECTION)})
        buttons = [_button("Open the doc", link(item.url))] if link(item.url) else []
        blocks.append({"type": "actions", "elements": buttons} if buttons else {"type": "divider"})
    more = len(digest.items) - room
    if more > 0:
        blocks.append({"type": "section", "text": _plain(f"and {more} more: the full report lists them", 200)})
    if report:
        blocks.append({"type": "actions", "elements": [_button("Open the report", report)]})
    return {
        "to": {"key": person.key, "name": person.name, "email": person.email},
        "text": _escaped(subject(digest, now)),
        "blocks": blocks,
    }


def send(folder: Path, settings: SlackSettings) -> Sent:
    """Post every queued Slack message; each one Slack accepts moves to sent-slack/."""
    return send_each(folder, "slack", lambda: _poster(settings))


@contextmanager
def _poster(settings: SlackSettings) -> Iterator[Callable[[dict], None]]:
    client = SlackClient(settings)
    try:
        yield lambda payload: _post(client, payload)
    finally:
        client.close()


def _post(client: SlackClient, payload: dict) -> None:
    """One owner's message: to their DM, else to the fallback channel with a line saying why."""
    try:
        channel, why = client.channel_for(payload.get("to") or {})
        blocks = list(payload.get("blocks") or [])
        if why:
            blocks.insert(1, {"type": "context", "elements": [_plain(why, MAX_SECTION)]})
        body = {"channel": channel, "text": payload.get("text", ""), "blocks": blocks, "mrkdwn": False}
        client.call("chat.postMessage", {**body, "unfurl_links": False})
    except SlackRefused as exc:
        raise NotSent(str(exc), stop=exc.error in FATAL) from None


def token(settings: SlackSettings) -> str:
    value = os.environ.get(settings.token_env, "").strip()
    if not value:
        raise DocauditError(
            f"Slack: no token: set {settings.token_env} to the app's bot token (xoxb-...), "
            "or name another variable with token_env under [slack]"
        )
    return value


class SlackRefused(DocauditError):
    """An `ok: false` answer (or a request that gave up); `error` is Slack's error code."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


class SlackClient:
    def __init__(self, settings: SlackSettings) -> None:
        self.settings = settings
        self.base = (settings.base_url or os.environ.get("SLACK_API_URL") or DEFAULT_API).rstrip("/")
        self.client = httpx.Client(
            headers={"Authorization": f"Bearer {token(settings)}"}, timeout=settings.timeout_seconds
        )
        self.users: dict[str, str | None] = {}  # email -> Slack user id, None when Slack has none
        self.dms: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def channel_for(self, to: dict) -> tuple[str, str]:
        """Where an owner's digest goes: their DM, else the fallback channel and why."""
        email = address(str(to.get("email") or ""))
        label = str(to.get("name") or to.get("key") or email)
        if email and email not in self.users:
            try:
                found = self.call("users.lookupByEmail", {"email": email}, form=True)
                self.users[email] = str((found.get("user") or {}).get("id") or "") or None
            except SlackRefused as exc:
                if exc.error != "users_not_found":
                    raise
                self.users[email] = None
        user = self.users.get(email) if email else None
        if user:
            if user not in self.dms:
                opened = self.call("conversations.open", {"users": user})
                self.dms[user] = str((opened.get("channel") or {}).get("id") or "")
            return self.dms[user], ""
        why = (
            f"For {label}: Slack has no user with the address {email}."
            if email
            else f"For {label}: a team or a name without an address, not a person in Slack."
        )
        if not self.settings.fallback_channel:
            raise SlackRefused("no_fallback", f"{why} No fallback_channel is set under [slack]")
        return self.settings.fallback_channel, why

    def call(self, method: str, body: dict, form: bool = False) -> dict[str, Any]:
        sent = {"data": body} if form else {"json": body}
        try:
            response = post(
                self.client,
                f"{self.base}/{method}",
                self.settings.max_retries,
                self.settings.retry_wait_seconds,
                **sent,
            )
        except GaveUpSending as exc:
            raise SlackRefused("gave_up", f"{method} {exc}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        if response.status_code >= 400 or not answer.get("ok"):
            error = str(answer.get("error") or f"http_{response.status_code}")
            raise SlackRefused(error, _explain(method, error, answer, self.settings))
        return answer


def _explain(method: str, error: str, answer: dict, settings: SlackSettings) -> str:
    if error in ("invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"):
        return f"Slack: {error}: set {settings.token_env} to a valid bot token (xoxb-...) of an installed app"
    if error == "missing_scope":
        return (
            f"Slack: missing_scope on {method}: add {answer.get('needed') or 'the scope'} to the app and reinstall it"
        )
    if error in ("channel_not_found", "not_in_channel", "is_archived"):
        return f"{method}: {error} (fallback_channel = '{settings.fallback_channel}': invite the app to it)"
    return f"{method}: {error}"


def _plain(text: str, limit: int) -> dict:
    return {"type": "plain_text", "text": plain(text, limit) or " ", "emoji": False}


def _button(text: str, url: str) -> dict:
    return {"type": "button", "text": _plain(text, MAX_BUTTON), "url": url}


def _escaped(text: str) -> str:
    """Slack's own escaping for the notification text: no <!channel>, <@U1> or <url|link> survives."""
    return plain(text, 3000).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
