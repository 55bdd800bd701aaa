"""Combine replications into the published figures: summary.json, flows and time series.

Every KPI is the mean over replications; with more than one replication each gets its
standard deviation and 95 % confidence interval (``uncertainty``). Flows are mean tonnages per
(origin, destination, material, fleet). Daily series give the mean and the 2.5 and 97.5
percentiles across replications (equal to the mean with one replication).
"""

from __future__ import annotations

import numpy as np

from ptce_flows.metrics.accounting import (
    BALANCE_KPI_UNITS,
    balance_factors,
    factor_rows,
    quantities,
    replication_balance,
)
from ptce_flows.metrics.kpis import FLOW_COLUMNS, KPI_UNITS, ReplicationSummary
from ptce_flows.metrics.series import series_heads
from ptce_flows.metrics.stats import mean_ci, mean_dicts
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.sim.world import World

#: rounding of published figures (tonnes to the gram, km to the metre); keeps files readable
#: and identical across platforms whose last float bits differ
DIGITS = 6

END_STOCK = ("source_stock_t", "transfer_stock_t", "waste_in_transit_t", "in_process_t", "stored_t",
             "product_in_transit_t")


def _r(x: float) -> float:
    return float(round(float(x), DIGITS))


def summary_dict(name: str, world: World, seed: int, runs: list[ReplicationSummary],
                 variant: str | None = None, spec: ScenarioSpec | None = None) -> dict:
    """The summary.json document (see docs/outputs.md for the contract). With ``spec``, it
    also holds the climate and cost balances (``ghg_t_co2e``, ``costs_eur``, their KPIs)."""
    kpis, uncertainty = {}, {}
    for key in KPI_UNITS:
        values = [run.kpis[key] for run in runs]
        mean, std, low, high = mean_ci(values)
        kpis[key] = _r(mean)
        if len(runs) > 1:
            uncertainty[key] = {"std": _r(std), "ci95": [_r(low), _r(high)]}
    if len(runs) > 1:
        # the balance error is a maximum, not an average: publish the worst replication
        kpis["mass_balance_error_t"] = _r(max(run.kpis["mass_balance_error_t"] for run in runs))
    out = {
        "scenario": name,
        "variant": variant,
        "horizon_days": world.horizon_days,
        "warmup_days": world.warmup_days,
        "seed": seed,
        "replications": len(runs),
        "kpis": kpis,
        "units": dict(KPI_UNITS),
        "products_t": _rounded(mean_dicts([run.products_t for run in runs])),
        "by_fleet": _rounded(mean_dicts([run.by_fleet for run in runs])),
        "jobs": _rounded(mean_dicts([run.jobs for run in runs])),
        "end_stock_t": _rounded(mean_dicts([{k: run.extra[k] for k in END_STOCK} for run in runs])),
    }
    if world.warmup_days:
        out["start_stock_t"] = _rounded(mean_dicts([{k: run.extra["start_" + k] for k in END_STOCK}
                                                    for run in runs]))
        out["start_stock_by_site_t"] = _rounded(mean_dicts([run.start_stocks for run in runs]))
    if any(run.extra.get("breakdowns") for run in runs):
        out["breakdowns"] = _rounded(mean_dicts(
            [{"count": run.extra["breakdowns"], "vehicle_days_lost": run.extra["downtime_d"]} for run in runs]))
    if spec is not None:
        _add_balances(out, spec, world, runs, uncertainty)
    if len(runs) > 1:
        out["uncertainty"] = uncertainty
    return out


def _add_balances(out: dict, spec: ScenarioSpec, world: World, runs: list[ReplicationSummary],
                  uncertainty: dict) -> None:
    """The climate and cost balances: mean over replications, 95 % intervals of their KPIs."""
    factors = balance_factors(spec)
    each = [replication_balance(factors, quantities(run, world.horizon_days)) for run in runs]
    for key, unit in BALANCE_KPI_UNITS.items():
        values = [b["kpis"][key] for b in each if key in b["kpis"]]
        if not values:
            continue
        mean, std, low, high = mean_ci(values)
        out["kpis"][key] = _r(mean)
        out["units"][key] = unit
        if len(runs) > 1:
            uncertainty[key] = {"std": _r(std), "ci95": [_r(low), _r(high)]}
    out["ghg_t_co2e"] = _rounded(mean_dicts([b["ghg_t_co2e"] for b in each]))
    out["costs_eur"] = _rounded(mean_dicts([b["costs_eur"] for b in each]))
    if factors.costs.population:
        out["population"] = factors.costs.population
    out["balance_factors"] = _rounded(factor_rows(factors))


def _rounded(tree):
    """Round every number in a nested dict/list (None and ints kept as they are)."""
    if isinstance(tree, dict):
        return {k: _rounded(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_rounded(v) for v in tree]
    if tree is None or isinstance(tree, bool | int | str):
        return tree
    return _r(tree)


def flow_rows(runs: list[ReplicationSummary]) -> list[dict]:
    """Mean flows over replications, one row per (origin, destination, material, fleet)."""
    keys: list = []
    seen = set()
    for run in runs:
        for key in run.flows:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    keys.sort()
    rows = []
    for key in keys:
        total = np.zeros(len(FLOW_COLUMNS))
        for run in runs:
            if key in run.flows:
                total += run.flows[key]
        mean = total / len(runs)
        row = dict(zip(("origin", "destination", "material", "fleet"), key, strict=True))
        row.update({col: _r(v) for col, v in zip(FLOW_COLUMNS, mean, strict=True)})
        rows.append(row)
    return rows


def timeseries_rows(world: World, runs: list[ReplicationSummary]) -> list[dict]:
    """Daily levels in long format with mean and 95 % band across replications.

    Rows are ordered by site, material, quantity and day. That order is built series by series
    (sorting the few thousand series, not the hundreds of thousands of rows), and the values
    are rounded from plain floats (``tolist``) rather than numpy scalars: the same rows, several
    times faster on a large territory.
    """
    series = runs[0].series
    stack = np.stack([run.levels for run in runs])  # (R, days, series)
    mean = stack.mean(axis=0)
    if len(runs) > 1:
        low, high = np.percentile(stack, [2.5, 97.5], axis=0)
    else:
        low = high = mean
    days = mean.shape[0]
    heads = series_heads(world, runs)
    # stable sort of the series by (site, material, quantity); series that tie (none do by
    # construction) are interleaved day by day, exactly as a stable sort of the rows would
    def key(j: int) -> tuple[str, str, str]:
        site, _kind, material, quantity, _unit = heads[j]
        return site, material, quantity

    groups: list[list[int]] = []
    for j in sorted(range(len(series)), key=key):
        if groups and key(groups[-1][0]) == key(j):
            groups[-1].append(j)
        else:
            groups.append([j])
    mean_t, low_t, high_t = mean.T.tolist(), low.T.tolist(), high.T.tolist()
    rows = []
    for group in groups:
        for day in range(days):
            for j in group:
                site, kind, material, quantity, unit = heads[j]
                rows.append({
                    "time_d": day, "site": site, "kind": kind, "material": material,
                    "quantity": quantity, "unit": unit, "value": round(mean_t[j][day], DIGITS),
                    "low": round(low_t[j][day], DIGITS), "high": round(high_t[j][day], DIGITS),
                })
    return rows
