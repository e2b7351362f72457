"""Drive crawl cost: API calls and wall time, full and no-change, beside llama-index's GoogleDriveReader.

    python bench/gdrive.py [--files 1000]

Serves a generated drive of --files files (Google Docs, Markdown uploads, PDFs and DOCX in a
folder tree) from the local Drive v3 server and crawls one folder recursively, measured in this
one run. GoogleDriveReader builds its client without an endpoint option, so for its run
`googleapiclient.discovery.build` is given the local endpoint (the same requests, another host).
It needs llama-index-readers-google and its imports (`make bench` installs them into
build/bench-deps, outside the project's virtualenv).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))

from drive_server import DriveServer, drive_id, service_account_file  # noqa: E402

from connectors import CrawlState, gdrive  # noqa: E402
from docaudit.config import Config  # noqa: E402
from docaudit.records import Doc  # noqa: E402

FOLDERS = 20
KINDS = ["doc"] * 6 + ["markdown"] * 2 + ["pdf", "docx"]
WORDS = "deploy service cluster billing invoice refund customer account region failover backup restore".split()


def generate(files: int) -> dict:
    users = [{"id": f"user-{i}", "name": f"User {i}", "email": f"user{i}@example.com"} for i in range(10)]
    when = {"created": "2025-01-01T09:00:00Z", "owners": ["user-0"], "modified_by": "user-0"}
    entries = [
        {
            "id": "docs",
            "name": "Docs",
            "kind": "folder",
            "parents": ["root"],
            "modified": "2025-01-01T09:00:00Z",
            **when,
        }
    ]
    entries += [
        {
            "id": f"folder-{f}",
            "name": f"Team {f}",
            "kind": "folder",
            "parents": ["docs"],
            "modified": "2025-01-01T09:00:00Z",
            **when,
        }
        for f in range(FOLDERS)
    ]
    for i in range(files):
        kind = KINDS[i % len(KINDS)]
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(60))
        name = f"Doc {i}" + {"markdown": ".md", "pdf": ".pdf", "docx": ".docx"}.get(kind, "")
        entries.append(
            {
                "id": f"file-{i}",
                "name": name,
                "kind": kind,
                "parents": [f"folder-{i % FOLDERS}"],
                "modified": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
                "content": f"# Doc {i}\n\n{words}\n\nSecond paragraph {i}: {words[:200]}\n",
                **when,
                "owners": [f"user-{i % 10}"],
            }
        )
    return {"users": users, "files": entries}


def crawl_ours(server: DriveServer, credentials: Path, state: CrawlState) -> tuple[list[Doc], float, int]:
    config = Config()
    config.section("gdrive").credentials = str(credentials)
    config.section("gdrive").api_endpoint = server.endpoint
    config.section("gdrive").folders = [drive_id("docs")]
    server.calls.clear()
    start = time.perf_counter()
    docs = [r for r in gdrive.crawl("bench", config, state) if isinstance(r, Doc)]
    return docs, time.perf_counter() - start, server.total_calls


def crawl_reader(server: DriveServer, credentials: Path) -> tuple[int, float, int]:
    import googleapiclient.discovery
    from llama_index.readers.google import GoogleDriveReader

    original = googleapiclient.discovery.build

    def local_build(*args, **kwargs):
        return original(*args, client_options={"api_endpoint": server.endpoint}, **kwargs)

    googleapiclient.discovery.build = local_build
    try:
        reader = GoogleDriveReader(service_account_key=json.loads(credentials.read_text()), is_cloud=True)
        server.calls.clear()
        start = time.perf_counter()
        docs = reader.load_data(folder_id=drive_id("docs"))
        return len({d.metadata.get("file id") or d.id_ for d in docs}), time.perf_counter() - start, server.total_calls
    finally:
        googleapiclient.discovery.build = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with DriveServer(generate(args.files)) as server, tempfile.TemporaryDirectory() as folder:
        credentials = service_account_file(Path(folder) / "sa.json", f"{server.url}/token")
        floor = (
            math.ceil((args.files + FOLDERS) / 1000) + 1 + args.files
        )  # list the tree (root + folders), read each file
        print(f"drive: {args.files} files in {FOLDERS} folders; minimum calls to list and read them all: about {floor}")
        state = CrawlState()
        docs, full_s, full_calls = crawl_ours(server, credentials, state)
        print(
            f"docaudit full crawl:      {len(docs):5d} files {full_calls:6d} calls ({full_calls / floor:.3f} x minimum) {full_s:7.1f} s"
        )
        again = CrawlState(
            cursor=state.next_cursor, known={d.id: d.hash for d in docs}, versions={d.id: d.version for d in docs}
        )
        _, re_s, re_calls = crawl_ours(server, credentials, again)
        print(f"docaudit no-change crawl:       {re_calls:6d} calls {re_s:7.1f} s (the changes feed, and one token)")
        try:
            read, reader_s, reader_calls = crawl_reader(server, credentials)
        except ImportError as exc:
            print(f"GoogleDriveReader: not importable ({exc}); `make bench` installs it into build/bench-deps")
            return
        print(
            f"GoogleDriveReader:        {read:5d} files {reader_calls:6d} calls {reader_s:7.1f} s (no incremental mode: a re-crawl costs the same)"
        )
        print(
            f"ratios: our full crawl / reader wall time {full_s / reader_s:.2f}, calls {full_calls / reader_calls:.2f}; "
            f"no-change re-crawl {re_calls} calls against the reader's {reader_calls}"
        )


if __name__ == "__main__":
    main()
