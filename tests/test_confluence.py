"""The Confluence connector against a local server that speaks Confluence's wire format: Cloud's
REST v2 (with v1 for CQL and users) and Data Center's v1, through httpx."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from confluence_server import ConfluenceServer, account_id, load_site, page_id

from connectors import CrawlState, confluence
from connectors.confluence_storage import to_text
from docaudit.audit import crawl as index_crawl
from docaudit.cli import cli
from docaudit.config import Config, load_config
from docaudit.errors import DocauditError, InputError
from docaudit.records import Doc, Gone, Skipped

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "fixtures" / "confluence" / "site.yaml"
VISIBLE = {
    "Operations home",
    "Deploying to production with Jenkins",
    "Postmortem template (2020)",
    "Postmortem template",
    "Status page updates during incidents",
    "Capacity plan 2019",  # archived: a RAG index often holds these, so docaudit does too
}


@pytest.fixture(params=["cloud", "datacenter"])
def server(request, monkeypatch):
    with ConfluenceServer(load_site(SITE), flavour=request.param) as running:
        monkeypatch.setenv("CONFLUENCE_API_TOKEN", running.token)
        yield running


@pytest.fixture
def cloud(monkeypatch):
    with ConfluenceServer(load_site(SITE), flavour="cloud") as running:
        monkeypatch.setenv("CONFLUENCE_API_TOKEN", running.token)
        yield running


def settings_for(server: ConfluenceServer, **overrides) -> Config:
    config = Config()
    settings = config.section("confluence")
    settings.base_url = server.base_url
    # Cloud: Basic with the account's email and API token; Data Center: the token as a Bearer PAT.
    settings.email = server.email if server.flavour == "cloud" else ""
    settings.requests_per_second = 0
    settings.retry_wait_seconds = 0.05
    for key, value in overrides.items():
        setattr(settings, key, value)
    return config


def run(config: Config, state: CrawlState | None = None) -> tuple[dict[str, Doc], list, CrawlState]:
    state = state or CrawlState()
    records = list(confluence.crawl("OPS", config, state))
    return {r.title: r for r in records if isinstance(r, Doc)}, [r for r in records if not isinstance(r, Doc)], state


def test_reads_current_and_archived_pages_with_owners_labels_and_notices(server):
    docs, others, state = run(settings_for(server))
    assert set(docs) == VISIBLE  # never the draft, never the trashed page
    assert others == []
    assert state.next_cursor["api"] == ("v2" if server.flavour == "cloud" else "v1")

    jenkins = docs["Deploying to production with Jenkins"]
    assert jenkins.id == page_id("deploy-jenkins")
    assert jenkins.path == "OPS/Deploying to production with Jenkins"  # the home page is not a folder
    assert jenkins.last_modified == datetime(2021, 6, 3, 16, 20, tzinfo=timezone.utc)
    assert jenkins.created == datetime(2020, 2, 11, 10, 0, tzinfo=timezone.utc)
    assert jenkins.url.startswith(
        server.public + ("/spaces/OPS/pages/" if server.flavour == "cloud" else "/display/OPS/")
    )
    # Created by the migration bot (an app account): the last human editor owns it.
    if server.flavour == "cloud":
        assert (jenkins.owner.label(), jenkins.owner.via) == (
            "Marco Rossi <marco@example.com>",
            "Confluence last editor",
        )
        assert jenkins.owner.id == f"confluence:{account_id('marco')}"
    else:  # Data Center's users carry no account type or email: the creator is all it says
        assert jenkins.owner.name == "Confluence Migration Bot"
    assert [(m.kind, m.value, m.source) for m in jenkins.markers] == [
        (
            "deprecated",
            "This page is deprecated. Deploys moved to the CI pipeline in 2023; the runbook lives in the docs repo.",
            "banner at body line 4",  # inside the warning macro, under its title
        ),
        ("deprecated", "deprecated", "Confluence label"),  # the `jenkins` label is no marker
    ]
    assert "1. Open the deploy-prod job in Jenkins and click Build with parameters." in jenkins.text
    assert "```\njenkins-cli build deploy-prod -p SERVICE=billing -p TAG=<previous>\n```" in jenkins.text
    assert "bash" not in jenkins.text  # the code macro's language parameter is no prose
    assert jenkins.headings == ["Deploying a service to production", "Rolling back a bad deploy"]

    old = docs["Postmortem template (2020)"]
    assert ("superseded_by", "OPS/Postmortem template") in [(m.kind, m.value) for m in old.markers]
    assert "[" not in old.text and "confluence:" not in old.text

    current = docs["Postmortem template"]
    assert "| SEV1 | Always, reviewed in the weekly ops review |" in current.text
    assert ("@Priya Raman reviews them" in current.text) == (server.flavour == "cloud")
    assert ("archived", "true", "Confluence page status archived") in [
        (m.kind, m.value, m.source) for m in docs["Capacity plan 2019"].markers
    ]
    if server.flavour == "cloud":
        hidden = docs["Postmortem template (2020)"].owner  # Dana hides her email: her name still owns it
        assert (hidden.name, hidden.email) == ("Dana Okafor", "")


def test_auto_detects_data_center_once_and_remembers(monkeypatch):
    with ConfluenceServer(load_site(SITE), flavour="datacenter") as dc:
        monkeypatch.setenv("CONFLUENCE_API_TOKEN", dc.token)
        _, _, state = run(settings_for(dc))
        assert dc.calls["not-found"] == 1  # the one /api/v2 probe
        dc.calls.clear()
        run(settings_for(dc), CrawlState(cursor=state.next_cursor))
        assert dc.calls["not-found"] == 0


def test_pages_through_every_list(server):
    server.max_v2 = server.max_v1 = 2
    docs, _, _ = run(settings_for(server))
    assert set(docs) == VISIBLE
    if server.flavour == "cloud":
        assert server.calls["v2.space-pages"] == 3  # 6 pages, 2 a page, cursors from _links.next
    else:
        assert server.calls["v1.content"] == 3 + 1  # 5 current pages 2 a page, until no next link; 1 archived


def test_follows_the_link_header_when_the_body_has_no_next_link(cloud):
    """Some v2 answers carry the next page only in the `Link` header."""
    original = cloud._v2

    def without_body_link(rest, query):
        reply = original(rest, query)
        if isinstance(reply.body, dict):
            reply.body.get("_links", {}).pop("next", None)
        return reply

    cloud._v2 = without_body_link
    cloud.max_v2 = 2
    docs, _, _ = run(settings_for(cloud))
    assert set(docs) == VISIBLE
    assert cloud.calls["v2.space-pages"] == 3


def test_a_recrawl_with_nothing_changed_costs_three_requests_and_embeds_nothing(server, tmp_index):
    config = settings_for(server)
    idx = tmp_index(config)
    first = index_crawl(idx, "confluence", "OPS", config)
    assert (first.added, first.removed) == (6, 0)

    server.calls.clear()
    again = index_crawl(idx, "confluence", "OPS", config)
    assert (again.added, again.updated, again.unchanged, again.chunks_embedded) == (0, 0, 6, 0)
    listing = "v2.space-pages" if server.flavour == "cloud" else "v1.content"
    expected = {"v1.search": 1, listing: 1 if server.flavour == "cloud" else 2}
    expected["v2.spaces" if server.flavour == "cloud" else "v1.space"] = 1
    assert dict(server.calls) == expected

    # A new version: only that page's body is fetched, in one batch request.
    before = next(d for d in idx.docs()[0].values() if d.title == "Postmortem template")
    body = "<p>Postmortems are due within three working days.</p>"
    server.edit("postmortem", "2026-11-30T10:00:00Z", body=body)
    server.calls.clear()
    changed = index_crawl(idx, "confluence", "OPS", config)
    assert (changed.updated, changed.unchanged, changed.chunks_embedded) == (1, 5, 1)
    assert server.calls["v2.pages" if server.flavour == "cloud" else "v1.search"] == 1 + (server.flavour != "cloud")
    after = next(d for d in idx.docs()[0].values() if d.title == "Postmortem template")
    assert after.hash == Doc("x", "x", "x", "x", "# Postmortem template\n\n" + to_text(body)).hash != before.hash

    # A label added (no new version in Confluence) re-reads the page and marks it; the text is the same,
    # so nothing is embedded: only the record moves.
    server.relabel("postmortem", ["obsolete"])
    relabelled = index_crawl(idx, "confluence", "OPS", config)
    assert (relabelled.seen, relabelled.chunks_embedded) == (6, 0)
    doc = next(d for d in idx.docs()[0].values() if d.title == "Postmortem template")
    assert ("deprecated", "obsolete") in [(m.kind, m.value) for m in doc.markers]

    # Trashed and deleted pages leave the index on the next ordinary crawl.
    server.edit("capacity-2019", "2026-12-01T09:00:00Z", status="trashed")
    server.delete("postmortem-2020")
    gone = index_crawl(idx, "confluence", "OPS", config)
    assert (gone.removed, gone.chunks_embedded) == (2, 0)
    assert {d.title for d in idx.docs()[0].values()} == VISIBLE - {"Capacity plan 2019", "Postmortem template (2020)"}


def test_full_or_a_newer_reader_reads_every_page_again_but_embeds_only_changed_text(cloud, tmp_index, monkeypatch):
    config = settings_for(cloud)
    idx = tmp_index(config)
    index_crawl(idx, "confluence", "OPS", config)
    cloud.calls.clear()
    full = index_crawl(idx, "confluence", "OPS", config, full=True)
    assert (cloud.calls["v2.pages"], full.chunks_embedded) == (1, 0)  # six bodies in one request, none new
    monkeypatch.setattr(confluence, "READER", confluence.READER + 1)
    cloud.calls.clear()
    index_crawl(idx, "confluence", "OPS", config)
    assert cloud.calls["v2.pages"] == 1
    cloud.calls.clear()
    index_crawl(idx, "confluence", "OPS", config)
    assert cloud.calls["v2.pages"] == 0  # read once by the new reader, then stamps hold again


def test_retries_faults_and_honours_retry_after(cloud, waits):
    cloud.inject(r"GET /wiki/api/v2/spaces$", 503, times=2)
    cloud.inject(r"GET /wiki/api/v2/spaces/\d+/pages", 429, times=1, retry_after="7")
    cloud.inject(r"GET /wiki/rest/api/content/search", 0, times=1, delay=10)  # no answer in time
    cloud.inject(r"GET /wiki/rest/api/user/bulk", 429, times=1, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    docs, _, _ = run(settings_for(cloud, timeout_seconds=3.0))  # wide: a loaded machine answers slowly
    assert set(docs) == VISIBLE
    assert [f.times for f in cloud.faults] == [0, 0, 0, 0]  # every injected fault fired
    assert len(waits) == 5
    assert 7.0 in waits  # the Retry-After seconds, not a backoff guess
    assert 0.0 in waits  # an HTTP-date in the past: ask again at once


def test_gives_up_with_one_line_and_the_next_run_resumes(cloud, tmp_index):
    config = settings_for(cloud, max_retries=2)
    idx = tmp_index(config)
    index_crawl(idx, "confluence", "OPS", config)
    cursor = idx.cursor("confluence", "OPS")
    cloud.edit("postmortem", "2026-11-30T10:00:00Z", body="<p>Due in three days.</p>")
    cloud.inject(r"GET /wiki/api/v2/pages$", 500, times=3)
    with pytest.raises(DocauditError) as error:
        index_crawl(idx, "confluence", "OPS", config)
    assert str(error.value) == (
        "Confluence: GET /wiki/api/v2/pages failed after 3 attempts (500); "
        "run the crawl again to pick up where it stopped"
    )
    assert idx.cursor("confluence", "OPS") == cursor  # nothing marked done
    resumed = index_crawl(idx, "confluence", "OPS", config)
    assert (resumed.updated, resumed.unchanged) == (1, 5)


def test_credentials_errors_name_the_variable_and_never_the_token(cloud, monkeypatch):
    monkeypatch.setenv("CONFLUENCE_API_TOKEN", "wrong-token-123")
    with pytest.raises(DocauditError) as error:
        run(settings_for(cloud))
    assert str(error.value) == (
        "Confluence: 401 on GET /wiki/api/v2/spaces: the API token in CONFLUENCE_API_TOKEN "
        "for docs-bot@example.com was not accepted"
    )
    monkeypatch.delenv("CONFLUENCE_API_TOKEN")
    with pytest.raises(DocauditError, match=r"^Confluence: no token: set CONFLUENCE_API_TOKEN to an API token"):
        run(settings_for(cloud))
    monkeypatch.setenv("CONFLUENCE_API_TOKEN", cloud.token)
    with pytest.raises(DocauditError, match=r"^Confluence: no space with key NOPE is visible"):
        list(confluence.crawl("NOPE", settings_for(cloud), CrawlState()))
    with pytest.raises(DocauditError, match="use auto, v2 or v1"):
        run(settings_for(cloud, api="v3"))


def test_an_app_owned_page_with_no_human_editor_has_no_owner_and_says_why(cloud):
    cloud.edit("postmortem", "2026-11-30T10:00:00Z", owner="migrator", author="migrator", editor="migrator")
    docs, _, _ = run(settings_for(cloud))
    page = docs["Postmortem template"]
    assert page.owner is None
    assert page.unowned_reason == "the owner, Confluence Migration Bot, is an app account"


def test_a_closed_users_api_keeps_people_by_id_for_aliases(cloud):
    cloud.users_api = False
    docs, _, _ = run(settings_for(cloud))
    owner = docs["Postmortem template"].owner
    assert (owner.name, owner.id) == ("", f"confluence:{account_id('priya')}")
    assert docs["Postmortem template"].unowned_reason.startswith("the owner (557058:")


def test_never_follows_a_next_link_off_the_site(cloud):
    """A next link naming another host is read as a path on the configured site; one seen before ends the walk."""
    original = cloud._v2

    def elsewhere(rest, query):
        reply = original(rest, query)
        if rest.endswith("/pages") and rest.startswith("/spaces/") and isinstance(reply.body, dict):
            reply.body["_links"]["next"] = "https://attacker.example/wiki/api/v2/pages?cursor=x"
        return reply

    cloud._v2 = elsewhere
    docs, _, _ = run(settings_for(cloud))
    assert set(docs) == VISIBLE
    assert (cloud.calls["v2.space-pages"], cloud.calls["v2.pages"]) == (1, 2)  # the rewritten link, then bodies


def test_cli_crawls_a_space_with_settings_from_the_config_file(cloud, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONFLUENCE_BASE_URL", cloud.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", cloud.email)
    (tmp_path / "docaudit.toml").write_text('[confluence]\napi = "v1"\nrequests_per_second = 0\n')
    result = CliRunner().invoke(cli, ["crawl", "OPS", "--source", "confluence"])
    assert (result.exit_code, result.stderr) == (0, "config: docaudit.toml; index: .docaudit\n")  # found, and said
    assert result.stdout == (
        "Crawled OPS: 6 docs in the index; 6 checked (6 added, 0 updated, 0 unchanged), 0 removed, 6 chunks embedded\n"
    )
    assert cloud.calls["v2.spaces"] == 0  # api = "v1" was honoured
    listed = CliRunner().invoke(cli, ["docs", "--format", "json"])
    assert f'"id": "{page_id("postmortem")}"' in listed.stdout
    monkeypatch.setenv("CONFLUENCE_API_TOKEN", "")
    failed = CliRunner().invoke(cli, ["crawl", "OPS", "--source", "confluence"])
    assert failed.exit_code == 2
    assert failed.stderr.startswith("docaudit: error: Confluence: no token: set CONFLUENCE_API_TOKEN")


def test_confluence_settings_are_checked_with_their_line(tmp_path):
    path = tmp_path / "docaudit.toml"
    path.write_text('[confluence]\nbase_url = "https://acme.atlassian.net/wiki"\nmax_retries = "five"\n')
    with pytest.raises(InputError, match=r"docaudit.toml:3: 'confluence.max_retries' must be a whole number"):
        load_config(path)
    path.write_text("[confluence]\nspace = 'ENG'\n")
    with pytest.raises(InputError, match=r"docaudit.toml:2: unknown setting 'confluence.space'"):
        load_config(path)


def test_gone_records_for_pages_missing_from_the_listing(cloud):
    known = {page_id("postmortem"): "h", "999": "h"}
    _, others, _ = run(settings_for(cloud), CrawlState(known=known))
    assert others == [Gone("confluence", "OPS", "999")]


def two_spaces() -> dict:
    site = load_site(SITE)
    site["spaces"].append({"key": "ENG", "name": "Engineering", "home": "eng-home"})
    site["pages"] += [
        {"id": "eng-home", "space": "ENG", "title": "Engineering home", "created": "2024-01-01T00:00:00Z"},
        {
            "id": "eng-postmortems",
            "space": "ENG",
            "parent": "eng-home",
            "title": "Postmortem template",  # the same title as in OPS: titles are unique per space only
            "created": "2024-01-01T00:00:00Z",
            "author": "priya",
            "body": '<p>Moved: superseded by <ac:link><ri:page ri:space-key="OPS" ri:content-title="Postmortem template" />'
            "</ac:link>.</p>",
        },
    ]
    return site


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
@pytest.mark.parametrize("target", ["*", "OPS,ENG"])
def test_crawls_several_spaces_or_every_space(flavour, target, monkeypatch):
    with ConfluenceServer(two_spaces(), flavour=flavour) as server:
        server.max_v1 = 2  # the v1 space list pages too
        monkeypatch.setenv("CONFLUENCE_API_TOKEN", server.token)
        state = CrawlState()
        records = list(confluence.crawl(target, settings_for(server), state))
    docs = {d.path: d for d in records if isinstance(d, Doc)}
    assert set(docs) == {f"OPS/{t}" for t in VISIBLE} | {"ENG/Engineering home", "ENG/Postmortem template"}
    assert {d.space for d in docs.values()} == {confluence.space_for(target)}
    assert state.next_cursor["spaces"] == ["ENG", "OPS"]
    moved = docs["ENG/Postmortem template"]
    assert ("superseded_by", "OPS/Postmortem template") in [(m.kind, m.value) for m in moved.markers]


def test_a_missing_space_among_several_is_named(cloud):
    with pytest.raises(DocauditError, match=r"^Confluence: no space with key NOPE is visible"):
        list(confluence.crawl("OPS,NOPE", settings_for(cloud), CrawlState()))
    with pytest.raises(DocauditError, match=r"is not a space key \(e.g. ENG; ENG,OPS for two; \* for all\)"):
        list(confluence.crawl("OPS, ", settings_for(cloud), CrawlState()))


def test_junk_in_an_answer_is_left_out_and_the_rest_is_read(cloud):
    """Entries that are not objects, have no id, or carry fields of the wrong type cost only themselves."""
    original = cloud._v2

    def with_junk(rest, query):
        reply = original(rest, query)
        if rest.startswith("/spaces/") and isinstance(reply.body, dict):
            reply.body["results"] += [
                "not an object",
                {"title": "no id"},
                {"id": "77", "status": "trashed", "title": "trashed, whatever the filter"},
                {"id": "78", "status": "current", "title": ["a", "list"], "version": {"number": "x"}},
            ]
        return reply

    cloud._v2 = with_junk
    docs, others, _ = run(settings_for(cloud))
    assert set(docs) == VISIBLE
    assert others == [Skipped("confluence", "OPS", "78", "no storage body in the API's answer")]


def test_deprecated_labels_are_the_sites_own(cloud):
    cloud.relabel("postmortem", ["legacy-process"])
    docs, _, _ = run(settings_for(cloud))
    assert not any(m.kind == "deprecated" for m in docs["Postmortem template"].markers)
    docs, _, _ = run(settings_for(cloud, deprecated_labels=["legacy-process"]))
    assert ("deprecated", "legacy-process", "Confluence label") in [
        (m.kind, m.value, m.source) for m in docs["Postmortem template"].markers
    ]
