"""What embedding on a CPU needs to know, shared by the torch and ONNX backends: how texts are batched
by tokens, and how a bf16 backend refuses hardware without bf16 instructions."""

from __future__ import annotations

from docaudit.errors import DocauditError

# Padded tokens per batch on a CPU, texts sorted by their token counts (not characters: code and tables
# have more tokens per character). On vitess, against fixed batches of 64: chunks 1.4x faster, probes
# 1.2-1.3x, the same vectors; budgets of 1,024 and 8,192 tokens, or 128 texts a batch, were slower.
CPU_TOKENS_PER_BATCH = 4096
CPU_MOST_PER_BATCH = 64


def token_batches(lengths: list[int], budget: int, most: int) -> list[list[int]]:
    """Positions grouped longest first into batches whose padded size (count x longest) stays within
    `budget` tokens, at most `most` texts each, and at least one: long texts go a few at a time, short ones
    many at a time. Every position appears once."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches = []
    start = 0
    while start < len(order):
        size = max(1, min(most, budget // max(1, lengths[order[start]])))
        batches.append(order[start : start + size])
        start += size
    return batches


NO_BF16_CPU = "this CPU has neither AVX512-BF16 nor AMX"


def bf16_refused(backend: str, hardware: str, instead: str) -> DocauditError:
    """bf16 without the instructions for it is emulated, slower than the reference: one line for every
    bf16 backend that refuses to run."""
    return DocauditError(f"backend {backend}: {hardware}, so bf16 would be slower; use backend = {instead}")
