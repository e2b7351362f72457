"""The CI gate on temporary git repos, and every machine-readable format it writes."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import commit, git

from docaudit.cli import cli

pytestmark = pytest.mark.slow  # each test crawls through the CLI, which loads the model

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

CURRENT = """---
owner: Payments <payments@example.com>
---
# Refund policy 2026

Customers can cancel at any time from the billing page. Account credit is issued for
unused time on request, through the customer portal, for 14 days after renewal.
"""
OUTDATED = """---
owner: Old Billing <old-billing@example.com>
---
# Refund policy 2021

Refunds for annual plans: a customer on an annual plan can get a full refund within
30 days of renewal by emailing billing, and annual plan refunds are prorated by month.
"""
PAGES = {
    "billing/refunds-2026.md": CURRENT,
    "runbooks/deploy.md": "---\nowner: SRE <sre@example.com>\n---\n# Deploying\n\nMerge to main; the pipeline deploys.\n",
    "support/escalation.md": "---\nowner: Support <support@example.com>\n---\n# Escalation\n\nEscalate P1s in #escalations.\n",
}
IMPORTED = {"legacy/import.md": "# Imported page\n\nExpenses are reimbursed with payroll.\n"}
BOT = "Import Bot <import-bot@noreply.example.com>"
PROBES = "- id: refunds\n  query: How do refunds work for annual plans?\n"


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    root = tmp_path / "docs-repo"
    commit(root, {**PAGES, "probes.yaml": PROBES}, when="2026-10-01T12:00:00")
    commit(root, IMPORTED, when="2026-10-02T12:00:00", author=BOT)  # nobody owns it: a known, old finding
    monkeypatch.chdir(root)  # CI runs at the repository root: probes.yaml, baseline and acks live there
    return root


def gate(tmp_path, *args):
    result = CliRunner().invoke(cli, ["gate", ".", "--index", str(tmp_path / "index"), "--now", "2026-11-20", *args])
    return result


def test_a_change_that_adds_an_outranking_outdated_page_fails_and_the_fix_passes(repo, tmp_path):
    assert gate(tmp_path, "--format", "sarif").exit_code == 0  # the current repo is clean at --fail-on error
    commit(repo, {"billing/refunds-2021.md": OUTDATED}, when="2026-11-02T09:00:00")
    result = gate(tmp_path, "--format", "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, SCHEMA)
    [finding] = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert finding["ruleId"] == "rank-inversion"
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "billing/refunds-2021.md", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 4}  # the retrieved text starts at the page's heading
    assert finding["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "billing/refunds-2026.md"

    git(repo, "rm", "-q", "billing/refunds-2021.md")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-qm", "Remove the outdated refund page")
    assert gate(tmp_path, "--format", "sarif").exit_code == 0


def test_baseline_hides_old_findings_and_not_new_ones(repo, tmp_path):
    made = CliRunner().invoke(cli, ["baseline", ".", "--index", str(tmp_path / "index"), "--now", "2026-11-20"])
    assert (made.exit_code, made.stdout) == (0, "Wrote .docaudit-baseline.json: 1 findings\n")
    assert json.loads((repo / ".docaudit-baseline.json").read_text())["findings"][0]["doc"] == "legacy/import.md"
    assert gate(tmp_path, "--fail-on", "warning", "--baseline").exit_code == 0
    commit(repo, {"legacy/other.md": "# Another import\n\nVPN setup uses WireGuard.\n"}, author=BOT)
    result = gate(tmp_path, "--fail-on", "warning", "--baseline", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(f["rule"], f["doc"]["path"]) for f in report["findings"]] == [("missing-owner", "legacy/other.md")]


def test_changed_since_fails_only_on_findings_touching_changed_files(repo, tmp_path):
    commit(repo, {"runbooks/deploy.md": PAGES["runbooks/deploy.md"] + "\nRollbacks use deployctl.\n"})
    result = gate(tmp_path, "--fail-on", "warning", "--changed-since", "HEAD~1", "--format", "markdown")
    assert result.exit_code == 0
    assert "1 more not shown: not touching files changed since HEAD~1." in result.stdout
    assert gate(tmp_path, "--fail-on", "warning").exit_code == 1  # the unowned page still counts without it


def test_in_document_ignore_and_acknowledgements_suppress(repo, tmp_path):
    ignored = OUTDATED + "\n<!-- docaudit: ignore rank-inversion -->\n"
    commit(repo, {"billing/refunds-2021.md": ignored})
    result = gate(tmp_path, "--format", "json")
    assert result.exit_code == 0
    assert "rank-inversion" not in {f["rule"] for f in json.loads(result.stdout)["findings"]}

    commit(
        repo,
        {
            "billing/refunds-2021.md": OUTDATED,
            ".docaudit-acks.yaml": (
                "acks:\n  - doc: billing/refunds-2021.md\n    rule: rank-inversion\n    until: 2026-12-31\n"
                "    reason: rewrite in progress\n"
            ),
        },
    )
    assert gate(tmp_path).exit_code == 0
    expired = CliRunner().invoke(cli, ["gate", ".", "--index", str(tmp_path / "index"), "--now", "2027-01-05"])
    assert expired.exit_code == 1


def test_github_junit_and_markdown_point_at_the_file_and_line(repo, tmp_path):
    commit(repo, {"billing/refunds-2021.md": OUTDATED})
    github = gate(tmp_path, "--format", "github").stdout.splitlines()
    assert github[0].startswith("::error file=billing/refunds-2021.md,line=4,title=docaudit rank-inversion::")
    assert "::warning file=legacy/import.md,line=1,title=docaudit missing-owner::" in "\n".join(github)
    concise = gate(tmp_path, "--format", "concise").stdout.splitlines()
    assert concise[0].startswith("billing/refunds-2021.md:4: error rank-inversion '")
    assert concise[1].startswith("legacy/import.md:1: warning missing-owner '")
    assert concise[-1] == "Found 2 findings (1 error, 1 warning)"
    junit = ET.fromstring(gate(tmp_path, "--format", "junit").stdout)
    cases = junit.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("name"), c.get("line")) for c in cases][0] == (
        "docaudit.rank-inversion",
        "billing/refunds-2021.md",
        "4",
    )
    assert junit.find("./testsuite").get("failures") == str(len(cases))
    summary_file = tmp_path / "summary.md"
    gate(tmp_path, "--summary", str(summary_file), "-q")
    summary = summary_file.read_text()
    assert summary.startswith("## docaudit\n\n**1 error, 1 warning** across 5 docs and 1 probes.")
    assert "| error | `rank-inversion` | `billing/refunds-2021.md:4` |" in summary


def test_gate_in_a_subfolder_reports_paths_from_the_repository_root(tmp_path, monkeypatch):
    root = tmp_path / "site"
    commit(
        root,
        {f"docs/{k}": v for k, v in PAGES.items()} | {"docs/billing/refunds-2021.md": OUTDATED, "probes.yaml": PROBES},
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(
        cli, ["gate", "docs", "--index", str(tmp_path / "i"), "--now", "2026-11-20", "--format", "github"]
    )
    assert result.stdout.startswith("::error file=docs/billing/refunds-2021.md,line=4,")


def test_broken_config_bad_baseline_and_bad_ref_exit_2_with_one_line(repo, tmp_path):
    (repo / "docaudit.toml").write_text("top_k = 'many'\n")
    result = gate(tmp_path)
    assert (result.exit_code, result.stderr) == (
        2,
        "docaudit: error: docaudit.toml:1: 'top_k' must be a whole number\n",
    )
    (repo / "docaudit.toml").unlink()
    result = gate(tmp_path, "--baseline", "nope.json")
    assert (result.exit_code, result.stderr) == (
        2,
        "docaudit: error: nope.json: baseline not found: create it with `docaudit baseline`\n",
    )
    result = gate(tmp_path, "--changed-since", "no-such-ref")
    assert result.exit_code == 2 and result.stderr.startswith("docaudit: error: --changed-since no-such-ref: ")
    assert result.stderr.count("\n") == 1
    plain = tmp_path / "plain"  # not a repository: said in our words, not git's usage text
    plain.mkdir()
    result = CliRunner().invoke(
        cli, ["gate", str(plain), "--index", str(tmp_path / "i2"), "--changed-since", "origin/main"]
    )
    assert (result.exit_code, result.stderr) == (
        2,
        f"docaudit: error: --changed-since origin/main: {plain} is not in a git repository, "
        "so nothing can be changed since origin/main\n",
    )
    (repo / ".docaudit-acks.yaml").write_text(
        "acks:\n  - doc: a.md\n    rule: rank-inversions\n    until: 2027-01-01\n"
    )
    result = gate(tmp_path)
    assert (
        result.stderr == "docaudit: error: .docaudit-acks.yaml:3: unknown rule 'rank-inversions' (rules: "
        "rank-inversion, deprecated-surfaces, stale-surfaces, missing-owner, review-expired, unanswered-probe, duplicate, conflict)\n"
    )
