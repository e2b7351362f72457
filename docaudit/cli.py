"""The `docaudit` command: a thin shell over `docaudit.audit`. Heavy imports happen inside commands."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import Config, load_config
from .errors import DocauditError
from .records import to_utc
from .reports import FAIL_ON, FORMATS
from .suppress import ACKS_FILE, BASELINE_FILE

REPORT_EXTENSIONS = {"html": "html", "markdown": "md", "json": "json"}


DEBUG = False


def _frames(exc: BaseException) -> list:
    import traceback

    return list(reversed(traceback.extract_tb(exc.__traceback__)))


def _printable(text: str) -> str:
    """No terminal escape sequences or undecodable bytes from a title, a file name or a reason."""
    from .text import decodable

    return "".join(c if c.isprintable() or c == " " else "\ufffd" for c in decodable(text))


def _fail(message: str) -> None:
    click.echo(f"docaudit: error: {_printable(message)[:600]}", err=True)
    sys.exit(2)


def expected_errors(func: Callable) -> Callable:
    """Expected failures print one line and exit 2; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DocauditError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted; the index is consistent and the next crawl picks up where this one stopped")
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug or an input nobody foresaw: one line and exit 2, never exit 1
            if DEBUG:
                raise
            where = next((f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in _frames(exc)), "")
            detail = " ".join(str(exc).split())[:200] or "no message"
            _fail(
                f"unexpected {type(exc).__name__} ({detail}) at {where}; the index is consistent. "
                "Run with --debug for the traceback and report it"
            )

    return wrapper


def index_options(func: Callable) -> Callable:
    """Where the index lives and which config applies: shared by every command that reads it."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Config file (default: the nearest docaudit.toml or [tool.docaudit] in pyproject.toml, from here "
        "up to the repository's root).",
    )
    @click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False),
        help="Folder of the embedded Chroma index (default: .docaudit beside the config, else here).",
    )
    @click.option("--chroma-url", help="Use a Chroma server (`chroma run`) instead, e.g. http://127.0.0.1:8000.")
    @functools.wraps(func)
    def wrapper(
        *args: Any, config_path: str | None, index_dir: str | None, chroma_url: str | None, **kwargs: Any
    ) -> Any:
        config = load_config(config_path)
        meta = click.get_current_context().meta
        if meta.get("docaudit.probing.retrievers"):
            config.retrieval.retrievers = meta["docaudit.probing.retrievers"]
        if meta.get("docaudit.collection"):
            config.retrieval.collection = meta["docaudit.collection"]
        if meta.get("docaudit.probes_per_doc") is not None:
            config.probes_per_doc = meta["docaudit.probes_per_doc"]
        if meta.get("docaudit.sample"):
            config.sample = meta["docaudit.sample"]
        if index_dir:
            config.index = index_dir
        if chroma_url:
            config.chroma_url = chroma_url
        return func(*args, config=config, **kwargs)

    return wrapper


def now_option(func: Callable) -> Callable:
    return click.option(
        "--now",
        "now_text",
        metavar="DATE",
        help="Audit as of this date (ISO), for reproducible reports. Default: today.",
    )(func)


def _now(now_text: str | None) -> datetime:
    if not now_text:
        return datetime.now(timezone.utc)
    try:
        return to_utc(now_text)  # type: ignore[return-value]
    except ValueError:
        raise DocauditError(f"--now '{now_text}' is not an ISO date such as 2026-11-23") from None


def _index(config: Config) -> Any:
    from docaudit.index.store import Index

    return Index(config)


def _progress(quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docaudit")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error instead of one line.")
def cli(debug: bool) -> None:
    """Find the documents a RAG index would answer from that are wrong about time."""
    global DEBUG
    DEBUG = debug


@cli.command()
@click.argument("path")
@click.option(
    "--source",
    default="git",
    show_default=True,
    help="Connector: git (a docs repo or plain folder), notion, gdrive, confluence, or an installed one.",
)
@click.option(
    "--full", is_flag=True, help="Re-list everything instead of what changed since the last crawl (API sources)."
)
@click.option(
    "--space",
    metavar="NAME",
    help="Name the source's docs have in the index (default: the folder's or workspace's name; a second "
    "folder of the same name gets NAME@hash).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars; only errors.")
@expected_errors
@index_options
def crawl(path: str, source: str, full: bool, space: str | None, quiet: bool, config: Config) -> None:
    """Crawl PATH into the index; unchanged docs are not re-embedded, deleted ones leave.

    PATH is a folder for git, a name for the workspace or drive for notion and gdrive, and space keys
    for confluence (ENG, ENG,OPS, or '*' for all).
    """
    from .audit import crawl as run_crawl

    index = _index(config)
    with _progress(quiet) as progress:
        stats = run_crawl(index, source, path, config, progress, full=full, space=space)
    for skipped in stats.skipped:
        if skipped.reason != "no text":
            click.echo(f"warning: skipped {_printable(skipped.id)}: {_printable(skipped.reason)}", err=True)
    if not quiet:
        click.echo(_printable(stats.summary(path)))
        if stats.versions:
            click.echo(_printable(f"Versions read: {stats.versions} (`docaudit versions {path}` shows why)"))


def probe_options(func: Callable) -> Callable:
    """Which questions to ask the index: shared by audit, gate and baseline."""

    @click.option(
        "--probes",
        "probes_paths",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="probes.yaml; repeat to combine files (default: ./probes.yaml if present, else generated from titles and headings).",
    )
    @click.option(
        "--probes-from",
        "log_path",
        type=click.Path(dir_okay=False),
        help="CSV or JSONL of real user questions, added to the probes.",
    )
    @click.option(
        "--top-k", type=click.IntRange(1, 100), help="Chunks a RAG query would retrieve (default from config: 5)."
    )
    @click.option(
        "--acks",
        "acks_path",
        type=click.Path(dir_okay=False),
        default=ACKS_FILE,
        show_default=True,
        help="Acknowledgements file; acknowledged findings are suppressed until their date.",
    )
    @click.option(
        "--probes-per-doc",
        type=click.IntRange(0, 50),
        help="Generated probes: the title plus at most this many headings per doc (default from config: 3).",
    )
    @click.option(
        "--sample",
        type=click.IntRange(1, None),
        help="Generate probes from only this many docs, spread evenly: a quick first look at a huge workspace.",
    )
    @click.option(
        "--retriever",
        "retriever_specs",
        multiple=True,
        metavar="MODULE:NAME",
        help="Audit your own retriever (MODULE:NAME or file.py:NAME); repeat to compare several. "
        "'docaudit' names docaudit's own index, 'docaudit:dense|bm25|hybrid[+rerank]' one of its modes.",
    )
    @click.option(
        "--collection",
        "collection_name",
        metavar="NAME",
        help="Audit an existing Chroma collection another pipeline built (in --index or --chroma-url).",
    )
    @now_option
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        probes_paths: tuple[str, ...],
        log_path: str | None,
        top_k: int | None,
        acks_path: str,
        probes_per_doc: int | None,
        sample: int | None,
        retriever_specs: tuple[str, ...],
        collection_name: str | None,
        now_text: str | None,
        **kwargs: Any,
    ) -> Any:
        # The config is read by index_options, inside this wrapper: leave the choice where it looks.
        meta = click.get_current_context().meta
        meta["docaudit.probing.retrievers"] = list(retriever_specs)
        meta["docaudit.collection"] = collection_name
        meta["docaudit.probes_per_doc"] = probes_per_doc
        meta["docaudit.sample"] = sample
        from docaudit.probing.probes import load_probes

        from .suppress import load_acks

        probes = load_probes(probes_paths, log_path)
        return func(*args, probes=probes, top_k=top_k, acks=load_acks(acks_path), now=_now(now_text), **kwargs)

    return wrapper


def output_options(func: Callable) -> Callable:
    """How to report and when to fail: shared by audit and gate."""

    @click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True)
    @click.option("--output", "output_path", type=click.Path(dir_okay=False), help="Write the report here, not stdout.")
    @click.option(
        "--report",
        "report_paths",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Also write a report, its format from the file name: .json, .sarif, .xml (JUnit), .md, .html. Repeatable.",
    )
    @click.option(
        "--summary",
        "summary_path",
        type=click.Path(dir_okay=False),
        help="Also append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY).",
    )
    @click.option(
        "--fail-on",
        type=click.Choice(FAIL_ON),
        default="error",
        show_default=True,
        help="Exit 1 when a finding is at or above this severity.",
    )
    @click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        fmt: str,
        output_path: str | None,
        report_paths: tuple[str, ...],
        summary_path: str | None,
        fail_on: str,
        quiet: bool,
        **kwargs: Any,
    ) -> Any:
        from .reports import emit, format_for_file, writable

        reports = tuple((path, format_for_file(path)) for path in report_paths)  # a bad name fails before the work
        for path in filter(None, (output_path, summary_path)):
            writable(path, "--output" if path == output_path else "--summary")
        result, now = func(*args, quiet=quiet, **kwargs)
        text, status = emit(result, now, fmt, fail_on, output_path, reports, summary_path)
        if text and not quiet:
            click.echo(text)
        if status:
            sys.exit(status)

    return wrapper


@cli.command()
@expected_errors
@output_options
@probe_options
@index_options
def audit(probes: Any, top_k: int | None, acks: Any, now: datetime, quiet: bool, config: Config) -> Any:
    """Probe the index and report what retrieval gets wrong about time."""
    from .audit import audit as run_audit

    with _progress(quiet) as progress:
        return run_audit(_index(config), config, now, probes, top_k, acks, progress), now


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
@expected_errors
@output_options
@probe_options
@index_options
def gate(
    path: str,
    baseline_path: str | None,
    changed_since: str | None,
    probes: Any,
    top_k: int | None,
    acks: Any,
    now: datetime,
    quiet: bool,
    config: Config,
) -> Any:
    """CI gate for the docs repo at PATH: incremental crawl, audit, exit 1 on what should fail the change."""
    from .audit import gate as run_gate
    from .suppress import load_baseline

    baseline = load_baseline(baseline_path) if baseline_path else None
    with _progress(quiet) as progress:
        result = run_gate(_index(config), path, config, now, probes, top_k, acks, baseline, changed_since, progress)
    return result, now


@cli.command()
@click.argument("path", default=".")
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False),
    default=BASELINE_FILE,
    show_default=True,
    help="Where to write the baseline.",
)
@expected_errors
@probe_options
@index_options
def baseline(
    path: str, output_path: str, probes: Any, top_k: int | None, acks: Any, now: datetime, config: Config
) -> None:
    """Record today's findings for the docs repo at PATH, so `gate --baseline` fails only on new ones."""
    from .audit import gate as run_gate
    from .suppress import write_baseline

    result = run_gate(_index(config), path, config, now, probes, top_k, acks)
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
@expected_errors
@probe_options
@index_options
def docs(fmt: str, sort: str, probes: Any, top_k: int | None, acks: Any, now: datetime, config: Config) -> None:
    """List indexed docs with owner, age, currency and why; --sort risk puts what to fix first on top."""
    from .reports import docs as docs_report

    click.echo(docs_report.render(docs_report.listing(_index(config), config, now, sort, probes, top_k, acks), fmt))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(list(REPORT_EXTENSIONS)), default="html", show_default=True)
@click.option(
    "-o",
    "--output",
    "output_path",
    type=click.Path(dir_okay=False),
    help="Default: docaudit-report.html, .md or .json.",
)
@expected_errors
@probe_options
@index_options
def report(
    fmt: str, output_path: str | None, probes: Any, top_k: int | None, acks: Any, now: datetime, config: Config
) -> None:
    """Write a report for people: one self-contained HTML page (or Markdown, or JSON with a schema)."""
    from .audit import audit as run_audit
    from .reports import render, writable

    path = Path(writable(output_path or f"docaudit-report.{REPORT_EXTENSIONS[fmt]}", "--output"))
    result = run_audit(_index(config), config, now, probes, top_k, acks)
    path.write_text(render(result, fmt, now) + "\n", encoding="utf-8")
    click.echo(
        f"Wrote {path}: {len(result.findings)} findings, {len(result.acknowledged)} acknowledged, "
        f"{len(result.docs)} docs"
    )


@cli.command()
@click.argument("doc")
@click.option("--rule", required=True, help="The rule whose finding on DOC is accepted.")
@click.option(
    "--until", "until_text", required=True, metavar="DATE", help="Until when (YYYY-MM-DD); then it comes back."
)
@click.option("--reason", required=True, help="Why: the next reader of the file will want to know.")
@click.option("--acks", "acks_path", type=click.Path(dir_okay=False), default=ACKS_FILE, show_default=True)
@expected_errors
def ack(doc: str, rule: str, until_text: str, reason: str, acks_path: str) -> None:
    """Acknowledge a finding on DOC (its path or key) until a date: it stays out of digests and gates."""
    from datetime import date

    from .suppress import add_ack

    try:
        until = date.fromisoformat(until_text)
    except ValueError:
        raise click.BadParameter(f"'{until_text}' is not a date such as 2027-01-31", param_hint="--until") from None
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
@expected_errors
@probe_options
@index_options
def digest(
    out_dir: str,
    send: tuple[str, ...],
    dry_run: bool,
    probes: Any,
    top_k: int | None,
    acks: Any,
    now: datetime,
    config: Config,
) -> None:
    """One digest per owner (.md, .html, .eml) with only what is new or changed since their last one."""
    from .audit import audit as run_audit
    from .digests import delivery

    services = delivery.services(send)
    if not dry_run:
        delivery.check_ready(services, config)  # a missing token or host fails now, not after the audit
    result = run_audit(_index(config), config, now, probes, top_k, acks)
    folder = Path(out_dir)
    if dry_run:
        click.echo(delivery.preview(result.findings, config, folder, now, services))
        return
    run = delivery.prepare_digests(result.findings, config, folder, now, delivery.chat_services(services))
    for warning in run.warnings():
        click.echo(f"warning: {_printable(warning)}", err=True)
    for line in run.lines():
        click.echo(_printable(line))
    delivered = delivery.deliver(folder, services, config)
    for line in delivered.lines:
        click.echo(_printable(line))
    for line in delivered.failures:
        click.echo(f"docaudit: {_printable(line)}", err=True)
    if delivered.problem:
        _fail(delivered.problem)
    if delivered.failures:
        sys.exit(1)


@cli.command()
@click.argument("name", required=False)
@expected_errors
def rules(name: str | None) -> None:
    """List the finding rules, or explain one: when it fires, its severity, what the owner should do."""

    from docaudit import rules

    click.echo(rules.explain(name) if name else rules.table())


@cli.command()
@click.argument("path", default=".")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file with [versions].")
@expected_errors
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
