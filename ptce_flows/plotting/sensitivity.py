"""Tornado figure of a one-at-a-time sensitivity run, from the rows of ``sensitivity.csv``.

One horizontal bar per input, sorted by swing (the largest at the top): from the KPI's central
value to its value with the input at its low end (one colour) and at its high end (another),
with the 95 % interval of each paired difference as a whisker. The input's label gives its
low and high values. Inputs that change nothing are left out (counted in a note), and at most
``TOP`` inputs are drawn.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ptce_flows.i18n import check_lang, fmt_number, tr, unit_label
from ptce_flows.plotting.style import FIG_WIDTH_IN, GREY, OKABE_ITO, figure, number_formatter, style

TOP = 15
LOW_COLOR = OKABE_ITO["sky_blue"]
HIGH_COLOR = OKABE_ITO["vermillion"]


def _f(value) -> float:
    return float("nan") if value in (None, "") else float(value)


def _value(v: float, lang: str) -> str:
    """An input's value as given (0.025 stays 0.025), thousands separated from 1,000 up."""
    if abs(v) >= 1000:
        return fmt_number(v, lang, 0)
    text = f"{v:g}"
    return text.replace(".", ",") if lang == "fr" else text


def parameter_label(row: dict, lang: str = "en") -> str:
    """``item: quantity (low / high unit)``, e.g. ``co_composting: process GHG (17 / 380 kg CO2e/t input)``."""
    parts = str(row["parameter"]).split(".")
    leaf = parts[-1]
    if parts[0] in ("climate", "costs"):
        name = tr(f"factor.{leaf}", lang)
        item = parts[-2] if len(parts) > 2 else ""
    else:   # a --param: its whole path
        name, item = ".".join(parts[1:]) if len(parts) > 2 else str(row["parameter"]), ""
    unit = unit_label(str(row.get("unit") or ""), lang)
    values = f"{_value(_f(row['low_value']), lang)} / {_value(_f(row['high_value']), lang)}"
    text = f"{item}: {name}" if item else name
    return textwrap.shorten(text, 60, placeholder="…") + f"\n({values}{' ' + unit if unit and unit != '-' else ''})"


def tornado_figure(rows: list[dict], kpi: str, replications: int, lang: str = "en", top: int = TOP):
    """The tornado of one KPI (None when there is no input)."""
    lang = check_lang(lang)
    if not rows:
        return None
    moving = [r for r in rows if _f(r["swing"]) > 0]
    still = len(rows) - len(moving)
    moving = sorted(moving, key=lambda r: -_f(r["swing"]))[:top]
    central = _f(rows[0]["central"])
    unit = rows[0]["kpi_unit"]
    per = 1e6 if abs(central) >= 1e6 or any(abs(_f(r["at_high"])) >= 1e6 for r in moving) else 1.0
    with style():
        height = 1.4 + 0.42 * max(len(moving), 1)
        fig, ax = figure(FIG_WIDTH_IN, height)
        y = np.arange(len(moving))[::-1]
        for end, color in (("low", LOW_COLOR), ("high", HIGH_COLOR)):
            at = np.array([_f(r[f"at_{end}"]) for r in moving]) / per
            lo = np.array([_f(r[f"{end}_minus_central_ci95_low"]) for r in moving]) / per + central / per
            hi = np.array([_f(r[f"{end}_minus_central_ci95_high"]) for r in moving]) / per + central / per
            ax.barh(y, at - central / per, left=central / per, color=color, height=0.6, edgecolor="none",
                    label=tr(f"tornado.at_{end}", lang))
            if replications > 1:
                err = np.vstack([np.maximum(at - lo, 0), np.maximum(hi - at, 0)])
                ax.errorbar(at, y, xerr=err, fmt="none", ecolor="#222222", elinewidth=0.8, capsize=2)
        ax.axvline(central / per, color=GREY, linestyle="--", linewidth=0.9)
        ax.set_yticks(y, [parameter_label(r, lang) for r in moving], fontsize=7)
        ax.xaxis.set_major_formatter(number_formatter(lang))
        ax.grid(axis="x")
        shown = unit_label(unit, lang) if unit not in ("-", "") else "%"
        if per == 1e6:
            shown = ("million " if lang == "en" else "millions de ") + shown
        ax.set_xlabel(f"{tr(f'kpi.{kpi}', lang)} ({shown})")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        title = tr("tornado.title", lang, kpi=tr(f"kpi.{kpi}", lang), central=fmt_number(central / per, lang),
                   unit=shown, n=replications)
        lines = [textwrap.fill(title, 100)] + ([tr("tornado.still", lang, n=still)] if still else [])
        fig.suptitle("\n".join(lines), fontsize=9)
    return fig
