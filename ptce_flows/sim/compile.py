"""One compile step per scenario section: sites and distances, fleets, treatment, disposal,
supply, demand, residues, disruptions (``sim.world.build_world`` runs them in order).

Every step reads the validated spec through an ``Index`` (id -> integer tables, one
origin-destination matrix) and returns part of the ``World``.
"""

from __future__ import annotations

import math

import numpy as np

from ptce_flows.errors import NetworkError, Problem
from ptce_flows.network import RoadNetwork
from ptce_flows.scenario.loader import LoadedScenario
from ptce_flows.scenario.topology import fleet_for, forward_targets, moves, topology
from ptce_flows.sim.rounds import round_km_per_load
from ptce_flows.sim.tables import (
    DemandTable,
    DisposalInfo,
    Disruptions,
    FleetInfo,
    Onward,
    SupplyTable,
    TransferInfo,
    TreatmentInfo,
)
from ptce_flows.units import DAYS_PER_YEAR, MONTH_LENGTHS

DIST_CODES = {"gamma": 0, "lognormal": 1, "normal": 2}


def season_factors(seasonality: list[float] | None) -> np.ndarray:
    """Monthly factors rescaled so that their day-weighted mean is 1 (the annual total holds)."""
    if seasonality is None:
        return np.ones(12)
    f = np.asarray(seasonality, dtype=float)
    return f * DAYS_PER_YEAR / float((f * MONTH_LENGTHS).sum())


def window_mask(windows: list[tuple[int, int]] | None) -> np.ndarray:
    """(365,) bool: True on days of year inside a window (inclusive; start > end wraps)."""
    mask = np.zeros(DAYS_PER_YEAR, dtype=bool)
    if not windows:
        mask[:] = True
        return mask
    for start, end in windows:
        if start <= end:
            mask[start - 1 : end] = True
        else:
            mask[start - 1 :] = True
            mask[:end] = True
    return mask


def road_network(spec) -> RoadNetwork:
    """The scenario's road graph (sites, nodes, roads) with its fallback."""
    places = {sid: tuple(s.location) for sid, s in spec.sites.items()}
    places.update({nid: tuple(loc) for nid, loc in spec.nodes.items()})
    return RoadNetwork.from_places(
        places, [tuple(r) for r in spec.roads], spec.network.circuity,
        spec.network.fallback == "great_circle",
    )


class Index:
    """Integer tables of the scenario's ids, and the km between two sites.

    One origin-destination matrix: rows = sources, treatment sites and transfer stations
    (where loads start),
    cols = every site but the sources (where loads go): nothing ever drives to a source, and
    leaving those columns out keeps the matrix (and the build) linear in the sources.
    """

    def __init__(self, loaded: LoadedScenario, network: RoadNetwork):
        spec = self.spec = loaded.spec
        self.loaded = loaded
        self.network = network
        self.topo = topology(spec)
        self.materials = list(spec.materials)
        self.mat_ix = {m: i for i, m in enumerate(self.materials)}
        self.sites = list(spec.sites)
        self.site_ix = {s: i for i, s in enumerate(self.sites)}
        self.fleet_ix = {f: i for i, f in enumerate(spec.fleets)}
        self.fleets_by_ix = list(spec.fleets)
        self.treat_ids = [s for s, v in spec.sites.items() if v.kind == "treatment"]
        self.treat_ix = {s: i for i, s in enumerate(self.treat_ids)}
        self.disp_ids = [s for s, v in spec.sites.items() if v.kind == "disposal"]
        self.disp_ix = {s: i for i, s in enumerate(self.disp_ids)}
        self.source_ids = [s for s, v in spec.sites.items() if v.kind == "source"]
        self.transfer_ids = [s for s, v in spec.sites.items() if v.kind == "transfer"]
        self.transfer_ix = {s: i for i, s in enumerate(self.transfer_ids)}
        rows = self.source_ids + self.treat_ids + self.transfer_ids
        self._row_ix = {s: i for i, s in enumerate(rows)}
        cols = [s for s in self.sites if spec.sites[s].kind != "source"]
        self._col_ix = {s: i for i, s in enumerate(cols)}
        self._dist = network.distances_km([network.index[s] for s in rows], [network.index[s] for s in cols])

    def km(self, a: str, b: str) -> float:
        if a in self._row_ix and b in self._col_ix:
            return float(self._dist[self._row_ix[a], self._col_ix[b]])
        net = self.network
        return float(net.distances_km([net.index[a]], [net.index[b]])[0, 0])


def reachability_problems(ix: Index) -> list[Problem]:
    """Flows the road network cannot carry (each a problem pointing at the site)."""
    spec, loaded = ix.spec, ix.loaded
    problems: list[Problem] = []
    for move in moves(spec, ix.topo):
        if not any(math.isfinite(ix.km(move.origin, d)) for d in move.destinations):
            problems.append(loaded.problem(
                ("sites", move.origin),
                f"'{move.origin}' cannot reach any site where its '{move.material}' must go "
                f"({', '.join(move.destinations)}) on the road network",
                "add roads joining them, or set network.fallback: great_circle"))
    for sid, site in spec.sites.items():
        if site.kind == "source" and site.deliver_to:
            for i, target in enumerate(site.deliver_to):
                if target in ix.site_ix and not np.isfinite(ix.km(sid, target)):
                    problems.append(loaded.problem(("sites", sid, "deliver_to", i),
                                                   f"'{sid}' cannot reach '{target}' on the road network",
                                                   "add roads joining them"))
    return problems


def compile_fleets(ix: Index, problems: list[Problem]) -> tuple[list[FleetInfo], dict[tuple[int, int], float]]:
    """Fleets, and the depot legs (fleet index, site index) -> km; unreachable sites of a
    depot are added to ``problems``."""
    spec, network, sites = ix.spec, ix.network, ix.sites
    fleets: list[FleetInfo] = []
    depot_km: dict[tuple[int, int], float] = {}
    for fid, f in spec.fleets.items():
        depot = network.index[f.depot] if f.depot is not None else -1
        fleets.append(FleetInfo(fid, f.vehicles, f.payload_t, f.speed_kmh, f.co2_kg_per_km, f.co2_empty,
                                f.loading_h, f.unloading_h, f.shift_h, f.crew, f.insertion_share, depot))
        if depot < 0:
            continue
        d = network.distances_km([depot], [network.index[s] for s in sites])[0]
        for s in f.serves or sites:
            if not np.isfinite(d[ix.site_ix[s]]):
                if s in spec.sites and spec.sites[s].kind in ("source", "treatment"):
                    problems.append(ix.loaded.problem(("fleets", fid, "depot"),
                                                      f"depot '{f.depot}' cannot reach '{s}'",
                                                      "add roads joining them"))
        for k in range(len(sites)):
            depot_km[(ix.fleet_ix[fid], k)] = float(d[k])
    return fleets, depot_km


def compile_treatments(ix: Index) -> list[TreatmentInfo]:
    spec, mat_ix = ix.spec, ix.mat_ix
    treatments: list[TreatmentInfo] = []
    for sid in ix.treat_ids:
        s = spec.sites[sid]
        p = spec.processes[s.process]
        jobs = s.jobs or p.jobs
        treatments.append(TreatmentInfo(
            site=ix.site_ix[sid], process=s.process, capacity_t_per_day=s.capacity_per_day,
            storage_t=s.storage_t, residence_days=p.residence_days,
            inputs=np.array([mat_ix[m] for m in p.inputs], dtype=np.int64),
            out_mats=np.array([mat_ix[m] for m in p.outputs], dtype=np.int64),
            out_coefs=np.array(list(p.outputs.values()), dtype=float),
            fixed_fte=jobs.fixed_fte, fte_per_kt=jobs.fte_per_kt, insertion_share=jobs.insertion_share,
            overflow=ix.disp_ix[s.overflow_to] if s.overflow_to else -1,
            reception_days=s.reception_days,
        ))
    return treatments


def compile_disposals(ix: Index) -> list[DisposalInfo]:
    disposals = []
    for sid in ix.disp_ids:
        s = ix.spec.sites[sid]
        jobs = s.jobs
        disposals.append(DisposalInfo(
            site=ix.site_ix[sid], accepts=np.array([ix.mat_ix[m] for m in s.accepts], dtype=np.int64),
            fte_per_kt=jobs.fte_per_kt if jobs else 0.0, fixed_fte=jobs.fixed_fte if jobs else 0.0,
            insertion_share=jobs.insertion_share if jobs else 0.0,
            capacity_t_per_year=s.capacity_t_per_year if s.capacity_t_per_year is not None else float("inf"),
            overflow=ix.disp_ix[s.overflow_to] if s.overflow_to else -1))
    return disposals


def compile_disposal_km(ix: Index) -> np.ndarray:
    """(site index, disposal index) -> km from every place a load starts (inf elsewhere)."""
    out = np.full((len(ix.sites), len(ix.disp_ids)), np.inf)
    rows = ix.source_ids + ix.treat_ids + ix.transfer_ids
    if rows and ix.disp_ids:
        net = ix.network
        d = net.distances_km([net.index[s] for s in rows], [net.index[s] for s in ix.disp_ids])
        out[[ix.site_ix[s] for s in rows]] = d
    return out


def _onward(ix: Index, sid: str, m: str, targets: list[str], ordered: bool) -> Onward | None:
    """Where ``m`` leaving ``sid`` goes on to be treated (None without a fleet carrying it)."""
    fleet = fleet_for(ix.spec, sid, m)
    if fleet is None:
        return None
    cands = [(ix.treat_ix[t], ix.km(sid, t)) for t in targets]
    if not ordered:
        cands.sort(key=lambda c: (c[1], c[0]))
    cands = [c for c in cands if np.isfinite(c[1])]
    options = [(ix.disp_ix[d], ix.km(sid, d)) for d in ix.topo.disposes.get(m, [])]
    options = [o for o in options if np.isfinite(o[1])]
    disposal = min(options, key=lambda c: (c[1], c[0])) if options else (-1, float("inf"))
    return Onward(cands, ix.fleet_ix[fleet], disposal)


def compile_transfers(ix: Index) -> list[TransferInfo]:
    """Transfer stations: what they receive and where (and by which fleet) they forward it."""
    out: list[TransferInfo] = []
    for sid in ix.transfer_ids:
        s = ix.spec.sites[sid]
        forward = {}
        for m, targets in forward_targets(ix.spec, sid, ix.topo).items():
            onward = _onward(ix, sid, m, targets, ordered=bool(s.forward_to))
            if onward is not None:
                forward[ix.mat_ix[m]] = onward
        jobs = s.jobs
        out.append(TransferInfo(
            site=ix.site_ix[sid], capacity_t_per_day=s.capacity_t_per_day, storage_t=s.storage_t,
            max_wait_days=s.max_wait_days, accepts=np.array(sorted(forward), dtype=np.int64), forward=forward,
            fixed_fte=jobs.fixed_fte if jobs else 0.0, fte_per_kt=jobs.fte_per_kt if jobs else 0.0,
            insertion_share=jobs.insertion_share if jobs else 0.0))
    return out


def compile_chains(ix: Index) -> dict[tuple[int, int], Onward]:
    """(treatment index, material) -> the treatment sites that take that product on."""
    spec, out = ix.spec, {}
    for t, sid in enumerate(ix.treat_ids):
        for m in spec.processes[spec.sites[sid].process].outputs:
            targets = ix.topo.chain_targets(sid, m)
            onward = _onward(ix, sid, m, targets, ordered=False) if targets else None
            if onward is not None:
                out[(t, ix.mat_ix[m])] = onward
    return out


def _supply_rate(site, entry) -> tuple[float, float]:
    """(collected, residual) t/day of one supply entry: its potential x capture rate, and the
    rest of the potential."""
    if entry.t_per_day is not None:
        rate = entry.t_per_day
    elif entry.t_per_year is not None:
        rate = entry.t_per_year / DAYS_PER_YEAR
    else:
        rate = site.population * entry.kg_per_capita_year / 1000.0 / DAYS_PER_YEAR
    return rate * entry.capture_rate, rate * (1.0 - entry.capture_rate)


def _round(ix: Index, site, fleet: int, rate: float) -> tuple[float, float]:
    """(km, h) a load of this entry spends collecting (``sim.rounds``)."""
    c, info = site.collection, ix.spec.fleets[ix.fleets_by_ix[fleet]]
    hours = c.round_h if c.round_h is not None else info.loading_h
    if c.round_km is not None:
        return c.round_km, hours
    if c.stops is not None:
        return round_km_per_load(c.stops, c.area_km2, ix.spec.network.circuity, info.payload_t,
                                 rate * c.every_days), hours
    return 0.0, hours


def _receivers(ix: Index, treatments: list[TreatmentInfo], sid: str, s, m: str) -> list[tuple[int, float]]:
    """A source's receivers of ``m`` (treatment index, or len(treatments) + transfer index),
    with km: its deliver_to order, or nearest first."""
    n_treat, mat = len(treatments), ix.mat_ix[m]
    transfers = set(ix.topo.transfers.get(m, []))

    def code(t: str) -> int | None:
        if t in ix.treat_ix:
            return ix.treat_ix[t] if mat in set(treatments[ix.treat_ix[t]].inputs.tolist()) else None
        return n_treat + ix.transfer_ix[t] if t in transfers else None

    if s.deliver_to:
        return [(code(t), ix.km(sid, t)) for t in s.deliver_to if code(t) is not None]
    options = ix.topo.treats.get(m, []) + ix.topo.transfers.get(m, [])
    return sorted(((code(t), ix.km(sid, t)) for t in options), key=lambda c: (c[1], c[0]))


def _residual_disposal(ix: Index, sid: str, m: str, entry) -> int:
    """Disposal index receiving the residual of an entry: residual_to, or the nearest
    accepting it (-1 if none)."""
    if entry.residual_to is not None:
        return ix.disp_ix[entry.residual_to]
    options = [(ix.km(sid, d), ix.disp_ix[d]) for d in ix.topo.disposes.get(m, [])]
    return min(options)[1] if options else -1


def compile_supply(ix: Index, treatments: list[TreatmentInfo]) -> SupplyTable:
    """One entry per source x material, with its routing candidates and fallback disposal."""
    spec, mat_ix, treat_ix = ix.spec, ix.mat_ix, ix.treat_ix
    cols = {k: [] for k in ("site", "mat", "rate", "season", "cv", "dist", "every", "full", "fleet",
                            "residual", "res_disp", "round_km", "round_h")}
    candidates: list[list[tuple[int, float]]] = []
    disposal: list[tuple[int, float]] = []
    for sid in ix.source_ids:
        s = spec.sites[sid]
        for m, entry in s.supply.items():
            cols["site"].append(ix.site_ix[sid])
            cols["mat"].append(mat_ix[m])
            rate, residual = _supply_rate(s, entry)
            cols["rate"].append(rate)
            cols["residual"].append(residual)
            cols["res_disp"].append(_residual_disposal(ix, sid, m, entry) if residual > 0 else -1)
            cols["season"].append(season_factors(entry.seasonality))
            cols["cv"].append(entry.variability.cv if entry.variability else 0.0)
            cols["dist"].append(DIST_CODES[entry.variability.distribution] if entry.variability else 0)
            cols["every"].append(s.collection.every_days)
            cols["full"].append(s.collection.full_loads_only)
            fleet = ix.fleet_ix[fleet_for(spec, sid, m)]
            cols["fleet"].append(fleet)
            km, hours = _round(ix, s, fleet, rate)
            cols["round_km"].append(km)
            cols["round_h"].append(hours)
            ordered = _receivers(ix, treatments, sid, s, m)
            candidates.append([c for c in ordered if np.isfinite(c[1])])
            disposal.append(_nearest_disposal(ix, sid, m, ordered, treatments))
    return SupplyTable(
        site=np.array(cols["site"], dtype=np.int64), material=np.array(cols["mat"], dtype=np.int64),
        rate=np.array(cols["rate"], dtype=float),
        season=np.array(cols["season"], dtype=float).reshape(-1, 12),
        cv=np.array(cols["cv"], dtype=float), dist=np.array(cols["dist"], dtype=np.int64),
        every=np.array(cols["every"], dtype=np.int64), full_only=np.array(cols["full"], dtype=bool),
        fleet=np.array(cols["fleet"], dtype=np.int64), candidates=candidates, disposal=disposal,
        residual_rate=np.array(cols["residual"], dtype=float),
        residual_disposal=np.array(cols["res_disp"], dtype=np.int64),
        round_km=np.array(cols["round_km"], dtype=float), round_h=np.array(cols["round_h"], dtype=float))


def _nearest_disposal(ix: Index, sid, m, ordered, treatments) -> tuple[int, float]:
    """Where a source's load goes when no treatment site can take it."""
    if ordered and ordered[0][0] < len(treatments):
        preferred = treatments[ordered[0][0]].overflow
        if preferred >= 0:
            return preferred, ix.km(sid, ix.disp_ids[preferred])
    options = [(ix.disp_ix[d], ix.km(sid, d)) for d in ix.topo.disposes.get(m, [])]
    options = [o for o in options if np.isfinite(o[1])]
    if not options:
        return -1, float("inf")
    return min(options, key=lambda c: (c[1], c[0]))


def compile_demand(ix: Index) -> DemandTable:
    """One entry per farm/outlet x material, with its windows and the sites that can serve it."""
    spec, treat_ids = ix.spec, ix.treat_ids
    cols = {k: [] for k in ("site", "mat", "annual", "rate", "unlimited", "window")}
    candidates: list[list[tuple[int, float]]] = []
    fleets: list[dict[int, int]] = []
    for sid, s in spec.sites.items():
        if s.kind not in ("farm", "outlet"):
            continue
        for m, d in s.demand.items():
            mask = window_mask(d.windows)
            annual = d.annual_t
            cols["site"].append(ix.site_ix[sid])
            cols["mat"].append(ix.mat_ix[m])
            cols["annual"].append(np.nan if annual is None else annual)
            cols["rate"].append(0.0 if annual is None else annual / mask.sum())
            cols["unlimited"].append(annual is None)
            cols["window"].append(mask)
            cands = sorted(((ix.treat_ix[t], ix.km(t, sid)) for t in ix.topo.makes.get(m, [])),
                           key=lambda c: (c[1], c[0]))
            cands = [c for c in cands if np.isfinite(c[1])]
            candidates.append(cands)
            fleets.append({t: ix.fleet_ix[fleet_for(spec, treat_ids[t], m)] for t, _ in cands
                           if fleet_for(spec, treat_ids[t], m) is not None})
    windows = np.array(cols["window"], dtype=bool).reshape(-1, DAYS_PER_YEAR)
    last = windows & ~np.roll(windows, -1, axis=1)
    return DemandTable(
        site=np.array(cols["site"], dtype=np.int64), material=np.array(cols["mat"], dtype=np.int64),
        annual=np.array(cols["annual"], dtype=float), rate=np.array(cols["rate"], dtype=float),
        unlimited=np.array(cols["unlimited"], dtype=bool), window=windows, last_day=last,
        candidates=candidates, fleet=fleets)


def compile_residues(ix: Index) -> dict[tuple[int, int], tuple[int, float, int]]:
    """(treatment index, material) -> (nearest disposal index, km, fleet index)."""
    spec, topo = ix.spec, ix.topo
    residues: dict[tuple[int, int], tuple[int, float, int]] = {}
    for t, sid in enumerate(ix.treat_ids):
        p = spec.processes[spec.sites[sid].process]
        for m in p.outputs:
            # rejects: nobody wants them and no other site treats them (a chain goes first)
            if not topo.wants.get(m) and not topo.chain_targets(sid, m) and topo.disposes.get(m):
                best = min(((ix.disp_ix[d], ix.km(sid, d)) for d in topo.disposes[m]), key=lambda c: (c[1], c[0]))
                fleet = fleet_for(spec, sid, m)
                if np.isfinite(best[1]) and fleet is not None:
                    residues[(t, ix.mat_ix[m])] = (best[0], best[1], ix.fleet_ix[fleet])
    return residues


def compile_disruptions(ix: Index) -> Disruptions:
    """Disruptions in simulated days (``start_day`` counts reported days, after the warm-up)."""
    spec = ix.spec
    out = Disruptions()
    for d in spec.disruptions:
        if d.kind == "outage":
            start = d.start_day + spec.warmup_days
            out.outages.setdefault(ix.treat_ix[d.site], []).append((start, start + d.days))
        elif d.kind == "fleet_unavailable":
            f = ix.fleet_ix[d.fleet]
            n = int(np.ceil(d.share * spec.fleets[d.fleet].vehicles - 1e-9))
            start = d.start_day + spec.warmup_days
            out.fleet_down.setdefault(f, []).append((start, start + d.days, n))
        else:
            out.breakdowns[ix.fleet_ix[d.fleet]] = (d.per_vehicle_per_year / DAYS_PER_YEAR, d.repair_days)
    return out


def raise_problems(problems: list[Problem]) -> None:
    if problems:
        raise NetworkError(problems)
