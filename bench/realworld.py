"""docaudit on real docs sites, as a new user runs it: no configuration, generated probes.

    python bench/realworld.py [--corpus vitess] [--report old.json] [--retriever docaudit:hybrid ...]

Builds the corpus's git repo from ../shared/corpora/<name>-docs (its build_repo.py replays each file's
real last commit: dates, authors, subjects), crawls it into build/realworld/<name>-index (kept
between runs; unchanged docs are not embedded again), audits it as of the day after its newest
commit, and prints findings per rule and in total. Then it scores them against
bench/labels/<name>.yaml, written by reading the pages:

- each finding is split into the items a person judges: one per page of a grouped finding
  (a version folder's inversions, a folder of unowned docs), one per pair of copies;
- precision per rule = items labelled right / items labelled (right or wrong); unlabelled items
  are counted and listed, never guessed;
- recall = the pages the labels say a user wants caught that some finding names;
- two checks from the site's own statement of its versions: no finding makes a preview
  (development) version a successor, and no page of the current version is flagged.

`--report FILE` scores a JSON report written earlier (e.g. by an older docaudit) instead of
auditing, so that before and after are scored by the same labels. `--retriever` (repeatable: `docaudit`,
`docaudit:bm25`, `docaudit:hybrid`, `docaudit:hybrid+rerank` with `--reranker FOLDER`, or your own
`file.py:NAME`) audits under each and scores the findings each one produces, then how many hold under all.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "corpora"
BUILD = ROOT / "build" / "realworld"
LABELS = ROOT / "bench" / "labels"
ITEM_RULES_STALE = {"rank-inversion", "deprecated-surfaces", "stale-surfaces"}
CORPORA = {"vitess": "vitess-docs", "jest": "jest-docs"}  # label file name -> folder of ../shared/corpora


def build_repo(name: str) -> Path:
    repo = BUILD / name
    if not (repo / ".git").is_dir():
        repo.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(SHARED / CORPORA[name] / "build_repo.py"), str(repo)], check=True)
    return repo


def newest_commit(repo: Path) -> datetime:
    out = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%ct"], capture_output=True, text=True)
    return datetime.fromtimestamp(int(out.stdout.strip()), tz=timezone.utc)


def run_audit(name: str, retrievers: list[str] | None = None, reranker: str = "") -> dict:
    from docaudit.audit import audit, crawl
    from docaudit.config import Config
    from docaudit.index.store import Index
    from docaudit.reports.json_report import build

    repo = build_repo(name)
    config = Config(index=str(BUILD / f"{name}-index"))  # no docaudit.toml: a first run
    config.retrieval.retrievers = list(retrievers or [])
    config.retrieval.reranker = reranker
    index = Index(config)
    started = time.perf_counter()
    stats = crawl(index, "git", str(repo), config)
    crawled = time.perf_counter() - started
    now = newest_commit(repo) + timedelta(days=1)
    started = time.perf_counter()
    result = audit(index, config, now)
    audited = time.perf_counter() - started
    print(
        f"{name}: {stats.seen} docs crawled in {crawled:.1f} s ({stats.chunks_embedded} chunks embedded), "
        f"audited as of {now.date()} in {audited:.1f} s with {len(result.probes)} generated probes"
    )
    return build(result, now)


def items(finding: dict) -> list[tuple[str, str, str]]:
    """(rule, doc path, related path) for each thing a person would judge in a finding."""
    rule, doc = finding["rule"], finding["doc"]["path"]
    evidence = finding.get("evidence") or {}
    if rule == "rank-inversion" and "pages" in evidence:
        return [(rule, page["doc"], page["current"]) for page in evidence["pages"]]
    if rule == "missing-owner" and "docs" in evidence:
        return [(rule, path, "") for path in evidence["docs"]]
    if finding["related"]:
        return [(rule, doc, related["path"]) for related in finding["related"]]
    return [(rule, doc, "")]


def judge(labels: dict, findings: list[dict]) -> tuple[int, int, int, int]:
    """(items right, wrong, unlabelled, stale pages caught) for some findings."""
    judged = {(x["rule"], x["doc"], x.get("related", "")): x for x in labels["findings"]}
    tally = Counter()
    for item in [item for f in findings for item in items(f)]:
        label = judged.get(item) or judged.get((item[0], item[1], ""))
        tally["unlabelled" if label is None else "right" if label["right"] else "wrong"] += 1
    flagged = {doc for f in findings for rule, doc, _ in items(f) if rule in ITEM_RULES_STALE}
    caught = sum(1 for page in labels["stale_pages"] if page["doc"] in flagged)
    return tally["right"], tally["wrong"], tally["unlabelled"], caught


def per_retriever(name: str, alone: dict[str, dict], together: dict) -> None:
    """Each retriever audited alone (its own grouped findings, its own pages), then how many of the
    findings of one audit under all of them hold under every one."""
    labels = yaml.safe_load((LABELS / f"{name}.yaml").read_text())
    wanted = len(labels["stale_pages"])
    for retriever, report in alone.items():
        right, wrong, unlabelled, caught = judge(labels, report["findings"])
        print(
            f"  {retriever} alone: {len(report['findings'])} findings, items {right} right / {wrong} wrong / "
            f"{unlabelled} unlabelled, stale pages caught {caught}/{wanted}"
        )
    robust = [f for f in together["findings"] if len(f["evidence"].get("retrievers", [])) == len(alone)]
    print(f"  held under all {len(alone)}: {len(robust)} of {len(together['findings'])} findings")


def score(name: str, report: dict) -> None:
    labels = yaml.safe_load((LABELS / f"{name}.yaml").read_text())
    judged = {(x["rule"], x["doc"], x.get("related", "")): x for x in labels["findings"]}
    by_rule = Counter(f["rule"] for f in report["findings"])
    print(f"findings: {len(report['findings'])} in total; " + ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())))
    all_items = [item for f in report["findings"] for item in items(f)]
    print(f"items judged by a person (pages of grouped findings, pairs of copies): {len(all_items)}")
    right: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    unlabelled: Counter[str] = Counter()
    mistakes = []
    for item in all_items:
        label = judged.get(item) or judged.get((item[0], item[1], ""))
        if label is None:
            unlabelled[item[0]] += 1
        elif label["right"]:
            right[item[0]] += 1
        else:
            wrong[item[0]] += 1
            mistakes.append((item, label["why"]))
    for rule in sorted(set(right) | set(wrong) | set(unlabelled)):
        labelled = right[rule] + wrong[rule]
        precision = f"{right[rule] / labelled:.2f}" if labelled else "n/a"
        print(
            f"  {rule:20s} precision {precision} ({right[rule]} right, {wrong[rule]} wrong, "
            f"{unlabelled[rule]} unlabelled)  target >= 0.90"
        )
    for (rule, doc, related), why in mistakes[:12]:
        print(f"    wrong: {rule} {doc}" + (f" -> {related}" if related else "") + f": {why}")
    if len(mistakes) > 12:
        print(f"    ... and {len(mistakes) - 12} more wrong items")
    flagged = {doc for rule, doc, _ in all_items if rule in ITEM_RULES_STALE}
    wanted = labels["stale_pages"]
    caught = [p for p in wanted if p["doc"] in flagged]
    print(
        f"recall of the stale pages a user wants caught: {len(caught)}/{len(wanted)} = {len(caught) / len(wanted):.2f}"
    )
    for page in wanted:
        if page["doc"] not in flagged:
            print(f"    missed: {page['doc']}: {page['why']}")
    previews = tuple(labels.get("preview_prefixes", []))
    current = tuple(labels.get("current_prefixes", []))
    preview_successors = [i for i in all_items if i[2].startswith(previews) and previews]
    current_flagged = [i for i in all_items if i[0] in ITEM_RULES_STALE and i[1].startswith(current) and current]
    print(f"findings that make a preview version a successor: {len(preview_successors)}  target 0")
    print(f"current-version pages flagged stale or superseded: {len(current_flagged)}  target 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="vitess", choices=sorted(CORPORA), help="which real corpus")
    parser.add_argument("--report", help="score this JSON report instead of auditing")
    parser.add_argument("--retriever", action="append", default=[], help="audit under this retriever (repeat)")
    parser.add_argument("--reranker", default="", help="a CrossEncoder folder for the +rerank variants")
    args = parser.parse_args()
    if args.report:
        report = json.loads(Path(args.report).read_text())
    else:
        report = run_audit(args.corpus, args.retriever, args.reranker)
    score(args.corpus, report)
    if len(args.retriever) > 1:
        alone = {spec: run_audit(args.corpus, [spec], args.reranker) for spec in args.retriever}
        per_retriever(args.corpus, alone, report)


if __name__ == "__main__":
    main()
