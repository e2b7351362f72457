"""The report's two lists of docs: the ten to fix first, and every doc with findings, one row each,
its findings folded in, sortable, searchable and filterable. Without JavaScript the table still
reads, in the order to fix things."""

from __future__ import annotations

from html import escape

from docaudit.records import Doc, Finding, safe_url
from docaudit.result import AuditResult
from docaudit.rules.fixes import Fix
from docaudit.rules.risk import Risk

SEVERITY_COLOURS = {"error": "#b3261e", "warning": "#9a5b00", "note": "#3c6e9f"}
SEVERITY_ORDER = {"error": 3, "warning": 2, "note": 1}
FIRST = 10

# Filters match a row's `data-*` lists ("|a|b|"): a doc with two rules shows under either.
SCRIPT = """
(function () {
  var table = document.getElementById('findings');
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filters = document.querySelectorAll('[data-filter]');
  var search = document.getElementById('search');
  function apply() {
    var query = search.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = Array.prototype.every.call(filters, function (f) {
        return !f.value || (row.dataset[f.dataset.filter] || '').indexOf('|' + f.value + '|') >= 0;
      }) && (!query || row.textContent.toLowerCase().indexOf(query) >= 0);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = String(shown);
  }
  function sortBy(button) {
    var key = button.dataset.sort;
    var now = button.getAttribute('aria-sort');
    var down = now ? now === 'ascending' : key === 'severity' || key === 'risk';
    document.querySelectorAll('button[data-sort]').forEach(function (b) { b.removeAttribute('aria-sort'); });
    button.setAttribute('aria-sort', down ? 'descending' : 'ascending');
    rows.sort(function (a, b) {
      var x = a.dataset['sort' + key], y = b.dataset['sort' + key];
      var nx = parseFloat(x), ny = parseFloat(y);
      var order = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
      return down ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  var params = new URLSearchParams(location.hash.slice(1));
  filters.forEach(function (f) {
    if (params.get(f.dataset.filter) !== null) { f.value = params.get(f.dataset.filter); }
    f.addEventListener('change', apply);
  });
  search.value = params.get('q') || '';
  search.addEventListener('input', apply);
  document.querySelectorAll('button[data-sort]').forEach(function (b) {
    b.addEventListener('click', function () { sortBy(b); });
    if (params.get('sort') === b.dataset.sort) { sortBy(b); }
  });
  document.getElementById('controls').hidden = false;
  apply();
})();
"""


def doc_link(doc: Doc, line: int | None = None) -> str:
    """The doc's title, linked to its page when the source gave a web or mail link (a line when known)."""
    title = escape(doc.title or doc.path or doc.key)
    url = safe_url(doc.url)
    if url and line and url.startswith("https://"):
        url += f"#L{line}"
    return f'<a href="{escape(url)}">{title}</a>' if url else title


def _where(doc: Doc) -> str:
    return f'<div class="muted where">{escape(doc.source)}: {escape(doc.path or doc.id)}</div>'


def _line(fix: Fix) -> int | None:
    return next((f.line for f in fix.findings if f.line), None)


def _severity(name: str) -> str:
    return f'<span class="sev sev-{name}" style="color:{SEVERITY_COLOURS[name]}">{name}</span>'


def fix_first(result: AuditResult, fixes: list[tuple[Fix, Risk]]) -> str:
    items = []
    for fix, risk in fixes[:FIRST]:
        reasons = "; ".join(risk.reasons)
        items.append(
            f'<li data-doc="{escape(fix.doc.key)}">{_severity(fix.severity)} <strong>{doc_link(fix.doc, _line(fix))}</strong>'
            f"{_where(fix.doc)}<div>owner: {escape(result.owner(fix.doc))}</div>"
            f'<div class="action">{escape(fix.action)}</div>'
            f'<div class="muted small">risk {risk.score:g}: {escape(reasons)}</div></li>'
        )
    body = f'<ol class="first">{"".join(items)}</ol>' if items else "<p>Nothing to fix.</p>"
    return f'<section id="fix-first"><h2>Fix these first</h2>{body}</section>'


def _listed(values: list[str]) -> str:
    return escape("|" + "|".join(values) + "|")


def _row(result: AuditResult, fix: Fix, risk: Risk) -> str:
    owner = result.owner(fix.doc)
    found = "".join(
        f"<li>{_severity(f.severity.name)} <code>{escape(f.rule)}</code> {escape(f.message)}</li>" for f in fix.findings
    )
    return (
        f'<tr data-severity="{_listed([fix.severity])}" data-rule="{_listed(fix.rules)}" '
        f'data-source="{_listed([fix.doc.source])}" data-owner="{_listed([owner])}" '
        f'data-sortseverity="{SEVERITY_ORDER[fix.severity]}" data-sortrisk="{risk.score:g}" '
        f'data-sortdoc="{escape((fix.doc.title or fix.doc.path).lower())}" data-sortowner="{escape(owner.lower())}">'
        f'<td data-label="severity">{_severity(fix.severity)}</td>'
        f'<td data-label="doc"><strong>{doc_link(fix.doc, _line(fix))}</strong>{_where(fix.doc)}</td>'
        f'<td data-label="owner">{escape(owner)}</td>'
        f'<td data-label="what to do"><div class="action">{escape(fix.action)}</div><ul class="found">{found}</ul></td>'
        f'<td data-label="risk">{risk.score:g}</td></tr>'
    )


def _select(name: str, label: str, values: set[str]) -> str:
    options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in sorted(values))
    return (
        f'<label>{label} <select data-filter="{name}" id="filter-{name}">'
        f'<option value="">all</option>{options}</select></label>'
    )


def _header(key: str, label: str) -> str:
    return f'<th><button type="button" data-sort="{key}">{label}</button></th>'


def table(result: AuditResult, fixes: list[tuple[Fix, Risk]]) -> str:
    findings: list[Finding] = [f for fix, _ in fixes for f in fix.findings]
    controls = (
        '<label>Search <input type="search" id="search" placeholder="title, path, owner, message"></label>'
        + _select("severity", "Severity", {fix.severity for fix, _ in fixes})
        + _select("rule", "Rule", {f.rule for f in findings})
        + _select("source", "Source", {fix.doc.source for fix, _ in fixes})
        + _select("owner", "Owner", {result.owner(fix.doc) for fix, _ in fixes})
    )
    rows = "".join(_row(result, fix, risk) for fix, risk in fixes)
    head = _header("severity", "severity") + _header("doc", "doc") + _header("owner", "owner")
    head += "<th>what to do</th>" + _header("risk", "risk")
    return (
        f'<section><h2>Docs with findings (<span id="shown">{len(fixes)}</span> of {len(fixes)} shown; '
        f"{len(findings)} findings)</h2>"
        f'<div class="filters" id="controls" hidden>{controls}</div>'
        f'<table id="findings"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>'
    )
