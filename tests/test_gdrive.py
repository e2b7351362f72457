"""The Drive connector against a local Drive v3 server, through the real google-api-python-client and google-auth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from drive_server import DriveServer, drive_id, load_drive, service_account_file

from connectors import CrawlState, gdrive
from docaudit.audit import crawl as index_crawl
from docaudit.cli import cli
from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.records import Doc, Gone, Skipped

ROOT = Path(__file__).resolve().parents[1]
DRIVE = ROOT / "fixtures" / "gdrive" / "drive.yaml"
RECORDED = ROOT / "fixtures" / "gdrive" / "api-samples" / "folder-and-children.json"
TITLES = {
    "Payments webhooks migration — Q3 2026",
    "Postgres 13 upgrade plan 2023",
    "Postgres major version upgrade runbook",
    "Security incident checklist",
    "Vendor onboarding",
    "Platform roadmap 2026",
    "Failover drill notes",
}


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    """One generated service-account key for the module; each server gets a copy pointing at its token endpoint."""
    return json.loads(
        service_account_file(tmp_path_factory.mktemp("sa") / "sa.json", "http://unused/token").read_text()
    )


@pytest.fixture
def server(tmp_path, key_file, monkeypatch):
    with DriveServer(load_drive(DRIVE)) as running:
        credentials = tmp_path / "service-account.json"
        credentials.write_text(json.dumps({**key_file, "token_uri": f"{running.url}/token"}))
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
        monkeypatch.delenv("GDRIVE_API_ENDPOINT", raising=False)
        yield running


def settings_for(server: DriveServer, **overrides) -> Config:
    config = Config()
    config.section("gdrive").api_endpoint = server.endpoint
    config.section("gdrive").retry_wait_seconds = 0.05
    for key, value in overrides.items():
        setattr(config.section("gdrive"), key, value)
    return config


def run(config: Config, state: CrawlState | None = None) -> tuple[dict[str, Doc], list, CrawlState]:
    state = state or CrawlState()
    records = list(gdrive.crawl("acme", config, state))
    return {r.title: r for r in records if isinstance(r, Doc)}, [r for r in records if not isinstance(r, Doc)], state


def test_reads_my_drive_and_shared_drives_with_owners_and_readers(server):
    docs, others, state = run(settings_for(server))
    assert set(docs) == TITLES  # no folder, shortcut twin, sheet, image or trashed file
    assert others == [
        Skipped("gdrive", "acme", "Engineering/Customer export field reference", "too large to export (over 10 MB)")
    ]
    assert server.calls["files.list"] == 1 and server.calls["token"] == 1  # a service-account token, fetched once

    q3 = docs["Payments webhooks migration — Q3 2026"]
    assert (q3.path, q3.owner.label(), q3.owner.via) == (
        "Engineering/Payments webhooks migration — Q3 2026",
        "Priya Raman <priya@example.com>",
        "Drive owner",
    )
    assert q3.text.startswith("# Payments webhooks migration — Q3 2026\n")  # exported as Markdown
    assert q3.headings == ["Retries", "Signatures"]
    assert q3.permissions == ["domain:example.com"]
    assert q3.url == f"https://docs.google.com/document/d/{drive_id('webhooks-q3')}/edit?usp=drivesdk"

    runbook = docs[
        "Postgres major version upgrade runbook"
    ]  # also reachable through a shortcut: read once, under its own path
    assert runbook.path == "Platform/Runbooks/Postgres major version upgrade runbook"
    assert (runbook.owner.label(), runbook.owner.via) == (
        "Marco Rossi <marco@example.com>",
        "last modifying user (shared drive)",
    )
    notes = docs["Failover drill notes"]
    assert (notes.owner, notes.notes) == (None, ["no owner: a shared-drive file whose last editor is anonymous"])

    archived = docs["Postgres 13 upgrade plan 2023"]
    assert [(m.kind, m.source) for m in archived.markers] == [("archived", "Drive folder Engineering/Archive")]
    assert archived.permissions == ["user:marco@example.com", "user:priya@example.com"]

    assert "Preserve logs before you rebuild any host." in docs["Security incident checklist"].text  # PDF via pypdf
    vendor = docs["Vendor onboarding"]  # DOCX via python-docx
    assert "signed data processing agreement" in vendor.text
    assert vendor.last_modified < vendor.created  # both kept as Drive gave them
    assert vendor.notes == ["modifiedTime is earlier than createdTime (an upload keeps the file's own time)"]
    assert "Q4: zero-trust network access replaces the VPN." in docs["Platform roadmap 2026"].text  # Slides as text
    assert state.next_cursor["page_token"] == "1"


def test_server_sends_every_field_the_real_api_recorded(server):
    """Only worth testing against if it answers in Drive's real shapes (fields=* as recorded)."""
    recorded = json.loads(RECORDED.read_text())
    api = gdrive.DriveApi(settings_for(server).section("gdrive"))
    folder = api.execute(api.service.files().get(fileId=drive_id("eng"), fields="*"), "files.get")
    upload = api.execute(api.service.files().get(fileId=drive_id("vendor-onboarding"), fields="*"), "files.get")
    assert missing_fields(recorded[0], folder) == []
    assert missing_fields(recorded[-1], upload) == []


def missing_fields(recorded: dict, ours: dict, prefix: str = "") -> list[str]:
    missing = []
    for key, value in recorded.items():
        if key not in ours:
            missing.append(prefix + key)
        elif isinstance(value, dict) and isinstance(ours[key], dict):
            missing += missing_fields(value, ours[key], f"{prefix}{key}.")
        elif (
            isinstance(value, list)
            and value
            and isinstance(value[0], dict)
            and isinstance(ours[key], list)
            and ours[key]
        ):
            missing += missing_fields(value[0], ours[key][0], f"{prefix}{key}[].")
    return missing


def test_paginates_to_the_end_even_past_an_empty_last_page(server):
    server.max_page_size = 4  # 14 files not in the trash, in pages of 4: four pages
    docs, _, _ = run(settings_for(server))
    assert set(docs) == TITLES
    assert server.calls["files.list"] == 4
    server.calls.clear()
    for name in ("budget", "diagram"):
        server.delete(name)  # 12 left: three full pages, and a token that leads to an empty fourth
    docs, _, _ = run(settings_for(server))
    assert set(docs) == TITLES
    assert server.calls["files.list"] == 4


def test_folder_scope_is_recursive_and_follows_shortcuts_out_of_it(server):
    docs, _, _ = run(settings_for(server, folders=[drive_id("eng")]))
    assert set(docs) == TITLES - {"Failover drill notes"}  # the runbook comes in through its shortcut
    assert docs["Postgres 13 upgrade plan 2023"].path == "Engineering/Archive/Postgres 13 upgrade plan 2023"


def test_restricted_fields_leave_the_owner_unknown(server):
    server.hidden_fields = {"owners", "lastModifyingUser"}
    docs, _, _ = run(settings_for(server))
    assert {d.owner for d in docs.values()} == {None}
    assert docs["Vendor onboarding"].notes[-1] == "no owner: Drive returned no owner fields for this file"


def test_changes_feed_re_exports_only_what_changed(server, tmp_index):
    config = settings_for(server)
    idx = tmp_index(config)
    assert index_crawl(idx, "gdrive", "acme", config).added == 7

    server.calls.clear()
    quiet = index_crawl(idx, "gdrive", "acme", config)
    assert (quiet.added, quiet.updated, quiet.removed) == (0, 0, 0)
    assert {k: v for k, v in server.calls.items() if k != "token"} == {"changes.list": 1}

    server.view("webhooks-q3")  # opened: in the feed, nothing changed
    server.touch("vendor-onboarding", permissions=["domain:example.com", "user:auditor@example.com"])  # version moves
    server.calls.clear()
    untouched = index_crawl(idx, "gdrive", "acme", config)
    assert (untouched.updated, untouched.unchanged) == (0, 2)
    assert server.calls["files.export"] + server.calls["files.get_media"] == 0
    vendor = next(d for d in idx.docs()[0].values() if d.title == "Vendor onboarding")
    assert vendor.permissions == ["domain:example.com", "user:auditor@example.com"]  # readers updated all the same

    server.modify(
        "webhooks-q3",
        "2026-11-02T10:00:00Z",
        content="# Payments webhooks migration — Q3 2026\n\nRetries now last 96 hours.\n",
    )
    server.trash("roadmap")
    server.delete("security-checklist")
    server.add(
        {"id": "new-doc", "name": "Release checklist.md", "kind": "markdown", "parents": ["eng"], "owners": ["lena"],
         "modified_by": "lena", "created": "2026-11-01T09:00:00Z", "modified": "2026-11-01T09:00:00Z",
         "content": "# Release checklist\n\nTag, build, stage, ship.\n"}
    )  # fmt: skip
    server.calls.clear()
    moved = index_crawl(idx, "gdrive", "acme", config)
    assert (moved.added, moved.updated, moved.removed) == (1, 1, 2)
    assert (server.calls["files.export"], server.calls["files.get_media"]) == (1, 1)
    titles = {d.title for d in idx.docs()[0].values()}
    assert titles == TITLES - {"Platform roadmap 2026", "Security incident checklist"} | {"Release checklist"}


def test_retries_rate_limits_server_errors_and_timeouts(server, waits):
    server.inject(r"GET /drive/v3/files$", 403, times=1, code="userRateLimitExceeded")
    server.inject(r"GET /drive/v3/files$", 403, times=1, code="rateLimitExceeded")
    server.inject(r"/export$", 429, times=1, retry_after="1")
    server.inject(r"/export$", 503, times=1)
    server.inject(
        r"GET /drive/v3/changes/startPageToken", 0, times=1, delay=6
    )  # a timeout: no answer within the 2 s below
    docs, _, _ = run(settings_for(server, timeout_seconds=2.0))  # wide: a loaded machine answers slowly
    assert set(docs) == TITLES
    assert [f.times for f in server.faults] == [0] * len(server.faults)  # every injected fault fired
    assert 1.0 in waits  # the Retry-After second was the wait chosen, not a backoff guess
    assert len(waits) >= len(server.faults)  # each fault cost one retry (a slow answer may add one)


def test_gives_up_in_one_line_and_the_next_run_resumes(server, tmp_index, monkeypatch):
    import docaudit.index.sync as sync_module

    monkeypatch.setattr(sync_module, "EMBED_BATCH_DOCS", 2)
    config = settings_for(server, max_retries=1)
    idx = tmp_index(config)
    server.inject(rf"/files/{drive_id('vendor-onboarding')}$", 500, times=2)
    with pytest.raises(DocauditError) as error:
        index_crawl(idx, "gdrive", "acme", config)
    assert str(error.value) == (
        "Google Drive: files.get_media failed after 2 attempts (500 backendError); "
        "run the crawl again to pick up where it stopped"
    )
    indexed = len(idx.docs()[0])
    assert 0 < indexed < 7 and idx.cursor("gdrive", "acme") is None
    server.calls.clear()
    resumed = index_crawl(idx, "gdrive", "acme", config)
    assert (resumed.added, resumed.unchanged) == (7 - indexed, indexed)  # the indexed ones are not read again
    chunks = idx._collection("chunks").get(include=[])["ids"]
    assert len(chunks) == len(set(chunks)) == sum(r["chunks"] for r in idx.records().values())


def test_authorized_user_token_files_work_too(server, tmp_path, monkeypatch):
    """google-auth always refreshes these at Google's own endpoint, so the file carries a live access token here."""
    token_file = tmp_path / "token.json"
    token_file.write_text(
        json.dumps(
            {"type": "authorized_user", "client_id": "local-client", "client_secret": "local-client-secret",
             "refresh_token": "local-refresh-token", "token": "local-access-token", "expiry": "2099-01-01T00:00:00Z"}
        )
    )  # fmt: skip
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    docs, _, _ = run(settings_for(server, credentials=str(token_file)))
    assert len(docs) == 7 and server.calls["token"] == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "Google Drive: no credentials: set GOOGLE_APPLICATION_CREDENTIALS (or credentials under [gdrive])"),
        ("missing", "Google Drive: credentials file {path} is not found: set GOOGLE_APPLICATION_CREDENTIALS"),
        ("{not json", "Google Drive: credentials file {path} is not readable JSON: set GOOGLE_APPLICATION_CREDENTIALS"),
        (
            '{"type": "service_account", "private_key": "secret-key-material"}',
            "Google Drive: credentials file {path} is incomplete",
        ),
        ('{"type": "external_account"}', "Google Drive: credentials file {path} is neither kind"),
    ],
)
def test_bad_credentials_give_one_line_naming_both_ways(server, tmp_path, monkeypatch, content, expected):
    path = tmp_path / "creds.json"
    if content is None:
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    elif content == "missing":
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    else:
        path.write_text(content)
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    with pytest.raises(DocauditError) as error:
        run(settings_for(server))
    message = str(error.value)
    assert message.startswith(expected.format(path=path))
    assert "\n" not in message and "secret-key-material" not in message
    assert message.endswith(
        "set GOOGLE_APPLICATION_CREDENTIALS (or credentials under [gdrive]) to a service-account JSON or an OAuth authorized-user token file"
    )


def test_cli_crawls_a_drive_named_by_environment(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GDRIVE_API_ENDPOINT", server.endpoint)
    result = CliRunner().invoke(cli, ["crawl", "acme-drive", "--source", "gdrive"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Crawled acme-drive: 7 docs in the index; 7 checked (7 added, 0 updated, 0 unchanged), 0 removed, 7 chunks embedded; "
        "skipped 1 (1 too large to export)\n"
    )
    assert (
        result.stderr
        == "warning: skipped Engineering/Customer export field reference: too large to export (over 10 MB)\n"
        "config: none found (defaults); index: .docaudit\n"
    )


def test_removed_files_are_gone_records(server):
    config = settings_for(server)
    docs, _, state = run(config)
    server.delete("vendor-onboarding")
    known = {d.id: d.hash for d in docs.values()}
    _, others, _ = run(config, CrawlState(cursor=state.next_cursor, known=known))
    assert others == [Gone("gdrive", "acme", drive_id("vendor-onboarding"))]


def test_plain_text_when_markdown_export_is_refused_and_sheets_on_request(server):
    server.files[drive_id("webhooks-q3")]["no_markdown"] = True
    docs, _, _ = run(settings_for(server, export_sheets=True))
    q3 = docs["Payments webhooks migration — Q3 2026"]
    assert q3.text.startswith("Payments webhooks migration — Q3 2026\n")  # the text/plain export: no '#'
    assert docs["On-call budget"].text == "team,hours\nsre,120\n"  # CSV
    assert server.calls["files.export"] == 5 + 2  # the refused Markdown attempt and the sheet


def test_one_shared_drive_whole_or_one_folder_of_it(server):
    platform = drive_id("platform-drive")
    expected = {"Postgres major version upgrade runbook", "Failover drill notes"}
    whole, _, _ = run(settings_for(server, drive_id=platform))
    assert set(whole) == expected
    folder, _, _ = run(settings_for(server, drive_id=platform, folders=[drive_id("runbooks")]))
    assert set(folder) == expected
    assert folder["Failover drill notes"].path == "Runbooks/Failover drill notes"


def test_csv_uploads_follow_export_sheets_and_reader_warnings_become_a_note(server, capfd):
    server.add(
        {
            "id": "budget-csv",
            "name": "Budget.csv",
            "kind": "csv",
            "parents": ["eng"],
            "owners": ["priya"],
            "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-02T00:00:00Z",
            "content": "team,budget\nsre,40\n",
        }
    )
    server.add(
        {
            "id": "scan",
            "name": "Scanned policy.pdf",
            "kind": "pdf",
            "parents": ["eng"],
            "owners": ["lena"],
            "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-02T00:00:00Z",
            "junk_before": "SCANNER v2\n",
            "content": "Badges are renewed every year at the front desk.",
        }
    )
    without, _, _ = run(settings_for(server))
    assert "Budget" not in without
    docs, skipped, _ = run(settings_for(server, export_sheets=True))
    assert docs["Budget"].text == "team,budget\nsre,40\n"
    scan = docs["Scanned policy"]
    assert "Badges are renewed every year" in scan.text
    assert [n for n in scan.notes if "reader warning" in n] == [
        "3 reader warning(s): incorrect startxref pointer(1); invalid pdf header: b'SCANN'; parsing for Object Streams"
    ]
    assert "invalid pdf header" not in capfd.readouterr().err


def test_archive_folders_and_max_export_bytes_are_the_workspace_s_own(server):
    """Which folder names mean "archived", and how large an upload may be before it is skipped."""
    plain, skipped, _ = run(settings_for(server))
    assert [m.kind for m in plain["Postgres 13 upgrade plan 2023"].markers] == ["archived"]  # under Engineering/Archive
    renamed, _, _ = run(settings_for(server, archive_folders=["old"]))
    assert renamed["Postgres 13 upgrade plan 2023"].markers == []
    small, small_skips, _ = run(settings_for(server, max_export_bytes=200))
    gone = sorted(r.reason for r in small_skips if r.reason.startswith("too large ("))
    assert (len(plain) - len(small), gone) == (2, ["too large (36672 bytes)", "too large (793 bytes)"])
    assert not any(r.reason.startswith("too large (") for r in skipped)
