"""Faster CPU backends: the sentence-transformers model exported to ONNX (torch.onnx.export) and run by
onnxruntime (which chromadb already brings) as `onnx`, or quantized to int8 weights by onnxruntime's
dynamic quantization as `onnx-int8`; or the same exported file run by OpenVINO with bf16 inference
precision as `openvino-bf16`, on CPUs with bf16 instructions. The export needs the `onnx` package and
OpenVINO its own; without one, the backend says which to install.

It never stands in for the reference silently: it is chosen with `backend`, its name goes into the
index (which then refuses to be searched with another), and bench/backends.py measures its speed and
its top-10 overlap with the reference before anyone should trust it. Only mean-pooling models
(all-MiniLM-L6-v2 and most sentence-transformers models) are exported; others are refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docaudit.errors import DocauditError

from .cpu import CPU_MOST_PER_BATCH, CPU_TOKENS_PER_BATCH, NO_BF16_CPU, bf16_refused, token_batches

if TYPE_CHECKING:
    import numpy as np

# How int8 weights are made: per output channel, MatMul weights only, the feed-forward output in fp32.
# Part of the cached file's name, so a changed recipe is exported again.
INT8_RECIPE = "pc-matmul-ffn32"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docaudit" / "onnx"


class OnnxEmbedder:
    """The model at `path` run by onnxruntime or OpenVINO: the same tokenizer, truncation, mean pooling and
    normalisation as sentence-transformers, exported once and cached by the model's own files."""

    def __init__(self, path: str, name: str, kind: str) -> None:
        self.path = Path(path)
        self.kind = kind  # onnx | onnx-int8 | openvino-bf16
        self.name = f"{name}+{self.kind}"
        self._run: Any = None  # model inputs -> last hidden states
        self._tokenizer: Any = None
        self._max_length = 256

    def _load(self) -> None:
        if self._run is not None:
            return
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        _check_pooling(self.path)
        settings = self.path / "sentence_bert_config.json"
        if settings.is_file():
            self._max_length = int(json.loads(settings.read_text()).get("max_seq_length") or 256)
        self._tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        if self.kind == "openvino-bf16":
            self._run = _openvino_bf16(_openvino_core(), self._exported())
        else:
            self._run = _onnxruntime(self._exported())

    def _exported(self) -> Path:
        # openvino-bf16 runs the plain export: bf16 is OpenVINO's inference precision, not the file's
        folder = cache_root() / _fingerprint(self.path)
        target = folder / (f"model-int8-{INT8_RECIPE}.onnx" if self.kind == "onnx-int8" else "model.onnx")
        if target.is_file():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        plain = folder / "model.onnx"
        if not plain.is_file():
            _export(self.path, plain)
        if self.kind == "onnx-int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            with tempfile.NamedTemporaryFile(dir=folder, suffix=".onnx", delete=False) as partial:
                pass
            with _quietly():
                quantize_dynamic(
                    str(plain),
                    partial.name,
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    op_types_to_quantize=["MatMul"],
                    nodes_to_exclude=_ffn_outputs(plain),
                )
            os.replace(partial.name, target)  # another process may be exporting too: the last rename wins
        return target

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        import numpy as np

        self._load()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        # Tokenized once: each batch is padded here rather than tokenized again (4% of the time in bf16).
        encoded = self._tokenizer(texts, truncation=True, max_length=self._max_length)
        lengths = [len(row) for row in encoded["input_ids"]]
        budget = len(texts) * self._max_length if batch_size else CPU_TOKENS_PER_BATCH  # a size asked for is kept
        batches = token_batches(lengths, budget, batch_size or CPU_MOST_PER_BATCH)
        pad = {"input_ids": self._tokenizer.pad_token_id or 0, "token_type_ids": self._tokenizer.pad_token_type_id}
        out: np.ndarray | None = None
        for chosen in batches:
            width = max(lengths[i] for i in chosen)
            features = {}
            for name, rows in encoded.items():
                array = np.full((len(chosen), width), pad.get(name, 0), dtype=np.int64)
                for row, i in enumerate(chosen):
                    array[row, : lengths[i]] = rows[i]
                features[name] = array
            hidden = self._run(features)
            mask = features["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            out[chosen] = pooled  # back in the caller's order
        assert out is not None  # texts is not empty
        return out


def _onnxruntime(model_file: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.log_severity_level = 3  # warnings about unused initializers are not the user's business
    session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return lambda features: session.run(None, {n: features[n] for n in names})[0]


def _openvino_core() -> Any:
    """OpenVINO, where it can run bf16; checked before the export, which takes a while. Refused where
    the CPU would emulate bf16, as for torch-bf16. Only the runtime is used: OpenVINO's telemetry
    belongs to its conversion tools, which this does not call."""
    try:
        import openvino
    except ImportError:
        raise DocauditError("backend openvino-bf16 needs the openvino package: pip install openvino") from None
    core = openvino.Core()
    if "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        raise bf16_refused("openvino-bf16", NO_BF16_CPU, "'onnx' or 'torch'")
    return core


def _openvino_bf16(core: Any, model_file: Path) -> Any:
    """OpenVINO's CPU plugin in bf16: its vectors keep a cosine of 0.9999 or more to the reference's
    here (torch autocast's bf16: 0.99), at 1.7x to 2.25x the reference's speed in four runs of bench/backends.py."""
    # LATENCY: one stream using every core, as encode sends one batch at a time. THROUGHPUT (a stream
    # per core) was half as fast on 2 cores.
    compiled = core.compile_model(
        core.read_model(str(model_file)), "CPU", {"INFERENCE_PRECISION_HINT": "bf16", "PERFORMANCE_HINT": "LATENCY"}
    )
    request = compiled.create_infer_request()
    names = [i.any_name for i in compiled.inputs]
    return lambda features: request.infer({n: features[n] for n in names})[0]


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """The exporter's tracer warnings and the quantizer's advice are for their authors, not our users:
    bench/backends.py checks the result against the reference instead."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def _ffn_outputs(model_file: Path) -> list[str]:
    """The feed-forward output projections: their inputs (after GELU) have the outliers int8 loses most
    on. Kept in fp32, top-10 overlap with the reference rose from 0.89 to 0.92 on vitess (bench/backends.py)."""
    import onnx

    graph = onnx.load(str(model_file), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and re.search(r"layer\.\d+/output/dense/", n.name)]


def _fingerprint(path: Path) -> str:
    """The exported file belongs to these weights: a changed model is exported again."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"):
        file = path / name
        if file.is_file():
            stat = file.stat()
            digest.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    digest.update(str(path.resolve()).encode())
    return digest.hexdigest()[:16]


def _check_pooling(path: Path) -> None:
    pooling = path / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
        raise DocauditError(f"backend onnx: the model at {path} does not pool by mean; use backend = 'torch'")


def _export(path: Path, target: Path) -> None:
    try:
        import onnx  # noqa: F401 - torch.onnx.export writes through it
    except ImportError:
        raise DocauditError("backend onnx needs the onnx package: pip install onnx") from None
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModel.from_pretrained(str(path)).eval()
    sample = tokenizer(
        ["an example sentence", "and another one, longer than the first"], padding=True, return_tensors="pt"
    )
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: Any) -> Any:
            return self.model(**dict(zip(names, args))).last_hidden_state

    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".onnx", delete=False) as partial:
        pass
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]}
    with torch.no_grad(), _quietly():
        torch.onnx.export(
            Hidden(),
            tuple(sample[n] for n in names),
            partial.name,
            input_names=names,
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: the dynamo one needs onnxscript as well
        )
    os.replace(partial.name, target)
