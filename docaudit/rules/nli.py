"""Optional natural-language inference: a sentence-transformers CrossEncoder that confirms or finds
contradictions sentence by sentence. Off unless `nli_model` names a model folder; nothing is downloaded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docaudit.errors import DocauditError
from docaudit.probing.ranking import Ranking

from .facts import _words, sentences

MIN_OVERLAP = 0.3  # sentences sharing less than this are about different things: not worth a model call
MAX_PAIRS = 2000  # per audit, so a huge probe set cannot turn the audit into an NLI batch job


def candidate_pairs(rankings: Sequence[Ranking]) -> list[tuple[str, str]]:
    """Sentence pairs from passages of different docs that retrieval returns together, about the same thing."""
    pairs: dict[tuple[str, str], None] = {}
    for ranking in rankings:
        passages = ranking.passages
        for i, (key_a, text_a) in enumerate(passages):
            for key_b, text_b in passages[i + 1 :]:
                if key_a == key_b:
                    continue
                (_, first), (_, second) = sorted([(key_a, text_a), (key_b, text_b)])
                for a in sentences(first):
                    words_a = _words(a)
                    for b in sentences(second):
                        words_b = _words(b)
                        if words_a and words_b and len(words_a & words_b) / len(words_a | words_b) >= MIN_OVERLAP:
                            pairs[(a, b)] = None
    return list(pairs)[:MAX_PAIRS]


class NLI:
    def __init__(self, path: str):
        self.path = path
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from docaudit.index.embedder import load_cross_encoder

            self._model = load_cross_encoder(self.path, "cpu", "nli_model")
            labels = {str(v).lower() for v in self._model.model.config.id2label.values()}
            if "contradiction" not in labels:
                raise DocauditError(f"nli_model '{self.path}' has no 'contradiction' label (labels: {sorted(labels)})")
        return self._model

    def judge(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, float]]:
        """(sentence a, sentence b) -> (label, probability)."""
        if not pairs:
            return {}
        model = self._load()
        id2label = model.model.config.id2label
        scores = model.predict(list(pairs), apply_softmax=True, show_progress_bar=False)
        verdicts = {}
        for pair, row in zip(pairs, scores):
            best = int(row.argmax())
            verdicts[pair] = (str(id2label[best]).lower(), round(float(row[best]), 3))
        return verdicts
