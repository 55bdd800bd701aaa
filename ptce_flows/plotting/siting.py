"""The site search's figure: the top layouts side by side on one map extent."""

from __future__ import annotations

import numpy as np

from ptce_flows.i18n import check_lang, fmt_number, tr
from ptce_flows.network.geo import project_km
from ptce_flows.plotting.style import figure, kind_color, style

#: at most this many layouts side by side
MAX_PANELS = 4


def layouts_figure(places: dict[str, dict], layouts: list[dict], objective: str, unit: str, lang: str = "en"):
    """One panel per layout (best first): sources sized by tonnes, existing sites, the
    candidates it builds and those it leaves out (treatment sites and transfer stations).

    Args:
        places: site id -> {"kind", "lat", "lon", "t" (tonnes, sources), "candidate"}.
        layouts: [{"rank", "open", "objective", "simulated" (mean of the objective or None)}].
    """
    check_lang(lang)
    shown = layouts[:MAX_PANELS]
    ids = list(places)
    x, y = project_km([places[s]["lat"] for s in ids], [places[s]["lon"] for s in ids])
    xy = dict(zip(ids, zip(x.tolist(), y.tolist(), strict=True), strict=True))
    sources = [s for s in ids if places[s]["kind"] == "source"]
    tonnes = np.array([places[s].get("t", 0.0) for s in sources]) if sources else np.zeros(0)
    size = 10 + 140 * np.sqrt(tonnes / tonnes.max()) if len(tonnes) and tonnes.max() > 0 else np.full(len(sources), 20)
    with style():
        fig, axes = figure(width=3.2 * max(1, len(shown)), height=3.6, ncols=max(1, len(shown)), squeeze=False)
        for ax, lay in zip(axes[0], shown, strict=False):
            is_open = set(lay["open"])
            if sources:
                ax.scatter([xy[s][0] for s in sources], [xy[s][1] for s in sources], s=size,
                           color=kind_color("source"), alpha=0.5, linewidths=0, label=tr("search.source", lang))
            for key, color, marker, pick in (
                    ("search.existing", kind_color("treatment"), "s",
                     lambda s: places[s]["kind"] == "treatment" and not places[s].get("candidate")),
                    ("search.opened", "#d62728", "*", lambda s: places[s].get("candidate") and s in is_open),
                    ("search.closed", "#7f7f7f", "x", lambda s: places[s].get("candidate") and s not in is_open)):
                chosen = [s for s in ids if pick(s)]
                if chosen:
                    ax.scatter([xy[s][0] for s in chosen], [xy[s][1] for s in chosen], s=90, marker=marker,
                               color=color, label=tr(key, lang), zorder=3)
            title = tr("search.rank", lang, rank=lay["rank"])
            value = f"{tr('search.static', lang)}: {fmt_number(lay['objective'], lang)} {unit}"
            if lay.get("simulated") is not None:
                value += f"\n{tr('search.simulated', lang)}: {fmt_number(lay['simulated'], lang)} {unit}"
            ax.set_title(f"{title}\n{value}", fontsize=8)
            ax.set_aspect("equal")
            ax.set_xlabel("km")
        axes[0][0].set_ylabel("km")
        axes[0][0].legend(loc="best", fontsize=6)
    return fig
