"""Daily series of a treatment site: intake and processing against capacity, stocks against
storage capacity, spreading windows shaded, and 95 % replication bands when there are
replications (``low``/``high`` of timeseries.csv: 2.5 and 97.5 percentiles across runs).
"""

from __future__ import annotations

import numpy as np

from ptce_flows.i18n import month_names, tr
from ptce_flows.plotting.style import FONT_SIZE, material_colors, new_axes, number_formatter
from ptce_flows.results.derive import window_spans
from ptce_flows.results.resultset import ResultSet
from ptce_flows.units import MONTH_LENGTHS, day_of_year

WINDOW_COLOR = "#009E73"
INTAKE_COLOR = "#B9D4E8"
PROCESSED_COLOR = "#222222"
SMOOTH_DAYS = 7
MONTH_STARTS = np.concatenate([[1], 1 + np.cumsum(MONTH_LENGTHS)[:-1]])  # day of year


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` days (shorter at the start), same length as ``values``."""
    values = np.asarray(values, dtype=float)
    csum = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(1, len(values) + 1)
    start = np.maximum(0, idx - window)
    return (csum[idx] - csum[start]) / (idx - start)


def time_axis(ax, results: ResultSet, lang: str = "en", label: bool = True) -> None:
    """Month ticks (horizons up to 400 days) or day ticks, and the axis label with its unit."""
    days = results.series.days
    n = len(days)
    ax.set_xlim(0, max(n, 1))
    if n <= 400:
        doy = np.asarray(day_of_year(days, results.start_day_of_year))
        starts = [int(d) for d, y in zip(days, doy, strict=True) if y in MONTH_STARTS]
        names = month_names(lang)
        month = {int(s): i for i, s in enumerate(MONTH_STARTS)}
        labels = [names[month[int(doy[d])]] for d in starts]
        pos = ax.get_position()
        slot_pt = pos.width * ax.get_figure(root=True).get_size_inches()[0] * 72.0 / max(len(starts), 1)
        widest = 0.62 * (FONT_SIZE - 0.5) * max((len(t) for t in labels), default=0)
        if widest + 3.0 > slot_pt:  # too tight: every other month gets a label
            labels = [t if i % 2 == 0 else "" for i, t in enumerate(labels)]
        ax.set_xticks(starts)
        ax.set_xticklabels(labels)
        if label:
            ax.set_xlabel(tr("axis.month", lang))
    else:
        ax.xaxis.set_major_formatter(number_formatter(lang, 0))
        if label:
            ax.set_xlabel(tr("axis.day", lang))


def _band(ax, days, series, color, replications: int, label: str | None = None, **kw):
    value, low, high = series
    if replications > 1 and np.any(high - low > 1e-9):
        ax.fill_between(days, low, high, color=color, alpha=0.22, lw=0, step="post", label=label, **kw)


def _shade_windows(ax, results: ResultSet, site: str, lang: str) -> None:
    for i, (a, b) in enumerate(window_spans(results, site)):
        ax.axvspan(a, b, color=WINDOW_COLOR, alpha=0.12, lw=0, zorder=0,
                   label=tr("legend.windows", lang) if i == 0 else None)


def _legend(ax) -> None:
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, borderaxespad=0.2,
              handlelength=1.8, columnspacing=1.2)


def plot_site_intake(results: ResultSet, site: str, ax=None, lang: str = "en", legend: bool = True):
    """Daily intake (all materials, mean over replications) and processing (7-day mean) of
    ``site`` against its intake capacity; the band is the 95 % range of the processing across
    replications (7-day means of the daily percentiles)."""
    ax = new_axes(ax, height=2.4)
    days = results.series.days
    reps = results.replications
    color = PROCESSED_COLOR
    intake = results.series.get(site, "intake")
    processed = results.series.get(site, "processed")
    if intake is not None:
        ax.fill_between(days, 0, intake[0], step="post", color=INTAKE_COLOR, lw=0,
                        label=tr("legend.intake", lang), zorder=1)
    if processed is not None:
        smooth = tuple(rolling_mean(a, SMOOTH_DAYS) for a in processed)
        _band(ax, days, smooth, color, reps, tr("legend.band", lang, n=reps), zorder=2)
        ax.plot(days + 0.5, smooth[0], color=color, lw=1.1, label=tr("legend.processed", lang, n=SMOOTH_DAYS),
                zorder=3)
    cap = results.capacity_t_per_day(site)
    if cap:
        ax.axhline(cap, color="#D55E00", lw=1.2, ls=(0, (5, 2)), label=tr("legend.capacity", lang), zorder=4)
    top = max([cap or 0.0] + [float(np.max(s[2])) for s in (intake, processed) if s is not None])
    return _finish(ax, results, top, tr("axis.intake", lang), lang, legend)


def _finish(ax, results: ResultSet, top: float, ylabel: str, lang: str, legend: bool):
    """The common end of a site panel: y range with headroom, labelled axes, legend."""
    ax.set_ylim(0, top * 1.12 if top > 0 else 1.0)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="y")
    time_axis(ax, results, lang)
    if legend:
        _legend(ax)
    return ax


def plot_site_stocks(results: ResultSet, site: str, ax=None, lang: str = "en", legend: bool = True):
    """Products in store at ``site``, and in store or still to come from the batches in process
    (what ``storage_t`` limits), against its storage capacity,
    with the spreading windows of the farms it serves shaded; bands are 95 % intervals
    across replications."""
    ax = new_axes(ax, height=2.4)
    days = results.series.days
    reps = results.replications
    colors = material_colors(results)
    _shade_windows(ax, results, site, lang)
    tops = [0.0]
    # what storage_t limits: products in store plus those still to come from the batches in
    # process (their input mass x the process yield), not the raw mass of the windrows
    in_process = results.series.get(site, "in_process")
    stored_all = results.series.get(site, "stored")
    yield_total = sum(float(c) for c in (results.process_of(site).get("outputs") or {}).values())
    if in_process is not None and yield_total > 0:
        booked = tuple(in_process[i] * yield_total + (stored_all[i] if stored_all is not None else 0.0)
                       for i in range(3))
        _band(ax, days, booked, "#777777", reps)
        ax.step(days, booked[0], where="post", color="#555555", lw=1.0, ls=(0, (3, 1.5)),
                label=tr("legend.booked_storage", lang))
        tops.append(float(np.max(booked[2])))
    for m in results.series.materials(site, "stored"):
        s = results.series.get(site, "stored", m)
        if s is None or float(np.max(s[2])) <= 0:
            continue
        _band(ax, days, s, colors.get(m, "#888888"), reps)
        ax.step(days, s[0], where="post", color=colors.get(m, "#888888"), lw=1.2,
                label=f"{tr('legend.stored', lang)}{' : ' if lang == 'fr' else ': '}"
                      f"{results.material_label(m).lower() if lang == 'fr' else results.material_label(m)}")
        tops.append(float(np.max(s[2])))
    storage = (results.sites.get(site) or {}).get("storage_t")
    if storage:
        ax.axhline(float(storage), color="#D55E00", lw=1.2, ls=(0, (1.5, 1.5)),
                   label=tr("legend.storage", lang))
        tops.append(float(storage))
    return _finish(ax, results, max(tops), tr("axis.stock", lang), lang, legend)
