"""Greenhouse-gas balance of a run (t CO2e over the reported period), a pure function.

``climate_factors(spec)`` resolves, for every treatment site, disposal site and product, the
factor a run uses: the scenario's own (``climate:`` block) or the default of its process or
disposal type (:mod:`ptce_flows.metrics.factors`). ``ghg_balance(factors, q)`` applies them to
the tonnages of one replication (``metrics.accounting.quantities``):

    net = transport + process + disposal - avoided

transport is the trucks' CO2 (fleets' ``co2_kg_per_km``), process is per tonne received at
treatment sites, disposal per tonne received at disposal sites, avoided is per tonne of product
delivered plus the energy sold (kWh per tonne received x kg CO2e per kWh).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ptce_flows.metrics import factors as fx
from ptce_flows.scenario.schema import ScenarioSpec, central

SCENARIO = "scenario"


@dataclass(frozen=True)
class Used:
    """A factor as a run uses it: value, unit and origin ('scenario' or the default's source)."""

    value: float
    unit: str
    origin: str
    range: tuple[float, float, float] | None = None


def from_default(f: fx.Factor, scale: float = 1.0, unit: str | None = None) -> Used:
    """The default ``f`` times ``scale``; a scaled value is in ``unit`` (the capex of a site is
    EUR per t/year of capacity x its capacity: EUR), an unscaled one in the factor's own."""
    return Used(f.value * scale, f.unit if scale == 1.0 or unit is None else unit,
                f"default ({f.status}): {f.source}", (f.low * scale, f.value * scale, f.high * scale))


def from_scenario(value, unit: str) -> Used:
    rng = tuple(value) if isinstance(value, tuple) else None
    return Used(float(central(value)), unit, SCENARIO, rng)


def pick(given, default: fx.Factor | None, unit: str, scale: float = 1.0) -> Used:
    """The scenario's value when given, else the default (zero when there is none)."""
    if given is not None:
        return from_scenario(given, unit)
    if default is None:
        return Used(0.0, unit, "no default for this type: give it in the scenario")
    return from_default(default, scale, unit)


@dataclass
class ClimateFactors:
    process: dict[str, Used] = field(default_factory=dict)          # treatment site -> kg/t received
    energy_kwh: dict[str, Used] = field(default_factory=dict)       # treatment site -> kWh/t received
    avoided_per_kwh: dict[str, Used] = field(default_factory=dict)  # treatment site -> kg/kWh
    disposal: dict[str, Used] = field(default_factory=dict)         # disposal site -> kg/t received
    product: dict[str, Used] = field(default_factory=dict)          # product -> kg avoided/t delivered


def product_types(spec: ScenarioSpec) -> dict[str, str | None]:
    """Each product and the type of the first process (in file order) that makes it."""
    out: dict[str, str | None] = {}
    for process in spec.processes.values():
        for m in process.outputs:
            out.setdefault(m, process.type)
    return out


def climate_factors(spec: ScenarioSpec) -> ClimateFactors:
    """The factor of every site and product of ``spec`` (scenario first, then defaults)."""
    out = ClimateFactors()
    given = spec.climate
    for sid, site in spec.sites_of("treatment").items():
        process = spec.processes[site.process]
        ptype = process.type
        mine = given.processes.get(site.process)
        out.process[sid] = pick(mine and mine.kg_co2e_per_t_input, fx.PROCESS_GHG.get(ptype or ""),
                                "kg CO2e/t input")
        energy = pick(mine and mine.energy_kwh_per_t_input, fx.ENERGY_KWH_PER_T.get(ptype or ""),
                      "kWh/t input")
        if energy.value == 0 and not (mine and mine.energy_kwh_per_t_input is not None):
            energy = Used(0.0, "kWh/t input", "none for this type")
        out.energy_kwh[sid] = energy
        out.avoided_per_kwh[sid] = pick(mine and mine.avoided_kg_co2e_per_kwh,
                                        fx.AVOIDED_KG_PER_KWH, "kg CO2e/kWh")
    for sid, site in spec.sites_of("disposal").items():
        mine = given.disposals.get(sid)
        out.disposal[sid] = pick(mine and mine.kg_co2e_per_t, fx.DISPOSAL_GHG.get(site.type or ""),
                                 "kg CO2e/t")
    for m, ptype in product_types(spec).items():
        out.product[m] = _product_credit(given.products.get(m), ptype)
    return out


def _product_credit(mine, ptype: str | None) -> Used:
    unit = "kg CO2e/t delivered"
    if mine is not None and mine.avoided_kg_co2e_per_t is not None:
        return from_scenario(mine.avoided_kg_co2e_per_t, unit)
    given = {} if mine is None else {k: central(getattr(mine, f"{k}_kg_per_t")) for k in ("n", "p2o5", "k2o")}
    if any(v is not None for v in given.values()):
        table = fx.NUTRIENTS_KG_PER_T.get(ptype or "", {})
        contents = {k: v if v is not None else (table[k].value if k in table else 0.0)
                    for k, v in given.items()}
        return Used(fx.fertiliser_credit(contents), unit,
                    "scenario nutrients x default equivalence and fertiliser factors")
    return pick(None, fx.PRODUCT_AVOIDED.get(ptype or ""), unit)


def ghg_balance(f: ClimateFactors, q: dict) -> dict[str, float]:
    """t CO2e of one replication: transport, process, disposal, avoided and net."""
    transport = sum(row["co2_t"] for row in q["fleets"].values())
    received, disposed, delivered = q["received_t"], q["disposed_t"], q["delivered_t"]
    process = sum(t * f.process[s].value for s, t in received.items() if s in f.process) / 1000.0
    disposal = sum(t * f.disposal[s].value for s, t in disposed.items() if s in f.disposal) / 1000.0
    products = sum(t * f.product[m].value for m, t in delivered.items() if m in f.product)
    energy = sum(t * f.energy_kwh[s].value * f.avoided_per_kwh[s].value
                 for s, t in received.items() if s in f.energy_kwh)
    avoided = (products + energy) / 1000.0
    return {"transport": transport, "process": process, "disposal": disposal, "avoided": avoided,
            "net": transport + process + disposal - avoided}
