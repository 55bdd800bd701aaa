"""The layouts of a comparison side by side: one map per layout (its sites, roads), titled by
the layout's label, the baseline first. A comparison keeps each layout's figures, not its
flows, so the maps show where the sites are, not the tonnes between them."""

from __future__ import annotations

import textwrap

import numpy as np

from ptce_flows.i18n import tr
from ptce_flows.plotting.map import plot_map
from ptce_flows.plotting.style import FIG_WIDTH_IN, FONT_SIZE
from ptce_flows.results.resultset import ResultSet, Series

MAX_MAPS = 8


def map_results(scenario: dict, lang: str) -> ResultSet:
    """A ResultSet with a layout's sites and roads and no flows (what ``plot_map`` reads)."""
    return ResultSet(summary={}, flows=[], series=Series(days=np.arange(1)), scenario=scenario, lang=lang)


def layout_maps_figure(maps: list[tuple[str, dict]], lang: str = "en", baseline: str | None = None):
    """``maps``: ``(title, scenario-like dict with sites, roads, nodes, materials)`` per layout.

    Two maps a row (one when there is one layout), at most :data:`MAX_MAPS`; None without maps.
    """
    from matplotlib.figure import Figure

    maps = maps[:MAX_MAPS]
    if not maps:
        return None
    cols = 1 if len(maps) == 1 else 2
    rows = -(-len(maps) // cols)
    width = FIG_WIDTH_IN
    panel = width / cols
    fig = Figure(figsize=(width, rows * panel * 0.95))
    for i, (title, scenario) in enumerate(maps):
        r, c = divmod(i, cols)
        left, bottom = c / cols, 1 - (r + 1) / rows
        ax = fig.add_axes((left + 0.01, bottom + 0.01, 1 / cols - 0.02, 1 / rows - 0.08))
        plot_map(map_results(scenario, lang), ax=ax, lang=lang, labels=len(maps) <= 2, inset=False)
        legend = ax.get_legend()
        if legend is not None and i > 0:
            legend.remove()   # one legend is enough: the kinds are the same on every map
        shown = title + (f" ({tr('legend.baseline', lang)})" if baseline is not None and title == baseline else "")
        ax.set_title(textwrap.fill(shown, 48 if cols == 2 else 96), fontsize=FONT_SIZE + 0.5, loc="left",
                     fontweight="bold")
    return fig
