"""`docaudit report`: the HTML page rendered by a real headless Chromium, the JSON against its schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import NOW
from lxml import html as lxml_html

from docaudit.audit import audit
from docaudit.cli import cli
from docaudit.records import Doc, Finding, Owner, Severity
from docaudit.reports import html, json_report, markdown, table
from docaudit.suppress import load_acks

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docaudit" / "schemas" / "report.schema.json").read_text())
PROBES = ROOT / "fixtures" / "probes.yaml"
HOSTILE = "<img src=x onerror=\"document.body.setAttribute('data-pwned', '1')\">"
ARTIFACTS = ROOT / "build" / "test-artifacts"


def chromium() -> str:
    found = next(
        (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
    )
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(
            "no Chromium found, and CI=true: .ci/run installs Debian's chromium; a browser test may not be skipped in CI"
        )
    pytest.skip("no Chromium on this machine (apt-get install chromium): the browser tests are skipped locally")


def browse(
    page: Path, tmp_path: Path, fragment: str = "", screenshot: Path | None = None, width: int = 1280
) -> lxml_html.HtmlElement:
    """The DOM after the page's script ran, as headless Chromium serialises it."""
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    args += ["--virtual-time-budget=3000", f"--window-size={width},1800"]
    url = page.resolve().as_uri() + fragment
    if screenshot:
        subprocess.run([*args, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    out = subprocess.run([*args, "--dump-dom", url], capture_output=True, timeout=120, check=True, text=True)
    return lxml_html.fromstring(out.stdout)


@pytest.fixture(scope="module")
def result(sample_index):
    """The sample's audit, plus one finding on a doc whose title and url are hostile."""
    outcome = audit(sample_index, sample_index.config, NOW, None)
    victim = next(iter(outcome.docs.values()))
    hostile = replace(
        victim, title=HOSTILE, url="javascript:alert(1)", owner=Owner(name="</td><script>alert(2)</script>")
    )
    outcome.findings.append(Finding("missing-owner", Severity.warning, hostile, f"'{HOSTILE}' has no owner"))
    outcome.versions.append(f"evil: current {HOSTILE} (a folder's name)")  # a folder name is anyone's text
    return outcome


def test_report_renders_in_chromium_with_charts_filters_and_no_injected_script(result, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(result, NOW), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    dom = browse(page, tmp_path, screenshot=shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    # One row per doc, its findings folded in.
    docs = {f.doc.key for f in result.findings}
    rows = dom.xpath('//table[@id="findings"]/tbody/tr')
    assert len(rows) == len(docs) < len(result.findings)
    assert sum(len(r.xpath('.//ul[@class="found"]/li')) for r in rows) == len(result.findings)
    assert dom.xpath('//*[@id="shown"]')[0].text == str(len(docs))  # the script ran: it counts shown rows
    assert dom.xpath('//*[@id="controls"]')[0].get("hidden") is None  # and showed the controls it drives
    bars = {g.get("data-label"): int(g.get("data-value")) for g in dom.xpath('//*[@id="source-chart"]//g')}
    assert bars == {"git": len(docs)}
    assert sum(int(g.get("data-value")) for g in dom.xpath('//*[@id="age-chart"]//g')) == sum(
        1 for n in result.exposure().values() if n
    )
    assert len(dom.xpath('//*[@id="inversions"]/div[@class="pair"]')) == sum(
        1 for f in result.findings if f.rule == "rank-inversion"
    )

    read = [p.text_content() for p in dom.xpath('//p[@class="versions"]')]
    assert len(read) == 2 and read == [f"Versions read: {line}" for line in result.versions]

    # The hostile title is text on the page, not markup: no image, no script ran, no javascript: link.
    assert dom.xpath("//body")[0].get("data-pwned") is None
    assert dom.xpath("//img") == [] and len(dom.xpath("//script")) == 1
    assert HOSTILE in dom.text_content()
    assert all(not a.get("href", "").startswith("javascript:") for a in dom.xpath("//a"))


def test_filters_hide_the_other_rules_in_the_browser(result, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(result, NOW), encoding="utf-8")
    dom = browse(page, tmp_path, fragment="#rule=rank-inversion&source=git")
    shown = [r for r in dom.xpath('//table[@id="findings"]/tbody/tr') if r.get("hidden") is None]
    inverted = {f.doc.key for f in result.findings if f.rule == "rank-inversion"}
    assert all("|rank-inversion|" in r.get("data-rule") for r in shown)
    assert len(shown) == len(inverted) == int(dom.xpath('//*[@id="shown"]')[0].text) > 0
    assert dom.xpath('//table[@id="findings"]/tbody/tr[@hidden]')  # the rest is hidden, not removed
    errors = browse(page, tmp_path, fragment="#severity=error")
    shown = [r for r in errors.xpath('//table[@id="findings"]/tbody/tr') if r.get("hidden") is None]
    worst = {fix.doc.key for fix, _ in result.fixes() if fix.severity == "error"}
    assert len(shown) == len(worst) > 0 and all(r.get("data-severity") == "|error|" for r in shown)


def test_links_name_the_line_and_charts_name_people_by_name():
    from docaudit.reports.html import _short
    from docaudit.reports.html_docs import doc_link

    doc = Doc("git", "s", "a.md", "A <b>", "", path="a.md", url="https://github.com/acme/docs/blob/main/a.md")
    assert doc_link(doc, 12) == '<a href="https://github.com/acme/docs/blob/main/a.md#L12">A &lt;b&gt;</a>'
    assert doc_link(Doc("notion", "s", "x", "X", "", url="javascript:alert(1)"), 3) == "X"
    assert _short("Priya Raman <priya@example.com>") == "Priya Raman"
    assert _short("wiki-admins@example.com") == "wiki-admins@example.com"


def test_the_report_opens_with_the_docs_to_fix_first_each_with_one_action(result, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(result, NOW), encoding="utf-8")
    dom = lxml_html.fromstring(page.read_text())  # no script needed: the list is static
    first = dom.xpath('//*[@id="fix-first"]/ol/li')
    fixes = result.fixes()
    assert [li.get("data-doc") for li in first] == [fix.doc.key for fix, _ in fixes[:10]]
    assert len(first) == min(10, len({f.doc.key for f in result.findings})) > 1
    scores = [risk.score for _, risk in fixes]
    assert scores == sorted(scores, reverse=True)
    actions = [li.xpath('.//div[@class="action"]')[0].text_content() for li in first]
    assert all(actions) and actions[0] == fixes[0][0].action
    inverted = next(fix for fix, _ in fixes if fix.findings[0].rule == "rank-inversion")
    assert inverted.action.startswith(("Add a superseded-by link to '", "Archive it: it already names its successor"))


def test_search_and_sort_in_the_browser(result, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(result, NOW), encoding="utf-8")
    dom = browse(page, tmp_path, fragment="#sort=doc&q=guide")
    rows = dom.xpath('//table[@id="findings"]/tbody/tr')
    names = [r.get("data-sortdoc") for r in rows]
    assert names == sorted(names)  # sorted by title, A to Z
    shown = [r for r in rows if r.get("hidden") is None]
    assert shown and all("guide" in r.text_content().lower() for r in shown)
    assert len(shown) == int(dom.xpath('//*[@id="shown"]')[0].text) < len(rows)
    by_risk = browse(page, tmp_path, fragment="#sort=risk").xpath('//table[@id="findings"]/tbody/tr')
    risks = [float(r.get("data-sortrisk")) for r in by_risk]
    assert risks == sorted(risks, reverse=True)  # numbers sort as numbers, the highest first


def test_the_report_fits_a_420_pixel_screen(result, tmp_path):
    """Nothing wider than the phone: the page, in a frame exactly that wide (a headless window has a
    minimum width), measures its own width in the browser and tells the frame's parent."""
    page = tmp_path / "report.html"
    measure = "<script>parent.postMessage(document.documentElement.scrollWidth, '*');</script></body>"
    page.write_text(html.render(result, NOW).replace("</body>", measure), encoding="utf-8")
    for width in (420, 1400):
        frame = tmp_path / f"frame-{width}.html"
        frame.write_text(
            f'<body><iframe src="report.html" width="{width}" height="900" style="border:0"></iframe>'
            "<script>addEventListener('message', function (e) { document.body.dataset.width = e.data; });</script>"
            "</body>"
        )
        body = browse(frame, tmp_path).xpath("//body")[0]
        assert 0 < int(body.get("data-width")) <= width


def test_owner_counts_are_the_digests(sample_index, tmp_path):
    """The chart counts each owner's docs as the digests route them: aliases and fallback owners too."""
    from html import unescape

    from docaudit.digests import digest
    from docaudit.owners import Identities

    config = replace(sample_index.config, fallback_owners={"git:": "docs-team@example.com"})
    outcome = audit(sample_index, config, NOW, None)
    page = lxml_html.fromstring(html.render(outcome, NOW))
    chart = {g.get("data-label"): int(g.get("data-value")) for g in page.xpath('//*[@id="owner-chart"]//g')}
    digests, orphans = digest.build(outcome.findings, Identities(config), {}, NOW)
    assert orphans == [] and "docs-team@example.com" in chart
    assert chart == {d.person.label(): len(d.items) for d in digests}
    # The text formats name the same owner per finding as the chart and the digests.
    rows = [line.split(" | ") for line in markdown.render(outcome, NOW).splitlines() if line.startswith("| ")][2:]
    named = {unescape(row[3]) for row in rows}
    assert named <= {outcome.owner(f.doc) for f in outcome.findings} and "docs-team@example.com" in named
    assert "docs-team@example.com" in table.render(outcome, NOW)  # not "-": the fallback hears of it


def test_json_report_follows_its_schema(result):
    report = json_report.build(result, NOW)
    jsonschema.validate(report, SCHEMA)
    broken = {**report, "findings": [{**report["findings"][0], "severity": "fatal"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)  # the schema constrains, it does not just exist


def test_ack_refuses_what_would_do_nothing_unless_forced(sample_index, tmp_path, monkeypatch):
    """A typo in the path, or a date already past, would be written and never match: both fail first."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    base = ["--rule", "duplicate", "--reason", "r", "--index", sample_index.config.index, "--now", "2026-11-20"]
    typo = runner.invoke(cli, ["ack", "runbooks/databse-failover.md", "--until", "2027-01-31", *base])
    assert (typo.exit_code, typo.stderr) == (
        2,
        "docaudit: error: 'runbooks/databse-failover.md' is not a doc in the index (give its path or key as "
        "`docaudit docs` lists them; --force writes it anyway)\n",
    )
    past = runner.invoke(cli, ["ack", "runbooks/database-failover.md", "--until", "2026-11-20", *base])
    assert (past.exit_code, past.stderr) == (
        2,
        "docaudit: error: --until 2026-11-20 is not after today (2026-11-20): the acknowledgement would lapse "
        "at once (--force writes it anyway)\n",
    )
    no_index = runner.invoke(cli, ["ack", "a.md", "--rule", "duplicate", "--until", "2027-01-31", "--reason", "r"])
    assert no_index.exit_code == 2 and no_index.stderr.endswith(
        "; or --force to acknowledge without checking the doc\n"
    )
    assert not Path(".docaudit-acks.yaml").exists() and not Path(".docaudit").exists()  # nothing written or made
    forced = runner.invoke(cli, ["ack", "runbooks/databse-failover.md", "--until", "2026-11-20", *base, "--force"])
    assert (forced.exit_code, forced.stdout) == (
        0,
        "Added in .docaudit-acks.yaml: duplicate on runbooks/databse-failover.md until 2026-11-20\n",
    )


def test_ack_writes_the_file_and_the_report_shows_it_acknowledged(sample_index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["ack", "runbooks/database-failover.md", "--rule", "review-expired", "--until", "2027-01-31"]
    args += ["--index", sample_index.config.index, "--now", "2026-11-20"]
    result = runner.invoke(cli, [*args, "--reason", "rewritten in Q1"])
    assert (result.exit_code, result.stdout) == (
        0,
        "Added in .docaudit-acks.yaml: review-expired on runbooks/database-failover.md until 2027-01-31\n",
    )
    result = runner.invoke(cli, [*args, "--reason", "rewrite moved to Q2"])
    assert result.stdout.startswith("Updated in .docaudit-acks.yaml")
    assert [(a.doc, a.rule, a.until.isoformat(), a.reason) for a in load_acks(".docaudit-acks.yaml")] == [
        ("runbooks/database-failover.md", "review-expired", "2027-01-31", "rewrite moved to Q2")
    ]
    bad = runner.invoke(cli, ["ack", "x.md", "--rule", "made-up", "--until", "2027-01-01", "--reason", "r"])
    assert bad.exit_code == 2 and bad.stderr.startswith("docaudit: error: .docaudit-acks.yaml: unknown rule 'made-up'")
    bad = runner.invoke(cli, ["ack", "x.md", "--rule", "duplicate", "--until", "soon", "--reason", "r"])
    assert bad.exit_code == 2 and "'soon' is not a date" in bad.stderr

    index = ["--index", sample_index.config.index, "--probes", str(PROBES), "--now", "2026-11-20"]
    result = runner.invoke(cli, ["report", *index, "--format", "json", "-o", "r.json"])
    assert (result.exit_code, result.stdout) == (0, "Wrote r.json: 7 findings, 1 acknowledged, 16 docs\n")
    report = json.loads(Path("r.json").read_text())
    jsonschema.validate(report, SCHEMA)
    assert [(a["rule"], a["doc"]["path"]) for a in report["acknowledged"]] == [
        ("review-expired", "runbooks/database-failover.md")
    ]
    assert report["acknowledged"][0]["why"].startswith("acknowledged until 2027-01-31: rewrite moved to Q2")
    result = runner.invoke(cli, ["report", *index])
    assert result.stdout == "Wrote docaudit-report.html: 7 findings, 1 acknowledged, 16 docs\n"
    page = lxml_html.fromstring(Path("docaudit-report.html").read_text())
    assert [td.text for td in page.xpath('//*[@id="acknowledged"]//td')][:2] == [
        "review-expired",
        "Database Failover Runbook",
    ]
    result = runner.invoke(cli, ["report", *index, "--format", "markdown"])
    assert result.stdout == "Wrote docaudit-report.md: 7 findings, 1 acknowledged, 16 docs\n"
    assert Path("docaudit-report.md").read_text().startswith("## docaudit\n")


def test_report_and_digest_from_a_json_report_are_the_audit_they_reuse(sample_index, tmp_path, monkeypatch):
    """`--from r.json` gives the bytes a fresh audit gives (report) and the same digests, without an
    index; a file that is not a report is one line."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    config = ["--config", str(ROOT / "fixtures" / "docaudit.toml")]
    index = [*config, "--index", sample_index.config.index, "--probes", str(PROBES), "--now", "2026-11-20"]
    assert runner.invoke(cli, ["audit", *index, "--report", "r.json", "--fail-on", "never"]).exit_code == 0
    for fmt, name in (("html", "fresh.html"), ("markdown", "fresh.md")):
        assert runner.invoke(cli, ["report", *index, "--format", fmt, "-o", name]).exit_code == 0
    assert runner.invoke(cli, ["digest", *index, "--out", "fresh"]).exit_code == 0

    elsewhere = ["--index", str(tmp_path / "no-index"), *config]
    for fmt, name in (("html", "reused.html"), ("markdown", "reused.md")):
        done = runner.invoke(cli, ["report", *elsewhere, "--from", "r.json", "--format", fmt, "-o", name])
        assert (done.exit_code, done.stdout) == (0, f"Wrote {name}: 8 findings, 0 acknowledged, 16 docs\n")
    assert Path("reused.html").read_text() == Path("fresh.html").read_text()
    assert Path("reused.md").read_text() == Path("fresh.md").read_text()
    assert runner.invoke(cli, ["digest", *elsewhere, "--from", "r.json", "--out", "reused"]).exit_code == 0
    fresh = {p.name: p.read_text() for p in Path("fresh").glob("*.md")}
    assert fresh and {p.name: p.read_text() for p in Path("reused").glob("*.md")} == fresh
    assert not (tmp_path / "no-index").exists()

    Path("not-a-report.json").write_text('{"findings": []}')
    for bad, says in (("missing.json", "cannot read"), ("not-a-report.json", "not a docaudit JSON report")):
        done = runner.invoke(cli, ["report", *elsewhere, "--from", bad])
        assert done.exit_code == 2 and done.stderr.startswith(f"docaudit: error: --from {bad}: {says}")
        assert done.stderr.count("\n") == 1


def test_markdown_never_links_a_javascript_url(result):
    from docaudit.reports import markdown

    text = markdown.render(result, NOW)
    assert "javascript:" not in text and "&lt;img src=x" in text


def test_unused_doc_fields_do_not_break_rendering():
    """A doc with nothing but an id renders (no title, no dates, no owner)."""
    from docaudit.audit import AuditResult

    bare = Doc("notion", "ws", "abc", "", "text")
    finding = Finding("missing-owner", Severity.warning, bare, "no owner")
    page = html.render(AuditResult([finding], {bare.key: bare}, {}, [], []), NOW)
    assert "(no owner)" in page


def test_importing_the_emitters_imports_no_connector_index_or_model_and_sets_no_environment():
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "import docaudit.reports, docaudit.reports.docs, docaudit.result\n"
        "heavy = [m for m in ('connectors', 'docaudit.index.store', 'docaudit.audit', 'chromadb', 'torch') if m in sys.modules]\n"
        "print(heavy, os.environ.get('HF_HUB_OFFLINE'))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "HF_HUB_OFFLINE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout == "[] None\n"
