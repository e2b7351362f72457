"""One self-contained HTML page: summary, charts, the worst inversions side by side, filterable findings.

No CDN and no external file: the charts are inline SVG drawn here, the filters a few lines of
inline script. Every string that comes from a document goes through `html.escape`, links only
to http(s) and mailto URLs, and the script reads filter values, never markup.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape

from docaudit.records import Doc, Finding, safe_url
from docaudit.result import AuditResult

AGE_BUCKETS = ((90, "< 3 months"), (180, "3-6 months"), (365, "6-12 months"), (730, "1-2 years"), (10**9, "> 2 years"))
SEVERITY_COLOURS = {"error": "#b3261e", "warning": "#b26a00", "note": "#3c6e9f"}

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem}.muted{color:#666}.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;min-width:9rem}.card b{font-size:1.6rem;display:block}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1.5rem}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.4rem}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem;border:1px solid #eee;border-radius:8px;padding:.8rem;margin:.8rem 0}
.pair .old{background:#fdf0ef}.pair .new{background:#eef7ee}.pair>div{padding:.6rem;border-radius:6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;border-bottom:1px solid #eee;padding:.4rem;vertical-align:top}
.sev{font-weight:600}.filters{display:flex;gap:1rem;margin:1rem 0;flex-wrap:wrap}tr[hidden]{display:none}
"""

SCRIPT = """
(function () {
  var selects = document.querySelectorAll('select[data-filter]');
  function apply() {
    var want = {};
    selects.forEach(function (s) { want[s.dataset.filter] = s.value; });
    var shown = 0;
    document.querySelectorAll('#findings tbody tr').forEach(function (row) {
      var ok = Object.keys(want).every(function (k) { return !want[k] || row.dataset[k] === want[k]; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = String(shown);
  }
  var params = new URLSearchParams(location.hash.slice(1));
  selects.forEach(function (s) {
    var value = params.get(s.dataset.filter);
    if (value !== null) { s.value = value; }
    s.addEventListener('change', apply);
  });
  apply();
})();
"""


def render(result: AuditResult, now: datetime) -> str:
    findings = result.findings
    counts = Counter(f.severity.name for f in findings)
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>docaudit report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>docaudit report</h1>",
        f'<p class="muted">Generated {escape(now.date().isoformat())}: {len(result.docs)} docs, {len(result.probes)} probes.</p>',
        *(f'<p class="versions">Versions read: {escape(line)}</p>' for line in result.versions),
        '<section id="summary" class="cards">',
        *(
            f'<div class="card" data-severity="{s}"><b>{counts.get(s, 0)}</b>{s}s</div>'
            for s in ("error", "warning", "note")
        ),
        f'<div class="card" data-severity="acknowledged"><b>{len(result.acknowledged)}</b>acknowledged</div>',
        "</section>",
        '<section class="charts">',
        _bar_chart("age-chart", "Age of the docs retrieval returns", _ages(result, now)),
        _bar_chart("owner-chart", "Findings by owner", Counter(_owner(f.doc) for f in findings).most_common(10)),
        _bar_chart("source-chart", "Findings by source", sorted(Counter(f.doc.source for f in findings).items())),
        "</section>",
        _inversions(findings),
        _table(findings),
        _acknowledged(result),
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts)


def _owner(doc: Doc) -> str:
    return doc.owner.label() if doc.owner else "(no owner)"


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
            f'<g data-label="{escape(label)}" data-value="{n}"><text x="0" y="{y + 15}" font-size="12">{escape(_short(label))}</text>'
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
    """Chart labels fit beside their bars; the full label stays in data-label."""
    return label if len(label) <= width else label[: width - 1] + "…"


def _doc_card(doc: Doc, css: str, what: str) -> str:
    url = safe_url(doc.url)
    title = f'<a href="{escape(url)}">{escape(doc.title or doc.path)}</a>' if url else escape(doc.title or doc.path)
    edited = doc.last_modified.date().isoformat() if doc.last_modified else "unknown"
    return (
        f'<div class="{css}"><div class="muted">{escape(what)}</div><strong>{title}</strong>'
        f"<div>{escape(doc.source)}: {escape(doc.path)}</div><div>last edited <time>{escape(edited)}</time></div>"
        f"<div>owner: {escape(_owner(doc))}</div></div>"
    )


def _inversions(findings: list[Finding]) -> str:
    inversions = [f for f in findings if f.rule == "rank-inversion" and f.related]

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
            f'<div class="pair" data-rule="rank-inversion">{_doc_card(f.doc, "old", "outranks")}'
            f'{_doc_card(f.related[0], "new", "the current doc")}<div class="muted" style="grid-column:1/3">{question}</div></div>'
        )
    body = "".join(pairs) or "<p>None.</p>"
    return f'<section id="inversions"><h2>Worst rank inversions</h2>{body}</section>'


def _row(f: Finding) -> str:
    url = safe_url(f.doc.url)
    title = escape(f.doc.title or f.doc.path)
    doc = f'<a href="{escape(url)}">{title}</a>' if url else title
    colour = SEVERITY_COLOURS[f.severity.name]
    return (
        f'<tr data-rule="{escape(f.rule)}" data-owner="{escape(_owner(f.doc))}" data-source="{escape(f.doc.source)}">'
        f'<td class="sev" style="color:{colour}">{f.severity.name}</td><td>{escape(f.rule)}</td>'
        f'<td>{doc}<div class="muted">{escape(f.doc.source)}: {escape(f.doc.path)}</div></td>'
        f"<td>{escape(_owner(f.doc))}</td><td>{escape(f.message)}</td></tr>"
    )


def _options(name: str, label: str, values: set[str]) -> str:
    options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in sorted(values))
    return f'<label>{label} <select data-filter="{name}" id="filter-{name}"><option value="">all</option>{options}</select></label>'


def _table(findings: list[Finding]) -> str:
    filters = (
        _options("rule", "Rule", {f.rule for f in findings})
        + _options("owner", "Owner", {_owner(f.doc) for f in findings})
        + _options("source", "Source", {f.doc.source for f in findings})
    )
    rows = "".join(_row(f) for f in findings)
    return (
        f'<section><h2>Findings (<span id="shown">{len(findings)}</span> of {len(findings)} shown)</h2>'
        f'<div class="filters">{filters}</div><table id="findings"><thead><tr><th>severity</th><th>rule</th>'
        f"<th>doc</th><th>owner</th><th>why</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


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
