"""Jobs (FTE per year) by site and fleet and by activity, insertion jobs shown apart, and
transport (tonne-km, vehicle-km, CO2) by fleet: horizontal bars with their values written
at the end of each bar."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ptce_flows.i18n import fmt_number, fmt_qty, tr
from ptce_flows.plotting.style import (
    FONT_SIZE,
    KIND_STYLE,
    TEXT,
    kind_color,
    material_colors,
    new_axes,
    number_formatter,
)
from ptce_flows.results.derive import JobRow, jobs_by_activity, jobs_by_site, transport_rows
from ptce_flows.results.resultset import ResultSet

FLEET_COLOR = "#56B4E9"


JOB_LABEL_CHARS = 26
FLEET_LABEL_CHARS = 22


def _wrap(label: str, width: int = JOB_LABEL_CHARS) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def row_pitch_in(labels: list[str], width: int) -> float:
    """Height (inches) of one bar row, enough for the longest wrapped label."""
    lines = max((len(textwrap.wrap(t, width)) or 1 for t in labels), default=1)
    return max(0.28, 0.135 * lines + 0.08)


def jobs_height_in(results: ResultSet, lang: str = "en") -> float:
    rows = jobs_by_site(results)
    acts = jobs_by_activity(results, lang)
    pitch = row_pitch_in([r.label for r in rows] + [r.label for r in acts], JOB_LABEL_CHARS)
    return pitch * max(len(rows), len(acts), 1) + 1.0


def transport_height_in(results: ResultSet) -> float:
    rows = transport_rows(results)
    return row_pitch_in([label for _f, label, _m in rows], FLEET_LABEL_CHARS) * max(len(rows), 1) + 0.9


def _bars(ax, rows: list[JobRow], colors: list[str], lang: str) -> None:
    y = np.arange(len(rows))
    other = np.array([r.fte - r.insertion_fte for r in rows])
    insertion = np.array([r.insertion_fte for r in rows])
    ax.barh(y, insertion, color=colors, edgecolor="white", hatch="////", linewidth=0.0, height=0.62)
    ax.barh(y, other, left=insertion, color=colors, alpha=0.45, height=0.62, linewidth=0)
    top = max((r.fte for r in rows), default=1.0) or 1.0
    for yi, r in zip(y, rows, strict=True):
        text = fmt_qty(r.fte, "FTE", lang, 1 if r.fte >= 1 else 2)
        if r.insertion_fte > 0:
            text += f" ({fmt_number(r.insertion_fte, lang, 1 if r.insertion_fte >= 1 else 2)})"
        ax.text(r.fte + top * 0.015, yi, text, va="center", ha="left", fontsize=FONT_SIZE - 1, color=TEXT)
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(r.label) for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.38)
    ax.set_xlabel(tr("axis.fte", lang))
    ax.grid(axis="x")
    ax.tick_params(axis="y", length=0)


def _job_legend(ax, lang: str) -> None:
    handles = [Patch(facecolor="#666666", edgecolor="white", hatch="////", label=tr("legend.insertion", lang)),
               Patch(facecolor="#666666", alpha=0.45, label=tr("legend.other_jobs", lang))]
    ax.legend(handles=handles, loc="lower right", frameon=True, framealpha=0.9, edgecolor="#DDDDDD")


def plot_jobs_by_site(results: ResultSet, ax=None, lang: str = "en", legend: bool = True):
    """FTE per year at each site and in each fleet; hatched part = insertion jobs."""
    rows = jobs_by_site(results)
    ax = new_axes(ax, height=0.3 * len(rows) + 1.0)
    fleets = fleet_colors(results)
    colors = [kind_color(results.kind(r.key)) if r.key in results.sites else fleets.get(r.key, FLEET_COLOR)
              for r in rows]
    _bars(ax, rows, colors, lang)
    ax.set_title(tr("title.jobs_by_site", lang), loc="left")
    if legend:
        _job_legend(ax, lang)
    return ax


def plot_jobs_by_activity(results: ResultSet, ax=None, lang: str = "en", legend: bool = True):
    """FTE per year by activity (each process, transport, disposal); hatched = insertion."""
    rows = jobs_by_activity(results, lang)
    ax = new_axes(ax, height=0.3 * len(rows) + 1.0)
    colors = []
    for r in rows:
        if r.key == "transport":
            colors.append(FLEET_COLOR)
        elif r.key == "disposal":
            colors.append(KIND_STYLE["disposal"]["color"])
        else:
            colors.append(kind_color("treatment"))
    _bars(ax, rows, colors, lang)
    ax.set_title(tr("title.jobs_by_activity", lang), loc="left")
    if legend:
        _job_legend(ax, lang)
    return ax


def fleet_colors(results: ResultSet) -> dict[str, str]:
    """A colour per fleet: the colour of the first material it carries."""
    mats = material_colors(results)
    out = {}
    for fid, f in (results.scenario.get("fleets") or {}).items():
        carries = f.get("carries") or []
        out[fid] = mats.get(carries[0], FLEET_COLOR) if carries else FLEET_COLOR
    return out


def plot_transport(results: ResultSet, metric: str = "tonne_km", ax=None, lang: str = "en",
                   ylabels: bool = True):
    """One transport metric (``tonne_km``, ``vehicle_km`` or ``co2_t``) by fleet."""
    rows = transport_rows(results)
    ax = new_axes(ax, height=0.3 * len(rows) + 1.0)
    colors = fleet_colors(results)
    y = np.arange(len(rows))
    vals = np.array([m.get(metric, 0.0) for _f, _l, m in rows])
    ax.barh(y, vals, color=[colors.get(f, FLEET_COLOR) for f, _l, _m in rows], height=0.62)
    top = float(vals.max()) if len(vals) and vals.max() > 0 else 1.0
    decimals = 1 if metric == "co2_t" else 0
    for yi, v in zip(y, vals, strict=True):
        ax.text(v + top * 0.02, yi, fmt_number(v, lang, decimals), va="center", ha="left",
                fontsize=FONT_SIZE - 1, color=TEXT)
    ax.set_yticks(y)
    if ylabels:
        ax.set_yticklabels([_wrap(label, FLEET_LABEL_CHARS) for _f, label, _m in rows])
    else:
        ax.tick_params(axis="y", labelleft=False)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel(tr(f"axis.{metric}", lang))
    ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=3, min_n_ticks=2, prune="upper"))
    ax.grid(axis="x")
    ax.tick_params(axis="y", length=0)
    return ax
