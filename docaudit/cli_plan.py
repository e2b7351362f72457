"""One audit as a command's options ask for it (`Plan`), and `--from`, which reuses an audit a JSON
report holds instead of running one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from .config import Config

if TYPE_CHECKING:
    from .probing.probes import Probe
    from .reports.docs import Listing
    from .result import AuditResult
    from .suppress import Ack


@dataclass
class Plan:
    """One audit as the shared options ask for it: the config (and so the index), the probes, the date."""

    config: Config
    probes: list[Probe] | None  # None: generated from the docs
    top_k: int | None
    acks: list[Ack]
    now: datetime
    from_report: str | None = None  # `--from`: the audit a JSON report holds, instead of a new one

    def audit(self, progress: Any = None) -> AuditResult:
        if self.from_report:
            return self.reuse(self.from_report)
        from .audit import audit

        return audit(open_index(self.config), self.config, self.now, self.probes, self.top_k, self.acks, progress)

    def listing(self, sort: str) -> Listing:
        from .reports.docs import listing

        return listing(open_index(self.config), self.config, self.now, sort, self.probes, self.top_k, self.acks)

    def gate(
        self, path: str, baseline: set[str] | None = None, changed_since: str | None = None, progress: Any = None
    ) -> AuditResult:
        from .audit import gate

        index = open_index(self.config)
        return gate(
            index, path, self.config, self.now, self.probes, self.top_k, self.acks, baseline, changed_since, progress
        )

    def reuse(self, path: str) -> AuditResult:
        """The audit a JSON report holds, as of its own date; owners resolved by this config, as digests do."""
        from .owners import owners_for
        from .reports.from_json import load

        result, self.now = load(path)
        result.owners = owners_for(result.findings, self.config)
        return result


def open_index(config: Config) -> Any:
    from docaudit.index.store import Index

    return Index(config)


def from_option(func: Callable) -> Callable:
    """`--from REPORT.json`: reuse an audit; goes under `@probe_options`, which builds the plan."""

    @click.option(
        "--from",
        "from_report",
        type=click.Path(dir_okay=False),
        metavar="REPORT.json",
        help="Reuse the audit in a JSON report (`audit --report r.json`) instead of auditing again; "
        "dates are the report's.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, from_report: str | None, plan: Plan, **kwargs: Any) -> Any:
        plan.from_report = from_report
        return func(*args, plan=plan, **kwargs)

    return wrapper
