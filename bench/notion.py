"""Notion crawl cost: API calls and wall time, full and no-change, beside llama-index's NotionPageReader.

    python bench/notion.py [--pages 1000] [--rate 3]

Serves a generated workspace of --pages pages (nested pages, two databases, pages long enough
to paginate their blocks, nested toggles and tables) from the local wire-format server, which
enforces Notion's rate limit (--rate requests/s; 0 for none) with real 429s. Everything is
measured in this one run and printed as ratios: calls against the minimum the API allows (one
per 100 search results, one per 100 children of each block with children, one per user), and
wall time against NotionPageReader on the same server.

NotionPageReader hard-codes api.notion.com; its three URL constants are pointed at the local
server (the same requests, another host). It needs llama-index-readers-notion (`make bench` installs it).
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

from notion_server import NotionServer, uid  # noqa: E402

from connectors import CrawlState, notion  # noqa: E402
from docaudit.config import Config  # noqa: E402
from docaudit.records import Doc  # noqa: E402

USERS = 12
SPACES = 10
ROWS_PER_DATABASE = 100
LONG_PAGE_EVERY = 40  # one page in this many has 130 blocks: two block requests
WORDS = (
    "deploy service cluster billing invoice refund customer account region failover backup restore "
    "latency budget alert oncall incident review approval release schedule migration database index"
).split()


def generate(pages: int) -> dict:
    users = [{"id": f"user-{i}", "name": f"User {i}", "email": f"user{i}@example.com"} for i in range(USERS)]
    workspace: dict = {"users": users, "databases": [], "pages": []}
    spaces = [f"space-{s}" for s in range(SPACES)]
    for s, space in enumerate(spaces):
        workspace["pages"].append(_page(space, f"Space {s}", "workspace", s))
    databases = [("db-runbooks", "Runbooks", spaces[0]), ("db-specs", "Specs", spaces[1])]
    for db_id, title, parent in databases:
        workspace["databases"].append(
            {
                "id": db_id,
                "title": title,
                "parent": parent,
                "created": "2024-01-01T00:00:00Z",
                "edited": "2025-01-01T00:00:00Z",
                "created_by": "user-0",
                "properties": {"Name": "title", "Owner": "people", "Status": "select"},
            }
        )
    remaining = pages - SPACES
    for i in range(remaining):
        if i < ROWS_PER_DATABASE * len(databases):
            db_id = databases[i % len(databases)][0]
            spec = _page(f"row-{i}", f"Row {i}", db_id, i)
            spec["properties"] = {"Owner": [f"user-{i % USERS}"], "Status": "Current"}
        else:
            parent = spaces[i % SPACES] if i % 3 else f"page-{max(0, i - 3)}"
            spec = _page(f"page-{i}", f"Page {i}", parent, i)
        workspace["pages"].append(spec)
    return workspace


def _page(page_id: str, title: str, parent: str, n: int) -> dict:
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(40))
    blocks: list[dict] = [{"heading_2": f"{title} overview"}, {"paragraph": words}]
    blocks.append(
        {"toggle": "Details", "children": [{"paragraph": words[:120]}, {"bulleted_list_item": words[40:160]}]}
    )
    blocks.append({"table": [["Key", "Value"], ["owner", f"user-{n % USERS}"], ["tier", str(n % 3)]]})
    blocks += [{"bulleted_list_item": f"{WORDS[(n + k) % len(WORDS)]} step {k}"} for k in range(4)]
    if n % LONG_PAGE_EVERY == 0:
        blocks += [{"paragraph": f"{words[: 60 + k % 40]} line {k}"} for k in range(122)]
    return {
        "id": page_id,
        "title": title,
        "parent": parent,
        "created": f"202{n % 5}-0{1 + n % 9}-1{n % 10}T09:00:00Z",
        "edited": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "created_by": f"user-{n % USERS}",
        "blocks": blocks,
    }


def minimum_calls(server: NotionServer) -> int:
    """What any complete crawl must ask: search pages, search containers, each block's children, each user."""
    visible = [p for p in server.pages if server._visible(p)]
    calls = math.ceil(len(visible) / 100) + math.ceil(len(server.databases) / 100)
    for parent, children in server.children.items():
        if children and (parent in server.pages or server._page_of(parent)):
            calls += math.ceil(len(children) / 100)
    return calls + len(server.users)


def crawl_ours(server: NotionServer, rate: float, state: CrawlState) -> tuple[list[Doc], float, int]:
    config = Config()
    config.section("notion").base_url = server.url
    config.section("notion").requests_per_second = rate
    server.calls.clear()
    start = time.perf_counter()
    docs = [r for r in notion.crawl("bench", config, state) if isinstance(r, Doc)]
    return docs, time.perf_counter() - start, server.total_calls


def crawl_reader(server: NotionServer, page_ids: list[str] | None) -> tuple[int, float, int]:
    from llama_index.readers.notion import base

    base.BLOCK_CHILD_URL_TMPL = server.url + "/v1/blocks/{block_id}/children"
    base.DATABASE_URL_TMPL = server.url + "/v1/databases/{database_id}/query"
    base.SEARCH_URL = server.url + "/v1/search"
    reader = base.NotionPageReader(integration_token=server.token)
    server.calls.clear()
    start = time.perf_counter()
    docs = reader.load_data(load_all_if_empty=True) if page_ids is None else reader.load_data(page_ids=page_ids)
    return len(docs), time.perf_counter() - start, server.total_calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=3.0, help="the server's limit and our pacing, requests/s")
    args = parser.parse_args()
    workspace = generate(args.pages)
    rate = args.rate or None
    with NotionServer(workspace, rate=rate, burst=3) as server:
        os.environ["NOTION_TOKEN"] = server.token
        floor = minimum_calls(server)
        pages = len([p for p in server.pages if server._visible(p)])
        print(
            f"workspace: {pages} pages, {len(server.databases)} databases, {len(server.users)} users; rate limit {args.rate or 'none'}/s"
        )
        print(f"minimum calls for a full crawl: {floor}; no-change target: {math.ceil(pages / 100) + 1}")

        state = CrawlState()
        docs, full_s, full_calls = crawl_ours(server, args.rate, state)
        print(
            f"docaudit full crawl:      {len(docs):5d} pages {full_calls:6d} calls ({full_calls / floor:.3f} x minimum) {full_s:7.1f} s, {server.rate_limited} x 429"
        )
        versions = {d.id: d.version for d in docs if d.version}
        again = CrawlState(cursor=state.next_cursor, known={d.id: d.hash for d in docs}, versions=versions)
        rate_limited = server.rate_limited
        redocs, re_s, re_calls = crawl_ours(server, args.rate, again)
        print(
            f"docaudit no-change crawl: {len(redocs):5d} pages {re_calls:6d} calls {re_s:7.1f} s, {server.rate_limited - rate_limited} x 429"
        )

        try:
            import llama_index.readers.notion  # noqa: F401
        except ImportError:
            print("NotionPageReader: not installed (pip install llama-index-readers-notion); skipped")
            return
        rate_limited = server.rate_limited
        found, all_s, all_calls = crawl_reader(server, None)
        print(
            f"NotionPageReader load_all_if_empty: {found:5d} pages {all_calls:6d} calls {all_s:7.1f} s, {server.rate_limited - rate_limited} x 429"
        )
        rate_limited = server.rate_limited
        read, ids_s, ids_calls = crawl_reader(server, [uid(p["id"]) for p in workspace["pages"]])
        print(
            f"NotionPageReader given every id:    {read:5d} pages {ids_calls:6d} calls {ids_s:7.1f} s, {server.rate_limited - rate_limited} x 429"
        )
        print(
            f"ratios: our full crawl / reader (every id) wall time {full_s / ids_s:.2f}, calls {full_calls / ids_calls:.2f}; "
            f"a no-change re-crawl costs {re_calls} calls against the reader's {ids_calls} (it has no incremental mode)"
        )


if __name__ == "__main__":
    main()
