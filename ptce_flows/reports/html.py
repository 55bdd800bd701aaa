"""The HTML report: one self-contained page that opens offline.

Figures are embedded as SVG data URIs with their text drawn as paths (the page looks the same
whatever fonts the reader's machine has); the CSS is inline and nothing is fetched from the
network. A tiny inline script records, once the page has loaded, how many images decoded
and how many errors the page raised (``<body data-images-ok=N data-images-failed=M
data-errors=K data-loaded=yes>``), which the tests read with headless Chromium.
"""

from __future__ import annotations

import base64
import html

from ptce_flows.i18n import tr
from ptce_flows.reports.content import ReportContent, reference_text
from ptce_flows.results.derive import kpi_rows
from ptce_flows.results.resultset import ResultSet

CSS = """
:root { --ink: #222; --muted: #5a5a5a; --rule: #d9d9d9; --band: #f5f5f5; --head: #e8eef4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 32px 48px; }
header p.kicker { color: var(--muted); margin: 0; text-transform: uppercase; letter-spacing: .06em;
                  font-size: 12px; }
h1 { font-size: 30px; margin: 4px 0 6px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--head); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.lead { font-size: 17px; margin: 4px 0 14px; }
nav ol { columns: 2; margin: 6px 0 0; padding-left: 20px; }
nav a { color: #0b5394; text-decoration: none; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; vertical-align: top; }
thead th { background: var(--head); }
tbody tr:nth-child(even) { background: var(--band); }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
th.num { white-space: normal; }
td.ci { text-align: right; white-space: nowrap; color: var(--muted); }
tr.indent td:first-child { padding-left: 28px; font-style: italic; }
tr.key td { font-weight: bold; }
table.meta, table.narrow { width: auto; min-width: 40%; }
table.meta th { font-weight: normal; color: var(--muted); padding-right: 18px; background: none; }
table.assumptions td:first-child { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12.5px;
                                   word-break: break-all; width: 28%; }
table.assumptions td:nth-child(2) { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12.5px;
                                    width: 27%; word-break: break-word; }
figure { margin: 18px 0 26px; }
figure img { display: block; width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 6px; }
p.note { color: var(--muted); font-size: 13px; }
p.warn { color: #8a3b00; }
ol.refs li { margin-bottom: 4px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; border-top: 1px solid var(--rule);
         padding-top: 8px; }
@media print { main { max-width: none; padding: 0; } figure { break-inside: avoid; } h2 { break-after: avoid; } }
"""

SCRIPT = """
var ptceErrors = 0;
window.addEventListener("error", function () { ptceErrors++; }, true);
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0, failed = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } else { failed++; }
  }
  document.body.setAttribute("data-images-ok", String(ok));
  document.body.setAttribute("data-images-failed", String(failed));
  document.body.setAttribute("data-errors", String(ptceErrors));
  document.body.setAttribute("data-loaded", "yes");
});
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _img(svg: bytes, alt: str) -> str:
    data = base64.b64encode(svg).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{_e(alt)}">'


def html_report(results: ResultSet, content: ReportContent, svgs: dict[str, bytes]) -> str:
    """The report as one HTML document; ``svgs`` maps figure name -> SVG bytes (text as paths)."""
    lang = content.lang
    out: list[str] = []
    add = out.append
    add("<!DOCTYPE html>")
    add(f'<html lang="{lang}"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{_e(content.title)} — {_e(tr('report.title', lang))}</title>")
    add(f"<style>{CSS}</style><script>{SCRIPT}</script></head><body><main>")
    add(f'<header><p class="kicker">{_e(tr("report.title", lang))}</p><h1>{_e(content.title)}</h1>')
    if content.description:
        add(f'<p class="lead">{_e(content.description)}</p>')
    add('<table class="meta"><tbody>')
    for key, value in content.meta:
        add(f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>")
    add("</tbody></table></header>")

    sections = [("kpis", tr("report.kpis", lang))]
    sections += [(f"fig-{f.name}", f.title) for f in content.figures if f.name != "kpis"]
    sections.append(("assumptions", tr("report.assumptions", lang)))
    add(f'<nav><h2>{_e(tr("report.contents", lang))}</h2><ol>')
    for anchor, title in sections:
        add(f'<li><a href="#{anchor}">{_e(title)}</a></li>')
    add("</ol></nav>")

    # key figures
    add(f'<section id="kpis"><h2>{_e(tr("report.kpis", lang))}</h2>')
    rows = kpi_rows(results, lang)
    with_ci = any(r.interval for r in rows)
    add("<table><thead><tr>"
        f"<th>{_e(tr('table.indicator', lang))}</th><th class='num'>{_e(tr('table.value', lang))}</th>"
        + (f"<th class='num'>{_e(tr('table.ci', lang))}</th>" if with_ci else "") + "</tr></thead><tbody>")
    for r in rows:
        cls = "indent" if r.indent else ("key" if r.key in ("diverted_t", "diversion_rate", "jobs_fte") else "")
        add(f'<tr class="{cls}"><td>{_e(r.label)}</td><td class="num">{_e(r.value)}</td>'
            + (f'<td class="ci">{_e(r.interval)}</td>' if with_ci else "") + "</tr>")
    add(f'</tbody></table><p class="note">{_e(content.ci_note)}</p>')
    if content.products:
        add(f"<h3>{_e(tr('report.products', lang))}</h3><table class='narrow'><thead><tr>"
            f"<th>{_e(tr('report.material', lang))}</th><th class='num'>{_e(tr('table.value', lang))}</th>"
            "</tr></thead><tbody>")
        for name, value in content.products:
            add(f'<tr><td>{_e(name)}</td><td class="num">{_e(value)}</td></tr>')
        add("</tbody></table>")
    add("</section>")

    # figures
    for f in content.figures:
        if f.name == "kpis" or f.name not in svgs:
            continue
        add(f'<section id="fig-{f.name}"><h2>{_e(f.title)}</h2><figure>{_img(svgs[f.name], f.title)}'
            f"<figcaption>{_e(f.caption)}</figcaption></figure></section>")

    out += _assumptions(content)
    add(f"<footer>{_e(content.footer)}</footer></main></body></html>")
    return "\n".join(out) + "\n"


def _assumptions(content: ReportContent) -> list[str]:
    """The assumptions section: sources from the scenario's comments, notes, references."""
    lang = content.lang
    out: list[str] = []
    add = out.append
    add(f'<section id="assumptions"><h2>{_e(tr("report.assumptions", lang))}</h2>')
    if content.from_comments:
        add(f"<p>{_e(tr('report.assumptions_intro', lang))}</p>")
    else:
        add(f'<p class="warn">{_e(tr("report.no_source_text", lang))}</p>')
    if content.notes:
        add(f"<h3>{_e(tr('report.notes', lang))}</h3><p>{_e(' '.join(content.notes))}</p>")
    if content.assumptions:
        add('<table class="assumptions"><thead><tr>'
            f"<th>{_e(tr('report.key', lang))}</th><th>{_e(tr('report.value', lang))}</th>"
            f"<th>{_e(tr('report.source', lang))}</th></tr></thead><tbody>")
        for a in content.assumptions:
            add(f"<tr><td>{_e(a.path)}</td><td>{_e(a.value)}</td><td>{_e(a.comment)}</td></tr>")
        add("</tbody></table>")
    add(f"<h3>{_e(tr('report.references', lang))}</h3>")
    if content.references:
        add('<ol class="refs">')
        for ref in content.references:
            text = _e(reference_text(ref))
            if ref.url.startswith(("http://", "https://")):
                text = text.replace(_e(ref.url), f'<a href="{_e(ref.url)}">{_e(ref.url)}</a>')
            add(f'<li id="ref-{_e(ref.id)}">[{_e(ref.id)}] {text}</li>')
        add("</ol>")
    else:
        add(f'<p class="note">{_e(tr("report.no_references", lang))}</p>')
    add("</section>")
    return out
