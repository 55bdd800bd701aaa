"""Compile a validated scenario into the arrays the simulation runs on (the build phase).

A ``World`` is plain data (numpy arrays, lists, small dataclasses): it is built once per
scenario, pickled to worker processes, and shared by every replication. Distances are looked
up here once, from one origin-destination matrix; routing candidates are sorted by distance.
A flow that the road network cannot carry is a ``NetworkError`` naming the site and material.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ptce_flows.errors import NetworkError, Problem
from ptce_flows.i18n import label_text
from ptce_flows.network import RoadNetwork
from ptce_flows.scenario.loader import LoadedScenario
from ptce_flows.scenario.topology import fleet_for, moves, topology
from ptce_flows.units import DAYS_PER_YEAR, MONTH_LENGTHS, MONTH_OF_DOY

DIST_CODES = {"gamma": 0, "lognormal": 1, "normal": 2}


@dataclass
class FleetInfo:
    id: str
    vehicles: int
    payload_t: float
    speed_kmh: float
    co2_kg_per_km: float
    co2_kg_per_km_empty: float
    loading_h: float
    unloading_h: float
    shift_h: float
    crew: int
    insertion_share: float
    depot: int  # node index in the network, -1 when trucks return to the origin


@dataclass
class TreatmentInfo:
    site: int               # index in World.sites
    process: str
    capacity_t_per_day: float
    storage_t: float
    residence_days: float
    inputs: np.ndarray      # material indices
    out_mats: np.ndarray    # material indices of outputs
    out_coefs: np.ndarray   # t out per t in, aligned with out_mats
    fixed_fte: float
    fte_per_kt: float
    insertion_share: float
    overflow: int = -1      # disposal index for refused waste, or -1 (nearest)
    reception_days: int = 1  # days a load may wait before processing starts

    @property
    def yield_total(self) -> float:
        return float(self.out_coefs.sum())


@dataclass
class DisposalInfo:
    site: int
    accepts: np.ndarray
    fte_per_kt: float
    fixed_fte: float
    insertion_share: float


@dataclass
class World:
    """Everything a replication needs, as arrays indexed by small integers."""

    name: str
    horizon_days: int            # reported days
    start_day_of_year: int
    materials: list[str]
    sites: list[str]
    site_kind: list[str]
    site_label: list[str]
    site_lat: np.ndarray
    site_lon: np.ndarray
    fleets: list[FleetInfo]
    treatments: list[TreatmentInfo]
    disposals: list[DisposalInfo]
    # supply entries (one per source x material)
    sup_site: np.ndarray
    sup_mat: np.ndarray
    sup_rate: np.ndarray         # mean t/day over the year
    sup_season: np.ndarray       # (E, 12) monthly factors, day-weighted mean 1
    sup_cv: np.ndarray
    sup_dist: np.ndarray
    sup_every: np.ndarray
    sup_full_only: np.ndarray
    sup_fleet: np.ndarray
    sup_candidates: list[list[tuple[int, float]]]   # (treatment index, km) nearest first
    sup_disposal: list[tuple[int, float]]            # (disposal index, km) or (-1, inf)
    # demand entries (one per farm/outlet x material)
    dem_site: np.ndarray
    dem_mat: np.ndarray
    dem_annual: np.ndarray       # t/year, nan when unlimited
    dem_rate: np.ndarray         # t/day on window days
    dem_unlimited: np.ndarray
    dem_window: np.ndarray       # (E, 365) bool, day-of-year 1 at column 0
    dem_last_day: np.ndarray     # (E, 365) bool, last day of a window
    dem_candidates: list[list[tuple[int, float]]]   # (treatment index, km) nearest first
    dem_fleet: list[dict[int, int]]                   # treatment index -> fleet index
    # residues: (treatment index, material) -> (disposal index, km, fleet index)
    residues: dict[tuple[int, int], tuple[int, float, int]]
    # depot legs: (fleet index, site index) -> km
    depot_km: dict[tuple[int, int], float] = field(default_factory=dict)
    # disruptions: treatment index -> [(first day, end day)); fleet index -> [(first, end, vehicles)];
    # fleet index -> (breakdowns per vehicle per day, repair days)
    outages: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    fleet_down: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    breakdowns: dict[int, tuple[float, float]] = field(default_factory=dict)
    warmup_days: int = 0         # simulated before the reported window (not reported)

    @property
    def total_days(self) -> int:
        """Days simulated: the warm-up, then the reported horizon."""
        return self.warmup_days + self.horizon_days
    network: RoadNetwork | None = None

    @property
    def material_index(self) -> dict[str, int]:
        return {m: i for i, m in enumerate(self.materials)}

    @property
    def site_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.sites)}


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


def build_world(loaded: LoadedScenario, network: RoadNetwork | None = None,
                horizon_days: int | None = None) -> World:
    """Compile ``loaded`` into a ``World``; raise ``NetworkError`` for unreachable flows."""
    spec = loaded.spec
    topo = topology(spec)
    materials = list(spec.materials)
    mat_ix = {m: i for i, m in enumerate(materials)}
    sites = list(spec.sites)
    site_ix = {s: i for i, s in enumerate(sites)}
    if network is None:
        places = {sid: tuple(s.location) for sid, s in spec.sites.items()}
        places.update({nid: tuple(loc) for nid, loc in spec.nodes.items()})
        network = RoadNetwork.from_places(
            places, [tuple(r) for r in spec.roads], spec.network.circuity,
            spec.network.fallback == "great_circle",
        )
    fleet_ids = list(spec.fleets)
    fleet_ix = {f: i for i, f in enumerate(fleet_ids)}

    treat_ids = [s for s, v in spec.sites.items() if v.kind == "treatment"]
    treat_ix = {s: i for i, s in enumerate(treat_ids)}
    disp_ids = [s for s, v in spec.sites.items() if v.kind == "disposal"]
    disp_ix = {s: i for i, s in enumerate(disp_ids)}
    source_ids = [s for s, v in spec.sites.items() if v.kind == "source"]

    # one origin-destination matrix: rows = sources + treatment sites (where loads start),
    # cols = every site but the sources (where loads go): nothing ever drives to a source, and
    # leaving those columns out keeps the matrix (and the build) linear in the sources
    rows = source_ids + treat_ids
    row_ix = {s: i for i, s in enumerate(rows)}
    cols = [s for s in sites if spec.sites[s].kind != "source"]
    col_ix = {s: i for i, s in enumerate(cols)}
    dist = network.distances_km([network.index[s] for s in rows], [network.index[s] for s in cols])

    def km(a: str, b: str) -> float:
        if a in row_ix and b in col_ix:
            return float(dist[row_ix[a], col_ix[b]])
        return float(network.distances_km([network.index[a]], [network.index[b]])[0, 0])

    problems: list[Problem] = []
    for move in moves(spec, topo):
        if not any(math.isfinite(km(move.origin, d)) for d in move.destinations):
            problems.append(loaded.problem(
                ("sites", move.origin),
                f"'{move.origin}' cannot reach any site where its '{move.material}' must go "
                f"({', '.join(move.destinations)}) on the road network",
                "add roads joining them, or set network.fallback: great_circle"))
    for sid, site in spec.sites.items():
        if site.kind == "source" and site.deliver_to:
            for i, target in enumerate(site.deliver_to):
                if target in site_ix and not np.isfinite(km(sid, target)):
                    problems.append(loaded.problem(("sites", sid, "deliver_to", i),
                                                   f"'{sid}' cannot reach '{target}' on the road network",
                                                   "add roads joining them"))

    # fleets (and depot legs)
    fleets: list[FleetInfo] = []
    depot_km: dict[tuple[int, int], float] = {}
    for fid, f in spec.fleets.items():
        depot = network.index[f.depot] if f.depot is not None else -1
        fleets.append(FleetInfo(fid, f.vehicles, f.payload_t, f.speed_kmh, f.co2_kg_per_km, f.co2_empty,
                                f.loading_h, f.unloading_h, f.shift_h, f.crew, f.insertion_share, depot))
        if depot >= 0:
            served = f.serves or sites
            d = network.distances_km([depot], [network.index[s] for s in sites])[0]
            for s in served:
                if not np.isfinite(d[site_ix[s]]):
                    if s in spec.sites and spec.sites[s].kind in ("source", "treatment"):
                        problems.append(loaded.problem(("fleets", fid, "depot"),
                                                       f"depot '{f.depot}' cannot reach '{s}'",
                                                       "add roads joining them"))
            for k in range(len(sites)):
                depot_km[(fleet_ix[fid], k)] = float(d[k])
    if problems:
        raise NetworkError(problems)

    # treatment sites
    treatments: list[TreatmentInfo] = []
    for sid in treat_ids:
        s = spec.sites[sid]
        p = spec.processes[s.process]
        jobs = s.jobs or p.jobs
        treatments.append(TreatmentInfo(
            site=site_ix[sid], process=s.process, capacity_t_per_day=s.capacity_per_day,
            storage_t=s.storage_t, residence_days=p.residence_days,
            inputs=np.array([mat_ix[m] for m in p.inputs], dtype=np.int64),
            out_mats=np.array([mat_ix[m] for m in p.outputs], dtype=np.int64),
            out_coefs=np.array(list(p.outputs.values()), dtype=float),
            fixed_fte=jobs.fixed_fte, fte_per_kt=jobs.fte_per_kt, insertion_share=jobs.insertion_share,
            overflow=disp_ix[s.overflow_to] if s.overflow_to else -1,
            reception_days=s.reception_days,
        ))
    disposals = []
    for sid in disp_ids:
        s = spec.sites[sid]
        jobs = s.jobs
        disposals.append(DisposalInfo(
            site=site_ix[sid], accepts=np.array([mat_ix[m] for m in s.accepts], dtype=np.int64),
            fte_per_kt=jobs.fte_per_kt if jobs else 0.0, fixed_fte=jobs.fixed_fte if jobs else 0.0,
            insertion_share=jobs.insertion_share if jobs else 0.0))

    # supply entries
    sup = {k: [] for k in ("site", "mat", "rate", "season", "cv", "dist", "every", "full", "fleet")}
    sup_candidates: list[list[tuple[int, float]]] = []
    sup_disposal: list[tuple[int, float]] = []
    for sid in source_ids:
        s = spec.sites[sid]
        for m, entry in s.supply.items():
            if entry.t_per_day is not None:
                rate = entry.t_per_day
            elif entry.t_per_year is not None:
                rate = entry.t_per_year / DAYS_PER_YEAR
            else:
                rate = s.population * entry.kg_per_capita_year / 1000.0 / DAYS_PER_YEAR
            rate *= entry.capture_rate
            sup["site"].append(site_ix[sid])
            sup["mat"].append(mat_ix[m])
            sup["rate"].append(rate)
            sup["season"].append(season_factors(entry.seasonality))
            sup["cv"].append(entry.variability.cv if entry.variability else 0.0)
            sup["dist"].append(DIST_CODES[entry.variability.distribution] if entry.variability else 0)
            sup["every"].append(s.collection.every_days)
            sup["full"].append(s.collection.full_loads_only)
            sup["fleet"].append(fleet_ix[fleet_for(spec, sid, m)])
            if s.deliver_to:
                cands = [t for t in s.deliver_to if mat_ix[m] in set(treatments[treat_ix[t]].inputs.tolist())]
                ordered = [(treat_ix[t], km(sid, t)) for t in cands]  # user's order
            else:
                ordered = sorted(((treat_ix[t], km(sid, t)) for t in topo.treats.get(m, [])),
                                 key=lambda c: (c[1], c[0]))
            sup_candidates.append([c for c in ordered if np.isfinite(c[1])])
            disposal = _nearest_disposal(sid, m, ordered, treatments, disp_ids, disp_ix, topo, km)
            sup_disposal.append(disposal)

    # demand entries
    dem = {k: [] for k in ("site", "mat", "annual", "rate", "unlimited", "window")}
    dem_candidates: list[list[tuple[int, float]]] = []
    dem_fleet: list[dict[int, int]] = []
    for sid, s in spec.sites.items():
        if s.kind not in ("farm", "outlet"):
            continue
        for m, d in s.demand.items():
            mask = window_mask(d.windows)
            annual = d.annual_t
            dem["site"].append(site_ix[sid])
            dem["mat"].append(mat_ix[m])
            dem["annual"].append(np.nan if annual is None else annual)
            dem["rate"].append(0.0 if annual is None else annual / mask.sum())
            dem["unlimited"].append(annual is None)
            dem["window"].append(mask)
            cands = sorted(((treat_ix[t], km(t, sid)) for t in topo.makes.get(m, [])), key=lambda c: (c[1], c[0]))
            cands = [c for c in cands if np.isfinite(c[1])]
            dem_candidates.append(cands)
            dem_fleet.append({t: fleet_ix[fleet_for(spec, treat_ids[t], m)] for t, _ in cands
                              if fleet_for(spec, treat_ids[t], m) is not None})
    windows = np.array(dem["window"], dtype=bool).reshape(-1, DAYS_PER_YEAR)
    last = windows & ~np.roll(windows, -1, axis=1)

    residues: dict[tuple[int, int], tuple[int, float, int]] = {}
    for t, sid in enumerate(treat_ids):
        p = spec.processes[spec.sites[sid].process]
        for m in p.outputs:
            if topo.is_residue(m):
                best = min(((disp_ix[d], km(sid, d)) for d in topo.disposes[m]), key=lambda c: (c[1], c[0]))
                fleet = fleet_for(spec, sid, m)
                if np.isfinite(best[1]) and fleet is not None:
                    residues[(t, mat_ix[m])] = (best[0], best[1], fleet_ix[fleet])

    outages: dict[int, list[tuple[int, int]]] = {}
    fleet_down: dict[int, list[tuple[int, int, int]]] = {}
    breakdowns: dict[int, tuple[float, float]] = {}
    for d in spec.disruptions:
        if d.kind == "outage":
            start = d.start_day + spec.warmup_days  # start_day counts reported days
            outages.setdefault(treat_ix[d.site], []).append((start, start + d.days))
        elif d.kind == "fleet_unavailable":
            f = fleet_ix[d.fleet]
            n = int(np.ceil(d.share * spec.fleets[d.fleet].vehicles - 1e-9))
            start = d.start_day + spec.warmup_days
            fleet_down.setdefault(f, []).append((start, start + d.days, n))
        else:
            breakdowns[fleet_ix[d.fleet]] = (d.per_vehicle_per_year / DAYS_PER_YEAR, d.repair_days)

    horizon = horizon_days if horizon_days is not None else spec.horizon_days
    return World(
        name=spec.name, horizon_days=horizon, start_day_of_year=spec.start_day_of_year,
        warmup_days=spec.warmup_days,
        materials=materials, sites=sites, site_kind=[spec.sites[s].kind for s in sites],
        site_label=[label_text(spec.sites[s].label, default=s) for s in sites],
        site_lat=np.array([spec.sites[s].location[0] for s in sites]),
        site_lon=np.array([spec.sites[s].location[1] for s in sites]),
        fleets=fleets, treatments=treatments, disposals=disposals,
        sup_site=np.array(sup["site"], dtype=np.int64), sup_mat=np.array(sup["mat"], dtype=np.int64),
        sup_rate=np.array(sup["rate"], dtype=float),
        sup_season=np.array(sup["season"], dtype=float).reshape(-1, 12),
        sup_cv=np.array(sup["cv"], dtype=float), sup_dist=np.array(sup["dist"], dtype=np.int64),
        sup_every=np.array(sup["every"], dtype=np.int64), sup_full_only=np.array(sup["full"], dtype=bool),
        sup_fleet=np.array(sup["fleet"], dtype=np.int64),
        sup_candidates=sup_candidates, sup_disposal=sup_disposal,
        dem_site=np.array(dem["site"], dtype=np.int64), dem_mat=np.array(dem["mat"], dtype=np.int64),
        dem_annual=np.array(dem["annual"], dtype=float), dem_rate=np.array(dem["rate"], dtype=float),
        dem_unlimited=np.array(dem["unlimited"], dtype=bool), dem_window=windows, dem_last_day=last,
        dem_candidates=dem_candidates, dem_fleet=dem_fleet, residues=residues,
        depot_km=depot_km, network=network,
        outages=outages, fleet_down=fleet_down, breakdowns=breakdowns,
    )


def _nearest_disposal(sid, m, ordered, treatments, disp_ids, disp_ix, topo, km) -> tuple[int, float]:
    """Where a source's load goes when no treatment site can take it."""
    if ordered:
        preferred = treatments[ordered[0][0]].overflow
        if preferred >= 0:
            return preferred, km(sid, disp_ids[preferred])
    options = [(disp_ix[d], km(sid, d)) for d in topo.disposes.get(m, [])]
    options = [o for o in options if np.isfinite(o[1])]
    if not options:
        return -1, float("inf")
    return min(options, key=lambda c: (c[1], c[0]))


__all__ = ["World", "build_world", "MONTH_OF_DOY"]
