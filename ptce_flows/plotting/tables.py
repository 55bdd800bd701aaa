"""The KPI table as a figure (for documents that take images), drawn as text rows."""

from __future__ import annotations

from matplotlib.patches import Rectangle

from ptce_flows.i18n import tr
from ptce_flows.plotting.style import FIG_WIDTH_IN, FONT_SIZE, TEXT, new_axes
from ptce_flows.results.derive import KpiRow, kpi_rows
from ptce_flows.results.resultset import ResultSet

#: a thin rule is drawn after these KPIs (end of the tonnage, transport groups)
GROUP_ENDS = ("stock_end_t", "co2_t")
ROW_IN = 0.22


def kpi_table_height(results: ResultSet) -> float:
    """Figure height (inches) of the KPI table."""
    return ROW_IN * (len(kpi_rows(results)) + 1) + 0.3


def plot_kpi_table(results: ResultSet, ax=None, lang: str = "en", rows: list[KpiRow] | None = None):
    """The KPI table on ``ax`` (axes turned off): indicator, mean value and, with
    replications, the 95 % confidence interval of the mean."""
    rows = rows if rows is not None else kpi_rows(results, lang)
    ax = new_axes(ax, FIG_WIDTH_IN, kpi_table_height(results))
    ax.set_axis_off()
    with_ci = any(r.interval for r in rows)
    n = len(rows) + 1
    ax.set_xlim(0, 1)
    ax.set_ylim(n, 0)
    x_label, x_value, x_ci = 0.01, (0.60 if with_ci else 0.80), 0.99
    header = [(x_label, tr("table.indicator", lang), "left"), (x_value, tr("table.value", lang), "right")]
    if with_ci:
        header.append((x_ci, tr("table.ci", lang), "right"))
    ax.add_patch(Rectangle((0, 0), 1, 1, facecolor="#E8EEF4", edgecolor="none"))
    for x, text, ha in header:
        ax.text(x, 0.5, text, ha=ha, va="center", fontweight="bold", fontsize=FONT_SIZE, color=TEXT)
    for i, row in enumerate(rows, start=1):
        if i % 2 == 0:
            ax.add_patch(Rectangle((0, i), 1, 1, facecolor="#F5F5F5", edgecolor="none"))
        ax.text(x_label + (0.03 if row.indent else 0.0), i + 0.5, row.label, ha="left", va="center",
                fontsize=FONT_SIZE, color=TEXT, style="italic" if row.indent else "normal")
        ax.text(x_value, i + 0.5, row.value, ha="right", va="center", fontsize=FONT_SIZE, color=TEXT,
                fontweight="bold" if row.key in ("diverted_t", "diversion_rate", "jobs_fte") else "normal")
        if with_ci and row.interval:
            ax.text(x_ci, i + 0.5, row.interval, ha="right", va="center", fontsize=FONT_SIZE - 0.5,
                    color="#555555")
        if row.key in GROUP_ENDS:
            ax.plot([0, 1], [i + 1, i + 1], color="#999999", lw=0.6)
    ax.plot([0, 1], [n, n], color="#999999", lw=0.8)
    return ax
