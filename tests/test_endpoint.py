"""The production embedding behind an OpenAI-compatible endpoint: a local server speaking the wire format
returns real vectors from the bundled model, with the faults real services have."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import NOW, sample_config
from embeddings_server import EmbeddingsServer

from docaudit.audit import audit, crawl
from docaudit.cli import cli
from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.index.store import Index

KEY = "sk-local-test-key-9f8e7d6c5b4a"
PROBES = str(Path(__file__).resolve().parents[1] / "fixtures" / "probes.yaml")


@pytest.fixture()
def server(embedder):
    with EmbeddingsServer(embedder.encode, key=KEY) as running:
        yield running


def endpoint_config(index_dir: Path, server: EmbeddingsServer, **retrieval) -> Config:
    config = sample_config(index_dir)
    config.retrieval.base_url = f"{server.url}/v1"
    config.retrieval.model = server.model
    config.retrieval.api_key_env = "EMBEDDINGS_KEY"
    config.retrieval.batch_size = 16
    for name, value in retrieval.items():
        setattr(config.retrieval, name, value)
    return config


def test_an_index_built_through_the_endpoint_finds_what_the_local_model_finds(
    server, sample_repo, sample_index, tmp_path, monkeypatch
):
    monkeypatch.setenv("EMBEDDINGS_KEY", KEY)
    config = endpoint_config(tmp_path / "idx", server)
    index = Index(config)
    stats = crawl(index, "git", str(sample_repo), config)
    assert stats.chunks_embedded == server.inputs_seen and server.largest_batch == 16  # batched as configured
    via_endpoint = audit(index, config, NOW)
    local = audit(sample_index, sample_index.config, NOW)
    # The same model behind HTTP: the same findings, and the vectors came back in cosine space.
    assert {f.fingerprint for f in via_endpoint.findings} == {f.fingerprint for f in local.findings}
    assert index.embedder.name == f"{server.url}/v1#text-embedding-local"
    # The index records which embedding built it and will not be searched with another.
    with pytest.raises(DocauditError, match="built with model 'http://127.0.0.1:.*#text-embedding-local'"):
        audit(Index(sample_config(tmp_path / "idx"), sample_index.embedder), sample_config(tmp_path / "idx"), NOW)
    recrawl = crawl(index, "git", str(sample_repo), config)
    assert recrawl.chunks_embedded == 0  # unchanged docs are not sent again


def test_429_5xx_and_timeouts_are_retried_honouring_retry_after(server, tmp_path, monkeypatch, waits):
    monkeypatch.setenv("EMBEDDINGS_KEY", KEY)
    # Wide margins: the service embeds with the real model, which a loaded machine slows by seconds.
    config = endpoint_config(tmp_path / "idx", server, timeout_seconds=15.0)
    embedder = Index(config).embedder
    server.inject("POST /v1/embeddings", 429, retry_after="7")
    server.inject("POST /v1/embeddings", 503)
    server.inject("POST /v1/embeddings", 0, delay=40)  # slower than the client waits
    vectors = embedder.encode(["how do refunds work", "rotate the on-call"])
    assert vectors.shape == (2, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-5  # normalised whatever the service returned
    assert [f.times for f in server.faults] == [0, 0, 0]  # every fault fired
    assert waits[0] == 7.0 and len(waits) == 3  # Retry-After first, then backoff for the 503 and the timeout

    server.inject("POST /v1/embeddings", 500, times=10)
    with pytest.raises(DocauditError) as failed:
        embedder.encode(["again"])
    assert str(failed.value) == f"embeddings endpoint {server.url}/v1: HTTP 500 after 6 attempts"


def test_a_refused_key_is_one_line_naming_the_variable_and_the_key_is_never_echoed(
    server, sample_repo, tmp_path, monkeypatch
):
    wrong = "sk-wrong-secret-value-0123456789"
    monkeypatch.setenv("EMBEDDINGS_KEY", wrong)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docaudit.toml").write_text(
        f'[retrieval]\nbase_url = "{server.url}/v1"\nmodel = "text-embedding-local"\napi_key_env = "EMBEDDINGS_KEY"\n'
    )
    result = CliRunner().invoke(cli, ["crawl", str(sample_repo), "--index", "idx"])
    assert (result.exit_code, result.stderr) == (
        2,
        f"docaudit: error: embeddings endpoint {server.url}/v1 refused the key (HTTP 401): "
        "check the variable EMBEDDINGS_KEY names\n",
    )
    monkeypatch.delenv("EMBEDDINGS_KEY")
    unset = CliRunner().invoke(cli, ["crawl", str(sample_repo), "--index", "idx"])
    assert (unset.exit_code, unset.stderr) == (
        2,
        "docaudit: error: [retrieval] api_key_env names EMBEDDINGS_KEY, which is not set: "
        "export EMBEDDINGS_KEY=<your key>\n",
    )

    # With the right key, nothing the crawl leaves behind holds it: not the index, not the output.
    monkeypatch.setenv("EMBEDDINGS_KEY", KEY)
    ok = CliRunner().invoke(cli, ["crawl", str(sample_repo), "--index", "idx"])
    assert ok.exit_code == 0, ok.output
    report = CliRunner().invoke(cli, ["audit", "--index", "idx", "--now", "2026-11-20", "--format", "json"])
    assert report.exit_code == 1 and json.loads(report.stdout)["findings"]
    for path in [p for p in (tmp_path / "idx").rglob("*") if p.is_file()]:
        assert KEY.encode() not in path.read_bytes(), path
    for output in (result.output, ok.output, report.output, report.stderr):
        assert KEY not in output and wrong not in output


def test_an_error_the_service_explains_is_one_line_with_the_key_scrubbed(server, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_KEY", KEY)
    config = endpoint_config(tmp_path / "idx", server, model="no-such-model")
    with pytest.raises(DocauditError) as failed:
        Index(config).embedder.encode(["q"])
    assert str(failed.value) == (
        f"embeddings endpoint {server.url}/v1 answered HTTP 404: The model `no-such-model` does not exist."
    )
    assert os.environ["EMBEDDINGS_KEY"] not in str(failed.value)


def test_azure_style_api_key_header_and_api_version_query(server, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_KEY", KEY)
    config = endpoint_config(tmp_path / "idx", server, api_key_header="api-key")
    config.retrieval.base_url += "?api-version=2024-02-01"
    embedder = Index(config).embedder
    assert embedder.url == f"{server.url}/v1/embeddings?api-version=2024-02-01"
    assert embedder.name == f"{server.url}/v1#text-embedding-local"  # what the index records: no query
    assert embedder.encode(["q"]).shape == (1, 384)
