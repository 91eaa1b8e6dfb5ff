"""A self-contained HTML report: summary by practice with an inline SVG chart, filterable findings.

Security of the report itself:

* every value that comes from the account (flow, user and profile names, descriptions, messages,
  evidence) is escaped with ``html.escape(..., quote=True)``: it lands in text or quoted attributes only,
  never in a script, a style, a URL or an event handler;
* the page carries its own Content-Security-Policy in a ``<meta>`` tag: ``default-src 'none'``, the one
  inline style and the one inline script allowed by their SHA-256 hashes, no network at all
  (``connect-src``/``img-src``/``font-src`` are not granted), ``base-uri 'none'`` and ``form-action 'none'``;
  an injected ``<script>`` or ``on*=`` handler would not run even if escaping failed;
* the filter script reads only ``data-*`` attributes and toggles ``hidden``: it never writes HTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import Counter
from typing import Any

from connectguard import __version__
from connectguard.audit.findings import AuditReport, Finding
from connectguard.conventions import Practice, Severity, Status, isoformat

_STATUS_COLOURS = {  # colour-blind-safe palette (Okabe-Ito)
    Status.FAIL: "#d55e00",
    Status.UNKNOWN: "#e69f00",
    Status.MANUAL: "#56b4e9",
    Status.SUPPRESSED: "#999999",
    Status.PASS: "#009e73",
}

_STYLE = """
:root{--fg:#1d2330;--muted:#5b6474;--line:#d9dde5;--bg:#f6f7f9}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);
background:var(--bg);margin:0;padding:24px 32px}
header h1{font-size:22px;margin:0 0 4px}
header p{margin:0;color:var(--muted)}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h2{font-size:16px;margin:0 0 12px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}
.s-FAIL b{color:#b34700}.s-UNKNOWN b{color:#9a6a00}.s-MANUAL b{color:#1f6f99}.s-PASS b{color:#00704f}
.s-SUPPRESSED b{color:#666}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.b-FAIL{background:#b34700}.b-UNKNOWN{background:#9a6a00}.b-MANUAL{background:#1f6f99}.b-PASS{background:#00704f}
.b-SUPPRESSED{background:#666}
.sev{font-weight:600}.sev-critical{color:#8b0000}.sev-high{color:#b34700}.sev-medium{color:#8a6d00}
.sev-low{color:#1f6f99}.sev-info{color:#666}
.filters{display:flex;gap:16px;flex-wrap:wrap;align-items:end;margin-bottom:12px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
select,input{font:inherit;padding:4px 6px;border:1px solid var(--line);border-radius:4px;background:#fff}
details{margin-top:4px}
summary{cursor:pointer;color:#1f6f99}
pre{white-space:pre-wrap;word-break:break-word;background:var(--bg);border:1px solid var(--line);
border-radius:4px;padding:8px;margin:6px 0;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.resource{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all;color:var(--muted)}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin-top:6px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.l-FAIL{background:#d55e00}.l-UNKNOWN{background:#e69f00}.l-MANUAL{background:#56b4e9}
.l-SUPPRESSED{background:#999}.l-PASS{background:#009e73}
#shown{color:var(--muted);font-size:12px}
footer{color:var(--muted);font-size:12px;margin-top:16px}
""".strip()

# Reads data-* attributes and toggles `hidden`; never writes markup.
_SCRIPT = """
(function(){
  var form=document.getElementById('filters');
  var rows=Array.prototype.slice.call(document.querySelectorAll('tr.finding'));
  var shown=document.getElementById('shown');
  function apply(){
    var p=form.elements.practice.value,s=form.elements.severity.value,st=form.elements.status.value;
    var q=form.elements.q.value.toLowerCase();
    var n=0;
    rows.forEach(function(r){
      var ok=(!p||r.dataset.practice===p)&&(!s||r.dataset.severity===s)&&(!st||r.dataset.status===st)&&
        (!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.hidden=!ok;
      var d=r.nextElementSibling;
      if(d&&d.classList.contains('detail')){d.hidden=!ok;}
      if(ok){n++;}
    });
    shown.textContent=n+' of '+rows.length+' findings shown';
  }
  form.addEventListener('input',apply);
  form.addEventListener('change',apply);
  form.addEventListener('submit',function(e){e.preventDefault();});
  apply();
})();
""".strip()


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    f"style-src '{_sha256(_STYLE)}'; "
    f"script-src '{_sha256(_SCRIPT)}'; "
    "img-src data:; base-uri 'none'; form-action 'none'; object-src 'none'"
)


def e(value: Any) -> str:
    """Escape for HTML text and quoted attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def render_html(report: AuditReport, *, show_pass: bool = True, title: str | None = None, **_: Any) -> str:
    findings = [f for f in report.findings if show_pass or f.status is not Status.PASS]
    counts = report.counts()
    scope = (f"account {report.account}" if report.account else
             f"organization, {len(report.accounts)} accounts" if report.accounts else "account unknown")
    page_title = title or f"connectguard audit — {scope}"
    collected = isoformat(report.snapshot_collected_at) if report.snapshot_collected_at else "unknown"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(CONTENT_SECURITY_POLICY)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(page_title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head><body>",
        f"<header><h1>{e(page_title)}</h1>",
        f"<p>Snapshot collected {e(collected)} · report generated {e(isoformat(report.generated_at))} · "
        f"connectguard {e(__version__)} · {len(report.checks_run)} checks</p></header>",
        _cards(counts, report),
        _summary(report),
        _accounts(report),
        _findings(findings, report),
        "<footer>Self-contained report: it loads nothing from the network. Values taken from the account are "
        "shown as text. UNKNOWN means the data needed could not be read (never a PASS); MANUAL needs a person "
        "to verify; SUPPRESSED is an accepted risk with an expiry date.</footer>",
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _cards(counts: dict[str, int], report: AuditReport) -> str:
    cells = [f'<div class="card s-{s.value}"><b>{counts[s.value]}</b>{e(s.value)}</div>' for s in Status]
    errors = (f'<div class="card s-UNKNOWN"><b>{report.collection_errors}</b>API calls failed during collection'
              "</div>" if report.collection_errors else "")
    fails = Counter(f.severity for f in report.findings if f.status is Status.FAIL)
    sev = " · ".join(f'<span class="sev sev-{s.value}">{fails.get(s, 0)} {s.value}</span>' for s in Severity)
    return (f'<section aria-label="Totals"><h2>Results</h2><div class="cards">{"".join(cells)}{errors}</div>'
            f"<p>Failing by severity: {sev}</p></section>")


def _summary(report: AuditReport) -> str:
    by_practice = report.summary()["by_practice"]
    order = [p.value for p in Practice if p.value in by_practice]
    return ("<section><h2>Summary by practice</h2>" + chart_svg(by_practice, order) + _legend()
            + _summary_table(by_practice, order) + "</section>")


def chart_svg(by_practice: dict[str, dict[str, int]], order: list[str]) -> str:
    """A horizontal stacked bar per practice (status counts), as inline SVG: no script, no font, no URL."""
    label_w, bar_w, row_h, pad = 170, 560, 22, 6
    height = max(1, len(order)) * row_h + 2 * pad
    width = label_w + bar_w + 60
    most = max((sum(by_practice[p].values()) for p in order), default=1) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" aria-labelledby="chart-title">',
           '<title id="chart-title">Results by practice and status</title>']
    for i, practice in enumerate(order):
        y = pad + i * row_h
        counts = by_practice[practice]
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
                   f'fill="#1d2330">{e(practice)}</text>')
        x = float(label_w)
        for status in Status:
            n = counts.get(status.value, 0)
            if not n:
                continue
            w = bar_w * n / most
            out.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                       f'fill="{_STATUS_COLOURS[status]}"><title>{e(practice)}: {n} {status.value}</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 15}" font-size="12" fill="#5b6474">{sum(counts.values())}</text>')
    out.append("</svg>")
    return "".join(out)


def _legend() -> str:
    return '<div class="legend">' + "".join(f'<span><i class="l-{s.value}"></i>{s.value}</span>' for s in Status) \
        + "</div>"


def _summary_table(by_practice: dict[str, dict[str, int]], order: list[str]) -> str:
    head = "".join(f'<th class="num">{s.value}</th>' for s in Status)
    rows = []
    for practice in order:
        counts = by_practice[practice]
        cells = "".join(f'<td class="num">{counts.get(s.value, 0)}</td>' for s in Status)
        rows.append(f"<tr><td>{e(practice)}</td>{cells}</tr>")
    return f'<table><thead><tr><th>Practice</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _accounts(report: AuditReport) -> str:
    """Organization runs: one row per account (its name and OU path come from the organization)."""
    if not report.accounts:
        return ""
    head = "".join(f'<th class="num">{s.value}</th>' for s in Status)
    rows = []
    for a in report.accounts:
        counts = a.get("by_status") or {}
        cells = "".join(f'<td class="num">{counts.get(s.value, 0)}</td>' for s in Status)
        rows.append(f"<tr><td>{e(a.get('account'))}</td><td>{e(a.get('name'))}</td><td>{e(' / '.join(map(str, a.get('ou_path') or [])))}</td>"
                    f"<td>{e(a.get('status'))}</td>{cells}</tr>")
    return ("<section><h2>Accounts</h2><table><thead><tr><th>Account</th><th>Name</th><th>OU</th><th>Collection</th>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def _options(name: str, label: str, values: list[str]) -> str:
    opts = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
    return f'<label>{label}<select name="{name}"><option value="">all</option>{opts}</select></label>'


def _findings(findings: list[Finding], report: AuditReport) -> str:
    practices = [p.value for p in Practice if any(f.practice is p for f in findings)]
    filters = (
        '<form id="filters" class="filters" role="search">'
        + _options("practice", "Practice", practices)
        + _options("severity", "Severity", [s.value for s in Severity])
        + _options("status", "Status", [s.value for s in Status])
        + '<label>Search<input name="q" type="search" placeholder="check, resource, text"></label>'
        + '<span id="shown"></span></form>'
    )
    rows = []
    for i, f in enumerate(findings):
        attrs = (f'data-practice="{e(f.practice.value)}" data-severity="{e(f.severity.value)}" '
                 f'data-status="{e(f.status.value)}"')
        rows.append(
            f'<tr class="finding" id="f{i}" {attrs}>'
            f'<td><span class="badge b-{f.status.value}">{e(f.status.value)}</span></td>'
            f'<td class="sev sev-{f.severity.value}">{e(f.severity.value)}</td>'
            f"<td>{e(f.practice.value)}</td>"
            f"<td><b>{e(f.check)}</b><br>{e(f.title)}</td>"
            f'<td>{e(f.message)}<div class="resource">{e(f.resource)}</div></td></tr>'
        )
        rows.append(f'<tr class="detail" {attrs}><td></td><td colspan="4">{_detail(f)}</td></tr>')
    empty = "" if findings else '<tr><td colspan="5">No findings.</td></tr>'
    return (
        "<section><h2>Findings</h2>" + filters
        + "<table><thead><tr><th>Status</th><th>Severity</th><th>Practice</th><th>Check</th><th>Finding</th>"
        + f"</tr></thead><tbody>{''.join(rows)}{empty}</tbody></table></section>"
    )


def _detail(f: Finding) -> str:
    parts = [f"<details><summary>Remediation</summary><pre>{e(f.remediation)}</pre></details>"]
    if f.evidence:
        evidence = json.dumps(f.evidence, indent=2, sort_keys=True, default=str, ensure_ascii=False)
        parts.append(f"<details><summary>Evidence</summary><pre>{e(evidence)}</pre></details>")
    if f.suppression:
        sup = json.dumps(f.suppression, indent=2, sort_keys=True, default=str, ensure_ascii=False)
        parts.append(f"<details open><summary>Accepted risk</summary><pre>{e(sup)}</pre></details>")
    where = " · ".join(x for x in (f.account, f.region) if x)
    if where:
        parts.append(f'<div class="resource">{e(where)}</div>')
    return "".join(parts)
