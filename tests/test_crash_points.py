"""A crawl killed with SIGKILL at every write it makes to Chroma, in a child process: afterwards the index
is consistent, and the next crawl leaves exactly what a clean crawl leaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import NOW, ROOT, commit

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    sys.path.insert(0, {root!r})
    import chromadb.api.models.Collection as module
    import docaudit.index.sync as sync_module
    from docaudit.audit import crawl
    from docaudit.config import Config
    from docaudit.index.store import Index

    sync_module.EMBED_BATCH_DOCS = 2  # several batches, so a kill can fall between them
    kill_at, writes = int(os.environ.get("KILL_AT", "0")), [0]

    def counted(name):
        original = getattr(module.Collection, name)
        def write(self, *args, **kwargs):
            writes[0] += 1
            if writes[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)  # a real kill -9, mid-crawl
            return original(self, *args, **kwargs)
        setattr(module.Collection, name, write)

    for name in ("add", "upsert", "update", "delete"):
        counted(name)
    config = Config(index=sys.argv[2])
    crawl(Index(config), "git", sys.argv[1], config)
    print(json.dumps({{"writes": writes[0]}}))
    """
)

FIRST = {f"page-{n}.md": f"# Page {n}\nService {n} deploys on weekday {n} with the deploy tool.\n" for n in range(5)}


def run_child(repo: Path, index: Path, kill_at: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "KILL_AT": str(kill_at)}
    return subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), str(repo), str(index)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def state_of(index_dir: Path, embedder) -> dict:
    """What the index holds, read fresh from disk (chromadb keeps one client per path in a process,
    and a child has written since this process last looked)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from docaudit.audit import audit
    from docaudit.config import Config
    from docaudit.index.store import Index

    SharedSystemClient.clear_system_cache()
    index = Index(Config(index=str(index_dir)), embedder)
    records = index.records()
    chunk_ids = set(index._collection("chunks").get(include=[])["ids"])
    wanted = {f"{key}#{meta['content_hash'][:12]}#{i}" for key, meta in records.items() for i in range(meta["chunks"])}
    result = audit(index, index.config, NOW)
    return {
        "docs": sorted(meta["id"] for meta in records.values()),
        "orphans": sorted(chunk_ids - wanted),
        "missing": sorted(wanted - chunk_ids),
        "findings": sorted((f.rule, f.fingerprint) for f in result.findings),
    }


def test_a_crawl_killed_at_any_write_is_finished_by_the_next(tmp_path, embedder):
    repo = tmp_path / "docs"
    commit(repo, FIRST)
    base = tmp_path / "base-index"
    assert run_child(repo, base).returncode == 0
    # The edit the killed crawls will be applying: two changed, one deleted, two added.
    commit(
        repo,
        {
            "page-0.md": "# Page 0\nService 0 now deploys continuously; the weekday rule is gone.\n",
            "page-1.md": "# Page 1\nService 1 is retired. Do not use it.\n",
            "page-2.md": None,
            "page-5.md": "# Page 5\nService 5 deploys on Fridays, with a rollback plan.\n",
            "page-6.md": "# Page 6\nService 6 deploys after the security review.\n",
        },
    )
    clean = tmp_path / "clean"
    done = run_child(repo, clean)
    assert done.returncode == 0, done.stderr
    expected = state_of(clean, embedder)
    assert expected["docs"] == [f"page-{n}.md" for n in (0, 1, 3, 4, 5, 6)]

    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(base), str(copy)], check=True)
    total = json.loads(run_child(repo, copy).stdout)["writes"]
    assert total >= 6  # dirty flag, chunk writes and commits for three batches, removals, sweep, cursor
    for kill_at in range(1, total + 1):
        index = tmp_path / f"killed-{kill_at}"
        subprocess.run(["cp", "-r", str(base), str(index)], check=True)
        killed = run_child(repo, index, kill_at)
        assert killed.returncode == -9, (kill_at, killed.stderr[-500:])
        after_kill = state_of(index, embedder)
        assert after_kill["missing"] == [], kill_at  # every committed doc has all its chunks
        resumed = run_child(repo, index)
        assert resumed.returncode == 0, (kill_at, resumed.stderr[-500:])
        assert state_of(index, embedder) == expected, kill_at
