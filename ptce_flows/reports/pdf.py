"""The PDF report: key figures, the figures with their captions, assumptions and sources.

Pages are drawn by :mod:`ptce_flows.plotting.pages` (matplotlib lives there); this module
decides what goes on them, in what order.
"""

from __future__ import annotations

from ptce_flows.i18n import tr
from ptce_flows.plotting.figures import SITES_PER_PAGE
from ptce_flows.plotting.pages import Column, PageWriter, render_pdf
from ptce_flows.plotting.style import FONT_SIZE, style
from ptce_flows.reports.content import ReportContent, reference_text
from ptce_flows.results.derive import kpi_rows
from ptce_flows.results.resultset import ResultSet


def pdf_report(results: ResultSet, content: ReportContent) -> bytes:
    """The whole report as PDF bytes."""
    lang = content.lang
    with style():
        w = PageWriter(header=f"{content.title} · {tr('report.title', lang)}")
        # title page: what was run, then the key figures
        w.paragraph(tr("report.title", lang), FONT_SIZE + 2, "#555555")
        w.heading(content.title, 20.0, keep_with=0.5)
        if content.description:
            w.paragraph(content.description, FONT_SIZE + 2.5)
        w.space(0.05)
        w.table([Column("", 2.0), Column("", 4.9)], [list(row) for row in content.meta], size=FONT_SIZE,
                header=False)
        w.heading(tr("report.kpis", lang), 13.0)
        rows = kpi_rows(results, lang)
        with_ci = any(r.interval for r in rows)
        columns = [Column(tr("table.indicator", lang), 3.2), Column(tr("table.value", lang), 1.4, align="right")]
        if with_ci:
            columns.append(Column(tr("table.ci", lang), 2.3, align="right"))
        w.table(columns, [[("    " if r.indent else "") + r.label, r.value] + ([r.interval] if with_ci else [])
                          for r in rows], size=FONT_SIZE + 0.5)
        w.paragraph(content.ci_note, FONT_SIZE, "#555555")
        if content.products:
            w.heading(tr("report.products", lang), 11.0, keep_with=0.4)
            w.table([Column(tr("report.material", lang), 3.2), Column(tr("table.value", lang), 1.4, align="right")],
                    [list(p) for p in content.products], size=FONT_SIZE + 0.5)
        # figures, each on its page (time series: a few sites per page)
        for fig in content.figures:
            if fig.name == "kpis":
                continue
            if fig.name == "timeseries":
                sites = results.sites_of("treatment")
                pages = -(-len(sites) // SITES_PER_PAGE)
                per_page = -(-len(sites) // max(pages, 1))  # 4 sites: 2 + 2, not 3 + 1
                for i in range(0, len(sites), per_page):
                    w.figure(fig.name, results, lang, fig.title, fig.caption if i == 0 else "",
                             sites=sites[i:i + per_page])
            else:
                w.figure(fig.name, results, lang, fig.title, fig.caption)
        # assumptions and sources
        w.new_page()
        w.heading(tr("report.assumptions", lang), 14.0)
        if content.from_comments:
            w.paragraph(tr("report.assumptions_intro", lang), FONT_SIZE + 1)
        else:
            w.paragraph(tr("report.no_source_text", lang), FONT_SIZE + 1, "#8A3B00")
        if content.notes:
            w.heading(tr("report.notes", lang), 10.5, keep_with=0.3)
            w.paragraph(" ".join(content.notes), FONT_SIZE + 0.5, "#333333")
        if content.assumptions:
            w.table([Column(tr("report.key", lang), 2.15, path=True), Column(tr("report.value", lang), 1.85),
                     Column(tr("report.source", lang), 2.9)],
                    [[a.path, a.value, a.comment] for a in content.assumptions])
        w.heading(tr("report.references", lang), 12.0, keep_with=0.3)
        if content.references:
            for ref in content.references:
                w.paragraph(f"[{ref.id}] {reference_text(ref)}", FONT_SIZE + 0.5)
        else:
            w.paragraph(tr("report.no_references", lang), FONT_SIZE + 0.5, "#555555")
        pages = w.finish(content.footer, lang)
        return render_pdf(pages, title=f"{content.title} — {tr('report.title', lang)}", lang=lang)
