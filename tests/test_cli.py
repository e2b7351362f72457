"""The CLI through CliRunner: exact output and exit codes, and the sample story through the JSON report."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from docaudit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PROBES = str(ROOT / "fixtures" / "probes.yaml")
CONFIG = str(ROOT / "fixtures" / "docaudit.toml")


@pytest.fixture()
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray docaudit.toml / probes.yaml from the caller's folder
    return CliRunner()


@pytest.fixture(scope="module")
def crawled(sample_repo, tmp_path_factory):
    """The sample workspace crawled through the CLI into its own index."""
    index = str(tmp_path_factory.mktemp("cli-index"))
    result = CliRunner().invoke(cli, ["crawl", str(sample_repo), "--config", CONFIG, "--index", index])
    return index, result


def test_every_command_is_documented_in_the_docs():
    """Each command has a section of its own in the docs site, beside its generated --help."""
    pages = "\n".join(page.read_text() for page in (ROOT / "docs").glob("*.md"))
    for name in cli.commands:
        assert re.search(rf"^## `docaudit {name}( [A-Z\[]|`)", pages, re.M), name


def test_the_readme_is_short_and_user_docs_carry_no_internal_notes():
    """The README gets a newcomer running; dated figures and notes about our machines stay out of user docs."""
    assert len((ROOT / "README.md").read_bytes()) < 10_000
    user_pages = [ROOT / "README.md", *(p for p in (ROOT / "docs").glob("*.md") if p.name != "benchmarks.md")]
    internal = re.compile(
        r"this (2-core |shared )?machine|measured here|before (January|December) \d{4}|used before", re.I
    )
    assert [f"{p.name}: {m.group(0)}" for p in user_pages for m in internal.finditer(p.read_text())] == []


def test_crawl_reports_counts_and_skipped_files(crawled, sample_repo):
    _, result = crawled
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Crawled {sample_repo}: 16 docs in the index; 16 checked (16 added, 0 updated, 0 unchanged), 0 removed, "
        "16 chunks embedded; "
        "skipped 2 (1 binary file, 1 not valid UTF-8)\n"
        "Versions read: current v2 (the newest release-like folder); 1 older "
        f"(`docaudit versions {sample_repo}` shows why)\n"
    )
    assert result.stderr == (
        "warning: skipped notes/exported-notes.md: not valid UTF-8 (byte 12)\n"
        "warning: skipped notes/scan.txt: binary file\n"
        f"config: {CONFIG}; index: {crawled[0]}\n"
    )


def sample(runner, command, index, *extra):
    """`command` on the crawled sample with its config and probes, as of the demo's date."""
    args = [command, "--config", CONFIG, "--index", index, "--probes", PROBES, "--now", "2026-11-20", *extra]
    return runner.invoke(cli, args)


def audit_json(runner, index, *extra):
    return sample(runner, "audit", index, "--format", "json", *extra)


def test_sample_story_through_the_json_report(runner, crawled):
    index, _ = crawled
    result = audit_json(runner, index)
    assert result.exit_code == 1  # rank inversions are errors, and --fail-on defaults to error
    report = json.loads(result.stdout)
    assert report["summary"]["versions"] == ["sample-workspace: current v2 (the newest release-like folder); 1 older"]
    found = sorted((f["rule"], f["doc"]["path"]) for f in report["findings"])
    assert found == [
        ("conflict", "legacy/code-review-guidelines.md"),
        ("conflict", "support/refund-faq.md"),
        ("duplicate", "legacy/code-review-guidelines.md"),
        ("missing-owner", "legacy/code-review-guidelines.md"),
        ("missing-owner", "legacy/expense-reimbursement.md"),
        ("rank-inversion", "api/v1/guide.md"),
        ("rank-inversion", "billing/billing-spec-2021.md"),
        ("review-expired", "runbooks/database-failover.md"),
    ]  # and so no healthy doc is flagged
    by_rule = {f["rule"] + ":" + f["doc"]["path"]: f for f in report["findings"]}
    billing = by_rule["rank-inversion:billing/billing-spec-2021.md"]
    assert billing["severity"] == "error"
    assert billing["related"][0]["path"] == "billing/billing-migration-q3-2026.md"
    assert billing["evidence"]["superseded"]["last_modified"] == "2021-03-10T09:30:00Z"  # the mass edit is ignored
    assert billing["evidence"]["current"]["version"] == "2026 Q3"
    probe = billing["evidence"]["probes"][0]
    assert (probe["probe"], probe["rank"], probe["current_rank"]) == ("annual-refunds", 2, 3)
    assert probe["score"] > probe["current_score"]
    api = by_rule["rank-inversion:api/v1/guide.md"]
    assert api["evidence"]["superseded"]["reasons"][0] == "deprecated: marked (frontmatter)"
    assert by_rule["review-expired:runbooks/database-failover.md"]["evidence"]["days_overdue"] == 80
    assert by_rule["missing-owner:legacy/expense-reimbursement.md"]["message"] == (
        "'Expense Reimbursement' has no owner: no frontmatter owner; CODEOWNERS (.github/CODEOWNERS:3) assigns "
        "no one; the last committer, Confluence Import Bot <import-bot@noreply.example.com>, is not a person "
        "(ignore_authors)"
    )
    refunds = by_rule["conflict:support/refund-faq.md"]
    [fact] = refunds["evidence"]["facts"]
    assert fact["values"] == {"billing/billing-migration-q3-2026.md": "14 days", "support/refund-faq.md": "30 days"}
    assert refunds["evidence"]["likely_right"] == "billing/billing-migration-q3-2026.md"
    assert refunds["related"][0]["path"] == "billing/billing-migration-q3-2026.md"
    duplicate = by_rule["duplicate:legacy/code-review-guidelines.md"]
    assert duplicate["related"][0]["path"] == "engineering/code-review.md"  # the newer copy
    assert duplicate["evidence"]["similarity"] >= 0.7
    for finding in report["findings"]:
        assert set(finding) >= {"rule", "severity", "doc", "message", "evidence", "fingerprint"}
        assert set(finding["doc"]) >= {"path", "id", "title", "owner", "last_modified"}
        assert re.fullmatch(r"[0-9a-f]{16}", finding["fingerprint"])
    statuses = {d["path"]: d["currency"]["status"] for d in report["docs"]}
    assert statuses["billing/billing-spec-2021.md"] == "superseded"
    assert statuses["api/v1/guide.md"] == "deprecated"
    assert statuses["archive/2019-offsite-agenda.md"] == "deprecated"
    healthy = [
        "getting-started.md",
        "runbooks/deploy.md",
        "runbooks/oncall.md",
        "engineering/code-review.md",
        "engineering/release-process.md",
        "security/access-requests.md",
        "support/escalation.md",
        "api/v2/guide.md",
        "billing/billing-migration-q3-2026.md",
    ]
    assert {statuses[p] for p in healthy} == {"current"}


def test_fail_on_threshold_sets_the_exit_code(runner, crawled):
    index, _ = crawled
    assert audit_json(runner, index, "--fail-on", "never").exit_code == 0
    assert audit_json(runner, index, "--fail-on", "warning").exit_code == 1


def test_table_output_and_report_file(runner, crawled, tmp_path):
    index, _ = crawled
    result = sample(runner, "audit", index, "--report", "out.json")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Versions read: sample-workspace: current v2 (the newest release-like folder); 1 older"
    assert lines[-1] == "2 errors, 6 warnings (16 docs, 13 probes)"
    assert "rank-inversion" in result.stdout and "billing/billing-spec-2021.md" in result.stdout
    assert len(json.loads((tmp_path / "out.json").read_text())["findings"]) == 8


def test_quiet_prints_nothing(runner, crawled):
    index, _ = crawled
    result = runner.invoke(cli, ["audit", "--config", CONFIG, "--index", index, "--probes", PROBES, "-q"])
    assert (result.exit_code, result.output) == (1, "")


def test_docs_lists_currency_and_why(runner, crawled):
    index, _ = crawled
    result = runner.invoke(
        cli, ["docs", "--config", CONFIG, "--index", index, "--now", "2026-11-20", "--format", "json"]
    )
    assert result.exit_code == 0
    rows = {d["path"]: d for d in json.loads(result.stdout)}
    assert re.fullmatch(
        r"2021 \(path\) is older than 2026 Q3 in billing/billing-migration-q3-2026.md: same topic \(similarity 0\.\d\d\)",
        rows["billing/billing-spec-2021.md"]["currency"]["reasons"][0],
    )
    assert rows["legacy/expense-reimbursement.md"]["owner"] is None
    table = runner.invoke(cli, ["docs", "--config", CONFIG, "--index", index, "--now", "2026-11-20"])
    assert table.exit_code == 0 and table.stdout.splitlines()[-1] == "16 docs"


def test_malformed_probes_exit_2_with_one_line(runner, crawled, tmp_path):
    index, _ = crawled
    (tmp_path / "probes.yaml").write_text("probes:\n  - id: a\n    query: q\n  - id: b\n    tags: [x]\n")
    result = runner.invoke(cli, ["audit", "--index", index])
    assert result.exit_code == 2
    assert result.stderr == "docaudit: error: probes.yaml:4: probe needs a non-empty 'query' string\n"


def test_broken_config_exits_2_with_one_line(runner, tmp_path):
    (tmp_path / "docaudit.toml").write_text("top_k = 5\nfail_fast = true\n")
    result = runner.invoke(cli, ["docs"])
    assert (result.exit_code, result.stderr) == (2, "docaudit: error: docaudit.toml:2: unknown setting 'fail_fast'\n")


def test_empty_index_unknown_source_and_bad_now_exit_2(runner, tmp_path):
    result = runner.invoke(cli, ["audit", "--index", str(tmp_path / "empty")])
    assert (result.exit_code, result.stderr) == (
        2,
        f"docaudit: error: the index is empty: no docs in collection 'docaudit' at {tmp_path / 'empty'}; "
        "run `docaudit crawl PATH` first (or check `collection` and --index)\n",
    )
    result = runner.invoke(cli, ["crawl", ".", "--source", "jira", "--index", str(tmp_path / "i")])
    assert (result.exit_code, result.stderr) == (
        2,
        "docaudit: error: unknown source 'jira': available are confluence, gdrive, git, notion\n",
    )
    result = runner.invoke(cli, ["docs", "--now", "yesterday", "--index", str(tmp_path / "i")])
    assert (result.exit_code, result.stderr) == (
        2,
        "docaudit: error: --now 'yesterday' is not an ISO date such as 2026-11-23\n",
    )
    result = runner.invoke(cli, ["crawl", str(tmp_path / "missing"), "--index", str(tmp_path / "i")])
    assert result.exit_code == 2 and result.stderr.endswith("missing: not a folder\n")


def test_usage_errors_exit_2(runner):
    """The option exists and refuses the value: a deleted option would also exit 2, with another message."""
    top_k = runner.invoke(cli, ["audit", "--top-k", "0"])
    assert (top_k.exit_code, top_k.stderr.splitlines()[-1]) == (
        2,
        "Error: Invalid value for '--top-k': 0 is not in the range 1<=x<=100.",
    )
    fail_on = runner.invoke(cli, ["audit", "--fail-on", "fatal"])
    assert (fail_on.exit_code, fail_on.stderr.splitlines()[-1]) == (
        2,
        "Error: Invalid value for '--fail-on': 'fatal' is not one of 'note', 'warning', 'error', 'never'.",
    )


def test_reports_by_file_extension_and_a_bad_one_fails_before_the_work(runner, crawled, tmp_path):
    index, _ = crawled
    result = sample(runner, "audit", index, "-q", "--report", "r.sarif", "--report", "r.xml", "--report", "r.md")
    assert result.exit_code == 1
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert (tmp_path / "r.xml").read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>')
    assert (tmp_path / "r.md").read_text().startswith("## docaudit\n")
    result = sample(runner, "audit", index, "-q", "--report", "r.pdf")
    assert (result.exit_code, result.stderr) == (
        2,
        "docaudit: error: --report r.pdf: cannot tell the format from '.pdf' (use .json, .sarif, .xml, .md, .txt, .html)\n",
    )


def test_clidoc_regenerates_the_rule_table_and_the_schema_enum(tmp_path):
    """A new rule is its module and its test; `python -m docaudit.clidoc` writes where it is listed."""
    from docaudit import clidoc

    readme, schema = tmp_path / "rules.md", tmp_path / "report.schema.json"
    original_readme = (ROOT / "docs" / "rules.md").read_text()
    original_schema = (ROOT / "docaudit" / "schemas" / "report.schema.json").read_text()
    readme.write_text(original_readme.replace("| `conflict` |", "| `conflict-old` |"))
    schema.write_text(original_schema.replace('"duplicate", "conflict"]', '"duplicate"]'))
    assert clidoc.rewrite_rules(readme, schema) is True
    assert (readme.read_text(), schema.read_text()) == (original_readme, original_schema)
    assert clidoc.rewrite_rules(readme, schema) is False


def test_the_rule_registry_is_the_one_source_for_readme_schema_and_cli():
    from docaudit import rules

    assert rules.docs_table() in (ROOT / "docs" / "rules.md").read_text()  # regenerate: python -m docaudit.clidoc
    schema = json.loads((ROOT / "docaudit" / "schemas" / "report.schema.json").read_text())
    assert schema["$defs"]["rule"]["enum"] == list(rules.BY_ID)
    listed = CliRunner().invoke(cli, ["rules"])
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(rules.BY_ID)
    assert listed.exit_code == 0 and listed.stdout.splitlines()[0] == (
        "rank-inversion       error    A superseded or deprecated doc ranks above its successor for a probe"
    )
    one = CliRunner().invoke(cli, ["rules", "missing-owner"])
    assert one.stdout.startswith("missing-owner (warning)\n\nNo owner can be resolved for a doc.\n\nWhen: no owner")
    bad = CliRunner().invoke(cli, ["rules", "nope"])
    assert (bad.exit_code, bad.stderr.splitlines()[0][:40]) == (2, "docaudit: error: unknown rule 'nope': ru")


def test_python_dash_m_runs_the_cli_and_the_version_comes_from_pyproject():
    import subprocess
    import sys
    import tomllib

    from docaudit import __version__

    assert __version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    out = subprocess.run([sys.executable, "-m", "docaudit", "--version"], capture_output=True, text=True)
    assert out.stdout == f"docaudit, version {__version__}\n"


def test_docs_sorted_by_risk_puts_the_inversions_first(runner, crawled):
    index, _ = crawled
    result = sample(runner, "docs", index, "--sort", "risk", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {r["path"] for r in rows[:2]} == {"api/v1/guide.md", "billing/billing-spec-2021.md"}
    assert rows[0]["risk"]["reasons"][0] == "rank-inversion (+5)"
    assert [r["risk"]["score"] for r in rows] == sorted((r["risk"]["score"] for r in rows), reverse=True)
    assert rows[2]["path"] == "legacy/code-review-guidelines.md"  # a conflict, a duplicate and no owner


def test_importing_a_report_emitter_leaves_the_host_process_alone():
    import subprocess
    import sys

    code = (
        "import os, sys; before = dict(os.environ); import docaudit.reports.sarif; "
        "assert dict(os.environ) == before, set(os.environ) - set(before); "
        "assert 'sentence_transformers' not in sys.modules and 'chromadb' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin"})
    assert out.returncode == 0, out.stderr


def test_the_cli_reference_page_is_what_the_commands_print():
    from docaudit import clidoc

    page = (ROOT / "docs" / "cli.md").read_text()
    start, end = page.index(clidoc.START), page.index(clidoc.END) + len(clidoc.END)
    assert page[start:end] == clidoc.reference(), "run `python -m docaudit.clidoc` and commit docs/cli.md"


def config_alone() -> str:
    """The sample's config copied here, without the fixtures' probes.yaml beside it: probes are generated."""
    copy = Path("sample-config.toml")
    copy.write_text(Path(CONFIG).read_text())
    return str(copy)


def _audit_json(runner, index: str, *args: str) -> dict:
    result = runner.invoke(
        cli, ["audit", "--config", config_alone(), "--index", index, "--now", "2026-11-20", "--format", "json", *args]
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout) if result.stdout else {}


def test_each_probe_option_changes_what_is_asked(runner, crawled, tmp_path):
    """--probes-per-doc, --sample, --probes-from, --output and --acks, each shown by its effect."""
    index, _ = crawled
    generated = _audit_json(runner, index)["summary"]
    titles_only = _audit_json(runner, index, "--probes-per-doc", "0")["summary"]
    assert titles_only["probes"] <= titles_only["docs"] < generated["probes"]  # at most one per doc: its title
    sampled = _audit_json(runner, index, "--sample", "2")["summary"]
    assert 2 <= sampled["probes"] < titles_only["probes"]
    (tmp_path / "asked.csv").write_text("question\nHow long do refunds take for annual plans?\n")
    written = _audit_json(runner, index, "--probes", PROBES)["summary"]["probes"]
    logged = _audit_json(runner, index, "--probes", PROBES, "--probes-from", str(tmp_path / "asked.csv"))
    assert logged["summary"]["probes"] == written + 1  # the logged question is asked too

    out = runner.invoke(
        cli,
        [
            "audit",
            "--config",
            CONFIG,
            "--index",
            index,
            "--now",
            "2026-11-20",
            "--probes",
            PROBES,
            "--format",
            "json",
            "--output",
            str(tmp_path / "r.json"),
        ],
    )
    assert out.exit_code == 1 and out.stdout == ""  # the report went to the file
    findings = json.loads((tmp_path / "r.json").read_text())["findings"]
    first = findings[0]
    acks = tmp_path / "team-acks.yaml"
    added = runner.invoke(
        cli,
        [
            "ack",
            first["doc"]["path"],
            "--rule",
            first["rule"],
            "--until",
            "2027-01-31",
            "--reason",
            "known",
            "--acks",
            str(acks),
            "--index",
            index,
            "--now",
            "2026-11-20",
        ],
    )
    assert added.exit_code == 0 and acks.is_file()
    acked = _audit_json(runner, index, "--probes", PROBES, "--acks", str(acks))
    assert len(acked["findings"]) == len(findings) - 1
    assert [(a["rule"], a["doc"]["path"]) for a in acked["acknowledged"]] == [(first["rule"], first["doc"]["path"])]


def test_crawl_space_files_the_docs_under_that_name(runner, sample_repo, tmp_path):
    index = str(tmp_path / "idx")
    crawled = runner.invoke(cli, ["crawl", str(sample_repo), "--index", index, "--space", "handbook", "-q"])
    assert crawled.exit_code == 0, crawled.output
    listed = json.loads(runner.invoke(cli, ["docs", "--index", index, "--format", "json"]).stdout)
    assert listed and {d["space"] for d in listed} == {"handbook"}
    assert all(d["key"].startswith("git:handbook:") for d in listed)


def test_config_keys_for_probes_and_duplicates_change_the_audit(runner, crawled, tmp_path):
    """probes_per_doc and duplicate_similarity, set in the config file, each by its effect."""
    index, _ = crawled
    base = Path(CONFIG).read_text()
    strict = tmp_path / "strict.toml"
    strict.write_text("probes_per_doc = 0\nduplicate_similarity = 0.99\n" + base)

    def audit(config: str) -> dict:
        result = runner.invoke(
            cli, ["audit", "--config", config, "--index", index, "--now", "2026-11-20", "--format", "json"]
        )
        return json.loads(result.stdout)

    default, changed = audit(config_alone()), audit(str(strict))
    assert changed["summary"]["probes"] < default["summary"]["probes"]  # titles only
    assert default["summary"]["by_rule"].get("duplicate") == 1
    assert "duplicate" not in changed["summary"]["by_rule"]  # a 0.85 copy is below 0.99


def test_an_output_in_a_missing_folder_fails_before_the_audit(runner, crawled, tmp_path, monkeypatch):
    index, _ = crawled
    import docaudit.audit

    def never(*args, **kwargs):
        raise AssertionError("the audit ran before the output was checked")

    monkeypatch.setattr(docaudit.audit, "audit", never)
    missing = str(tmp_path / "no" / "r.html")
    for args in (["report", "-o", missing], ["audit", "--output", missing], ["audit", "--summary", missing]):
        result = runner.invoke(cli, [*args, "--index", index])
        flag = "--output" if args[1] in ("-o", "--output") else args[1]
        assert (result.exit_code, result.stderr) == (
            2,
            f"docaudit: error: {flag} {missing}: no folder {tmp_path / 'no'}; create it first\n",
        ), args


def test_color_marks_severities_on_a_terminal_and_never_in_a_pipe(runner, crawled):
    index, _ = crawled
    base = ["audit", "--config", CONFIG, "--index", index, "--now", "2026-11-20", "--probes", PROBES]
    coloured = runner.invoke(cli, [*base, "--format", "concise", "--color", "always"])
    piped = runner.invoke(cli, [*base, "--format", "concise"])  # auto, and CliRunner's stdout is no terminal
    assert coloured.exit_code == piped.exit_code == 1
    assert "\x1b[1;31merror\x1b[0m rank-inversion" in coloured.stdout and "\x1b" not in piped.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured.stdout) == piped.stdout  # the same lines, only coloured
    table = runner.invoke(cli, [*base, "--color", "never"]).stdout
    assert "\x1b" not in table and "+--" in table and "━" not in table  # plain ASCII for a pipe or a log
    assert "━" in runner.invoke(cli, [*base, "--color", "always"]).stdout


def test_auto_color_follows_the_terminal_no_color_and_term():
    from docaudit.cli_options import wants_color

    class Stream:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    assert wants_color("auto", Stream(True), {}) is True
    assert wants_color("auto", Stream(False), {}) is False
    assert wants_color("auto", Stream(True), {"NO_COLOR": "1"}) is False
    assert wants_color("auto", Stream(True), {"TERM": "dumb"}) is False
    assert (wants_color("always", Stream(False), {"NO_COLOR": "1"}), wants_color("never", Stream(True), {})) == (
        True,
        False,
    )


def test_a_probes_file_beside_the_config_is_the_default(runner, crawled):
    """Run from anywhere with the project's config, the project's probes.yaml is asked (else generated)."""
    import yaml

    index, _ = crawled
    args = ["audit", "--index", index, "--now", "2026-11-20", "--format", "json"]
    beside = json.loads(runner.invoke(cli, [*args, "--config", CONFIG]).stdout)["summary"]["probes"]
    assert beside == len(yaml.safe_load(Path(PROBES).read_text())["probes"])
    assert _audit_json(runner, index)["summary"]["probes"] != beside  # a config alone: generated
