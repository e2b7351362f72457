"""A digest run end to end: this week's digests written and queued for each service named, a preview
of what would be queued, and delivery of each queue (email, Slack, Teams). The CLI calls this module;
the services' own modules know nothing of each other."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.owners import Identities
from docaudit.records import Finding

from . import slack, teams
from .chat import SERVICES, Sent, queue
from .digest import Digest, build, load_state, remember, save_state
from .mail import DigestRun, send_outbox, write

CHANNELS = ("email", *SERVICES)


def prepare_digests(
    findings: list[Finding], config: Config, folder: Path, now: datetime, services: Sequence[str] = ()
) -> DigestRun:
    """This week's digests on disk and queued (by email, and for each chat service named), the state
    updated; also the findings nobody owns."""
    identities = Identities(config)
    state = load_state(folder)
    digests, orphans = build(findings, identities, state, now)
    written, failed = write(digests, folder, now, config.smtp.sender, config.report_url)
    for digest in digests:
        if digest.items and digest.person.key not in failed:
            for service in services:
                queue(folder, service, now, digest.file_stem, message(service, digest, now, config.report_url))
    # A digest that could not be written is not remembered as told: it comes again next time.
    told = [d for d in digests if d.person.key not in failed]
    save_state(folder, remember(state, told, findings, identities))
    for digest in digests:
        digest.problem = failed.get(digest.person.key, "")
    return DigestRun(folder, digests, orphans, written)


def messages(findings: list[Finding], config: Config, folder: Path, now: datetime, service: str) -> list[dict]:
    """The messages a run would queue for a chat service, without writing or remembering anything."""
    digests, _ = build(findings, Identities(config), load_state(folder), now)
    return [message(service, d, now, config.report_url) for d in digests if d.items]


def services(given: tuple[str, ...]) -> list[str]:
    """`--send slack --send email,teams` as ["slack", "email", "teams"]; an unknown one is an error."""
    named = [part.strip().lower() for value in given for part in value.split(",") if part.strip()]
    unknown = [name for name in named if name not in CHANNELS]
    if unknown:
        raise DocauditError(f"--send {unknown[0]}: use email, slack or teams")
    return list(dict.fromkeys(named))


def chat_services(services: list[str]) -> list[str]:
    return [s for s in services if s in SERVICES]


@dataclass
class Delivery:
    lines: list[str] = field(default_factory=list)  # what went out, per service
    failures: list[str] = field(default_factory=list)  # one line per message that stays queued
    problem: str = ""  # email could not be sent at all (the server, the settings)


def deliver(folder: Path, services: list[str], config: Config) -> Delivery:
    """Send what is queued for each service named; a service's failures never stop the next one."""
    delivery = Delivery()
    if "email" in services:
        sent, waiting, problem = send_outbox(folder, config.smtp)
        delivery.lines.append(
            f"Sent {sent} digests" + (f"; {waiting} stay queued in {folder / 'outbox'}" if waiting else "")
        )
        if problem:
            delivery.problem = (
                f"sending failed: {problem}; the digests stay in {folder / 'outbox'} and go out on the next --send"
            )
    for service in chat_services(services):
        outcome = send(folder, service, config)
        delivery.lines.append(outcome.summary())
        delivery.failures += outcome.problems()
    return delivery


def preview(findings: list, config: Config, folder: Path, now: datetime, services: list[str]) -> str:
    """The messages --send would queue for each chat service named (Slack when no service is), as JSON."""
    named = chat_services(services) if services else ["slack"]
    shown = {service: messages(findings, config, folder, now, service) for service in named}
    return json.dumps(shown, ensure_ascii=False, indent=1)


def check_ready(services: list[str], config: Config) -> None:
    """Credentials for every service named, before any audit work."""
    if "slack" in services:
        slack.token(config.slack)
    if "teams" in services:
        teams.webhook(config.teams)
    if "email" in services and not config.smtp.host:
        raise DocauditError("--send email: no SMTP host: set host under [smtp]")


def send(folder: Path, service: str, config: Config) -> Sent:
    return _module(service).send(folder, getattr(config, service))


def message(service: str, digest: Digest, now: datetime, report_url: str) -> dict:
    """One owner's digest as the service's message."""
    return _module(service).message(digest, now, report_url)


def _module(service: str) -> Any:
    return {"slack": slack, "teams": teams}[service]
