"""The `docaudit` command: a thin shell over `docaudit.audit`. Heavy imports happen inside commands."""

from __future__ import annotations

import functools
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import Config, load_config
from .errors import DocauditError
from .records import Severity, to_utc

FAIL_ON = ["note", "warning", "error", "never"]


def _fail(message: str) -> None:
    click.echo(f"docaudit: error: {message}", err=True)
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

    return wrapper


def index_options(func: Callable) -> Callable:
    """Where the index lives and which config applies: shared by every command that reads it."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Config file (default: ./docaudit.toml or [tool.docaudit] in ./pyproject.toml).",
    )
    @click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False),
        help="Folder of the embedded Chroma index (default: ./.docaudit).",
    )
    @click.option("--chroma-url", help="Use a Chroma server (`chroma run`) instead, e.g. http://127.0.0.1:8000.")
    @functools.wraps(func)
    def wrapper(
        *args: Any, config_path: str | None, index_dir: str | None, chroma_url: str | None, **kwargs: Any
    ) -> Any:
        config = load_config(config_path)
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
    from .index import Index

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
def cli() -> None:
    """Find the documents a RAG index would answer from that are wrong about time."""


@cli.command()
@click.argument("path")
@click.option(
    "--source",
    default="git",
    show_default=True,
    help="Connector: git (a docs repo or plain folder) or an installed one.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars; only errors.")
@expected_errors
@index_options
def crawl(path: str, source: str, quiet: bool, config: Config) -> None:
    """Crawl PATH into the index; unchanged docs are not re-embedded, deleted ones leave."""
    from .audit import crawl as run_crawl

    index = _index(config)
    with _progress(quiet) as progress:
        stats = run_crawl(index, source, path, config, progress)
    reasons = Counter(s.reason.split(" (")[0] for s in stats.skipped if s.reason != "no text")
    for skipped in stats.skipped:
        if skipped.reason != "no text":
            click.echo(f"warning: skipped {skipped.id}: {skipped.reason}", err=True)
    if not quiet:
        click.echo(
            f"Crawled {path}: {stats.seen} docs ({stats.added} added, {stats.updated} updated, "
            f"{stats.unchanged} unchanged, {stats.removed} removed), {stats.chunks_embedded} chunks embedded"
            + (
                f"; skipped {sum(reasons.values())} files ({', '.join(f'{n} {r}' for r, n in sorted(reasons.items()))})"
                if reasons
                else ""
            )
        )


@cli.command()
@click.option(
    "--probes",
    "probes_path",
    type=click.Path(dir_okay=False),
    help="probes.yaml (default: ./probes.yaml if present, else generated from titles and headings).",
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
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False), help="Also write the JSON report to this file."
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@now_option
@expected_errors
@index_options
def audit(
    probes_path: str | None,
    log_path: str | None,
    top_k: int | None,
    fmt: str,
    fail_on: str,
    report_path: str | None,
    quiet: bool,
    now_text: str | None,
    config: Config,
) -> None:
    """Probe the index and report what retrieval gets wrong about time."""
    from .audit import audit as run_audit
    from .probes import load_probes_yaml, load_query_log
    from .reports import json_report, render

    now = _now(now_text)
    probes = None
    if probes_path or Path("probes.yaml").is_file():
        probes = load_probes_yaml(probes_path or "probes.yaml")
    if log_path:
        probes = (probes or []) + load_query_log(log_path)
    result = run_audit(_index(config), config, now, probes, top_k)
    if report_path:
        Path(report_path).write_text(json_report.render(result, now) + "\n", encoding="utf-8")
    if not quiet:
        click.echo(render(result, fmt, now))
    if fail_on != "never" and any(f.severity >= Severity.parse(fail_on) for f in result.findings):
        sys.exit(1)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@now_option
@expected_errors
@index_options
def docs(fmt: str, now_text: str | None, config: Config) -> None:
    """List indexed docs with owner, age, currency and why."""
    import json

    from rich.table import Table

    from .audit import docs_overview
    from .reports.table import to_text

    now = _now(now_text)
    docs_by_key, currency = docs_overview(_index(config), config, now)
    ordered = sorted(docs_by_key.items(), key=lambda kv: (kv[1].source, kv[1].path or kv[1].id))
    if fmt == "json":
        click.echo(
            json.dumps(
                [{**d.summary(), "currency": currency[k].to_dict(), "notes": d.notes} for k, d in ordered], indent=2
            )
        )
        return
    table = Table()
    for column in ("doc", "owner", "age (days)", "currency", "why"):
        table.add_column(column, overflow="fold")
    for key, doc in ordered:
        state = currency[key]
        table.add_row(
            doc.path or doc.title,
            doc.owner.label() if doc.owner else "-",
            "-" if state.age_days is None else str(state.age_days),
            state.status,
            "; ".join(state.reasons + doc.notes) or "-",
        )
    click.echo(to_text(table, f"{len(ordered)} docs"))


def main() -> None:
    cli()
