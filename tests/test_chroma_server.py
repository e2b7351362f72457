"""The same crawl and audit against a real Chroma server (`chroma run`) on 127.0.0.1."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOW, commit, free_port

from docaudit.audit import audit, crawl
from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.index.store import Index
from docaudit.probing.probes import load_probes_yaml


def test_crawl_and_audit_through_a_chroma_server(chroma_url, tmp_path, embedder):
    repo = tmp_path / "docs"
    commit(
        repo,
        {
            "api/v1/auth.md": "---\ndeprecated: true\n---\n# API Auth v1\nPass your API key as the api_key query parameter.\n",
            "api/v2/auth.md": "# API Auth v2\nUse OAuth bearer tokens in the Authorization header.\n",
        },
    )
    (tmp_path / "probes.yaml").write_text("- id: auth\n  query: How do I pass my API key in a query parameter?\n")
    config = Config(chroma_url=chroma_url, collection="server_test")
    index = Index(config, embedder)
    assert crawl(index, "git", str(repo), config).chunks_embedded == 2
    assert crawl(Index(config, embedder), "git", str(repo), config).chunks_embedded == 0
    result = audit(Index(config, embedder), config, NOW, load_probes_yaml(tmp_path / "probes.yaml"))
    assert [(f.rule, f.doc.path) for f in result.findings] == [("rank-inversion", "api/v1/auth.md")]


def test_unreachable_server_is_one_clear_line(embedder):
    config = Config(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(DocauditError, match=r"Chroma server at http://127.0.0.1:\d+ is not reachable .*`chroma run`"):
        Index(config, embedder).docs()


WRITER = """
import sys
sys.path.insert(0, {root!r})
import docaudit.index.sync as sync_module
from docaudit.audit import crawl
from docaudit.config import Config
from docaudit.index.store import Index

sync_module.EMBED_BATCH_DOCS = 2  # many small commits, so the two crawls' writes interleave
config = Config(chroma_url=sys.argv[2], collection="multi_writer")
print(crawl(Index(config), "git", sys.argv[1], config).added)
"""


def test_two_crawls_of_different_sources_at_once_into_one_server_lose_nothing(chroma_url, tmp_path, embedder):
    from conftest import ROOT

    repos = []
    for team in ("payments", "search"):
        pages = {
            f"{team}-{n}.md": f"# {team.title()} page {n}\\nThe {team} team runs job {n} nightly at 0{n}:00.\\n"
            for n in range(9)
        }
        commit(tmp_path / f"{team}-docs", pages)
        repos.append(tmp_path / f"{team}-docs")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER.format(root=str(ROOT)), str(repo), chroma_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for repo in repos
    ]
    outputs = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [err[-800:] for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == ["9", "9"]
    config = Config(chroma_url=chroma_url, collection="multi_writer")
    index = Index(config, embedder)
    records = index.records()
    assert sorted({meta["space"] for meta in records.values()}) == ["payments-docs", "search-docs"]
    assert len(records) == 18
    chunk_ids = set(index._collection("chunks").get(include=[])["ids"])
    assert len(chunk_ids) == sum(meta["chunks"] for meta in records.values()) == 18
    result = audit(index, config, NOW)
    assert len(result.docs) == 18


def test_the_deployment_files_agree_with_what_the_tests_run():
    """deploy/ is not run here (no container runtime), so what it names is checked against what is:
    Chroma keeps no promise between client and server versions, and the job's config must reach the
    compose services on their container ports."""
    from urllib.parse import urlparse

    import yaml

    from docaudit.config import load_config

    root = Path(__file__).resolve().parent.parent
    compose = yaml.safe_load((root / "deploy" / "compose.yaml").read_text())
    locked = dict(line.split("==", 1) for line in (root / "requirements.lock").read_text().splitlines() if "==" in line)
    assert compose["services"]["chroma"]["image"] == f"chromadb/chroma:{locked['chromadb']}"
    config = load_config(root / "deploy" / "docaudit.toml")
    for url in (config.chroma_url, config.retrieval.base_url):
        parsed = urlparse(url)
        service = compose["services"][parsed.hostname]
        assert any(str(port).endswith(f":{parsed.port}") for port in service["ports"]), url
    torch_pin = "torch==2.13.0"
    assert torch_pin in (root / "Makefile").read_text() and torch_pin in (root / "deploy" / "Dockerfile").read_text()
