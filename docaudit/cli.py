"""The `docaudit` command: a thin shell over `docaudit.audit`. Heavy imports happen inside commands."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from . import cli_options as opts
from .cli_plan import from_option, open_index
from .config import Config, load_config
from .suppress import BASELINE_FILE

if TYPE_CHECKING:
    from .result import AuditResult


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docaudit")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error instead of one line.")
def cli(debug: bool) -> None:
    """Find the documents a RAG index would answer from that are wrong about time."""
    opts.DEBUG = debug


@cli.command()
@click.argument("path")
@click.option(
    "--source",
    default="git",
    show_default=True,
    help="Connector: git (a docs repo or plain folder), notion, gdrive, confluence, or an installed one.",
)
@click.option("--full", is_flag=True, help="Re-list everything, not what changed since the last crawl (API sources).")
@click.option(
    "--space",
    metavar="NAME",
    help="Name the source's docs have in the index (default: the folder's or workspace's name; a second "
    "folder of the same name gets NAME@hash).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars; only errors.")
@opts.expected_errors
@opts.index_options
def crawl(path: str, source: str, full: bool, space: str | None, quiet: bool, config: Config) -> None:
    """Crawl PATH into the index; unchanged docs are not re-embedded, deleted ones leave.

    PATH is a folder for git, a name for the workspace or drive for notion and gdrive, and space keys
    for confluence (ENG, ENG,OPS, or '*' for all).
    """
    from .audit import crawl as run_crawl

    with opts.progress_bar(quiet) as progress:
        stats = run_crawl(open_index(config), source, path, config, progress, full=full, space=space)
    opts.echo([] if quiet else stats.lines(path), warnings=stats.warnings())


@cli.command()
@opts.expected_errors
@opts.output_options
@opts.index_options
@opts.probe_options
def audit(plan: opts.Plan, quiet: bool) -> tuple[AuditResult, datetime]:
    """Probe the index and report what retrieval gets wrong about time."""
    with opts.progress_bar(quiet) as progress:
        return plan.audit(progress), plan.now


@cli.command()
@click.argument("path", default=".")
@click.option(
    "--baseline",
    "baseline_path",
    is_flag=False,
    flag_value=BASELINE_FILE,
    default=None,
    help=f"Only findings not in this baseline fail (bare --baseline: {BASELINE_FILE}).",
)
@click.option("--changed-since", metavar="REF", help="Only findings involving files changed since this git ref fail.")
@opts.expected_errors
@opts.output_options
@opts.index_options
@opts.probe_options
def gate(
    path: str, baseline_path: str | None, changed_since: str | None, plan: opts.Plan, quiet: bool
) -> tuple[AuditResult, datetime]:
    """CI gate for the docs repo at PATH: incremental crawl, audit, exit 1 on what should fail the change."""
    from .suppress import load_baseline

    baseline = load_baseline(baseline_path) if baseline_path else None
    with opts.progress_bar(quiet) as progress:
        return plan.gate(path, baseline, changed_since, progress), plan.now


@cli.command()
@click.argument("path", default=".")
@click.option(
    "--output", "output_path", type=opts.FILE, default=BASELINE_FILE, show_default=True, help="Where to write it."
)
@opts.expected_errors
@opts.index_options
@opts.probe_options
def baseline(path: str, output_path: str, plan: opts.Plan) -> None:
    """Record today's findings for the docs repo at PATH, so `gate --baseline` fails only on new ones."""
    from .suppress import write_baseline

    result = plan.gate(path)
    write_baseline(result.findings, output_path)
    click.echo(f"Wrote {output_path}: {len(result.findings)} findings")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--sort",
    type=click.Choice(["path", "risk"]),
    default="path",
    show_default=True,
    help="risk: what to fix first (runs the audit to weigh findings and retrieval exposure).",
)
@opts.expected_errors
@opts.index_options
@opts.probe_options
def docs(fmt: str, sort: str, plan: opts.Plan) -> None:
    """List indexed docs with owner, age, currency and why; --sort risk puts what to fix first on top."""
    from .reports import docs as view

    click.echo(view.render(plan.listing(sort), fmt))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(list(opts.REPORT_EXTENSIONS)), default="html", show_default=True)
@click.option("-o", "--output", "output_path", type=opts.FILE, help="Default: docaudit-report.html, .md or .json.")
@opts.expected_errors
@opts.index_options
@opts.probe_options
@from_option
def report(fmt: str, output_path: str | None, plan: opts.Plan) -> None:
    """Write a report for people: one self-contained HTML page (or Markdown, or JSON with a schema)."""
    from .reports import render, writable

    path = Path(writable(output_path or f"docaudit-report.{opts.REPORT_EXTENSIONS[fmt]}", "--output"))
    result = plan.audit()
    path.write_text(render(result, fmt, plan.now) + "\n", encoding="utf-8")
    found = f"{len(result.findings)} findings, {len(result.acknowledged)} acknowledged, {len(result.docs)} docs"
    click.echo(f"Wrote {path}: {found}")


@cli.command()
@click.argument("doc")
@click.option("--rule", required=True, help="The rule whose finding on DOC is accepted.")
@click.option(
    "--until", required=True, type=opts.IsoDate(), metavar="DATE", help="Until when (YYYY-MM-DD); then it comes back."
)
@click.option("--reason", required=True, help="Why: the next reader of the file will want to know.")
@opts.acks_option
@click.option("--force", is_flag=True, help="Write it even when DOC is not in the index or DATE is not after --now.")
@opts.now_option
@opts.expected_errors
@opts.index_options
def ack(
    doc: str, rule: str, until: date, reason: str, acks_path: str | None, force: bool, now_text: str, config: Config
) -> None:
    """Acknowledge a finding on DOC (its path or key) until a date: it stays out of digests and gates."""
    from .suppress import add_ack, check_ack

    acks_path = opts.acks_file(acks_path, config)
    check_ack(None if force else open_index(config), acks_path, doc, rule, until, opts.now(now_text).date())
    done = add_ack(acks_path, doc, rule, until, reason)
    click.echo(f"{done.capitalize()} in {acks_path}: {rule} on {doc.strip('/')} until {until.isoformat()}")


@cli.command()
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), default="digests", show_default=True, help="Where digests go."
)
@click.option(
    "--send",
    "send",
    multiple=True,
    is_flag=False,
    flag_value="email",
    metavar="SERVICE",
    help="Send the queued digests: email (the default; [smtp]), slack ([slack]), teams ([teams]); "
    "repeat or comma-separate for several.",
)
@click.option("--dry-run", is_flag=True, help="Print the Slack or Teams messages --send would queue; send nothing.")
@opts.expected_errors
@opts.index_options
@opts.probe_options
@from_option
def digest(out_dir: str, send: tuple[str, ...], dry_run: bool, plan: opts.Plan) -> None:
    """One digest per owner (.md, .html, .eml) with only what is new or changed since their last one."""
    from .digests import delivery

    config, services = plan.config, delivery.services(send)
    if not dry_run:
        delivery.check_ready(services, config)  # a missing token or host fails now, not after the audit
    result, now = plan.audit(), plan.now  # --from: the report's own date
    folder = Path(out_dir)
    if dry_run:
        click.echo(delivery.preview(result.findings, config, folder, now, services))
        return
    run = delivery.prepare_digests(result.findings, config, folder, now, delivery.chat_services(services))
    opts.echo(run.lines(), warnings=run.warnings())
    delivered = delivery.deliver(folder, services, config)
    opts.echo(delivered.lines, failures=delivered.failures)
    if delivered.problem:
        opts.fail(delivered.problem)
    if delivered.failures:
        sys.exit(1)


@cli.command()
@click.argument("name", required=False)
@opts.expected_errors
def rules(name: str | None) -> None:
    """List the finding rules, or explain one: when it fires, its severity, what the owner should do."""

    from docaudit import rules

    click.echo(rules.explain(name) if name else rules.table())


@cli.command()
@click.argument("path", default=".")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file with [versions].")
@opts.expected_errors
def versions(path: str, fmt: str, config_path: str | None) -> None:
    """How docaudit reads the versions of the docs site in PATH: the current one, previews, older, and why.

    Static: no index and no model. Correct a wrong reading in the config's [versions] section.
    """
    from connectors.gitrepo import site_of

    from .reports import versions as view

    reading = site_of(path, load_config(config_path)).reading
    click.echo(view.render_json(reading) if fmt == "json" else view.render_table(reading))


def main() -> None:
    cli()
