"""What `make demo` shows: the repo, the Notion wiki, the Drive and the Confluence space in one index, one audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from confluence_server import ConfluenceServer, load_site
from drive_server import DriveServer, load_drive, service_account_file
from notion_server import NotionServer, load_workspace

from docaudit.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CONFIG = str(FIXTURES / "docaudit.toml")


@pytest.mark.slow
def test_findings_from_every_source_side_by_side(sample_repo, tmp_path, monkeypatch):
    index = ["--config", CONFIG, "--index", str(tmp_path / "index")]
    runner = CliRunner()
    assert runner.invoke(cli, ["crawl", str(sample_repo), *index, "-q"]).exit_code == 0
    with NotionServer(load_workspace(FIXTURES / "notion" / "workspace.yaml")) as notion:
        monkeypatch.setenv("NOTION_TOKEN", notion.token)
        monkeypatch.setenv("NOTION_BASE_URL", notion.url)
        result = runner.invoke(cli, ["crawl", "acme-wiki", "--source", "notion", *index, "-q"])
        assert result.exit_code == 0, result.output
    with DriveServer(load_drive(FIXTURES / "gdrive" / "drive.yaml")) as drive:
        credentials = service_account_file(tmp_path / "sa.json", f"{drive.url}/token")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
        monkeypatch.setenv("GDRIVE_API_ENDPOINT", drive.endpoint)
        result = runner.invoke(cli, ["crawl", "acme-drive", "--source", "gdrive", *index, "-q"])
        assert result.exit_code == 0, result.output
    with ConfluenceServer(load_site(FIXTURES / "confluence" / "site.yaml")) as site:
        monkeypatch.setenv("CONFLUENCE_BASE_URL", site.base_url)
        monkeypatch.setenv("CONFLUENCE_EMAIL", site.email)
        monkeypatch.setenv("CONFLUENCE_API_TOKEN", site.token)
        result = runner.invoke(cli, ["crawl", "OPS", "--source", "confluence", *index, "-q"])
        assert result.exit_code == 0, result.output
    probes = [
        str(FIXTURES / p) for p in ("probes.yaml", "notion/probes.yaml", "gdrive/probes.yaml", "confluence/probes.yaml")
    ]
    args = ["audit", *index, "--now", "2026-11-20", "--format", "json"]
    result = runner.invoke(cli, [*args, *(x for p in probes for x in ("--probes", p))])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    outside_git = sorted(
        (f["doc"]["source"], f["rule"], f["doc"]["path"]) for f in findings if f["doc"]["source"] != "git"
    )
    assert outside_git == [
        ("confluence", "deprecated-surfaces", "OPS/Deploying to production with Jenkins"),
        ("confluence", "deprecated-surfaces", "OPS/Postmortem template (2020)"),
        ("confluence", "rank-inversion", "OPS/Status page updates during incidents"),
        ("gdrive", "deprecated-surfaces", "Engineering/Archive/Postgres 13 upgrade plan 2023"),
        ("gdrive", "missing-owner", "Platform/Runbooks/Failover drill notes"),
        ("notion", "deprecated-surfaces", "Engineering wiki/SRE runbooks/Rotate TLS certificates by hand"),
        ("notion", "missing-owner", "Team offsite 2023 logistics"),
        ("notion", "rank-inversion", "Engineering wiki/Incident response (2020)"),
        ("notion", "rank-inversion", "Engineering wiki/Payments webhooks spec 2021"),
        ("notion", "review-expired", "Engineering wiki/VPN setup guide"),
        ("notion", "stale-surfaces", "Engineering wiki/VPN setup guide"),
    ]  # and no current Notion page, Drive file or Confluence page is flagged
    by_doc = {(f["rule"], f["doc"]["title"]): f for f in findings}
    across = by_doc[
        ("rank-inversion", "Payments webhooks spec 2021")
    ]  # the old spec in Notion, the current doc in Drive
    assert [(d["source"], d["title"]) for d in across["related"]] == [
        ("gdrive", "Payments webhooks migration — Q3 2026")
    ]
    assert across["evidence"]["probes"][0]["probe"] == "webhook-retries"
    moved = by_doc[("rank-inversion", "Status page updates during incidents")]  # a Confluence page that moved to Notion
    assert [(d["source"], d["title"]) for d in moved["related"]] == [("notion", "Incident response")]
    # The old Jenkins page outranks the current runbook in the repo for a rollback question.
    jenkins = by_doc[("deprecated-surfaces", "Deploying to production with Jenkins")]
    assert ("rollback", 1) in [(p["probe"], p["rank"]) for p in jenkins["evidence"]["probes"]]
    assert by_doc[("rank-inversion", "Incident response (2020)")]["related"][0]["title"] == "Incident response"
    assert len([f for f in findings if f["doc"]["source"] == "git"]) == 8  # the repo story is unchanged
