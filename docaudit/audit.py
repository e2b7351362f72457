"""What the CLI calls: crawl a source into the index, audit the index, gate a change to a docs repo."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import connectors
from connectors import git_history, gitrepo
from docaudit.currency.assess import assess
from docaudit.currency.verdict import Currency
from docaudit.index.duplicates import find_duplicates
from docaudit.index.store import CrawlStats, Index
from docaudit.owners import owners_for
from docaudit.probing.own import PROBE_BATCH, Variant, own_batches
from docaudit.probing.probes import asked_only, generate_probes, resolve_expectations
from docaudit.probing.ranking import Ranking
from docaudit.probing.retrievers import (
    BUILTIN,
    CollectionRetriever,
    Coverage,
    DocMapper,
    Outside,
    UserRetriever,
    coverage,
    hits_for,
)
from docaudit.rules import AuditInputs, evaluate
from docaudit.rules.conflicts import ConflictsSeen, collect_conflicts
from docaudit.rules.facts import FactBook

from .config import Config
from .errors import DocauditError
from .locate import find_line
from .records import Doc, Finding, Probe
from .result import AuditResult
from .suppress import Ack, suppressions

SEARCH_WINDOW = 50  # chunks fetched per probe: enough to say where a missing current doc ranked


def crawl(
    index: Index,
    kind: str,
    target: str,
    config: Config,
    progress: Any = None,
    full: bool = False,
    space: str | None = None,
) -> CrawlStats:
    """Crawl one source into the index; its cursor is saved only once everything is indexed.

    `space` names the source in the index (default: the connector's name for the target). A
    connector that can tell its targets apart (`owns_space`) never crawls over another target's
    docs that happen to share that name: it gets a space of its own instead.
    """
    connector = connectors.get(kind)  # an unknown kind fails here, before the index is touched
    with index.writing():
        existing = index.records()  # read once: a full read costs seconds at 50,000 docs
        if space is None:
            space = _space_of(connector, target)
            # Optional hooks, together: a connector whose space names can collide says so, and how to part them.
            owns, distinct = getattr(connector, "owns_space", None), getattr(connector, "distinct_space", None)
            if owns and distinct and not owns(target, index.cursor(kind, space), index.known(existing, kind, space)):
                space = distinct(target)
        known = index.known(existing, kind, space)
        state = connectors.CrawlState(
            cursor=index.cursor(kind, space),
            known=known,
            versions=index.versions(existing, kind, space),
            full=full,
            space=space,
        )
        stats = index.apply(connector.crawl(target, config, state), progress, existing, scope=f"{kind}:{space}")
        stats.seen += state.unchanged
        stats.unchanged += state.unchanged
        index.save_cursor(kind, space, state.next_cursor)
        stats.in_index = len(known) + stats.added - stats.removed
        stats.space = space
        stats.versions = (state.next_cursor or {}).get("versions", "")
        return stats


def _space_of(connector: Any, target: str) -> str:
    space_for = getattr(connector, "space_for", None)
    return space_for(target) if space_for else target


def audit(
    index: Index,
    config: Config,
    now: datetime,
    probes: list[Probe] | None = None,
    top_k: int | None = None,
    acks: Sequence[Ack] = (),
    progress: Any = None,
) -> AuditResult:
    """Probe the index and apply the rules. Generated probes stand in when none are given, and run
    beside real users' questions when only those are.

    Findings an in-document ignore or a live acknowledgement covers move to `suppressed`.
    """
    top_k = top_k or config.top_k
    docs, vectors = index.docs(with_vectors=True)
    if not docs:
        raise index.empty_error()
    currency = assess(docs, vectors, config, now)
    if probes is None or asked_only(probes):
        chosen = sorted(docs.values(), key=lambda d: d.key)
        if config.sample and len(chosen) > config.sample:  # spread evenly: every part of the workspace is seen
            step = len(chosen) / config.sample
            chosen = [chosen[int(i * step)] for i in range(config.sample)]
        probes = generate_probes(chosen, config.probes_per_doc) + (probes or [])
    expectations = resolve_expectations(probes, docs)
    duplicates = find_duplicates({k: d.minhash for k, d in docs.items()}, config.duplicate_similarity)
    runs = retrieval_runs(index, config, docs, probes, top_k, progress)
    by_fingerprint: dict[str, Finding] = {}
    holds: dict[str, list[str]] = {}
    first_rankings: list[Ranking] = []
    outside: dict[str, Outside] = {}
    book = FactBook()  # every passage parsed once per audit, whichever batch or retriever meets it again
    for name, batches, outside_of_run in runs:
        # Batch by batch: conflicts are collected while the passages are at hand, then the passages go,
        # so an audit of 150,000 probes holds one batch of chunk texts at a time.
        rankings: list[Ranking] = []
        seen: ConflictsSeen = defaultdict(dict)
        for batch in batches:
            verdicts = None
            if config.nli_model:
                from docaudit.rules.nli import NLI, candidate_pairs

                verdicts = NLI(config.nli_model).judge(candidate_pairs(batch))
            collect_conflicts(batch, docs, currency, seen, verdicts, config.nli_threshold, book)
            for ranking in batch:
                # What the rules still ask of a ranking: where its top-k docs' successors and its
                # expected docs rank. The rest of the 50-chunk window goes.
                successors = {s for k in ranking.in_top_k() if (s := currency[k].superseded_by)}
                keep = successors | set(expectations.get(ranking.probe.id, ()))
                rankings.append(ranking.without_passages(keep))
        first_rankings = first_rankings or rankings
        if outside_of_run is not None:
            outside[name] = outside_of_run
        inputs = AuditInputs(docs, currency, now, rankings, expectations, duplicates, config, conflicts_seen=seen)
        found = evaluate(inputs)
        for finding in found:
            by_fingerprint.setdefault(finding.fingerprint, finding)
            holds.setdefault(finding.fingerprint, []).append(name)
    names = [name for name, _, _ in runs]
    findings = list(by_fingerprint.values())
    if len(runs) > 1:  # which retrievers each finding holds under; robust findings first
        for finding in findings:
            finding.evidence["retrievers"] = holds[finding.fingerprint]
        findings.sort(key=lambda f: (-f.severity, -len(holds[f.fingerprint]), f.rule, f.doc.path or f.doc.id))
    why = suppressions(findings, acks, now)
    kept = [f for f in findings if f.fingerprint not in why]
    hidden = {"suppressed": len(why)} if why else {}
    acknowledged = [f for f in findings if f.fingerprint in why]
    return AuditResult(
        kept,
        docs,
        currency,
        probes,
        first_rankings,
        why,
        hidden,
        acknowledged,
        names,
        outside,
        index.site_versions(),
        owners_for(findings, config),
    )


def retrieval_runs(
    index: Index, config: Config, docs: dict[str, Doc], probes: list[Probe], top_k: int, progress: Any = None
) -> list[tuple[str, Iterator[list[Ranking]], Outside | None]]:
    """(retriever name, rankings batch by batch, passages from outside the sources) for each retrieval
    under audit. Batches are produced lazily, as the audit consumes them."""
    window = max(SEARCH_WINDOW, top_k * 5, config.retrieval.rerank_top_n)
    specs = list(config.retrieval.retrievers) or ([] if config.retrieval.collection else [BUILTIN])
    runs: list[tuple[str, Iterator[list[Ranking]], Outside | None]] = []
    shared: dict[str, Any] = {}  # one BM25 index and one reranker for every variant of docaudit's own
    chunk_texts = functools.cache(index.chunk_texts)  # every chunk read once, whatever maps passages to docs
    for spec in specs:
        variant = Variant.parse(spec, config)
        if variant is not None:
            batches = own_batches(index, probes, variant, window, top_k, config.min_score, progress, shared)
            runs.append((variant.label(spec), batches, None))
            continue
        mapper = DocMapper(docs, chunk_texts())
        retriever = UserRetriever(spec)
        # The user's own scores are on their own scale: their top-k is what their RAG passes on.
        runs.append(
            (spec, _mapped_batches(probes, _one_by_one(retriever, top_k), mapper, top_k, float("-inf")), mapper.outside)
        )
    if config.retrieval.collection:
        mapper = DocMapper(docs, chunk_texts())
        collection = _collection_under_audit(index, config)
        search = functools.partial(collection.retrieve_many, top_k=window)
        runs.append((collection.name, _mapped_batches(probes, search, mapper, top_k, config.min_score), mapper.outside))
    return runs


def _one_by_one(retriever: UserRetriever, top_k: int) -> Callable[[list[str]], list[list]]:
    return lambda queries: [retriever.retrieve(query, top_k) for query in queries]


def _mapped_batches(
    probes: list[Probe], retrieve: Callable[[list[str]], list[list]], mapper: DocMapper, top_k: int, min_score: float
) -> Iterator[list[Ranking]]:
    for start in range(0, len(probes), PROBE_BATCH):
        batch = probes[start : start + PROBE_BATCH]
        answers = retrieve([p.query for p in batch])
        yield [Ranking.from_hits(p, h, top_k, min_score) for p, h in zip(batch, hits_for(batch, answers, mapper))]


def gate(
    index: Index,
    root: str,
    config: Config,
    now: datetime,
    probes: list[Probe] | None = None,
    top_k: int | None = None,
    acks: Sequence[Ack] = (),
    baseline: set[str] | None = None,
    changed_since: str | None = None,
    progress: Any = None,
) -> AuditResult:
    """Incremental crawl of a docs repo, audit against the whole corpus, keep what should fail a change.

    Findings point at their file relative to the repository (for SARIF and annotations) and at
    the line of the offending text.
    """
    root_path = Path(root).resolve()
    changed = _changed_files(root_path, changed_since) if changed_since else None  # a bad ref fails before the work
    stats = crawl(index, "git", root, config, progress)
    result = audit(index, config, now, probes, top_k, acks, progress)
    prefix = _repo_prefix(root_path)
    own_space = stats.space
    for finding in result.findings:
        doc = finding.doc
        if doc.source == "git" and doc.space == own_space:
            finding.file = prefix + doc.path
            try:
                finding.line = find_line((root_path / doc.path).read_text(encoding="utf-8-sig"), finding)
            except (OSError, UnicodeDecodeError):
                finding.line = None
    kept = result.findings
    if baseline is not None:
        before = len(kept)
        kept = [f for f in kept if f.fingerprint not in baseline]
        result.hidden["in the baseline"] = before - len(kept)
    if changed is not None:
        before = len(kept)
        kept = [f for f in kept if {d.path for d in [f.doc, *f.related] if d.space == own_space} & changed]
        result.hidden[f"not touching files changed since {changed_since}"] = before - len(kept)
    result.findings = kept
    return result


def _repo_prefix(root: Path) -> str:
    out = gitrepo.run_git(root, "rev-parse", "--show-prefix")
    return out.stdout.strip() if out.returncode == 0 else ""


def _changed_files(root: Path, ref: str) -> set[str]:
    """Files changed since REF (committed or not), relative to root; untracked files count as changed."""
    if git_history.git_toplevel(root) is None:
        raise DocauditError(
            f"--changed-since {ref}: {root} is not in a git repository, so nothing can be changed since {ref}"
        )
    diff = gitrepo.run_git(root, "diff", "--name-only", "--relative", ref, "--", ".")
    if diff.returncode != 0:
        problem = diff.stderr.strip().splitlines()[0] if diff.stderr.strip() else "git diff failed"
        raise DocauditError(f"--changed-since {ref}: {problem}")
    untracked = gitrepo.run_git(root, "ls-files", "--others", "--exclude-standard", "--", ".")
    return (set(diff.stdout.split("\n")) | set(untracked.stdout.split("\n"))) - {""}


def _collection_under_audit(index: Index, config: Config) -> CollectionRetriever:
    """`[retrieval] collection`, probed with the production embedding `[retrieval]` names (the index's)."""
    return CollectionRetriever(index.client(), config.retrieval.collection, index.embedder.encode)


def collection_coverage(index: Index, config: Config, docs: dict[str, Doc]) -> Coverage:
    """How many chunks of the collection under audit map to crawled docs, and which crawled docs it lacks."""
    return coverage(_collection_under_audit(index, config), DocMapper(docs, index.chunk_texts()))


def docs_overview(index: Index, config: Config, now: datetime) -> tuple[dict[str, Doc], dict[str, Currency]]:
    docs, vectors = index.docs(with_vectors=True)
    return docs, assess(docs, vectors, config, now)
