"""What the commands share: option groups as decorators, the clock, progress bars, and how an error
reaches the terminal (one line, exit 2, never a traceback unless --debug)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click

from .cli_plan import Plan
from .config import Config, load_config
from .errors import DocauditError
from .records import to_utc
from .reports import FAIL_ON, FORMATS
from .suppress import ACKS_FILE

FILE = click.Path(dir_okay=False)
REPORT_EXTENSIONS = {"html": "html", "markdown": "md", "json": "json"}


DEBUG = False


def _frames(exc: BaseException) -> list:
    import traceback

    return list(reversed(traceback.extract_tb(exc.__traceback__)))


def printable(text: str) -> str:
    """No terminal escape sequences or undecodable bytes from a title, a file name or a reason."""
    from .text import decodable

    return "".join(c if c.isprintable() or c == " " else "\ufffd" for c in decodable(text))


def fail(message: str) -> None:
    click.echo(f"docaudit: error: {printable(message)[:600]}", err=True)
    sys.exit(2)


def expected_errors(func: Callable) -> Callable:
    """Expected failures print one line and exit 2; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DocauditError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted; the index is consistent and the next crawl picks up where this one stopped")
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug or an input nobody foresaw: one line and exit 2, never exit 1
            if DEBUG:
                raise
            where = next((f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in _frames(exc)), "")
            detail = " ".join(str(exc).split())[:200] or "no message"
            fail(
                f"unexpected {type(exc).__name__} ({detail}) at {where}; the index is consistent. "
                "Run with --debug for the traceback and report it"
            )

    return wrapper


def index_options(func: Callable) -> Callable:
    """Where the index lives and which config applies: shared by every command that reads it."""

    @click.option(
        "--config",
        "config_path",
        type=FILE,
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
        if index_dir:
            config.index = index_dir
        if chroma_url:
            config.chroma_url = chroma_url
        ran = False  # said last, on stderr, when the command got to run: an error stays one line
        try:
            done = func(*args, config=config, **kwargs)
            ran = True
            return done
        except SystemExit as exit_:
            ran = exit_.code in (None, 0, 1)
            raise
        finally:
            if ran and not kwargs.get("quiet"):
                click.echo(printable(read_from(config)), err=True)

    return wrapper


def read_from(config: Config) -> str:
    """Which config a command read and which index it uses, as pytest says `configfile:`: run from a
    subfolder, the project's are found; a surprise shows here first."""
    where = config.chroma_url or config.index
    if not config.source:
        return f"config: none found (defaults); index: {where}"
    table = " [tool.docaudit]" if Path(config.source).name == "pyproject.toml" else ""
    return f"config: {config.source}{table}; index: {where}"


def wants_color(choice: str, stream: Any, environ: Mapping[str, str]) -> bool:
    """--color: always, never, or auto (a terminal, and neither NO_COLOR nor TERM=dumb, as no-color.org asks)."""
    if choice != "auto":
        return choice == "always"
    return bool(stream.isatty()) and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def echo(lines: Iterable[str], warnings: Iterable[str] = (), failures: Iterable[str] = ()) -> None:
    """Lines for the user on stdout; warnings and failures on stderr. All made printable."""
    for line in warnings:
        click.echo(f"warning: {printable(line)}", err=True)
    for line in lines:
        click.echo(printable(line))
    for line in failures:
        click.echo(f"docaudit: {printable(line)}", err=True)


class IsoDate(click.ParamType):
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"'{value}' is not a date such as 2027-01-31", param, ctx)


acks_option = click.option(
    "--acks",
    "acks_path",
    type=FILE,
    help=f"Acknowledgements file; acknowledged findings are suppressed until their date (default: {ACKS_FILE} "
    "beside the config, else here).",
)


def project_file(name: str, config: Config) -> str:
    """A project's file (acknowledgements, probes) beside the config that was read, so that every
    subfolder of the project uses the same one; here when no config was found."""
    if not config.source:
        return name
    return os.path.relpath(Path(config.source).parent / name)


def acks_file(given: str | None, config: Config) -> str:
    return given or project_file(ACKS_FILE, config)


def now_option(func: Callable) -> Callable:
    return click.option(
        "--now",
        "now_text",
        metavar="DATE",
        help="Audit as of this date (ISO), for reproducible reports. Default: today.",
    )(func)


def now(now_text: str | None) -> datetime:
    if not now_text:
        return datetime.now(timezone.utc)
    try:
        return to_utc(now_text)  # type: ignore[return-value]
    except ValueError:
        raise DocauditError(f"--now '{now_text}' is not an ISO date such as 2026-11-23") from None


def progress_bar(quiet: bool) -> Any:
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


def probe_options(func: Callable) -> Callable:
    """Which questions to ask the index, and how: shared by the commands that audit. Goes under
    `@index_options`, which reads the config these options override."""

    @click.option(
        "--probes",
        "probes_paths",
        multiple=True,
        type=FILE,
        help="probes.yaml; repeat to combine files (default: probes.yaml here or beside the config if present, "
        "else generated from titles and headings).",
    )
    @click.option(
        "--probes-from",
        "log_path",
        type=FILE,
        help="CSV or JSONL of real user questions, added to the probes.",
    )
    @click.option(
        "--top-k", type=click.IntRange(1, 100), help="Chunks a RAG query would retrieve (default from config: 5)."
    )
    @acks_option
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
        acks_path: str | None,
        probes_per_doc: int | None,
        sample: int | None,
        retriever_specs: tuple[str, ...],
        collection_name: str | None,
        now_text: str | None,
        config: Config,
        **kwargs: Any,
    ) -> Any:
        # index_options, the decorator above, read the config: these options override it.
        if retriever_specs:
            config.retrieval.retrievers = list(retriever_specs)
        if collection_name:
            config.retrieval.collection = collection_name
        if probes_per_doc is not None:
            config.probes_per_doc = probes_per_doc
        if sample:
            config.sample = sample
        from docaudit.probing.probes import DEFAULT_PROBES, load_probes

        from .suppress import load_acks

        probes = load_probes(probes_paths, log_path, defaults=(DEFAULT_PROBES, project_file(DEFAULT_PROBES, config)))
        plan = Plan(config, probes, top_k, load_acks(acks_file(acks_path, config)), now(now_text))
        return func(*args, plan=plan, **kwargs)

    return wrapper


def output_options(func: Callable) -> Callable:
    """How to report and when to fail: shared by audit and gate."""

    @click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True)
    @click.option("--output", "output_path", type=FILE, help="Write the report here, not stdout.")
    @click.option(
        "--report",
        "report_paths",
        multiple=True,
        type=FILE,
        help="Also write a report, its format from the file name: .json, .sarif, .xml (JUnit), .md, .html. Repeatable.",
    )
    @click.option(
        "--summary",
        "summary_path",
        type=FILE,
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
    @click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Severities in colour (table, concise). auto: on a terminal, unless NO_COLOR is set.",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        fmt: str,
        output_path: str | None,
        report_paths: tuple[str, ...],
        summary_path: str | None,
        fail_on: str,
        quiet: bool,
        color: str,
        **kwargs: Any,
    ) -> Any:
        from .reports import emit, format_for_file, writable

        reports = tuple((path, format_for_file(path)) for path in report_paths)  # a bad name fails before the work
        for path in filter(None, (output_path, summary_path)):
            writable(path, "--output" if path == output_path else "--summary")
        result, now = func(*args, quiet=quiet, **kwargs)
        coloured = wants_color(color, sys.stdout, os.environ)
        text, status = emit(result, now, fmt, fail_on, output_path, reports, summary_path, color=coloured)
        if text and not quiet:
            click.echo(text, color=coloured or None)  # click strips colour off a non-terminal unless told
        if status:
            sys.exit(status)

    return wrapper
