"""The Notion connector against a local server that speaks Notion's wire format, through the real notion-client."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from notion_server import NotionServer, load_workspace, uid

from connectors import CrawlState, notion
from docaudit.audit import crawl as index_crawl
from docaudit.cli import cli
from docaudit.config import Config, load_config
from docaudit.errors import DocauditError, InputError
from docaudit.index.store import Index
from docaudit.records import Doc, Gone, Skipped

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "fixtures" / "notion" / "workspace.yaml"
SAMPLES = ROOT / "fixtures" / "notion" / "api-samples"
VERSIONS = ("2022-06-28", "2025-09-03")
VISIBLE_TITLES = {
    "Engineering wiki",
    "Incident response",
    "Incident response (2020)",
    "VPN setup guide",
    "Restart the search cluster",
    "Rotate TLS certificates by hand",
    "Rotate TLS certificates",
    "Team offsite 2023 logistics",
    "Payments webhooks spec 2021",
}


@pytest.fixture
def server(monkeypatch):
    with NotionServer(load_workspace(WORKSPACE)) as running:
        monkeypatch.setenv("NOTION_TOKEN", running.token)
        yield running


def settings_for(server: NotionServer, version: str = "2025-09-03", **overrides) -> Config:
    config = Config()
    config.section("notion").base_url = server.url
    config.section("notion").api_version = version
    config.section("notion").requests_per_second = 0  # the server here has no rate limit unless a test sets one
    config.section("notion").retry_wait_seconds = 0.05
    for key, value in overrides.items():
        setattr(config.section("notion"), key, value)
    return config


def run(config: Config, state: CrawlState | None = None) -> tuple[dict[str, Doc], list, CrawlState]:
    state = state or CrawlState()
    records = list(notion.crawl("acme", config, state))
    docs = {r.title: r for r in records if isinstance(r, Doc)}
    return docs, [r for r in records if not isinstance(r, Doc)], state


@pytest.mark.parametrize("version", VERSIONS)
def test_reads_every_shared_page_in_both_api_versions(server, version):
    docs, others, _ = run(settings_for(server, version))
    assert set(docs) == VISIBLE_TITLES  # neither the trashed nor the unshared page
    assert server.calls["databases.query" if version < "2025" else "data_sources.query"] == 1
    assert server.calls["users"] == 4  # one call per user, however many pages name them
    assert [(type(o).__name__, o.reason) for o in others] == [("Skipped", "unsupported Notion block 'ai_block'")]

    incident = docs["Incident response"]
    assert incident.path == "Engineering wiki/Incident response"
    assert incident.owner.label() == "Priya Raman <priya@example.com>"
    assert incident.owner.via == "Notion property Owner"
    assert incident.last_modified == datetime(2026, 9, 18, 14, 31, tzinfo=timezone.utc)
    assert incident.created == datetime(2024, 3, 2, 10, 0, tzinfo=timezone.utc)
    assert incident.url.endswith(uid("incident-response").replace("-", ""))
    for line in (
        "> 🚨 Declare an incident in #incidents with /incident declare",  # callout
        "SEV1 | Customers cannot pay or log in | Page the incident commander",  # table row
        "The communications lead updates the status page",  # inside a column
        "[ ] Write the postmortem within five working days",  # to-do
        "Escalation contacts: the incident commander rota",  # synced block
    ):
        assert line in incident.text
    assert incident.headings == ["Severity levels", "Roles", "After the incident"]

    old = docs["Incident response (2020)"]
    assert old.marker("superseded_by").value == uid("incident-response")  # the page mention in the banner
    assert old.marker("deprecated").value.startswith("> ⚠️ Deprecated: superseded by Incident response.")
    assert old.text.count("Call the on-call phone tree") == 1  # its synced block points back at itself: no loop

    vpn = docs["VPN setup guide"]
    assert (vpn.marker("review_by").value, vpn.marker("review_by").source) == (
        "2025-06-30",
        "Notion verification by Lena Fischer <lena@example.com>",
    )
    assert "```shell\nwg-quick up ./corp.conf\n```" in vpn.text

    by_hand = docs["Rotate TLS certificates by hand"]
    assert by_hand.path == "Engineering wiki/SRE runbooks/Rotate TLS certificates by hand"
    assert "Status: Deprecated\nService: edge" in by_hand.text  # database properties as text
    assert by_hand.marker("deprecated").source == "Notion property Status"

    assert "nodes_down \\le replicas - 1" in docs["Restart the search cluster"].text  # equation
    assert "Public status page: https://status.example.com" in docs["Engineering wiki"].text  # bookmark
    assert docs["Engineering wiki"].owner.via == "created_by"
    offsite = docs["Team offsite 2023 logistics"]
    assert offsite.owner is None
    assert offsite.notes[0] == "no owner: no Owner property; the creator, Confluence Importer, is a bot"


@pytest.mark.parametrize("version", VERSIONS)
def test_server_sends_every_field_the_real_api_recorded(server, version):
    """The local server is only worth testing against if it answers in Notion's real shapes."""
    config = settings_for(server, version)
    api = notion.NotionApi(config.section("notion"))
    try:
        pages = api.request("POST", "search", body={"filter": {"property": "object", "value": "page"}})
        container = "data_source" if version >= "2025" else "database"
        containers = api.request("POST", "search", body={"filter": {"property": "object", "value": container}})
        page = next(p for p in pages["results"] if p["id"] == uid("wiki-home"))
        blocks = api.request("GET", f"blocks/{page['id']}/children")
        served = {
            "list_search": pages,
            "list_blocks": blocks,
            "page": page,
            "block_paragraph": next(b for b in blocks["results"] if b["type"] == "paragraph"),
            "block_child_page": next(b for b in blocks["results"] if b["type"] == "child_page"),
            container: containers["results"][0],
            "user_person": api.request("GET", f"users/{uid('priya')}"),
            "user_bot": api.request("GET", f"users/{uid('importer')}"),
        }
    finally:
        api.close()
    for name, ours in served.items():
        recorded = json.loads((SAMPLES / version / f"{name}.json").read_text())
        assert missing_fields(recorded, ours) == [], name
    with pytest.raises(DocauditError) as error:
        notion.NotionApi(config.section("notion")).request("GET", "users/nobody-here")
    assert error.value.status == 404


def missing_fields(recorded: dict, ours: dict, prefix: str = "") -> list[str]:
    missing = []
    for key, value in recorded.items():
        if key == "request_id" and prefix == "" and "object" in recorded and recorded["object"] != "list":
            continue  # single-object responses carry one; the same object inside a list does not
        if key not in ours:
            missing.append(prefix + key)
        elif isinstance(value, dict) and isinstance(ours[key], dict) and value:
            missing += missing_fields(value, ours[key], f"{prefix}{key}.")
    return missing


def test_server_rejects_the_other_versions_filter(server):
    config = settings_for(server, "2025-09-03")
    api = notion.NotionApi(config.section("notion"))
    with pytest.raises(DocauditError, match="400 validation_error"):
        api.request("POST", "search", body={"filter": {"property": "object", "value": "database"}})
    api.close()


def test_incremental_crawl_fetches_only_what_changed_and_full_drops_what_is_gone(server, tmp_index):
    config = settings_for(server)
    idx = tmp_index(config)
    first = index_crawl(idx, "notion", "acme", config)
    assert (first.added, first.skipped[0].reason) == (9, "unsupported Notion block 'ai_block'")

    server.calls.clear()
    again = index_crawl(idx, "notion", "acme", config)
    assert (again.seen, again.unchanged, again.chunks_embedded) == (1, 1, 0)  # the newest, not re-read
    assert dict(server.calls) == {"search": 2}  # newest pages first, and they are older than the cursor

    edited = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    server.edit("vpn-setup", edited, blocks=[{"paragraph": "Use the new zero-trust client; the VPN is gone."}])
    server.calls.clear()
    changed = index_crawl(idx, "notion", "acme", config)
    assert (changed.updated, changed.added, changed.unchanged) == (1, 0, 1)
    assert server.calls["blocks.children"] == 1  # only the edited page is read
    docs = idx.docs()[0]
    vpn = next(d for d in docs.values() if d.title == "VPN setup guide")
    assert vpn.last_modified.isoformat().startswith(edited[:16])

    server.edit("rb-tls-old", "2022-01-20T13:05:00Z", in_trash=True)  # trashing does not bump the edit time
    server.edit("offsite-2023", "2023-04-03T09:00:00Z", shared=False)
    server.calls.clear()
    assert index_crawl(idx, "notion", "acme", config).removed == 0  # an incremental crawl cannot see them go
    full = index_crawl(idx, "notion", "acme", config, full=True)
    assert full.removed == 2
    assert {d.title for d in idx.docs()[0].values()} == VISIBLE_TITLES - {
        "Rotate TLS certificates by hand",
        "Team offsite 2023 logistics",
    }
    assert full.chunks_embedded == 0  # a full crawl re-reads, but embeds nothing that did not change


def test_a_page_edited_within_the_last_minutes_is_read_again_next_time(server, tmp_path, embedder):
    """Notion rounds edit times to the minute: a second edit in the same minute keeps the stamp.
    edit_overlap_minutes is that margin; an hour here, so a slow machine cannot outrun it."""

    def after_two_edits_in_one_minute(overlap: int) -> str:
        config = settings_for(server, edit_overlap_minutes=overlap)
        config.index = str(tmp_path / f"index-{overlap}")  # each margin its own index and cursor
        idx = Index(config, embedder)
        server.edit("vpn-setup", "2026-01-01T00:00:00Z", blocks=[{"paragraph": "Before."}])
        index_crawl(idx, "notion", "acme", config)
        just_now = datetime.now(timezone.utc).replace(second=0, microsecond=0).isoformat()
        server.edit("vpn-setup", just_now, blocks=[{"paragraph": "First edit."}])
        index_crawl(idx, "notion", "acme", config)
        server.edit("vpn-setup", just_now, blocks=[{"paragraph": "Second edit, same minute."}])
        index_crawl(idx, "notion", "acme", config)
        return next(d for d in idx.docs()[0].values() if d.title == "VPN setup guide").hash

    def text(paragraph: str) -> str:
        return Doc("notion", "acme", "x", "t", f"# VPN setup guide\n\nOwner: Lena Fischer\n\n{paragraph}\n").hash

    assert after_two_edits_in_one_minute(60) == text("Second edit, same minute.")
    assert after_two_edits_in_one_minute(0) == text("First edit.")  # no margin: the second edit is missed


def test_owner_property_names_the_people_property_that_owns_a_page(server):
    """A workspace whose owners live in another people property: owner_property points there; a
    page without it falls back to its creator."""
    properties = {"Owner": ["marco"], "Maintainer": ["lena"], "Status": "Current", "Service": "search"}
    server.edit("rb-search-restart", "2026-08-14T09:58:00Z", properties=properties)
    plain, _, _ = run(settings_for(server))
    maintained, _, _ = run(settings_for(server, owner_property="Maintainer"))
    page = "Restart the search cluster"
    assert plain[page].owner.label() == "Marco Rossi <marco@example.com>"
    assert maintained[page].owner.label() == "Lena Fischer <lena@example.com>"
    assert maintained["Incident response"].owner.label() == "Priya Raman <priya@example.com>"  # its creator


def test_retries_faults_and_honours_retry_after(server, waits):
    server.inject(r"POST /v1/search", 503, times=2)
    server.inject(r"GET /v1/blocks/.*/children", 429, times=1, retry_after="1")
    server.inject(r"GET /v1/users/", 0, times=1, delay=6)  # a timeout: no answer in time
    server.inject(r"POST /v1/data_sources/.*/query", 529, times=1, code="service_unavailable")
    docs, _, _ = run(settings_for(server, timeout_seconds=2.0))  # wide: a loaded machine answers slowly
    assert set(docs) == VISIBLE_TITLES
    assert docs["Team offsite 2023 logistics"].owner is None
    assert docs["Incident response"].owner.label() == "Priya Raman <priya@example.com>"
    # After the 429 the client waited the second Retry-After asked for before asking again.
    assert [f.times for f in server.faults] == [0] * len(server.faults)  # every injected fault fired
    assert 1.0 in waits  # the Retry-After second was the wait chosen, not a backoff guess
    assert len(waits) >= len(server.faults)  # each fault cost one retry (a slow answer may add one)


def test_gives_up_with_one_line_and_the_next_run_resumes(server, tmp_index, monkeypatch):
    import docaudit.index.sync as sync_module

    monkeypatch.setattr(sync_module, "EMBED_BATCH_DOCS", 2)
    config = settings_for(server, max_retries=2)
    idx = tmp_index(config)
    # Pages are read newest first; the fifth one's blocks fail for good.
    fifth = sorted(server.pages.values(), key=lambda p: str(p["edited"]), reverse=True)
    fifth = [p for p in fifth if p.get("shared", True) and not p.get("in_trash")][4]
    server.inject(rf"GET /v1/blocks/{uid(fifth['id'])}/children", 500, times=3)
    with pytest.raises(DocauditError) as error:
        index_crawl(idx, "notion", "acme", config)
    assert str(error.value) == (
        f"Notion: GET /v1/blocks/{uid(fifth['id'])}/children failed after 3 attempts (500 internal_server_error); "
        "run the crawl again to pick up where it stopped"
    )
    assert len(idx.docs()[0]) == 4  # the complete pages before it are indexed, nothing half-written
    assert idx.cursor("notion", "acme") is None  # and the crawl is not marked done

    server.calls.clear()
    resumed = index_crawl(idx, "notion", "acme", config)
    assert (resumed.added, resumed.unchanged) == (5, 4)  # indexed pages are not even re-read
    assert server.calls["blocks.children"] < 14
    assert len(idx.docs()[0]) == 9
    chunks = idx._collection("chunks").get(include=[])["ids"]
    assert len(chunks) == len(set(chunks)) == sum(r["chunks"] for r in idx.records().values())


def test_credentials_errors_name_the_variable_and_never_the_token(server, monkeypatch):
    monkeypatch.setenv("NOTION_TOKEN", "secret_wrong_token_123")
    with pytest.raises(DocauditError) as error:
        run(settings_for(server))
    assert str(error.value) == (
        "Notion: 401 unauthorized: set NOTION_TOKEN to a valid integration token, "
        "and share the pages with that integration"
    )
    monkeypatch.delenv("NOTION_TOKEN")
    with pytest.raises(DocauditError, match=r"^Notion: no token: set NOTION_TOKEN .*token_env under \[notion\]\)$"):
        run(settings_for(server))


@pytest.mark.slow  # the server's limiter keeps real time: this one waits about 14 s
def test_paces_requests_under_the_rate_limit(monkeypatch):
    """At Notion's 3 requests a second the server never has to say 429; unpaced, it does, and the crawl still ends."""
    with NotionServer(load_workspace(WORKSPACE), rate=3.0, burst=3) as limited:
        monkeypatch.setenv("NOTION_TOKEN", limited.token)
        paced, _, _ = run(settings_for(limited, requests_per_second=3.0))
        assert (len(paced), limited.rate_limited) == (9, 0)
    with NotionServer(load_workspace(WORKSPACE), rate=3.0, burst=3) as limited:
        monkeypatch.setenv("NOTION_TOKEN", limited.token)
        unpaced, _, _ = run(settings_for(limited, requests_per_second=0, max_retries=8))
        assert len(unpaced) == 9
        assert limited.rate_limited > 0


def test_cli_crawls_a_workspace_and_reports_skips(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NOTION_BASE_URL", server.url)
    (tmp_path / "docaudit.toml").write_text('[notion]\nrequests_per_second = 0\napi_version = "2022-06-28"\n')
    result = CliRunner().invoke(cli, ["crawl", "acme", "--source", "notion", "-q"])
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        f"warning: skipped Team offsite 2023 logistics (block {uid('offsite-2023/1')}): unsupported Notion block 'ai_block'\n"
    )
    result = CliRunner().invoke(cli, ["crawl", "acme", "--source", "notion", "--full"])
    assert result.exit_code == 0
    # Every page is listed again, none is re-read: none changed since it was indexed.
    assert result.stdout == (
        "Crawled acme: 9 docs in the index; 9 checked (0 added, 0 updated, 9 unchanged), 0 removed, 0 chunks embedded\n"
    )


def test_notion_settings_are_checked_with_their_line(tmp_path):
    path = tmp_path / "docaudit.toml"
    path.write_text('top_k = 5\n[notion]\napi_version = "2023-01-01"\n')
    with pytest.raises(InputError) as error:
        load_config(path)
    assert (error.value.line, str(error.value).split(": ", 1)[1]) == (
        3,
        "'notion.api_version' must be one of 2022-06-28, 2025-09-03",
    )
    path.write_text('[notion]\ntoken = "secret_oops"\n')
    with pytest.raises(InputError) as error:
        load_config(path)
    assert (error.value.line, "secret_oops" in str(error.value)) == (2, False)
    assert "unknown setting 'notion.token'" in str(error.value)


def test_gone_pages_are_reported_as_gone_records(server):
    config = settings_for(server)
    _, _, state = run(config)
    server.edit("vpn-setup", "2024-11-12T11:20:00Z", in_trash=True)
    known = {uid(p): "hash" for p in ("vpn-setup", "incident-response")}
    _, others, _ = run(config, CrawlState(cursor=state.next_cursor, known=known, full=True))
    assert [o for o in others if isinstance(o, Gone)] == [Gone("notion", "acme", uid("vpn-setup"))]
    assert all(isinstance(o, (Gone, Skipped)) for o in others)


def test_pages_through_every_list_and_stops_at_the_depth_limit(server):
    server.max_page_size = 2  # every search, query and block list now takes several requests
    docs, _, _ = run(settings_for(server))
    assert set(docs) == VISIBLE_TITLES
    assert docs["Incident response"].headings == ["Severity levels", "Roles", "After the incident"]
    assert server.calls["search"] == 5 + 1  # 9 pages two at a time, and the one data source
    shallow, _, _ = run(settings_for(server, max_depth=1))
    incident = shallow["Incident response"].text
    assert "Severity levels" in incident and "SEV1 | Customers" not in incident  # the table's rows are one level down
