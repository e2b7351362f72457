"""Digests by Slack and Teams, against local servers speaking Slack's Web API and a Teams Workflows
webhook: one message per owner, fallbacks, partial failures that resend only what did not go out,
rate limits, and titles that try to mention, link or format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_servers import SlackServer, TeamsServer
from click.testing import CliRunner
from conftest import NOW

from docaudit.cli import cli
from docaudit.config import Config
from docaudit.digests import chat, delivery
from docaudit.errors import DocauditError
from docaudit.records import Doc, Finding, Owner, Severity

HOSTILE = "<!channel> *urgent* <https://evil.example|click> @here [x](https://evil.example) <at>Boss</at>"
PROBES = str(Path(__file__).resolve().parents[1] / "fixtures" / "probes.yaml")


def doc(title: str, owner: Owner | None, url: str = "") -> Doc:
    return Doc("notion", "ws", title.lower(), title, f"text of {title}", path=title, owner=owner, url=url)


def findings(count_for_priya: int = 1) -> list[Finding]:
    priya = Owner("Priya Raman", "priya@example.com")
    marco = Owner("Marco Rossi", "marco@example.com")
    out = [
        Finding(
            "stale-surfaces",
            Severity.warning,
            doc(f"Runbook {i}" if i else HOSTILE, priya, "https://wiki.example/p/1"),
            f"'{HOSTILE if not i else f'Runbook {i}'}' was last edited 400 days ago",
        )
        for i in range(count_for_priya)
    ]
    out.append(Finding("missing-owner", Severity.warning, doc("Orphan", None), "'Orphan' has no owner"))
    out.append(Finding("stale-surfaces", Severity.warning, doc("Old plan", marco), "old"))
    out.append(Finding("stale-surfaces", Severity.warning, doc("Team page", Owner("@acme/docs")), "old"))
    return out


def config_for(slack: SlackServer | None = None, **slack_settings) -> Config:
    config = Config(
        fallback_owners={"notion": "wiki-admins@example.com"}, report_url="https://docs.example/report.html"
    )
    if slack:
        config.slack.base_url = slack.api_url
        config.slack.retry_wait_seconds = 0.01
    for key, value in slack_settings.items():
        setattr(config.slack, key, value)
    return config


@pytest.fixture
def slack(monkeypatch):
    users = {"priya@example.com": "U0PRIYA", "marco@example.com": "U0MARCO"}
    with SlackServer(users, channels={"C0DOCS": True, "C0LOCKED": False}) as server:
        monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
        yield server


def test_one_direct_message_per_owner_and_the_rest_in_the_fallback_channel_saying_why(slack, tmp_path):
    config = config_for(slack, fallback_channel="C0DOCS")
    run = delivery.prepare_digests(findings(), config, tmp_path, NOW, ["slack"])
    assert len(list(chat.outbox(tmp_path, "slack").glob("*.json"))) == 4
    outcome = delivery.send(tmp_path, "slack", config)
    assert (outcome.failed, outcome.stopped) == ([], "")
    assert sorted(outcome.sent) == [
        "@acme/docs",
        "Marco Rossi <marco@example.com>",
        "Priya Raman <priya@example.com>",
        "wiki-admins@example.com",
    ]
    by_channel = {}
    for post in slack.posted:
        by_channel.setdefault(post["channel"], []).append(post)
    assert sorted(by_channel) == ["C0DOCS", "D00000001", "D00000002"]
    why = sorted(p["blocks"][1]["elements"][0]["text"] for p in by_channel["C0DOCS"])
    assert why == [
        "For @acme/docs: a team or a name without an address, not a person in Slack.",
        "For wiki-admins@example.com: Slack has no user with the address wiki-admins@example.com.",
    ]
    assert slack.calls["users.lookupByEmail"] == 3  # priya, marco, wiki-admins: once each
    assert not list(chat.outbox(tmp_path, "slack").glob("*.json"))  # all accepted, all moved to sent-slack/
    assert len(run.written) == 4


def test_hostile_titles_stay_plain_text_and_notify_no_one(slack, tmp_path):
    config = config_for(slack, fallback_channel="C0DOCS")
    delivery.prepare_digests(findings(), config, tmp_path, NOW, ["slack"])
    delivery.send(tmp_path, "slack", config)
    posted = next(p for p in slack.posted if any(HOSTILE in json.dumps(b) for b in p["blocks"]))
    assert posted["mrkdwn"] is False
    for block in posted["blocks"]:
        for obj in [block.get("text"), *(block.get("elements") or [])]:
            if isinstance(obj, dict) and "type" in obj and obj["type"].endswith("text"):
                assert obj["type"] == "plain_text"  # never mrkdwn: nothing in it is read as formatting
    assert "<" not in posted["text"] and ">" not in posted["text"]  # Slack's escaping on the notification
    buttons = [e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["url"] for b in buttons} == {"https://wiki.example/p/1", "https://docs.example/report.html"}


def test_a_failure_for_one_owner_never_stops_the_others_and_a_rerun_sends_only_what_stayed(slack, tmp_path):
    config = config_for(slack, fallback_channel="C0LOCKED")  # the app was never invited there
    delivery.prepare_digests(findings(), config, tmp_path, NOW, ["slack"])
    outcome = delivery.send(tmp_path, "slack", config)
    assert sorted(outcome.sent) == ["Marco Rossi <marco@example.com>", "Priya Raman <priya@example.com>"]
    assert sorted(outcome.failed) == [
        "@acme/docs: chat.postMessage: not_in_channel (fallback_channel = 'C0LOCKED': invite the app to it)",
        "wiki-admins@example.com: chat.postMessage: not_in_channel (fallback_channel = 'C0LOCKED': invite the app to it)",
    ]
    assert outcome.summary() == "Slack: sent 2 digests; 2 stay queued and go out on the next --send"
    slack.channels["C0LOCKED"] = True  # invited
    slack.posted.clear()
    again = delivery.send(tmp_path, "slack", config)
    assert (len(again.sent), again.failed) == (2, [])
    assert {p["channel"] for p in slack.posted} == {"C0LOCKED"}  # the DMs did not go out twice


def test_bad_credentials_stop_the_run_in_one_line_and_nothing_is_lost(slack, tmp_path, monkeypatch):
    config = config_for(slack, fallback_channel="C0DOCS")
    delivery.prepare_digests(findings(), config, tmp_path, NOW, ["slack"])
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-123")
    outcome = delivery.send(tmp_path, "slack", config)
    assert (
        outcome.stopped
        == "Slack: invalid_auth: set SLACK_BOT_TOKEN to a valid bot token (xoxb-...) of an installed app"
    )
    assert "xoxb-wrong-123" not in json.dumps(outcome.problems())
    assert len(outcome.failed) == 4 and outcome.sent == []
    assert len(list(chat.outbox(tmp_path, "slack").glob("*.json"))) == 4
    slack.scopes = ("chat:write",)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    outcome = delivery.send(tmp_path, "slack", config)
    assert outcome.stopped == (
        "Slack: missing_scope on users.lookupByEmail: add users:read.email to the app and reinstall it"
    )
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    with pytest.raises(DocauditError, match=r"^Slack: no token: set SLACK_BOT_TOKEN"):
        delivery.check_ready(["slack"], config)


def test_rate_limits_wait_for_retry_after_and_every_fault_fires(slack, tmp_path, waits):
    config = config_for(slack, fallback_channel="C0DOCS")
    delivery.prepare_digests(findings(), config, tmp_path, NOW, ["slack"])
    slack.inject(r"POST /api/chat.postMessage", 429, times=2, retry_after="3")
    slack.inject(r"POST /api/users.lookupByEmail", 503, times=1)
    outcome = delivery.send(tmp_path, "slack", config)
    assert (len(outcome.sent), outcome.failed) == (4, [])
    assert [f.times for f in slack.faults] == [0, 0]
    assert waits.count(3.0) == 2 and len(waits) == 3
    assert len(slack.posted) == 4  # a 429 is not a post: nothing went out twice


def test_long_lists_are_cut_within_slacks_limits_with_a_link_to_the_rest(slack, tmp_path):
    config = config_for(slack, fallback_channel="C0DOCS")
    delivery.prepare_digests(findings(count_for_priya=40), config, tmp_path, NOW, ["slack"])
    outcome = delivery.send(tmp_path, "slack", config)
    assert outcome.failed == []  # the server checks Block Kit's limits and refuses what breaks them
    priya = next(p for p in slack.posted if p["channel"] == slack.dms["U0PRIYA"])
    assert len(priya["blocks"]) <= 50
    texts = [b["text"]["text"] for b in priya["blocks"] if b["type"] == "section"]
    assert texts[-1] == "and 18 more: the full report lists them"


@pytest.fixture
def teams(monkeypatch):
    with TeamsServer() as server:
        monkeypatch.setenv("TEAMS_WEBHOOK_URL", server.webhook_url)
        yield server


def test_teams_gets_one_card_per_owner_with_the_owner_mentioned(teams, tmp_path):
    config = config_for()
    config.teams.retry_wait_seconds = 0.01
    delivery.prepare_digests(findings(), config, tmp_path, NOW, ["teams"])
    outcome = delivery.send(tmp_path, "teams", config)
    assert (len(outcome.sent), outcome.failed) == (4, [])
    priya = next(c for c in teams.cards if "priya@example.com" in json.dumps(c.get("msteams")))
    assert priya["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Priya Raman</at>",
            "mentioned": {"id": "priya@example.com", "name": "Priya Raman"},
        }
    ]
    runs = [i for b in priya["body"] if b["type"] == "RichTextBlock" for i in b["inlines"]]
    assert any(HOSTILE in r["text"] for r in runs)  # the hostile title only ever in a TextRun: no Markdown
    assert all(HOSTILE not in b.get("text", "") for b in priya["body"] if b["type"] == "TextBlock")
    team = next(c for c in teams.cards if "@acme/docs" in json.dumps(c))
    assert "entities" not in team["msteams"]  # no address: no mention


def test_teams_failures_stay_queued_and_a_removed_webhook_stops_in_one_line(teams, tmp_path, monkeypatch, waits):
    config = config_for()
    delivery.prepare_digests(findings(), config, tmp_path, NOW, ["teams"])
    teams.inject(r"POST /workflows", 429, times=1, retry_after="2")
    teams.inject(r"POST /workflows", 502, times=6)  # one card gives up after 5 retries
    outcome = delivery.send(tmp_path, "teams", config)
    assert (len(outcome.sent), len(outcome.failed)) == (3, 1)
    assert outcome.failed[0].endswith("failed after 6 attempts (HTTP 502)")
    assert [f.times for f in teams.faults] == [0, 0] and 2.0 in waits
    monkeypatch.setenv("TEAMS_WEBHOOK_URL", teams.url + "/workflows/gone?sig=x")
    outcome = delivery.send(tmp_path, "teams", config)
    assert outcome.stopped == ("the webhook answered 404: it was removed or its URL in TEAMS_WEBHOOK_URL is wrong")
    assert "sig=x" not in json.dumps(outcome.problems())  # the URL is a secret


def test_cli_dry_run_prints_the_messages_and_sends_nothing(sample_index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docaudit.toml").write_text(f'index = "{sample_index.config.index}"\n')
    args = ["digest", "--probes", PROBES, "--now", "2026-11-20", "--out", "digests"]
    result = CliRunner().invoke(cli, [*args, "--send", "slack", "--dry-run"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert list(shown) == ["slack"] and len(shown["slack"]) == 4
    assert all(m["blocks"][0]["type"] == "header" for m in shown["slack"])
    assert not (tmp_path / "digests").exists()  # nothing written, nothing remembered
    failed = CliRunner().invoke(cli, [*args, "--send", "slack,teams"])
    assert (failed.exit_code, failed.stderr) == (
        2,
        "docaudit: error: Slack: no token: set SLACK_BOT_TOKEN to the app's bot token (xoxb-...), "
        "or name another variable with token_env under [slack]\n",
    )
    unknown = CliRunner().invoke(cli, [*args, "--send", "pager"])
    assert (unknown.exit_code, unknown.stderr) == (2, "docaudit: error: --send pager: use email, slack or teams\n")


def test_cli_sends_by_slack_and_exits_1_when_an_owner_could_not_be_reached(sample_index, slack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docaudit.toml").write_text(
        f'index = "{sample_index.config.index}"\n[slack]\nbase_url = "{slack.api_url}"\nretry_wait_seconds = 0.01\n'
    )
    args = ["digest", "--probes", PROBES, "--now", "2026-11-20", "--out", "digests", "--send", "slack"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "Slack: sent 0 digests; 4 stay queued and go out on the next --send"
    assert "docaudit: slack: could not send to SRE Team <sre@example.com>: For SRE Team: Slack has no user with" in (
        result.stderr
    )


def test_a_mentioned_name_cannot_format_or_mention_in_teams(tmp_path):
    from docaudit.digests import digest, teams
    from docaudit.owners import Identities

    owner = Owner("_Boss_ <at>CEO</at> [x](https://evil.example)", "boss@example.com")
    built, _ = digest.build(
        [Finding("stale-surfaces", Severity.warning, doc("A", owner), "old")], Identities(Config()), {}, NOW
    )
    card = teams.message(built[0], NOW)["attachments"][0]["content"]
    [mention] = card["msteams"]["entities"]
    assert mention["mentioned"] == {"id": "boss@example.com", "name": "Boss atCEOat xhttpsevil.example"}
    assert card["body"][1]["text"] == "Hello <at>Boss atCEOat xhttpsevil.example</at>,"


def test_the_webhook_variable_is_named_in_config(teams, tmp_path, monkeypatch):
    config = config_for()
    config.teams.webhook_env = "OPS_TEAMS_HOOK"
    with pytest.raises(DocauditError, match=r"^Teams: no webhook: set OPS_TEAMS_HOOK "):
        delivery.check_ready(["teams"], config)
    monkeypatch.setenv("OPS_TEAMS_HOOK", teams.webhook_url)
    delivery.prepare_digests(findings(), config, tmp_path, NOW, ["teams"])
    assert len(delivery.send(tmp_path, "teams", config).sent) == 4
