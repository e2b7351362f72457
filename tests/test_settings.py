"""Settings shown by their effect on an audit of the sample, each written in TOML as a user writes it."""

from pathlib import Path

from conftest import NOW
from test_nli import tiny_cross_encoder

from docaudit.audit import audit
from docaudit.config import load_config
from docaudit.index.store import Index
from docaudit.probing.probes import load_probes_yaml

PROBES = load_probes_yaml(Path(__file__).resolve().parent.parent / "fixtures" / "probes.yaml")
SPEC = "billing/billing-spec-2021.md"  # the 2021 spec the Q3 2026 migration doc replaces


def audited(sample_index: Index, tmp_path: Path, toml: str):
    """The sample's audit under the sample's settings plus these (the shared index is only read)."""
    path = tmp_path / "docaudit.toml"
    base = f'index = "{sample_index.config.index}"\nmax_age_days = 365\n'
    path.write_text(base + toml + '\n[age_policy]\n"runbooks/" = 180\n')
    config = load_config(str(path))
    return audit(Index(config, sample_index.embedder), config, NOW, PROBES)


def findings(result) -> list[tuple[str, str]]:
    return sorted((f.rule, f.doc.path) for f in result.findings)


def status(result, path: str) -> str:
    return next(result.currency[key].status for key, doc in result.docs.items() if doc.path == path)


def test_topic_similarity_decides_which_versions_share_a_topic(sample_index, tmp_path):
    plain = audited(sample_index, tmp_path, "")
    strict = audited(sample_index, tmp_path, "topic_similarity = 0.99")
    assert (status(plain, SPEC), status(strict, SPEC)) == ("superseded", "aging")
    assert ("rank-inversion", SPEC) in findings(plain) and ("rank-inversion", SPEC) not in findings(strict)
    assert ("stale-surfaces", SPEC) in findings(strict)  # still old, no longer replaced


def test_a_dated_series_is_never_superseded(sample_index, tmp_path):
    plain = audited(sample_index, tmp_path, "")
    series = audited(sample_index, tmp_path, 'series = ["billing/**"]')
    assert (status(plain, SPEC), status(series, SPEC)) == ("superseded", "current")
    assert ("rank-inversion", SPEC) in findings(plain) and ("rank-inversion", SPEC) not in findings(series)


def test_hybrid_weights_of_zero_leave_one_ranking(sample_index, tmp_path):
    """With min_score 0 (hybrid fuses ranks, so the similarity floor cannot apply to it), hybrid with
    one weight at 0 finds what the other mode alone finds."""
    floor = "min_score = 0.0\n[retrieval]\n"
    dense = audited(sample_index, tmp_path, floor + 'mode = "dense"')
    bm25 = audited(sample_index, tmp_path, floor + 'mode = "bm25"')
    assert findings(dense) != findings(bm25)  # the oracle can tell them apart
    no_bm25 = audited(sample_index, tmp_path, floor + 'mode = "hybrid"\n' + "bm25_weight = 0.0")
    no_dense = audited(sample_index, tmp_path, floor + 'mode = "hybrid"\n' + "dense_weight = 0.0")
    assert (findings(no_bm25), findings(no_dense)) == (findings(dense), findings(bm25))


def test_nli_inside_the_audit_and_its_threshold(sample_index, tmp_path):
    """An NLI model that calls every pair a contradiction (p = 0.995) adds statement conflicts; a
    threshold above its confidence makes its verdicts count for nothing."""
    model = tiny_cross_encoder(tmp_path / "nli", "contradiction")
    plain = audited(sample_index, tmp_path, "")
    judged = audited(sample_index, tmp_path, f'nli_model = "{model}"')
    doubted = audited(sample_index, tmp_path, f'nli_model = "{model}"\n' + "nli_threshold = 0.999")
    statements = [
        f
        for f in judged.findings
        if f.rule == "conflict" and any(fact["kind"] == "statement" for fact in f.evidence["facts"])
    ]
    assert statements and all(fact["nli"]["label"] == "contradiction" for fact in statements[0].evidence["facts"])
    assert findings(doubted) == findings(plain) != findings(judged)
