"""The figures of a report, each built from the plot functions onto a figure region.

A figure is drawn either on its own ``Figure`` (the PNG and SVG files) or into a rectangle of
an A4 page (the PDF report), by the same code: :func:`draw` takes the figure and the
rectangle (figure fraction) to fill. Figures whose axes come from a grid (time series, jobs,
transport) use the constrained layout engine restricted to that rectangle; the map, the Sankey
and the KPI table place their axes themselves.

    fig = make_figure("sankey", results, "fr")       # a Figure, 6.9 in wide
    png = render(fig, "png", dpi=300)                 # bytes (see plotting.style.render)
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ptce_flows.plotting.climate import has_balances, plot_cost_bars, plot_ghg_waterfall
from ptce_flows.plotting.jobs import (
    jobs_height_in,
    plot_jobs_by_activity,
    plot_jobs_by_site,
    plot_transport,
    transport_height_in,
)
from ptce_flows.plotting.map import legend_lines, map_box_ratio, plot_map
from ptce_flows.plotting.sankey import plot_sankey, sankey_height
from ptce_flows.plotting.style import FIG_WIDTH_IN, FONT_SIZE, style, text_width_pt
from ptce_flows.plotting.tables import kpi_table_height, plot_kpi_table
from ptce_flows.plotting.timeseries import plot_site_intake, plot_site_stocks
from ptce_flows.results.derive import sankey_graph
from ptce_flows.results.resultset import ResultSet

#: figure names, in report order
FIGURES = ("kpis", "map", "sankey", "timeseries", "jobs", "transport", "climate", "costs")
#: rows (treatment sites) of the time-series figure per PDF page
SITES_PER_PAGE = 3
MAP_LEGEND_IN = 1.95   # width of the legend column beside the map


def uses_grid(name: str) -> bool:
    """True for figures laid out by the constrained layout engine."""
    return name in ("timeseries", "jobs", "transport", "climate", "costs")


def available(name: str, results: ResultSet) -> bool:
    """Whether the figure has something to show for these results."""
    if name == "timeseries":
        return bool(results.sites_of("treatment"))
    if name == "jobs":
        jobs = results.summary.get("jobs") or {}
        return bool(jobs.get("by_site") or jobs.get("by_activity"))
    if name == "transport":
        return any(m.get("trips", 0) > 0 for m in (results.summary.get("by_fleet") or {}).values())
    if name in ("climate", "costs"):
        return has_balances(results)
    return True


def size(name: str, results: ResultSet, sites: list[str] | None = None) -> tuple[float, float]:
    """(width, height) in inches of a figure."""
    w = FIG_WIDTH_IN
    if name == "map":
        map_w = w - MAP_LEGEND_IN
        return w, max(map_w * map_box_ratio(results, map_w), 0.17 * legend_lines(results) + 0.2)
    if name == "sankey":
        return w, sankey_height(sankey_graph(results))
    if name == "timeseries":
        n = len(sites if sites is not None else results.sites_of("treatment"))
        return w, 2.05 * max(n, 1) + 0.95
    if name == "jobs":
        return w, jobs_height_in(results)
    if name == "transport":
        return w, transport_height_in(results)
    if name == "kpis":
        return w, kpi_table_height(results)
    if name in ("climate", "costs"):
        return w, 2.8 if name == "climate" else 2.6
    raise ValueError(f"unknown figure '{name}' (allowed: {', '.join(FIGURES)})")


def draw(name: str, results: ResultSet, fig: Figure, lang: str = "en",
         rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
         sites: list[str] | None = None) -> None:
    """Draw figure ``name`` into ``rect`` (left, bottom, width, height in figure fraction).

    For grid figures, ``fig`` must use the constrained layout engine; its ``rect`` is set here.
    ``sites`` restricts the time series to some treatment sites (one PDF page each few).
    """
    left, bottom, width, height = rect
    if uses_grid(name):
        fig.get_layout_engine().set(rect=rect, h_pad=0.05, w_pad=0.07, hspace=0.03, wspace=0.04)
    if name == "map":
        fw, _fh = fig.get_size_inches()
        legend_w = MAP_LEGEND_IN / fw
        ax = fig.add_axes((left + 0.003, bottom + 0.003, width - legend_w - 0.006, height - 0.006))
        legend_ax = fig.add_axes((left + width - legend_w + 0.01, bottom, legend_w - 0.01, height))
        plot_map(results, ax, lang, legend_ax=legend_ax)
    elif name == "sankey":
        plot_sankey(results, fig.add_axes(rect), lang)
    elif name == "kpis":
        plot_kpi_table(results, fig.add_axes(rect), lang)
    elif name == "timeseries":
        sites = sites if sites is not None else results.sites_of("treatment")
        grid = fig.add_gridspec(len(sites) + 1, 2)
        for row, site in enumerate(sites, start=1):
            left_ax = fig.add_subplot(grid[row, 0])
            right_ax = fig.add_subplot(grid[row, 1])
            plot_site_intake(results, site, left_ax, lang, legend=False)
            plot_site_stocks(results, site, right_ax, lang, legend=False)
            left_ax.set_title(results.site_label(site), loc="left")
            if row < len(sites):
                left_ax.set_xlabel("")
                right_ax.set_xlabel("")
        _legend_row(fig, grid, len(sites))
    elif name == "jobs":
        jobs = results.summary.get("jobs") or {}
        n_site = len(jobs.get("by_site") or {}) + len(jobs.get("by_fleet") or {})
        n_act = len(jobs.get("by_activity") or {})
        axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1.0]})
        plot_jobs_by_site(results, axes[0], lang, legend=False)
        plot_jobs_by_activity(results, axes[1], lang, legend=True)
        for ax in axes:  # the same bar thickness on both sides
            ax.set_ylim(max(n_site, n_act) - 0.5, -0.5)
    elif name == "transport":
        axes = fig.subplots(1, 3, sharey=True)
        for i, metric in enumerate(("tonne_km", "vehicle_km", "co2_t")):
            plot_transport(results, metric, axes[i], lang, ylabels=i == 0)
    elif name == "climate":
        plot_ghg_waterfall(results, fig.subplots(1, 1), lang)
    elif name == "costs":
        grid = fig.add_gridspec(2, 1, height_ratios=[1.0, 0.3])
        plot_cost_bars(results, fig.add_subplot(grid[0]), lang, legend_ax=fig.add_subplot(grid[1]))
    else:
        raise ValueError(f"unknown figure '{name}' (allowed: {', '.join(FIGURES)})")


def _legend_row(fig: Figure, grid, n_sites: int) -> None:
    """One legend, in a row of its own above the grid, with every distinct entry."""
    seen: dict[str, object] = {}
    for ax in fig.axes:
        if ax.get_subplotspec() is not None and ax.get_subplotspec().get_gridspec() is grid:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                seen.setdefault(label, handle)
    widest = max((text_width_pt(label, FONT_SIZE - 0.5) for label in seen), default=0.0)
    width_pt = fig.get_size_inches()[0] * 72.0 * (fig.get_layout_engine().get()["rect"][2]
                                                   if fig.get_layout_engine() else 1.0)
    ncol = max(1, min(4, len(seen), int((width_pt - 10) // (widest + 38))))
    rows = -(-len(seen) // ncol)
    grid.set_height_ratios([0.155 * rows + 0.05] + [1.95] * n_sites)
    legend_ax = fig.add_subplot(grid[0, :])
    legend_ax.set_axis_off()
    if seen:
        legend_ax.legend(list(seen.values()), list(seen.keys()), loc="center", ncol=ncol,
                         handlelength=1.8, columnspacing=1.4, frameon=False, borderaxespad=0.0)


def make_figure(name: str, results: ResultSet, lang: str = "en") -> Figure:
    """A standalone figure, ready for :func:`ptce_flows.plotting.style.render`."""
    with style():
        fig = Figure(figsize=size(name, results), layout="constrained" if uses_grid(name) else None)
        draw(name, results, fig, lang)
        if uses_grid(name):
            # lay out once (Agg text metrics) and freeze, so PNG, SVG and PDF share one layout
            FigureCanvasAgg(fig)
            fig.get_layout_engine().execute(fig)
            fig.set_layout_engine("none")
    return fig
