"""One self-contained HTML page: what to fix first, charts, the worst inversions side by side, and every
doc with findings (`html_docs`).

No CDN and no external file: the charts are inline SVG drawn here, sorting and filters a few lines of
inline script. Every string that comes from a document goes through `html.escape`, links only
to http(s) and mailto URLs, and the script reads filter values, never markup. Readable from 420 px up.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape

from docaudit.records import Doc, Finding
from docaudit.result import AuditResult

from .html_docs import SCRIPT, doc_link, fix_first, table

AGE_BUCKETS = ((90, "< 3 months"), (180, "3-6 months"), (365, "6-12 months"), (730, "1-2 years"), (10**9, "> 2 years"))

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem}.muted{color:#666}.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;min-width:9rem}.card b{font-size:1.6rem;display:block}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1.5rem}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.4rem}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem;border:1px solid #eee;border-radius:8px;padding:.8rem;margin:.8rem 0}
.pair .old{background:#fdf0ef}.pair .new{background:#eef7ee}.pair>div{padding:.6rem;border-radius:6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;border-bottom:1px solid #eee;padding:.4rem;vertical-align:top}
th button{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer}
th button[aria-sort=descending]::after{content:" \\25BC"}th button[aria-sort=ascending]::after{content:" \\25B2"}
.sev{font-weight:600}.filters{display:flex;gap:.6rem 1rem;margin:1rem 0;flex-wrap:wrap}tr[hidden],[hidden]{display:none}
.action{font-weight:600}.small{font-size:.85em}.where{overflow-wrap:anywhere}ul.found{margin:.3rem 0 0;padding-left:1.1rem}
ol.first li{margin:.2rem 0 .9rem}code{font-size:.9em}a{overflow-wrap:anywhere}
@media (max-width:40rem){body{margin:1rem auto}.pair{grid-template-columns:1fr}.pair .muted[style]{grid-column:auto!important}
#findings thead{display:none}#findings tr{display:block;border-bottom:2px solid #ddd;padding:.4rem 0}
#findings td{display:block;border:0;padding:.15rem 0}#findings td[data-label=risk]::before{content:"risk "}
.charts{grid-template-columns:1fr}.card{min-width:6rem}}
"""


def render(result: AuditResult, now: datetime) -> str:
    findings = result.findings
    counts = Counter(f.severity.name for f in findings)
    fixes = result.fixes()
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>docaudit report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>docaudit report</h1>",
        f'<p class="muted">Generated {escape(now.date().isoformat())}: {len(result.docs)} docs, {result.probe_total} probes.</p>',
        *(f'<p class="versions">Versions read: {escape(line)}</p>' for line in result.versions),
        '<section id="summary" class="cards">',
        *(
            f'<div class="card" data-severity="{s}"><b>{counts.get(s, 0)}</b>{s}s</div>'
            for s in ("error", "warning", "note")
        ),
        f'<div class="card" data-severity="acknowledged"><b>{len(result.acknowledged)}</b>acknowledged</div>',
        f'<div class="card" data-severity="docs"><b>{len(fixes)}</b>docs to fix</div>',
        "</section>",
        fix_first(result, fixes),
        '<section class="charts">',
        _bar_chart("age-chart", "Age of the docs retrieval returns", _ages(result, now)),
        _bar_chart(
            "owner-chart", "Docs to fix, by owner", Counter(result.owner(x.doc) for x, _ in fixes).most_common(10)
        ),
        _bar_chart("source-chart", "Docs to fix, by source", sorted(Counter(x.doc.source for x, _ in fixes).items())),
        "</section>",
        _inversions(result),
        table(result, fixes),
        _acknowledged(result),
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts)


def _ages(result: AuditResult, now: datetime) -> list[tuple[str, int]]:
    """How old the docs are that some probe puts in the top-k: what a RAG answer is built from."""
    exposure = result.exposure()
    counts = dict.fromkeys((label for _, label in AGE_BUCKETS), 0)
    for key, doc in result.docs.items():
        if exposure.get(key) and doc.last_modified:
            age = (now - doc.last_modified).days
            counts[next(label for limit, label in AGE_BUCKETS if age < limit)] += 1
    return list(counts.items())


def _bar_chart(chart_id: str, caption: str, rows: list[tuple[str, int]]) -> str:
    width, bar, gap, label_width = 460, 22, 6, 200
    top = max((n for _, n in rows), default=0) or 1
    height = max(len(rows), 1) * (bar + gap)
    shapes = []
    for i, (label, n) in enumerate(rows):
        y = i * (bar + gap)
        length = (width - label_width - 40) * n / top
        shapes.append(
            f'<g data-label="{escape(label)}" data-value="{n}"><title>{escape(label)}</title>'
            f'<text x="0" y="{y + 15}" font-size="12">{escape(_short(label))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar}" fill="#3c6e9f"></rect>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 15}" font-size="12">{n}</text></g>'
        )
    if not rows:
        shapes.append('<text x="0" y="15" font-size="12">nothing to show</text>')
    return (
        f'<figure id="{chart_id}"><figcaption>{escape(caption)}</figcaption>'
        f'<svg role="img" aria-label="{escape(caption)}" width="100%" viewBox="0 0 {width} {height}">'
        f"{''.join(shapes)}</svg></figure>"
    )


def _short(label: str, width: int = 28) -> str:
    """Chart labels fit beside their bars: a person by name ("Ana <ana@x>" -> "Ana"); the full label
    stays in data-label and the tooltip."""
    name, _, rest = label.partition(" <")
    label = name if rest and name else label
    return label if len(label) <= width else label[: width - 1] + "…"


def _doc_card(result: AuditResult, doc: Doc, css: str, what: str) -> str:
    edited = doc.last_modified.date().isoformat() if doc.last_modified else "unknown"
    return (
        f'<div class="{css}"><div class="muted">{escape(what)}</div><strong>{doc_link(doc)}</strong>'
        f'<div class="where">{escape(doc.source)}: {escape(doc.path)}</div><div>last edited <time>{escape(edited)}</time></div>'
        f"<div>owner: {escape(result.owner(doc))}</div></div>"
    )


def _inversions(result: AuditResult) -> str:
    inversions = [f for f in result.findings if f.rule == "rank-inversion" and f.related]

    def gap(f: Finding) -> int:
        probes = f.evidence.get("probes") or [{}]
        return max((p.get("current_rank") or 99) - (p.get("rank") or 0) for p in probes)

    pairs = []
    for f in sorted(inversions, key=gap, reverse=True)[:5]:
        probe = (f.evidence.get("probes") or [{}])[0]
        question = (
            f'"{escape(str(probe.get("query", "")))}": ranks {probe.get("rank")} against {probe.get("current_rank")}'
        )
        pairs.append(
            f'<div class="pair" data-rule="rank-inversion">{_doc_card(result, f.doc, "old", "outranks")}'
            f'{_doc_card(result, f.related[0], "new", "the current doc")}<div class="muted" style="grid-column:1/3">{question}</div></div>'
        )
    body = "".join(pairs) or "<p>None.</p>"
    return f'<section id="inversions"><h2>Worst rank inversions</h2>{body}</section>'


def _acknowledged(result: AuditResult) -> str:
    if not result.acknowledged:
        return ""
    rows = "".join(
        f"<tr><td>{escape(f.rule)}</td><td>{escape(f.doc.title or f.doc.path)}</td>"
        f"<td>{escape(result.suppressed.get(f.fingerprint, ''))}</td></tr>"
        for f in result.acknowledged
    )
    return (
        '<section id="acknowledged"><h2>Acknowledged</h2><table><thead><tr><th>rule</th><th>doc</th><th>why</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )
