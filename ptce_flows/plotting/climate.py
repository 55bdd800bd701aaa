"""The climate page (a waterfall of the greenhouse-gas terms) and the cost page (stacked bars
of the cost terms, with EUR per tonne and per inhabitant) of a run, in English and French.

Both read ``summary.json`` only (``ghg_t_co2e``, ``costs_eur``, ``kpis``); a run written
before the balances existed has neither, and the report then leaves the two figures out.
"""

from __future__ import annotations

import numpy as np

from ptce_flows.i18n import fmt_number
from ptce_flows.plotting.style import GREY, OKABE_ITO, TEXT, TOL_MUTED, new_axes, number_formatter
from ptce_flows.results.resultset import ResultSet

GHG_TERMS = ("transport", "process", "disposal", "avoided")
COST_TERMS = ("transport", "capital", "operating", "disposal", "taxes")

_WORDS = {
    "ghg.transport": ("Transport", "Transport"),
    "ghg.process": ("Treatment processes", "Procédés de traitement"),
    "ghg.disposal": ("Disposal", "Élimination"),
    "ghg.avoided": ("Avoided", "Évitées"),
    "ghg.net": ("Net balance", "Bilan net"),
    "ghg.axis": ("t CO₂e over the period", "t CO₂e sur la période"),
    "cost.transport": ("Transport", "Transport"),
    "cost.capital": ("Capital (annualised)", "Investissement (annualisé)"),
    "cost.operating": ("Operating", "Exploitation"),
    "cost.disposal": ("Disposal gate fees", "Prix d'entrée en élimination"),
    "cost.taxes": ("Tax (TGAP)", "Taxe (TGAP)"),
    "cost.revenue": ("Revenue", "Recettes"),
    "cost.costs": ("Costs", "Coûts"),
    "cost.net": ("Net cost", "Coût net"),
    "cost.axis": ("thousand EUR over the period, excl. VAT", "milliers d'euros HT sur la période"),
    "cost.title": ("Net cost: {v}", "Coût net : {v}"),
    "cost.thousand": ("{v} thousand EUR", "{v} milliers d'euros"),
    "cost.per_t": ("{v} EUR per tonne generated", "{v} EUR par tonne produite"),
    "cost.per_inhabitant": ("{v} EUR per inhabitant per year", "{v} EUR par habitant et par an"),
}

GHG_COLORS = {"transport": GREY, "process": OKABE_ITO["vermillion"], "disposal": OKABE_ITO["orange"],
              "avoided": OKABE_ITO["bluish_green"], "net": OKABE_ITO["blue"]}
COST_COLORS = dict(zip(COST_TERMS, (GREY, TOL_MUTED[0], TOL_MUTED[1], OKABE_ITO["orange"],
                                    OKABE_ITO["vermillion"]), strict=True))
COST_COLORS["revenue"] = OKABE_ITO["bluish_green"]


def word(key: str, lang: str = "en", **fields) -> str:
    en, fr = _WORDS[key]
    text = fr if lang == "fr" else en
    return text.format(**fields) if fields else text


def has_balances(results: ResultSet) -> bool:
    """Whether the run's summary holds the climate and cost balances."""
    return "ghg_t_co2e" in results.summary and "costs_eur" in results.summary


def plot_ghg_waterfall(results: ResultSet, ax=None, lang: str = "en"):
    """Waterfall: each emission term raises the running total, the avoided term lowers it,
    the last bar is the net balance (t CO2e over the reported period)."""
    ax = new_axes(ax, height=2.8)
    ghg = results.summary["ghg_t_co2e"]
    steps = [ghg[t] if t != "avoided" else -ghg[t] for t in GHG_TERMS]
    bottoms, total = [], 0.0
    for step in steps:
        bottoms.append(total if step >= 0 else total + step)
        total += step
    names = [*GHG_TERMS, "net"]
    heights = [abs(s) for s in steps] + [abs(ghg["net"])]
    bottoms.append(min(0.0, ghg["net"]))
    x = np.arange(len(names))
    ax.bar(x, heights, bottom=bottoms, color=[GHG_COLORS[n] for n in names], width=0.62, linewidth=0)
    running = np.cumsum(steps)
    for i, level in enumerate(running):  # connectors between the steps
        ax.plot([i + 0.31, i + 0.69], [level, level], color=TEXT, linewidth=0.6)
    top = max(max(b + h for b, h in zip(bottoms, heights, strict=True)), 0.0)
    span = max(top - min(min(bottoms), 0.0), 1e-9)
    values = [*steps, ghg["net"]]
    for i, (b, h, v) in enumerate(zip(bottoms, heights, values, strict=True)):
        ax.text(i, b + h + 0.02 * span, fmt_number(v, lang, 0), ha="center", va="bottom", color=TEXT)
    ax.axhline(0.0, color=TEXT, linewidth=0.6)
    ax.set_xticks(x, [word(f"ghg.{n}", lang) for n in names])
    ax.set_ylabel(word("ghg.axis", lang))
    ax.yaxis.set_major_formatter(number_formatter(lang))
    ax.set_ylim(min(min(bottoms), 0.0) - 0.05 * span, top + 0.14 * span)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_cost_bars(results: ResultSet, ax=None, lang: str = "en", legend_ax=None):
    """Two stacked bars (costs by term, revenue) and the net cost, in thousand EUR; the title
    line gives the net cost per tonne generated and per inhabitant per year when known. The
    legend goes into ``legend_ax`` (a row of its own) when given."""
    ax = new_axes(ax, height=2.4)
    costs, kpis = results.summary["costs_eur"], results.summary.get("kpis", {})
    left = 0.0
    for term in COST_TERMS:
        value = costs[term] / 1000.0
        ax.barh(1, value, left=left, color=COST_COLORS[term], height=0.55, linewidth=0,
                label=word(f"cost.{term}", lang))
        left += value
    ax.barh(0, costs["revenue"] / 1000.0, color=COST_COLORS["revenue"], height=0.55, linewidth=0,
            label=word("cost.revenue", lang))
    net = costs["net"] / 1000.0
    ax.axvline(net, color=OKABE_ITO["blue"], linewidth=1.4, linestyle="--", label=word("cost.net", lang))
    ax.axvline(0.0, color=TEXT, linewidth=0.6)
    ax.set_yticks([1, 0], [word("cost.costs", lang), word("cost.revenue", lang)])
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel(word("cost.axis", lang))
    ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.spines[["top", "right"]].set_visible(False)
    ratios = [word("cost.per_t", lang, v=fmt_number(kpis.get("cost_eur_per_t", 0.0), lang, 0))]
    if "cost_eur_per_inhabitant_year" in kpis:
        ratios.append(word("cost.per_inhabitant", lang,
                           v=fmt_number(kpis["cost_eur_per_inhabitant_year"], lang, 1)))
    head = word("cost.title", lang, v=word("cost.thousand", lang, v=fmt_number(net, lang, 0)))
    ax.set_title(head + "\n" + " · ".join(ratios), loc="left")
    if legend_ax is None:
        ax.legend(loc="lower right", frameon=False)
    else:
        legend_ax.set_axis_off()
        legend_ax.legend(*ax.get_legend_handles_labels(), loc="center", ncol=4, frameon=False,
                         borderaxespad=0.0)
    return ax
