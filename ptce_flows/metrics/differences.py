"""Compare layouts run with common random numbers: statistics, paired differences, ranking.

Every layout runs replication ``i`` with the same seed, so the difference between a layout
and the baseline is computed replication by replication (a *paired* difference) and its 95 %
interval is Student's t on those differences (``stats.mean_ci``). Noise common to both layouts
(the same supply draws, the same breakdowns) cancels, which makes the interval much narrower
than the one of two independent means.

Conventions:
- ``diff`` is always *layout minus baseline*, in the KPI's unit.
- *Benefits* restate the differences a planner quotes so that positive is good:
  avoided disposal (t) = baseline - layout tonnage sent to disposal (waste plus process
  residues), avoided tonne-km and transport CO2 (negative means added), avoided greenhouse
  gases (baseline - layout net GHG of the whole balance, ``metrics.accounting``), cost saving
  (baseline - layout net cost), net jobs created, extra tonnes diverted.
- The *abatement cost* (``metrics.abatement``) is extra cost / avoided GHG, a ratio of paired
  means with Fieller's interval, in a table of its own (it is already a comparison with the
  baseline).
- A difference is ``significant`` when its 95 % interval excludes 0; with a single replication
  that cannot be judged and it is ``None``.

All functions are pure: inputs are per-replication KPI dicts, outputs plain dicts.
"""

from __future__ import annotations

import math

from ptce_flows.metrics.abatement import ABATEMENT, ABATEMENT_UNIT, abatement
from ptce_flows.metrics.kpis import KPI_UNITS
from ptce_flows.metrics.stats import mean_ci

#: rounding of published figures, as in ``aggregate``
DIGITS = 6

#: KPIs of a comparison, in display order, with their units (the balance error is a check, not a KPI)
COMPARE_KPIS: dict[str, str] = {}
for _key, _unit in KPI_UNITS.items():
    if _key == "mass_balance_error_t":
        continue
    COMPARE_KPIS[_key] = _unit
    if _key == "disposed_t":
        COMPARE_KPIS["to_disposal_t"] = "t"
#: the balance KPIs of every replication (``metrics.accounting.replication_balance``)
BALANCE_KPIS = {"ghg_net_t_co2e": "t CO2e", "cost_net_eur": "EUR", "cost_eur_per_t": "EUR/t"}
COMPARE_KPIS.update(BALANCE_KPIS)
#: what ``--rank-by`` accepts: every KPI of a comparison and the abatement cost
RANK_KPIS: dict[str, str] = {**COMPARE_KPIS, ABATEMENT: ABATEMENT_UNIT}

#: +1 when more is better, -1 when less is better, 0 when neither (ranking direction)
BETTER: dict[str, int] = {
    "generated_t": 0, "collected_t": 1, "diverted_t": 1, "disposed_t": -1, "to_disposal_t": -1,
    "diversion_rate": 1, "delivered_t": 1, "produced_t": 1, "process_losses_t": 0,
    "residues_disposed_t": -1, "unmet_demand_t": -1, "stock_end_t": 0, "trips": -1,
    "vehicle_km": -1, "tonne_km": -1, "co2_t": -1, "driver_hours": -1, "jobs_fte": 1,
    "insertion_fte": 1, "ghg_net_t_co2e": -1, "cost_net_eur": -1, "cost_eur_per_t": -1, ABATEMENT: -1,
}

#: benefit -> (KPI, sign applied to the layout-minus-baseline difference, unit)
BENEFITS: dict[str, tuple[str, int, str]] = {
    "avoided_disposal_t": ("to_disposal_t", -1, "t"),
    "extra_diverted_t": ("diverted_t", 1, "t"),
    "avoided_tonne_km": ("tonne_km", -1, "t.km"),
    "avoided_co2_t": ("co2_t", -1, "t CO2e"),
    "avoided_ghg_t_co2e": ("ghg_net_t_co2e", -1, "t CO2e"),
    "cost_saving_eur": ("cost_net_eur", -1, "EUR"),
    "net_jobs_fte": ("jobs_fte", 1, "FTE"),
    "net_insertion_fte": ("insertion_fte", 1, "FTE"),
}


def _r(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(round(float(x), DIGITS))


def with_derived(kpis: dict[str, float], balance: dict[str, float] | None = None) -> dict[str, float]:
    """The KPIs of one replication plus ``to_disposal_t`` (waste and residues to disposal) and
    the balance KPIs of ``balance`` (the ``kpis`` of ``accounting.replication_balance``)."""
    out = dict(kpis)
    out["to_disposal_t"] = float(kpis["disposed_t"]) + float(kpis["residues_disposed_t"])
    for key in BALANCE_KPIS:
        if balance is not None and key in balance:
            out[key] = float(balance[key])
    return out


def describe(values) -> dict:
    """n, mean, std and 95 % interval of ``values`` (rounded; None when there is none)."""
    values = list(values)
    if not values:
        return {"n": 0, "mean": None, "std": None, "low": None, "high": None}
    mean, std, low, high = mean_ci(values)
    return {"n": len(values), "mean": _r(mean), "std": _r(std), "low": _r(low), "high": _r(high)}


def paired(values: dict[int, float], base: dict[int, float]) -> dict:
    """Paired difference (values - base) over the replications both have, with its interval."""
    common = sorted(set(values) & set(base))
    diffs = [values[i] - base[i] for i in common]
    out = describe(diffs)
    out["significant"] = significant(out)
    return out


def significant(stat: dict) -> bool | None:
    """True when the 95 % interval excludes 0; None when it cannot be judged (n < 2)."""
    if stat["n"] < 2 or stat["low"] is None:
        return None
    return bool(stat["low"] > 0 or stat["high"] < 0)


def compare_layouts(runs: dict[str, dict[int, dict[str, float]]], baseline: str) -> dict:
    """Statistics of every layout and KPI, and paired differences to ``baseline``.

    Args:
        runs: layout -> replication index -> KPIs of that replication (see ``with_derived``).
        baseline: the layout the others are compared with.

    Returns:
        ``{"layouts": {layout: {kpi: {n, mean, std, low, high, diff: {...}}}},
        "benefits": {layout: {benefit: {n, mean, std, low, high, significant}}},
        "abatement": {layout: {n, mean, low, high, status, ...}}}`` (``metrics.abatement``;
        empty when the runs carry no balance KPIs).
    """
    if baseline not in runs:
        raise KeyError(baseline)
    base = runs[baseline]
    layouts: dict[str, dict] = {}
    benefits: dict[str, dict] = {}
    abated: dict[str, dict] = {}
    for name, reps in runs.items():
        table = {}
        for kpi in COMPARE_KPIS:
            if not all(kpi in k for k in (*reps.values(), *base.values())):
                continue   # runs made without the balance (tests that build KPIs by hand)
            series = {i: k[kpi] for i, k in reps.items()}
            stat = describe(series[i] for i in sorted(series))
            stat["diff"] = paired(series, {i: k[kpi] for i, k in base.items()})
            table[kpi] = stat
        if "ghg_net_t_co2e" in table and "cost_net_eur" in table:
            abated[name] = _abatement(reps, base, name == baseline)
        layouts[name] = table
        gains = {}
        for benefit, (kpi, sign, _unit) in BENEFITS.items():
            if kpi not in table:
                continue
            series = {i: sign * k[kpi] for i, k in reps.items()}
            gains[benefit] = paired(series, {i: sign * k[kpi] for i, k in base.items()})
        benefits[name] = gains
    return {"layouts": layouts, "benefits": benefits, "abatement": abated}


def _abatement(reps: dict[int, dict], base: dict[int, dict], is_baseline: bool) -> dict:
    def series(runs, kpi):
        return {i: k[kpi] for i, k in runs.items()}

    return abatement(series(reps, "cost_net_eur"), series(base, "cost_net_eur"),
                     series(reps, "ghg_net_t_co2e"), series(base, "ghg_net_t_co2e"), is_baseline)


def rank_abatement(runs: dict[str, dict[int, dict[str, float]]], baseline: str) -> list[dict]:
    """Layouts from the cheapest tonne avoided to the dearest; those without a finite figure
    (the baseline, an unbounded or undefined ratio, a layout that emits more) come last,
    unranked. No paired difference to the best (a difference of ratios is not computed)."""
    stats = {name: _abatement(reps, runs[baseline], name == baseline) for name, reps in runs.items()}
    order = {name: i for i, name in enumerate(runs)}
    ranked = sorted((n for n in runs if stats[n]["mean"] is not None),
                    key=lambda n: (stats[n]["mean"], order[n]))
    empty = {"mean": None, "low": None, "high": None}
    rows = [{"rank": position, "layout": name, **{k: stats[name][k] for k in ("n", "mean", "low", "high")},
             "vs_best": dict(empty), "tied_with_best": True if position == 1 else None,
             "status": stats[name]["status"]} for position, name in enumerate(ranked, start=1)]
    rows += [{"rank": None, "layout": name, "n": stats[name]["n"], "mean": None, "low": None, "high": None,
              "vs_best": dict(empty), "tied_with_best": None, "status": stats[name]["status"]}
             for name in runs if name not in ranked]
    return rows


def rank(runs: dict[str, dict[int, dict[str, float]]], kpi: str, baseline: str | None = None) -> list[dict]:
    """Layouts from best to worst on ``kpi`` (direction from ``BETTER``; neutral: larger first).

    Each row: rank, layout, mean, low, high, and the paired difference to the best layout
    (``vs_best``, layout minus best) with ``tied_with_best`` when its interval contains 0.
    Layouts without a finished replication come last, unranked. The abatement cost is ranked
    by ``rank_abatement`` (it needs the ``baseline``).
    """
    if kpi == ABATEMENT:
        return rank_abatement(runs, baseline if baseline is not None else next(iter(runs)))
    direction = BETTER.get(kpi, 1) or 1
    stats = {name: describe(reps[i][kpi] for i in sorted(reps)) for name, reps in runs.items()}
    order = {name: i for i, name in enumerate(runs)}   # ties keep the layouts' order
    ranked = sorted((n for n in runs if stats[n]["n"]), key=lambda n: (-direction * stats[n]["mean"], order[n]))
    rows = []
    best = ranked[0] if ranked else None
    for position, name in enumerate(ranked, start=1):
        vs = paired({i: k[kpi] for i, k in runs[name].items()}, {i: k[kpi] for i, k in runs[best].items()})
        tied = None if vs["significant"] is None else not vs["significant"]
        if name == best or (vs["mean"] == 0 and not vs["std"]):
            tied = True   # the best itself, or identical in every replication
        rows.append({"rank": position, "layout": name, **{k: stats[name][k] for k in ("n", "mean", "low", "high")},
                     "vs_best": {k: vs[k] for k in ("mean", "low", "high")}, "tied_with_best": tied})
    for name in runs:
        if name not in ranked:
            rows.append({"rank": None, "layout": name, "n": 0, "mean": None, "low": None, "high": None,
                         "vs_best": {"mean": None, "low": None, "high": None}, "tied_with_best": None})
    return rows
