"""The ``results.xlsx`` of a comparison or a sweep: the tables of comparison.csv, benefits.csv,
ranking.csv and replications.csv with labels (layouts by their label, KPIs by their name in
the language asked), units in the headers and numbers as numeric cells."""

from __future__ import annotations

from pathlib import Path

from ptce_flows.experiment.plans import Comparison
from ptce_flows.i18n import colon, label_text, tr, unit_label
from ptce_flows.metrics.differences import BENEFITS, BETTER, COMPARE_KPIS, RANK_KPIS
from ptce_flows.reports.xlsx import Column, Sheet, write_workbook

_BETTER = {1: "better.more", -1: "better.less", 0: "better.neither"}


def layout_labels(comp: Comparison, lang: str = "en") -> dict[str, str]:
    """Each layout's name -> its label in ``lang`` (the variant's ``label``, else the name);
    names are kept where two labels would be the same."""
    from ptce_flows.reports.compare_report import base_name

    labels = {lay.name: label_text(lay.label, lang, base_name(lay.name, lang)) for lay in comp.plan.layouts}
    seen: dict[str, int] = {}
    for text in labels.values():
        seen[text] = seen.get(text, 0) + 1
    return {name: (text if seen[text] == 1 else name) for name, text in labels.items()}


def _kpi(kpi: str, lang: str) -> str:
    unit = RANK_KPIS[kpi]
    shown = "%" if unit == "-" and kpi == "diversion_rate" else unit_label(unit, lang)
    return f"{tr('kpi.' + kpi, lang)} ({shown})" if shown else tr(f"kpi.{kpi}", lang)


def _value(kpi: str, value):
    return None if value is None else (100.0 * value if kpi == "diversion_rate" else value)


def _yes(flag, lang: str):
    return None if flag is None else tr("yes" if flag else "no", lang)


def comparison_sheets(comp: Comparison, lang: str = "en") -> list[Sheet]:
    plan = comp.plan
    names = layout_labels(comp, lang)
    params = list(plan.params)
    pcols = [Column(p, "general", 16) for p in params]

    def pvals(name: str) -> list:
        got = dict(plan.layout(name).params)
        return [got.get(p) for p in params]

    stats = [Column(tr("col.mean", lang), "0.00", 14), Column(tr("col.low", lang), "0.00", 14),
             Column(tr("col.high", lang), "0.00", 14)]
    diff = [Column(f"{tr('col.diff', lang)}: {tr(k, lang).lower()}", "0.00", 16)
            for k in ("col.mean", "col.low", "col.high")]
    head = [Column(tr("col.layout", lang), width=36), *pcols, Column(tr("col.indicator", lang), width=40),
            Column(tr("col.better", lang), width=14)]
    rows = []
    for name, table in comp.table["layouts"].items():
        for kpi, st in table.items():
            d = st["diff"]
            rows.append([names[name], *pvals(name), _kpi(kpi, lang), tr(_BETTER[BETTER.get(kpi, 0)], lang),
                         *(_value(kpi, st[k]) for k in ("mean", "low", "high")),
                         *(_value(kpi, d[k]) for k in ("mean", "low", "high")), _yes(d["significant"], lang)])
    sheets = [Sheet(tr("xlsx.comparison", lang), [*head, *stats, *diff, Column(tr("col.significant", lang))],
                    rows, notes=[f"{tr('col.baseline', lang)}{colon(lang)}{names[plan.baseline]}"])]
    rows = []
    for name, gains in comp.table["benefits"].items():
        for benefit, st in gains.items():
            unit = unit_label(BENEFITS[benefit][2], lang)
            rows.append([names[name], *pvals(name), f"{tr('benefit.' + benefit, lang)} ({unit})",
                         st["mean"], st["low"], st["high"], _yes(st["significant"], lang)])
    sheets.append(Sheet(tr("xlsx.benefits", lang),
                        [Column(tr("col.layout", lang), width=36), *pcols, Column(tr("col.benefit", lang), width=40),
                         *stats, Column(tr("col.significant", lang))], rows))
    kpi = plan.rank_by
    rows = []
    for row in comp.ranking:
        rows.append([row["rank"], names[row["layout"]], *pvals(row["layout"]),
                     _value(kpi, row["mean"]), _value(kpi, row["low"]), _value(kpi, row["high"]),
                     _value(kpi, (row.get("vs_best") or {}).get("mean")), _yes(row.get("tied_with_best"), lang)])
    sheets.append(Sheet(tr("xlsx.ranking", lang),
                        [Column(tr("col.rank", lang), "int", 8), Column(tr("col.layout", lang), width=36), *pcols,
                         *stats, Column(tr("col.vs_best", lang), "0.00", 16), Column(tr("col.tied", lang))],
                        rows, notes=[_kpi(kpi, lang)]))
    rows = [[names[name], *pvals(name), st.get("extra_cost_eur"), st.get("avoided_t_co2e"), st["mean"], st["low"],
             st["high"], tr(f"abatement.{st['status']}", lang)]
            for name, st in comp.table.get("abatement", {}).items()]
    if rows:
        sheets.append(Sheet(tr("xlsx.abatement", lang),
                            [Column(tr("col.layout", lang), width=36), *pcols,
                             Column(f"{tr('col.extra_cost', lang)} (EUR)", "0", 16),
                             Column(f"{tr('col.avoided_ghg', lang)} (t CO2e)", "0.0", 16),
                             Column(f"{_kpi('abatement_cost_eur_per_t_co2e', lang)}", "0", 22),
                             Column(tr("col.low", lang), "0", 14), Column(tr("col.high", lang), "0", 14),
                             Column(tr("col.status", lang), width=30)], rows,
                            notes=[tr("abatement.method", lang)]))
    rows = []
    for name, reps in comp.runs.items():
        for i in sorted(reps):
            rows.append([names[name], *pvals(name), i, *(_value(k, reps[i][k]) for k in COMPARE_KPIS)])
    sheets.append(Sheet(tr("xlsx.replications", lang),
                        [Column(tr("col.layout", lang), width=36), *pcols, Column(tr("col.replication", lang), "int"),
                         *(Column(_kpi(k, lang), "0.00", 16) for k in COMPARE_KPIS)], rows))
    return sheets


def write_comparison_workbook(path: Path, comp: Comparison, lang: str = "en") -> Path:
    return write_workbook(path, comparison_sheets(comp, lang))
