"""Confluence crawl cost: requests against the API's minimum, first crawl, no change and a few changes.

    python bench/confluence.py [--pages 1000] [--flavour cloud|datacenter]

Serves a generated space of --pages pages (a page tree, tables, code and notice macros, a few
marker labels, a dozen people) from the local wire-format server and runs the connector on it
three times: first (nothing indexed), again with nothing changed, and after --changed pages got a
new version. Everything is measured in this one run and printed as ratios:

- requests against the minimum the API allows: one space lookup, one request per listing page of
  the space (250 on v2, 100 on v1; on a first crawl the bodies could come with it), one CQL search
  for marker labels, one request per 250 (v2) or 100 (v1) changed bodies, one per 100 people (v2);
- wall time of turning storage XHTML into text against the whole crawl, to show where time goes
  (the server is local, so the network costs nothing here: a real site's latency multiplies requests).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))

from confluence_server import ConfluenceServer  # noqa: E402

import connectors.confluence_storage as storage  # noqa: E402
from connectors import CrawlState, confluence  # noqa: E402
from docaudit.config import Config  # noqa: E402
from docaudit.records import Doc  # noqa: E402

PEOPLE = 12
WORDS = (
    "deploy service cluster billing invoice refund customer account region failover backup restore "
    "latency budget alert oncall incident review approval release schedule migration database index"
).split()


def body(i: int) -> str:
    words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(40))
    notice = (
        '<ac:structured-macro ac:name="warning"><ac:rich-text-body><p>This page is deprecated.</p>'
        "</ac:rich-text-body></ac:structured-macro>"
        if i % 25 == 0
        else ""
    )
    return (
        f"{notice}<h2>Section {i}</h2><p>{words}</p><ul><li>{words}</li><li>step two</li></ul>"
        f"<table><tbody><tr><th>Key</th><th>Value</th></tr><tr><td>{i}</td><td>{words[:60]}</td></tr></tbody></table>"
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>'
        f"<ac:plain-text-body><![CDATA[make deploy SERVICE={i}]]></ac:plain-text-body></ac:structured-macro>"
    )


def generate(pages: int) -> dict:
    users = [{"id": f"user-{i}", "name": f"User {i}", "email": f"user{i}@example.com"} for i in range(PEOPLE)]
    site: dict = {"users": users, "spaces": [{"key": "BENCH", "name": "Bench", "home": "p0"}], "pages": []}
    for i in range(pages):
        site["pages"].append(
            {
                "id": f"p{i}",
                "space": "BENCH",
                "parent": f"p{(i - 1) // 10}" if i else None,
                "title": f"Page {i}",
                "created": "2024-01-01T00:00:00Z",
                "edited": "2025-06-01T00:00:00Z",
                "version": 3,
                "author": f"user-{i % PEOPLE}",
                "labels": ["deprecated"] if i % 40 == 1 else [],
                "body": body(i),
            }
        )
    return site


def crawl(config: Config, state: CrawlState) -> tuple[list[Doc], float]:
    started = time.perf_counter()
    records = list(confluence.crawl("BENCH", config, state))
    return [r for r in records if isinstance(r, Doc)], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--flavour", choices=("cloud", "datacenter"), default="cloud")
    args = parser.parse_args()
    v2 = args.flavour == "cloud"
    per_listing = 250 if v2 else 100

    with ConfluenceServer(generate(args.pages), flavour=args.flavour) as server:
        os.environ["CONFLUENCE_API_TOKEN"] = server.token
        config = Config()
        settings = config.section("confluence")
        settings.base_url, settings.requests_per_second = server.base_url, 0
        settings.email = server.email if v2 else ""

        converting = [0.0]
        original = storage.to_text

        def timed(*a, **k):
            started = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                converting[0] += time.perf_counter() - started

        confluence.to_text = timed

        labelled = math.ceil(sum(1 for p in server.site["pages"] if p.get("labels")) / 100)
        people = math.ceil(PEOPLE / 100) if v2 else 0
        listing = math.ceil(args.pages / per_listing) if v2 else math.ceil(args.pages / per_listing) + 1
        bodies = math.ceil(args.pages / (250 if v2 else 100))
        first_min = 1 + listing + labelled + people  # with every body taken in the listing itself
        state = CrawlState()
        docs, first_time = crawl(config, state)
        first = server.total_calls
        print(
            f"{args.flavour}, {args.pages} pages: first crawl {first} requests, API minimum {first_min}: "
            f"{first / first_min:.2f}x (bodies in {bodies} requests of their own, to keep memory flat); "
            f"{first / args.pages:.3f} requests a page"
        )
        print(f"  storage to text: {converting[0] / first_time:.0%} of the crawl's wall time ({len(docs)} docs)")

        known = {d.id: d.hash for d in docs}
        stamps = {d.id: d.version for d in docs}
        server.calls.clear()
        again_state = CrawlState(cursor=state.next_cursor, known=known, versions=stamps)
        again_docs, _ = crawl(config, again_state)
        again = server.total_calls
        again_min = 1 + listing + labelled
        print(
            f"  no change: {again} requests, {len(again_docs)} pages read again, API minimum {again_min}: "
            f"{again / again_min:.2f}x"
        )

        for i in range(1, args.changed + 1):
            server.edit(f"p{i * (args.pages // (args.changed + 1))}", "2026-11-01T00:00:00Z", body=body(i) + "<p>x</p>")
        server.calls.clear()
        changed_docs, _ = crawl(config, CrawlState(cursor=state.next_cursor, known=known, versions=stamps))
        changed = server.total_calls
        changed_min = again_min + math.ceil(args.changed / (250 if v2 else 100)) + people
        print(
            f"  {args.changed} changed: {changed} requests, {len(changed_docs)} pages read again, "
            f"API minimum {changed_min}: {changed / changed_min:.2f}x"
        )


if __name__ == "__main__":
    main()
