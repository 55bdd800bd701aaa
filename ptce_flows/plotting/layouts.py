"""Figures of a comparison or a sweep, from the rows of ``comparison.csv`` and ``benefits.csv``.

- ``comparison_figure``: one panel per KPI, a horizontal bar per layout (mean over replications)
  with its 95 % interval; the baseline bar is grey and its mean a dashed line.
- ``benefits_figure``: one panel per benefit (avoided disposal, avoided tonne-km and transport
  CO2, avoided greenhouse gases of the whole balance, cost saving, net jobs), the paired difference of each layout to the baseline with its 95 % interval; blue
  when the layout does better, vermilion when it does worse.
- ``sweep_figure``: with one parameter, each KPI against the parameter (mean line, 95 % band);
  with two, a heat map of each KPI's mean over the grid; with more, no figure.

Rows carry ``layout``, ``kpi``/``benefit``, ``mean``, ``ci95_low``, ``ci95_high`` (and the sweep
parameters as columns). Labels and numbers follow ``lang`` (``en``, ``fr``) through
``ptce_flows.i18n`` and the look of ``plotting.style``. Each ``plot_*`` function draws on an
optional ``ax`` and returns it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from ptce_flows.i18n import check_lang, fmt_number, tr, unit_label
from ptce_flows.plotting.style import (
    FIG_WIDTH_IN,
    GREY,
    OKABE_ITO,
    figure,
    new_axes,
    number_formatter,
    render,
    style,
)

#: KPIs drawn in the comparison figure, in panel order
FIGURE_KPIS = ("diverted_t", "to_disposal_t", "tonne_km", "co2_t", "ghg_net_t_co2e", "cost_net_eur",
               "jobs_fte", "insertion_fte")
#: benefits drawn in the benefits figure
FIGURE_BENEFITS = ("avoided_disposal_t", "extra_diverted_t", "avoided_tonne_km", "avoided_co2_t",
                   "avoided_ghg_t_co2e", "cost_saving_eur", "net_jobs_fte", "net_insertion_fte")

BETTER_COLOR = OKABE_ITO["blue"]
WORSE_COLOR = OKABE_ITO["vermillion"]
LAYOUT_COLOR = OKABE_ITO["sky_blue"]
BASELINE_COLOR = "#BDBDBD"


def label(key: str, lang: str = "en", **fields) -> str:
    """A comparison label (every text lives in ``ptce_flows.i18n``)."""
    return tr(key, lang, **fields)


def _magnitude(values, unit: str) -> float:
    """1e6 when the figures run into millions (the axis then counts millions), else 1."""
    x = np.abs(np.asarray(values, dtype=float))
    x = x[np.isfinite(x)]
    return 1e6 if unit != "-" and x.size and x.max() >= 1e6 else 1.0


def _title(text: str, unit: str, lang: str, better: str = "", per: float = 1.0) -> str:
    shown = unit_label(unit, lang) if unit not in ("-", "") else "%"
    if per == 1e6:
        shown = ("million " if lang == "en" else "millions de ") + shown
    shown = shown.replace(" ", "\u00a0")
    out = f"{text}\u00a0({shown})" if shown else text
    out = textwrap.fill(out, 30, break_on_hyphens=False)
    if better:
        out += f"\n{label('better.' + better, lang)}"
    return out


def _suptitle(fig, text: str) -> None:
    fig.suptitle(textwrap.fill(text, 95))


def _float(value) -> float:
    return float("nan") if value in (None, "") else float(value)


def _rows_for(rows: list[dict], field: str, key: str) -> list[dict]:
    return [r for r in rows if r[field] == key and r.get("mean") not in (None, "")]


def _scale(kpi_unit: str, values: np.ndarray) -> float:
    return 100.0 if kpi_unit == "-" else 1.0


def _bars(ax, names, means, lows, highs, colors, lang):
    y = np.arange(len(names))[::-1]
    err = np.vstack([np.maximum(means - lows, 0), np.maximum(highs - means, 0)])
    ax.barh(y, means, color=colors, height=0.65, edgecolor="none")
    ax.errorbar(means, y, xerr=err, fmt="none", ecolor="#222222", elinewidth=0.9, capsize=2.5)
    ax.set_yticks(y, names)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="x")
    ax.margins(x=0.08)
    return y


def plot_kpi_bars(rows: list[dict], kpi: str, baseline: str, ax=None, lang: str = "en"):
    """Mean and 95 % interval of ``kpi`` for each layout (rows of comparison.csv)."""
    lang = check_lang(lang)
    ax = new_axes(ax)
    mine = _rows_for(rows, "kpi", kpi)
    if not mine:
        return ax
    unit = mine[0]["unit"]
    k = _scale(unit, np.array([]))
    names = [r["layout"] for r in mine]
    means = np.array([_float(r["mean"]) for r in mine]) * k
    per = _magnitude(means, unit)
    means = means / per
    lows = np.array([_float(r["ci95_low"]) for r in mine]) * k / per
    highs = np.array([_float(r["ci95_high"]) for r in mine]) * k / per
    colors = [BASELINE_COLOR if n == baseline else LAYOUT_COLOR for n in names]
    _bars(ax, names, means, lows, highs, colors, lang)
    if baseline in names:
        ax.axvline(means[names.index(baseline)], color=GREY, linestyle="--", linewidth=0.9)
    ax.set_title(_title(label(f"kpi.{kpi}", lang), unit, lang, mine[0].get("better", ""), per), loc="left")
    return ax


def plot_benefit_bars(rows: list[dict], benefit: str, baseline: str, ax=None, lang: str = "en"):
    """Paired difference to the baseline (positive is better) with its 95 % interval."""
    lang = check_lang(lang)
    ax = new_axes(ax)
    mine = [r for r in _rows_for(rows, "benefit", benefit) if r["layout"] != baseline]
    if not mine:
        return ax
    unit = mine[0]["unit"]
    names = [r["layout"] for r in mine]
    means = np.array([_float(r["mean"]) for r in mine])
    per = _magnitude(means, unit)
    means = means / per
    lows = np.array([_float(r["ci95_low"]) for r in mine]) / per
    highs = np.array([_float(r["ci95_high"]) for r in mine]) / per
    colors = [BETTER_COLOR if m > 0 else WORSE_COLOR if m < 0 else GREY for m in means]
    _bars(ax, names, means, lows, highs, colors, lang)
    ax.axvline(0, color="#222222", linewidth=0.8)
    ax.set_title(_title(label(f"benefit.{benefit}", lang), unit, lang, per=per), loc="left")
    return ax


def _grid(n_panels: int, n_layouts: int, per_layout: float = 0.22):
    ncols = 2 if n_panels > 1 else 1
    nrows = int(np.ceil(n_panels / ncols))
    height = nrows * (0.9 + per_layout * max(n_layouts, 2)) + 0.5
    fig, axes = figure(FIG_WIDTH_IN, height, nrows=nrows, ncols=ncols, squeeze=False, sharey=True)
    for ax in axes[:, 1:].ravel():   # the layouts are named once per row, on the left
        ax.tick_params(labelleft=False)
    flat = list(axes.ravel())
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


def comparison_figure(rows: list[dict], baseline: str, kpis=FIGURE_KPIS, lang: str = "en"):
    """One panel per KPI: each layout's mean with its 95 % interval (None without any data)."""
    lang = check_lang(lang)
    kpis = [k for k in kpis if _rows_for(rows, "kpi", k)]
    if not kpis:
        return None   # no finished run
    layouts = list(dict.fromkeys(r["layout"] for r in rows))
    with style():
        fig, axes = _grid(len(kpis), len(layouts))
        for ax, kpi in zip(axes, kpis, strict=True):
            plot_kpi_bars(rows, kpi, baseline, ax=ax, lang=lang)
        n = max((int(r["n"]) for r in rows if r.get("n") not in (None, "")), default=0)
        _suptitle(fig, label("title.comparison", lang, n=n))
    return fig


def benefits_figure(rows: list[dict], baseline: str, benefits=FIGURE_BENEFITS, lang: str = "en"):
    """One panel per benefit: each layout's paired gain over the baseline (None without data)."""
    lang = check_lang(lang)
    benefits = [b for b in benefits if _rows_for(rows, "benefit", b)]
    layouts = [n for n in dict.fromkeys(r["layout"] for r in rows) if n != baseline]
    if not benefits or not layouts:
        return None   # no finished pair of runs
    with style():
        fig, axes = _grid(len(benefits), len(layouts))
        for ax, benefit in zip(axes, benefits, strict=True):
            plot_benefit_bars(rows, benefit, baseline, ax=ax, lang=lang)
        _suptitle(fig, label("title.benefits", lang, b=baseline))
    return fig


def _axis_values(rows: list[dict], param: str):
    """Distinct values of a sweep parameter in grid order; numeric when they all are."""
    values = list(dict.fromkeys(str(r[param]) for r in rows))
    try:
        return values, np.array([float(v) for v in values]), True
    except ValueError:
        return values, np.arange(len(values), dtype=float), False


def _param_label(param: str) -> str:
    """``sites.platform.capacity_t_per_day`` -> ``platform.capacity_t_per_day``."""
    return param[len("sites."):] if param.startswith("sites.") else param


def plot_sweep_line(rows: list[dict], param: str, kpi: str, ax=None, lang: str = "en"):
    """``kpi`` against one swept parameter: mean line and 95 % band."""
    lang = check_lang(lang)
    ax = new_axes(ax)
    mine = _rows_for(rows, "kpi", kpi)
    if not mine:
        return ax
    unit = mine[0]["unit"]
    k = _scale(unit, np.array([]))
    texts, x, numeric = _axis_values(mine, param)
    by_value = {str(r[param]): r for r in mine}
    mean = np.array([_float(by_value[t]["mean"]) for t in texts]) * k
    per = _magnitude(mean, unit)
    mean = mean / per
    low = np.array([_float(by_value[t]["ci95_low"]) for t in texts]) * k / per
    high = np.array([_float(by_value[t]["ci95_high"]) for t in texts]) * k / per
    ax.fill_between(x, low, high, color=LAYOUT_COLOR, alpha=0.35, linewidth=0)
    ax.plot(x, mean, color=BETTER_COLOR, marker="o", markersize=3, linewidth=1.4)
    if not numeric:
        ax.set_xticks(x, texts, rotation=30, ha="right")
    else:
        ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.yaxis.set_major_formatter(number_formatter(lang))
    ax.set_xlabel(_param_label(param))
    ax.grid(axis="y")
    ax.set_title(_title(label(f"kpi.{kpi}", lang), unit, lang, mine[0].get("better", ""), per), loc="left")
    return ax


def plot_sweep_heatmap(rows: list[dict], params: list[str], kpi: str, ax=None, lang: str = "en"):
    """Mean of ``kpi`` over a two-parameter grid, values written in the cells when they fit."""
    lang = check_lang(lang)
    ax = new_axes(ax)
    mine = _rows_for(rows, "kpi", kpi)
    if not mine:
        return ax
    unit = mine[0]["unit"]
    k = _scale(unit, np.array([]))
    px, py = params
    xt, _, _ = _axis_values(mine, px)
    yt, _, _ = _axis_values(mine, py)
    grid = np.full((len(yt), len(xt)), np.nan)
    for r in mine:
        grid[yt.index(str(r[py])), xt.index(str(r[px]))] = _float(r["mean"]) * k
    per = _magnitude(grid, unit)
    grid = grid / per
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xt)), xt, rotation=30 if len(xt) > 6 else 0)
    ax.set_yticks(range(len(yt)), yt)
    ax.set_xlabel(_param_label(px))
    ax.set_ylabel(_param_label(py))
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.9, format=number_formatter(lang))
    bar.outline.set_visible(False)
    if grid.size <= 100:
        finite = grid[np.isfinite(grid)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                ax.text(j, i, fmt_number(value, lang), ha="center", va="center", fontsize=6,
                        color="white" if value < middle else "black")
    ax.set_title(_title(label(f"kpi.{kpi}", lang), unit, lang, mine[0].get("better", ""), per), loc="left")
    return ax


def sweep_figure(rows: list[dict], params: list[str], rank_by: str, lang: str = "en"):
    """Line panels (one parameter) or heat maps (two); None for three or more, or without data."""
    lang = check_lang(lang)
    if len(params) not in (1, 2):
        return None
    kpis = list(dict.fromkeys([rank_by, *FIGURE_KPIS]))
    kpis = [k for k in kpis if _rows_for(rows, "kpi", k)][: 6 if len(params) == 1 else 4]
    if not kpis:
        return None   # no finished run
    n = max((int(r["n"]) for r in rows if r.get("n") not in (None, "")), default=0)
    with style():
        if len(params) == 1:
            ncols = 2
            nrows = int(np.ceil(len(kpis) / ncols))
            fig, axes = figure(FIG_WIDTH_IN, 2.3 * nrows + 0.5, nrows=nrows, ncols=ncols, squeeze=False)
            flat = list(axes.ravel())
            for ax, kpi in zip(flat, kpis, strict=False):
                plot_sweep_line(rows, params[0], kpi, ax=ax, lang=lang)
            for ax in flat[len(kpis):]:
                ax.set_visible(False)
            _suptitle(fig, label("title.sweep", lang, n=n))
        else:
            nrows = int(np.ceil(len(kpis) / 2))
            fig, axes = figure(FIG_WIDTH_IN, 2.8 * nrows + 0.5, nrows=nrows, ncols=2, squeeze=False)
            flat = list(axes.ravel())
            for ax, kpi in zip(flat, kpis, strict=False):
                plot_sweep_heatmap(rows, params, kpi, ax=ax, lang=lang)
            for ax in flat[len(kpis):]:
                ax.set_visible(False)
            _suptitle(fig, label("title.heatmap", lang, n=n))
    return fig


def save_figure(fig, stem: Path) -> list[Path]:
    """Write ``stem.png`` (300 dpi) and ``stem.svg``; return their paths."""
    out = []
    for fmt in ("png", "svg"):
        path = Path(f"{stem}.{fmt}")
        path.write_bytes(render(fig, fmt))
        out.append(path)
    return out
