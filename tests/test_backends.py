"""The other backends (bf16 on torch, ONNX, OpenVINO bf16): close to the reference, recorded in the index, never mixed
with it, and a clear line when one cannot run here. Batches cut by tokens give the reference's vectors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from conftest import NOW, sample_config
from hypothesis import given, settings
from hypothesis import strategies as st

from docaudit.audit import audit, crawl
from docaudit.config import Config
from docaudit.errors import DocauditError
from docaudit.index.cpu import token_batches
from docaudit.index.embedder import Embedder, embedder_for
from docaudit.index.store import Index

TEXTS = [
    "Annual plan refunds are available for 14 days after renewal.",
    "Rotate the TLS certificates with the cert-manager job, never by hand.",
    "The on-call rotation lasts one week and hands over on Mondays. " * 20,  # longer than others: padding
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


BF16_HERE = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


@settings(deadline=None)  # a loaded CI machine is no reason to fail a pure function
@given(st.lists(st.integers(0, 600), max_size=300), st.integers(1, 4096), st.integers(1, 128))
def test_token_batches_hold_every_text_once_within_the_budget(lengths, budget, most):
    batches = token_batches(lengths, budget, most)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert 1 <= len(batch) <= most
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= budget
    flat = [lengths[i] for batch in batches for i in batch]
    assert flat == sorted(flat, reverse=True)  # longest first: a batch's texts are alike in length


@pytest.mark.slow
def test_batches_cut_by_tokens_give_the_vectors_of_fixed_batches_in_the_callers_order(embedder):
    texts = [f"Step {i}: drain the node. " * (1 + (i * 7) % 40) for i in range(90)]  # 10 to 400 tokens
    assert len(token_batches(Embedder._token_counts(embedder._load(), texts), 2048, 64)) > 2
    assert np.allclose(embedder.encode(texts), embedder.encode(texts, batch_size=64), atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend, floor",
    [
        pytest.param("torch-bf16", 0.99, marks=pytest.mark.skipif(not BF16_HERE, reason="no bf16 on this CPU")),
        ("onnx", 0.9999),
        ("onnx-int8", 0.9),
        pytest.param("openvino-bf16", 0.999, marks=pytest.mark.skipif(not BF16_HERE, reason="no bf16 on this CPU")),
    ],
)
def test_each_backend_is_close_to_the_reference_and_named_apart(backend, floor, embedder, onnx_cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(onnx_cache))
    other = embedder_for(Config(backend=backend))
    assert other.name == f"all-MiniLM-L6-v2+{backend}"
    reference, vectors = embedder.encode(TEXTS), other.encode(TEXTS)
    assert vectors.shape == reference.shape
    assert float((reference * vectors).sum(axis=1).min()) >= floor
    assert other.encode([]).shape[0] == 0  # nothing to embed is not an error
    # Each backend's own file, not any earlier case's: int8 adds its quantized model beside the plain export.
    own = {"onnx": "model.onnx", "onnx-int8": "model-int8-*.onnx", "openvino-bf16": "model.onnx"}.get(backend)
    assert own is None or list(onnx_cache.rglob(own)), sorted(p.name for p in onnx_cache.rglob("*"))


def test_bf16_on_a_cpu_without_bf16_instructions_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    expected = r"^backend torch-bf16: this CPU has neither AVX512-BF16 nor AMX, so bf16 would be slower; use backend = 'torch'$"
    with pytest.raises(DocauditError, match=expected):
        embedder_for(Config(backend="torch-bf16", device="cpu")).encode(["q"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    [
        "onnx-int8",
        pytest.param("torch-bf16", marks=pytest.mark.skipif(not BF16_HERE, reason="no bf16 on this CPU")),
        pytest.param("openvino-bf16", marks=pytest.mark.skipif(not BF16_HERE, reason="no bf16 on this CPU")),
    ],
)
def test_an_index_built_by_another_backend_records_it_and_refuses_the_reference(
    backend, sample_repo, sample_index, tmp_path, onnx_cache, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(onnx_cache))
    config = sample_config(tmp_path / "idx")
    config.backend = backend
    index = Index(config)
    crawl(index, "git", str(sample_repo), config)
    found = {(f.rule, f.doc.path) for f in audit(index, config, NOW).findings}
    reference = {(f.rule, f.doc.path) for f in audit(sample_index, sample_index.config, NOW).findings}
    assert ("rank-inversion", "billing/billing-spec-2021.md") in found & reference
    with pytest.raises(DocauditError, match=rf"built with model 'all-MiniLM-L6-v2\+{backend}', not 'all-MiniLM-L6-v2'"):
        audit(Index(sample_config(tmp_path / "idx"), sample_index.embedder), sample_config(tmp_path / "idx"), NOW)


def test_openvino_bf16_on_a_cpu_without_bf16_instructions_is_one_clear_line(tmp_path, monkeypatch):
    import openvino

    class WithoutBf16(openvino.Core):  # the CPU as OpenVINO reports it, without BF16 among its capabilities
        def get_property(self, device, name):
            found = super().get_property(device, name)
            return [c for c in found if c != "BF16"] if name == "OPTIMIZATION_CAPABILITIES" else found

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(openvino, "Core", WithoutBf16)
    expected = (
        r"^backend openvino-bf16: this CPU has neither AVX512-BF16 nor AMX, so bf16 would be slower; "
        r"use backend = 'onnx' or 'torch'$"
    )
    with pytest.raises(DocauditError, match=expected):
        embedder_for(Config(backend="openvino-bf16")).encode(["q"])
    assert not list(tmp_path.rglob("*.onnx"))


def test_without_the_openvino_package_the_backend_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "openvino", None)  # as if it were not installed
    with pytest.raises(
        DocauditError, match=r"^backend openvino-bf16 needs the openvino package: pip install openvino$"
    ):
        embedder_for(Config(backend="openvino-bf16")).encode(["q"])
    assert not list(tmp_path.rglob("*.onnx"))  # said before the export, which takes a while


def test_without_the_onnx_package_the_export_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with pytest.raises(DocauditError, match=r"^backend onnx needs the onnx package: pip install onnx$"):
        embedder_for(Config(backend="onnx")).encode(["q"])


@pytest.mark.slow
def test_encoding_in_worker_processes_gives_the_same_vectors(embedder):
    texts = [f"Page {i}: the deploy window is {i} minutes and the rollback takes {i % 7} steps." for i in range(140)]
    workers = embedder_for(Config(embed_processes=2, device="cpu"))
    vectors = workers.encode(texts)
    assert workers._pool is not None  # 140 texts: more than two batches, so the workers did it
    assert np.allclose(vectors, embedder.encode(texts), atol=1e-5)
