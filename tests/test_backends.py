"""The ONNX backends: exported from the bundled model, recorded in the index, never mixed with the
reference, and a clear line when the export cannot be made."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import NOW, sample_config

from docaudit.audit import audit, crawl
from docaudit.config import Config
from docaudit.embedder import embedder_for
from docaudit.errors import DocauditError
from docaudit.index import Index

TEXTS = [
    "Annual plan refunds are available for 14 days after renewal.",
    "Rotate the TLS certificates with the cert-manager job, never by hand.",
    "The on-call rotation lasts one week and hands over on Mondays. " * 20,  # longer than others: padding
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.mark.slow
@pytest.mark.parametrize("backend, floor", [("onnx", 0.9999), ("onnx-int8", 0.9)])
def test_each_backend_is_close_to_the_reference_and_named_apart(backend, floor, embedder, onnx_cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(onnx_cache))
    other = embedder_for(Config(backend=backend))
    assert other.name == f"all-MiniLM-L6-v2+{backend}"
    reference, vectors = embedder.encode(TEXTS), other.encode(TEXTS)
    assert vectors.shape == reference.shape
    assert float((reference * vectors).sum(axis=1).min()) >= floor
    assert list(onnx_cache.rglob("*.onnx"))  # exported once, cached by the model's files


@pytest.mark.slow
def test_an_index_built_by_onnx_int8_records_it_and_refuses_the_reference(
    sample_repo, sample_index, tmp_path, onnx_cache, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(onnx_cache))
    config = sample_config(tmp_path / "idx")
    config.backend = "onnx-int8"
    index = Index(config)
    crawl(index, "git", str(sample_repo), config)
    found = {(f.rule, f.doc.path) for f in audit(index, config, NOW).findings}
    reference = {(f.rule, f.doc.path) for f in audit(sample_index, sample_index.config, NOW).findings}
    assert ("rank-inversion", "billing/billing-spec-2021.md") in found & reference
    with pytest.raises(DocauditError, match=r"built with model 'all-MiniLM-L6-v2\+onnx-int8', not 'all-MiniLM-L6-v2'"):
        audit(Index(sample_config(tmp_path / "idx"), sample_index.embedder), sample_config(tmp_path / "idx"), NOW)


def test_without_the_onnx_package_the_export_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with pytest.raises(DocauditError, match=r"^backend onnx needs the onnx package: pip install onnx$"):
        embedder_for(Config(backend="onnx")).encode(["q"])


@pytest.mark.slow
def test_encoding_in_worker_processes_gives_the_same_vectors(embedder):
    from docaudit.embedder import Embedder

    texts = [f"Page {i}: the deploy window is {i} minutes and the rollback takes {i % 7} steps." for i in range(140)]
    workers = Embedder(processes=2, device="cpu")
    vectors = workers.encode(texts)
    assert workers._pool is not None  # 140 texts: more than two batches, so the workers did it
    assert np.allclose(vectors, embedder.encode(texts), atol=1e-5)
