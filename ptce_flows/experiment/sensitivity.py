"""One-at-a-time sensitivity: each uncertain input at its low and its high value, the others
central, with common random numbers and replications.

The inputs (``Parameter``) are

- every climate and cost factor the balance uses that has a range: a ``[low, central, high]``
  given in the scenario's ``climate:``/``costs:`` blocks, or the low-high range of the default
  it takes from ``metrics.factors`` (factors without a range, or with low = high, are left
  out);
- every ``--param PATH=LOW:HIGH`` (any numeric key of the scenario; replaces a factor of the
  same path).

Each input is changed by setting its key path in the raw scenario and loading it again (the
same validation as a file: bounds, references), so a low or high value is exactly what a user
would get by writing it into the file. A change under ``climate.`` or ``costs.`` changes no
simulated flow (``sim/`` never reads them; ``experiment.records`` keeps the quantities the
balance reads), so it needs no new simulation: the balance of the central runs is recomputed
with the changed factors (``plans.layout_kpis``); a test checks that this is identical to
simulating the changed scenario. Any other change is a layout of its own, simulated. Every
layout runs through ``plans.run_layouts`` (one execution path: local processes or Dask,
replication ``i`` on the same seed everywhere).

For each input and KPI: the KPI's mean and 95 % interval at the low, central and high value,
and the paired differences low - central and high - central with their intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ptce_flows.experiment.cache import scenario_key
from ptce_flows.experiment.execution import Execution, Progress
from ptce_flows.experiment.plans import Layout, PlanError, _load, layout_kpis, run_layouts
from ptce_flows.experiment.records import COMPACT
from ptce_flows.metrics.accounting import BalanceFactors, balance_factors
from ptce_flows.metrics.climate import Used
from ptce_flows.metrics.differences import COMPARE_KPIS, describe, paired
from ptce_flows.scenario.loader import LoadedScenario, resolved_dict
from ptce_flows.scenario.yamlio import parse_yaml, read_text

#: the KPIs drawn by default
DEFAULT_KPIS = ("ghg_net_t_co2e", "cost_net_eur", "diverted_t", "jobs_fte")
#: paths whose change is a factor of the balance only (no new simulation)
FACTOR_ROOTS = ("climate.", "costs.")
#: the unit of each factor key as the scenario gives it (docs/scenario-format.md)
FACTOR_UNITS = {
    "kg_co2e_per_t_input": "kg CO2e/t input", "energy_kwh_per_t_input": "kWh/t input",
    "avoided_kg_co2e_per_kwh": "kg CO2e/kWh", "kg_co2e_per_t": "kg CO2e/t",
    "avoided_kg_co2e_per_t": "kg CO2e/t delivered", "discount_rate": "-", "eur_per_km": "EUR/km",
    "eur_per_h": "EUR/vehicle-h", "capex_eur": "EUR", "life_years": "years", "fixed_eur_per_year": "EUR/year",
    "eur_per_t": "EUR/t input", "energy_eur_per_kwh": "EUR/kWh", "gate_fee_eur_per_t": "EUR/t",
    "tax_eur_per_t": "EUR/t", "price_eur_per_t": "EUR/t",
}


@dataclass(frozen=True)
class Parameter:
    """One input varied: its key path, low, central and high values and where the range is from."""

    path: str
    low: float
    central: float | None
    high: float
    source: str          # "scenario range", "default range (<status>)" or "--param"
    unit: str = ""

    @property
    def factor_only(self) -> bool:
        return self.path.startswith(FACTOR_ROOTS)


@dataclass
class SensitivityPlan:
    file: str
    variant: str | None
    central: LoadedScenario
    parameters: list[Parameter]
    kpis: list[str]
    seed: int
    replications: int
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sensitivity:
    plan: SensitivityPlan
    execution: Execution
    central: dict[str, dict]                 # kpi -> stat over replications
    results: list[dict]                      # one per parameter: {parameter, low, high: LoadedScenario info, kpis}


# --------------------------------------------------------------------------- the inputs

def _paths(spec, f: BalanceFactors) -> list[tuple[str, Used]]:
    """(scenario key path, factor as used) for every factor of the balance."""
    c, k = f.climate, f.costs
    out: list[tuple[str, Used]] = []
    treatments = spec.sites_of("treatment")
    for sid, used in c.process.items():
        proc = treatments[sid].process
        out.append((f"climate.processes.{proc}.kg_co2e_per_t_input", used))
        if c.energy_kwh[sid].value:
            out.append((f"climate.processes.{proc}.energy_kwh_per_t_input", c.energy_kwh[sid]))
            out.append((f"climate.processes.{proc}.avoided_kg_co2e_per_kwh", c.avoided_per_kwh[sid]))
            out.append((f"costs.sites.{sid}.energy_eur_per_kwh", k.energy_price[sid]))
    out += [(f"climate.disposals.{sid}.kg_co2e_per_t", used) for sid, used in c.disposal.items()]
    out += [(f"climate.products.{m}.avoided_kg_co2e_per_t", used) for m, used in c.product.items()]
    out.append(("costs.discount_rate", k.discount_rate))
    for fid in k.fleet_km:
        out += [(f"costs.fleets.{fid}.eur_per_km", k.fleet_km[fid]), (f"costs.fleets.{fid}.eur_per_h", k.fleet_h[fid])]
    for key, table in (("capex_eur", k.capex), ("life_years", k.life), ("fixed_eur_per_year", k.fixed),
                       ("eur_per_t", k.per_t), ("gate_fee_eur_per_t", k.gate_fee), ("tax_eur_per_t", k.tax)):
        out += [(f"costs.sites.{sid}.{key}", used) for sid, used in table.items()]
    out += [(f"costs.products.{m}.price_eur_per_t", used) for m, used in k.price.items()]
    return out


def ranged_factors(loaded: LoadedScenario) -> list[Parameter]:
    """Every factor of the balance with a range (scenario or default), once per key path."""
    out: dict[str, Parameter] = {}
    for path, used in _paths(loaded.spec, balance_factors(loaded.spec)):
        if used.range is None or path in out:
            continue
        low, central, high = used.range
        if not low < high:
            continue
        source = "scenario range" if used.origin == "scenario" else "default range"
        unit = FACTOR_UNITS.get(path.rsplit(".", 1)[-1], used.unit)
        out[path] = Parameter(path, float(low), float(central), float(high), source, unit)
    return list(out.values())


def _value_at(data: Any, path: str) -> float | None:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    if isinstance(data, list | tuple) and len(data) == 3:
        data = data[1]
    return float(data) if isinstance(data, int | float) and not isinstance(data, bool) else None


def plan_sensitivity(
    file: str,
    variant: str | None = None,
    params: Sequence[tuple[str, float, float]] = (),
    kpis: Sequence[str] = DEFAULT_KPIS,
    seed: int | None = None,
    replications: int = 2,
    overrides: dict[str, Any] | None = None,
) -> SensitivityPlan:
    """The inputs of a one-at-a-time analysis of ``file`` (its ``variant``, with ``overrides``).

    Args:
        params: ``(path, low, high)`` of each ``--param PATH=LOW:HIGH``.
        kpis: KPIs of a comparison (``metrics.differences.COMPARE_KPIS``).
    """
    unknown = [k for k in kpis if k not in COMPARE_KPIS]
    if unknown or not kpis:
        raise PlanError("kpi", f"unknown KPI '{unknown[0] if unknown else ''}' (one of: {', '.join(COMPARE_KPIS)})")
    for path, low, high in params:
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise PlanError("param", f"{path}: expected LOW:HIGH with LOW <= HIGH, found {low:g}:{high:g}")
    doc = parse_yaml(read_text(file), file)
    central = _load(doc, file, variant, overrides, "")
    found = {p.path: p for p in ranged_factors(central)}
    data = resolved_dict(central)
    for path, low, high in params:
        found[path] = Parameter(path, float(low), _value_at(data, path), float(high), "--param")
    return SensitivityPlan(str(file), variant, central, list(found.values()), list(dict.fromkeys(kpis)),
                           central.spec.seed if seed is None else seed, replications, dict(overrides or {}))


# --------------------------------------------------------------------------- running

def _variants(plan: SensitivityPlan) -> list[tuple[Parameter, str, LoadedScenario]]:
    """The low and high scenario of every input, loaded as a file with that value would be
    (every problem at once)."""
    from ptce_flows.errors import ScenarioError

    doc = parse_yaml(read_text(plan.file), plan.file)
    out, problems = [], []
    for p in plan.parameters:
        for end, value in (("low", p.low), ("high", p.high)):
            changes = {**plan.overrides, p.path: value}
            try:
                out.append((p, end, _load(doc, plan.file, plan.variant, changes, f"with {p.path}={value:g}")))
            except ScenarioError as exc:
                problems += [q for q in exc.problems if q not in problems]
    if problems:
        raise ScenarioError(problems[:50])
    return out


def run_sensitivity(
    plan: SensitivityPlan,
    jobs: int = 1,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Sensitivity:
    """Simulate the central scenario and every input change that is not a factor of the
    balance, then compute each input's low and high KPIs (paired with the central runs)."""
    ends = _variants(plan)
    central = Layout("central", plan.central, scenario_key(plan.central))
    layouts = [central]
    keys: dict[tuple[str, str], str] = {}
    for p, end, loaded in ends:
        if p.factor_only:
            keys[(p.path, end)] = central.key
            continue
        layout = Layout(f"{p.path}={end}", loaded, scenario_key(loaded))
        keys[(p.path, end)] = layout.key
        layouts.append(layout)
    n = plan.replications
    done = run_layouts(layouts, plan.seed, n, COMPACT, jobs=jobs, scheduler=scheduler, cache_dir=cache_dir,
                       progress=progress)
    base = layout_kpis(done, central.key, n, balance_factors(plan.central.spec))
    central_stats = {kpi: describe(base[i][kpi] for i in sorted(base)) for kpi in plan.kpis}
    results: dict[str, dict] = {}
    for p, end, loaded in ends:
        runs = layout_kpis(done, keys[(p.path, end)], n, balance_factors(loaded.spec))
        row = results.setdefault(p.path, {"parameter": p, "kpis": {kpi: {} for kpi in plan.kpis}})
        for kpi in plan.kpis:
            series = {i: k[kpi] for i, k in runs.items()}
            stat = describe(series[i] for i in sorted(series))
            stat["diff"] = paired(series, {i: k[kpi] for i, k in base.items()})
            row["kpis"][kpi][end] = stat
    return Sensitivity(plan, done, central_stats, list(results.values()))


def swing(result: dict, kpi: str) -> float:
    """|KPI at high - KPI at low| (means): the length of the input's tornado bar."""
    low, high = result["kpis"][kpi]["low"]["mean"], result["kpis"][kpi]["high"]["mean"]
    return abs(high - low) if low is not None and high is not None else 0.0
