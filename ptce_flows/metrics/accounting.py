"""Climate and cost balances of a run: the quantities they read, per replication, and the
factors they used (pure functions of the scenario and a run's summaries).

``balance_factors(spec)`` resolves every factor once; ``quantities(run, horizon_days)`` takes
from one replication what the balances need (transport by fleet, tonnes received by treatment
and disposal sites, tonnes delivered by product, tonnes generated); ``replication_balance``
gives that replication's ``ghg_t_co2e``, ``costs_eur`` and balance KPIs. Comparisons and
sensitivity runs can call the same functions on their own replications.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptce_flows.metrics.climate import ClimateFactors, Used, climate_factors, ghg_balance
from ptce_flows.metrics.costs import CostFactors, cost_balance, cost_factors
from ptce_flows.metrics.kpis import ReplicationSummary
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.units import DAYS_PER_YEAR

#: the balance KPIs added to summary.json, with their units
BALANCE_KPI_UNITS = {
    "ghg_net_t_co2e": "t CO2e",
    "cost_net_eur": "EUR",
    "cost_eur_per_t": "EUR/t",
    "cost_eur_per_inhabitant_year": "EUR/inhabitant/year",
}


@dataclass(frozen=True)
class BalanceFactors:
    climate: ClimateFactors
    costs: CostFactors


def balance_factors(spec: ScenarioSpec) -> BalanceFactors:
    climate = climate_factors(spec)
    return BalanceFactors(climate, cost_factors(spec, climate))


def quantities(run: ReplicationSummary, horizon_days: int) -> dict:
    """What the balances read from one replication (a small, JSON-ready dict)."""
    return {
        "horizon_days": horizon_days,
        "generated_t": float(run.kpis["generated_t"]),
        "fleets": {fid: {k: float(row[k]) for k in ("vehicle_km", "driver_hours", "co2_t")}
                   for fid, row in run.by_fleet.items()},
        **{key: dict(run.tonnages.get(key, {}))
           for key in ("received_t", "disposed_t", "delivered_t", "transferred_t")},
    }


def replication_balance(f: BalanceFactors, q: dict) -> dict:
    """``ghg_t_co2e``, ``costs_eur`` and the balance KPIs of one replication."""
    ghg = ghg_balance(f.climate, q)
    costs = cost_balance(f.costs, q)
    kpis = {
        "ghg_net_t_co2e": ghg["net"],
        "cost_net_eur": costs["net"],
        "cost_eur_per_t": costs["net"] / q["generated_t"] if q["generated_t"] > 0 else 0.0,
    }
    if f.costs.population > 0:
        kpis["cost_eur_per_inhabitant_year"] = (
            costs["net"] * DAYS_PER_YEAR / q["horizon_days"] / f.costs.population)
    return {"ghg_t_co2e": ghg, "costs_eur": costs, "kpis": kpis}


def factor_rows(f: BalanceFactors) -> list[dict]:
    """Every factor the balances used: term, item, quantity, value, unit and origin."""
    rows: list[dict] = []

    def add(term: str, quantity: str, table: dict[str, Used]) -> None:
        for item, used in table.items():
            rows.append({"term": term, "item": item, "quantity": quantity, "value": used.value,
                         "unit": used.unit, "origin": used.origin})

    c, k = f.climate, f.costs
    add("ghg.process", "kg_co2e_per_t_input", c.process)
    add("ghg.disposal", "kg_co2e_per_t", c.disposal)
    add("ghg.avoided", "avoided_kg_co2e_per_t", c.product)
    add("ghg.avoided", "energy_kwh_per_t_input", {s: u for s, u in c.energy_kwh.items() if u.value})
    add("ghg.avoided", "avoided_kg_co2e_per_kwh",
        {s: u for s, u in c.avoided_per_kwh.items() if c.energy_kwh[s].value})
    add("costs.transport", "eur_per_km", k.fleet_km)
    add("costs.transport", "eur_per_h", k.fleet_h)
    add("costs.capital", "discount_rate", {"all": k.discount_rate})
    add("costs.capital", "capex_eur", k.capex)
    add("costs.capital", "life_years", k.life)
    add("costs.operating", "fixed_eur_per_year", k.fixed)
    add("costs.operating", "eur_per_t", k.per_t)
    add("costs.disposal", "gate_fee_eur_per_t", k.gate_fee)
    add("costs.taxes", "tax_eur_per_t", k.tax)
    add("costs.revenue", "price_eur_per_t", k.price)
    add("costs.revenue", "energy_eur_per_kwh",
        {s: u for s, u in k.energy_price.items() if k.energy_kwh[s].value})
    return rows
