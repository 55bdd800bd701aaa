"""Site search: propose layouts with the exact solver on the static model, confirm them by simulation.

``search(request)`` loads the scenario (its variant), builds the static model of the design
(every candidate built, ``siting.static``), the facility-location problem of the objective
(``siting.build``) and solves it exactly (``siting.solver``: HiGHS through
``scipy.optimize.milp``) for the K best distinct layouts. ``confirm(result, ...)`` then simulates
the base layout and every proposal with common random numbers through ``plans.run_layouts``
(local processes or Dask), computes the run's cost and greenhouse-gas balances per replication
(``metrics.accounting``), ranks the layouts by the simulated objective with paired 95 %
intervals against the base, and flags a proposal the simulation finds worse than the static
model expected (by more than ``FLAG_TOLERANCE``, beyond the noise of its interval).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ptce_flows.experiment.cache import scenario_key
from ptce_flows.experiment.execution import Failure, Progress
from ptce_flows.experiment.plans import Layout, PlanError, run_layouts
from ptce_flows.experiment.records import SUMMARY
from ptce_flows.metrics.accounting import balance_factors, quantities, replication_balance
from ptce_flows.metrics.differences import describe, paired
from ptce_flows.scenario.loader import LoadedScenario, load_document
from ptce_flows.scenario.yamlio import parse_yaml, read_text
from ptce_flows.sim.world import build_world
from ptce_flows.siting.build import OBJECTIVES, build_problem
from ptce_flows.siting.problem import InfeasibleLayout
from ptce_flows.siting.solver import solve
from ptce_flows.siting.static import StaticModel

#: KPIs simulated for every layout (the run's KPIs and its balances)
SIM_KPIS = ("diverted_t", "disposed_t", "delivered_t", "vehicle_km", "tonne_km", "co2_t",
            "cost_net_eur", "ghg_net_t_co2e")
#: a proposal is flagged when the simulation finds its objective worse than the static model's
#: by more than this share (the static model is within 1 % of the shipped territories; 3 % is
#: the accuracy it is tested for)
FLAG_TOLERANCE = 0.03
#: candidate transfer stations the search tries every subset of (2^4 = 16 solves at most)
MAX_CANDIDATE_TRANSFERS = 4


@dataclass(frozen=True)
class Request:
    file: str
    variant: str | None = None
    objective: str = "cost"
    sites: int | None = None
    max_new: int | None = None
    budget_eur: float | None = None
    top: int = 3
    days: int | None = None


@dataclass
class Proposal:
    """One layout: the base (rank 0 before ranking) or a proposal of the solver."""

    name: str
    open: list[str]                       # every open treatment site
    opened: list[str]                     # the candidates it builds
    objective: float | None               # the solver's optimum (None for the base)
    gap: float | None
    static: dict[str, float]              # the static model's KPIs
    loaded: LoadedScenario | None = None
    simulated: dict[str, dict] = field(default_factory=dict)
    versus_base: dict | None = None       # paired difference of the objective KPI to the base
    flag: str | None = None
    rank: int | None = None


@dataclass
class Search:
    request: Request
    kpi: str
    unit: str
    base: Proposal
    proposals: list[Proposal]
    solve_seconds: float
    seed: int
    replications: int = 0
    failures: list[Failure] = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)


def _loaded(doc, request: Request, opened: list[str]) -> LoadedScenario:
    changes: dict[str, Any] = {f"sites.{c}.candidate": False for c in opened}
    if request.days is not None:
        changes["horizon_days"] = request.days
    return load_document(doc, request.file, request.variant, changes or None)


def search(request: Request) -> Search:
    """Solve for the ``top`` best layouts (see the module docstring)."""
    if request.objective not in OBJECTIVES:
        raise PlanError("objective", f"unknown objective '{request.objective}' (one of: {', '.join(OBJECTIVES)})")
    doc = parse_yaml(read_text(request.file), request.file)
    base = _loaded(doc, request, [])
    if not base.candidates:
        raise PlanError("candidates", f"{request.file} has no candidate site: mark the treatment sites "
                        "that could be built with 'candidate: true'")
    transfers = [c for c in base.candidates if base.design.sites[c].kind == "transfer"]
    if len(transfers) > MAX_CANDIDATE_TRANSFERS:
        raise PlanError("candidates", f"{request.file}: {len(transfers)} candidate transfer stations "
                        f"({', '.join(transfers)}); the search tries every subset of them, at most "
                        f"{MAX_CANDIDATE_TRANSFERS} (build some in a variant: set: {{sites.ID.candidate: false}})")
    design = dataclasses.replace(base, spec=base.design)
    world = build_world(design)
    model = StaticModel(world, design.spec)
    kpi, unit = OBJECTIVES[request.objective]
    ids = model.treat_ids
    station_ids = [world.sites[x.site] for x in world.transfers]
    existing = [s for s in ids if s not in base.candidates]
    base_mask = np.array([s in existing for s in ids])
    base_stations = np.array([s not in transfers for s in station_ids], dtype=bool)
    out = Search(request, kpi, unit, Proposal("base", existing, [], None, None,
                                              model.evaluate(base_mask, base_stations)["kpis"], base),
                 [], 0.0, base.spec.seed, raw={"doc": doc})
    gen = model.gen.sum(axis=0)
    by_source: dict[str, float] = {}
    for e, site in enumerate(world.supply.site.tolist()):
        by_source[world.sites[site]] = by_source.get(world.sites[site], 0.0) + float(gen[e])
    out.raw["generated_by_source"] = by_source
    found = _solve_each_station_layout(model, request, list(base.candidates), transfers, station_ids)
    out.solve_seconds = sum(lay.seconds for _, lay, _ in found)
    for k, (value, lay, built) in enumerate(found, 1):
        mask = np.zeros(len(ids), bool)
        mask[list(lay.open)] = True
        stations = np.array([s not in transfers or s in built for s in station_ids], dtype=bool)
        opened = [ids[j] for j in lay.open if ids[j] in base.candidates] + list(built)
        out.proposals.append(Proposal(f"layout_{k}", [ids[j] for j in lay.open], opened, round(value, 6), lay.gap,
                                      model.evaluate(mask, stations)["kpis"], _loaded(doc, request, opened)))
    return out


def _solve_each_station_layout(model: StaticModel, request: Request, candidates: list[str], transfers: list[str],
                               station_ids: list[str]) -> list[tuple[float, Any, tuple[str, ...]]]:
    """The ``top`` best layouts over every subset of the candidate transfer stations (one
    solve per subset: the stations change what serving a client costs, not the sites), best
    first: (objective, solver layout, stations built)."""
    found = []
    errors = []
    for n in range(len(transfers) + 1):
        for built in itertools.combinations(transfers, n):
            stations = np.array([s not in transfers or s in built for s in station_ids], dtype=bool)
            problem, constant, _ = build_problem(model, request.objective, candidates, stations)
            try:
                layouts = solve(problem, sites=request.sites, max_new=request.max_new, budget=request.budget_eur,
                                top=request.top)
            except InfeasibleLayout as exc:
                errors.append(str(exc))
                continue
            found += [(lay.objective + constant, lay, built) for lay in layouts]
    if not found:
        raise PlanError("constraints", errors[0])
    found.sort(key=lambda f: (f[0], len(f[2])))
    return found[: request.top]


def _replication_kpis(loaded: LoadedScenario, run) -> dict[str, float]:
    out = {k: float(run.kpis[k]) for k in SIM_KPIS if k in run.kpis}
    bal = replication_balance(balance_factors(loaded.spec), quantities(run, loaded.spec.horizon_days))
    out.update({k: float(v) for k, v in bal["kpis"].items() if k in SIM_KPIS})
    return out


def confirm(result: Search, replications: int, seed: int | None = None, *, jobs: int = 1,
            scheduler: str | None = None, cache_dir=None,
            progress: Callable[[Progress], None] | None = None) -> Search:
    """Simulate the base and every proposal (common random numbers), rank and flag them."""
    result.replications = replications
    result.seed = result.seed if seed is None else seed
    everyone = [result.base, *result.proposals]
    if replications < 1:
        _rank(result.proposals, lambda p: p.objective)
        return result
    layouts = [Layout(p.name, p.loaded, scenario_key(p.loaded)) for p in everyone]
    done = run_layouts(layouts, result.seed, replications, SUMMARY, jobs=jobs, scheduler=scheduler,
                       cache_dir=cache_dir, progress=progress)
    result.failures = list(done.failures)
    runs = {}
    for p, lay in zip(everyone, layouts, strict=True):
        runs[p.name] = {i: _replication_kpis(p.loaded, done.results[(lay.key, i)])
                        for i in range(replications) if (lay.key, i) in done.results}
        p.simulated = {k: describe(r[k] for r in runs[p.name].values()) for k in SIM_KPIS}
    kpi = result.kpi
    base_runs = {i: r[kpi] for i, r in runs["base"].items()}
    for p in result.proposals:
        p.versus_base = paired({i: r[kpi] for i, r in runs[p.name].items()}, base_runs)
        p.flag = _flag(p, kpi)
    _rank(result.proposals, lambda p: p.simulated[kpi]["mean"])
    return result


def _flag(p: Proposal, kpi: str) -> str | None:
    sim, expected = p.simulated[kpi], p.static[kpi]
    if sim["mean"] is None:
        return "not simulated"
    seen = sim["low"] if sim["n"] >= 2 and sim["low"] is not None else sim["mean"]
    limit = expected + FLAG_TOLERANCE * abs(expected)
    if seen > limit:
        why = []
        if (p.simulated["disposed_t"]["mean"] or 0) > p.static["disposed_t"] * (1 + FLAG_TOLERANCE) + 1e-6:
            why.append("sites refuse more than expected (capacity or storage full)")
        if (p.simulated["delivered_t"]["mean"] or 0) < p.static["delivered_t"] * (1 - FLAG_TOLERANCE):
            why.append("less product delivered (windows, storage or trucks)")
        return (f"worse than expected: simulated {kpi} {sim['mean']:.6g} vs {expected:.6g} in the static model"
                + (f" ({'; '.join(why)})" if why else ""))
    return None


def _rank(proposals: list[Proposal], key) -> None:
    order = sorted(proposals, key=lambda p: (key(p) is None, key(p) if key(p) is not None else 0.0))
    for r, p in enumerate(order, 1):
        p.rank = r
    proposals.sort(key=lambda p: p.rank)


def variants_data(result: Search) -> dict:
    """The scenario file's data with the proposals as variants (``run --variant``, ``compare``)."""
    data = copy.deepcopy(result.raw["doc"].data)
    if result.request.days is not None:
        data["horizon_days"] = result.request.days
    variants = data.setdefault("variants", {}) or {}
    data["variants"] = variants
    for p in result.proposals:
        entry: dict[str, Any] = {
            "description": f"site search ({result.request.objective}) rank {p.rank}: opens "
                           + (", ".join(p.opened) or "no candidate"),
            "set": {f"sites.{c}.candidate": False for c in p.opened}}
        if result.request.variant:
            entry["extends"] = result.request.variant
        variants[p.name] = entry
    return data
