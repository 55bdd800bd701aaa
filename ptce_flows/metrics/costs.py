"""Cost balance of a run (EUR excluding VAT over the reported period), a pure function.

``cost_factors(spec)`` resolves every fleet's, site's and product's cost factors (the
scenario's ``costs:`` block first, then the defaults of :mod:`ptce_flows.metrics.factors`);
``cost_balance(factors, q)`` applies them to one replication's quantities:

- transport = EUR/km x vehicle-km + EUR/h x vehicle hours, per fleet;
- capital = capex x r / (1 - (1 + r)^-n) (annuity over ``life_years`` at ``discount_rate``);
- operating = fixed EUR per year + EUR per tonne received (by a transfer station: per tonne
  it received to forward);
- disposal = gate fee x tonnes received; taxes = TGAP (or the site's tax) x tonnes received;
- revenue = product price x tonnes delivered + energy price x kWh sold;
- net = transport + capital + operating + disposal + taxes - revenue.

Yearly amounts (capital, fixed) are taken pro rata of the reported days (horizon / 365).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ptce_flows.metrics import factors as fx
from ptce_flows.metrics.climate import ClimateFactors, Used, pick, product_types
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.units import DAYS_PER_YEAR


@dataclass
class CostFactors:
    discount_rate: Used
    year: int
    fleet_km: dict[str, Used] = field(default_factory=dict)
    fleet_h: dict[str, Used] = field(default_factory=dict)
    capex: dict[str, Used] = field(default_factory=dict)
    life: dict[str, Used] = field(default_factory=dict)
    fixed: dict[str, Used] = field(default_factory=dict)
    per_t: dict[str, Used] = field(default_factory=dict)
    energy_price: dict[str, Used] = field(default_factory=dict)
    energy_kwh: dict[str, Used] = field(default_factory=dict)
    gate_fee: dict[str, Used] = field(default_factory=dict)
    tax: dict[str, Used] = field(default_factory=dict)
    price: dict[str, Used] = field(default_factory=dict)
    population: int = 0


def annuity_factor(rate: float, years: float) -> float:
    """Share of a capital repaid each year: r / (1 - (1 + r)^-n); 1/n when r = 0."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def cost_factors(spec: ScenarioSpec, climate: ClimateFactors) -> CostFactors:
    """The cost factors of every fleet, site and product of ``spec``."""
    given = spec.costs
    out = CostFactors(pick(given.discount_rate, fx.DISCOUNT_RATE, "-"), given.year)
    for fid, fleet in spec.fleets.items():
        mine = given.fleets.get(fid)
        out.fleet_km[fid] = pick(mine and mine.eur_per_km, fx.FLEET_EUR_PER_KM, "EUR/km")
        out.fleet_h[fid] = pick(mine and mine.eur_per_h, fx.FLEET_EUR_PER_H, "EUR/vehicle-h", fleet.crew)
    for sid, site in spec.sites_of("treatment").items():
        ptype = spec.processes[site.process].type or ""
        table = fx.PROCESS_COSTS.get(ptype)
        mine = given.sites.get(sid)
        capacity = site.capacity_per_day * DAYS_PER_YEAR
        out.capex[sid] = pick(mine and mine.capex_eur, table and table["capex_eur_per_t_year"], "EUR",
                              capacity)
        out.life[sid] = pick(mine and mine.life_years, (table or fx.PROCESS_COSTS["other"])["life_years"],
                             "years")
        out.fixed[sid] = pick(mine and mine.fixed_eur_per_year, None, "EUR/year")
        if out.fixed[sid].origin != "scenario":
            out.fixed[sid] = Used(0.0, "EUR/year", "default: included in EUR/t")
        out.per_t[sid] = pick(mine and mine.eur_per_t, table and table["eur_per_t"], "EUR/t input")
        out.energy_kwh[sid] = climate.energy_kwh[sid]
        out.energy_price[sid] = pick(mine and mine.energy_eur_per_kwh, fx.ENERGY_EUR_PER_KWH, "EUR/kWh")
    for sid in spec.sites_of("transfer"):
        mine = given.sites.get(sid)
        table = fx.TRANSFER_COSTS
        out.capex[sid] = pick(mine and mine.capex_eur, table["capex_eur"], "EUR")
        out.life[sid] = pick(mine and mine.life_years, table["life_years"], "years")
        out.fixed[sid] = pick(mine and mine.fixed_eur_per_year, None, "EUR/year")
        if out.fixed[sid].origin != "scenario":
            out.fixed[sid] = Used(0.0, "EUR/year", "default: included in EUR/t")
        out.per_t[sid] = pick(mine and mine.eur_per_t, table["eur_per_t"], "EUR/t transferred")
    for sid, site in spec.sites_of("disposal").items():
        mine = given.sites.get(sid)
        dtype = site.type or ""
        out.gate_fee[sid] = pick(mine and mine.gate_fee_eur_per_t, fx.GATE_FEE.get(dtype), "EUR/t")
        default_tax = fx.tgap(dtype, given.year) if dtype in fx.TGAP_EUR_PER_T else None
        out.tax[sid] = pick(mine and mine.tax_eur_per_t, default_tax, "EUR/t")
    for m, ptype in product_types(spec).items():
        mine = given.products.get(m)
        out.price[m] = pick(mine and mine.price_eur_per_t, fx.PRODUCT_PRICE.get(ptype or ""), "EUR/t")
    # the whole net cost over the known population: sources without one (businesses, imports)
    # add cost but no inhabitants, so the figure is then an upper bound (docs/outputs.md)
    out.population = sum(s.population or 0 for s in spec.sites_of("source").values())
    return out


def cost_balance(f: CostFactors, q: dict) -> dict[str, float]:
    """EUR of one replication: transport, capital, operating, disposal, taxes, revenue, net."""
    share = q["horizon_days"] / DAYS_PER_YEAR
    transport = sum(row["vehicle_km"] * f.fleet_km[fid].value + row["driver_hours"] * f.fleet_h[fid].value
                    for fid, row in q["fleets"].items() if fid in f.fleet_km)
    rate = f.discount_rate.value
    capital = sum(f.capex[s].value * annuity_factor(rate, f.life[s].value) for s in f.capex) * share
    received, disposed = q["received_t"], q["disposed_t"]
    through = {**received, **q.get("transferred_t", {})}   # treatment sites, transfer stations
    operating = sum(f.fixed[s].value for s in f.fixed) * share + sum(
        t * f.per_t[s].value for s, t in through.items() if s in f.per_t)
    disposal = sum(t * f.gate_fee[s].value for s, t in disposed.items() if s in f.gate_fee)
    taxes = sum(t * f.tax[s].value for s, t in disposed.items() if s in f.tax)
    revenue = sum(t * f.price[m].value for m, t in q["delivered_t"].items() if m in f.price) + sum(
        t * f.energy_kwh[s].value * f.energy_price[s].value for s, t in received.items() if s in f.energy_kwh)
    net = transport + capital + operating + disposal + taxes - revenue
    return {"transport": transport, "capital": capital, "operating": operating, "disposal": disposal,
            "taxes": taxes, "revenue": revenue, "net": net}

