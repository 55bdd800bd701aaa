"""KPIs of one replication, computed from its records after the run (pure functions).

Jobs are a yearly headcount: fixed FTE plus FTE per kt of yearly intake at treatment sites,
FTE per kt at disposal sites, and, for transport, vehicle hours x crew / 1,607 h per FTE year,
each annualised over the horizon (x 365 / horizon_days).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ptce_flows.metrics.balance import check_balance, totals
from ptce_flows.metrics.tonnages import site_tonnages
from ptce_flows.sim.records import Records, SeriesMeta, State
from ptce_flows.sim.tables import World
from ptce_flows.units import DAYS_PER_YEAR, FTE_HOURS_PER_YEAR, T_PER_KT

#: the KPIs of summary.json, in display order, with their units
KPI_UNITS: dict[str, str] = {
    "generated_t": "t",
    "residual_t": "t",
    "collected_t": "t",
    "transferred_t": "t",
    "diverted_t": "t",
    "chained_t": "t",
    "disposed_t": "t",
    "disposal_refused_t": "t",
    "disposal_over_capacity_t": "t",
    "diversion_rate": "-",
    "delivered_t": "t",
    "produced_t": "t",
    "process_losses_t": "t",
    "residues_disposed_t": "t",
    "unmet_demand_t": "t",
    "stock_end_t": "t",
    "mass_balance_error_t": "t",
    "trips": "-",
    "vehicle_km": "km",
    "round_km": "km",
    "tonne_km": "t.km",
    "co2_t": "t CO2e",
    "driver_hours": "h",
    "jobs_fte": "FTE",
    "insertion_fte": "FTE",
}

FLOW_COLUMNS = ("mass_t", "trips", "vehicle_km", "tonne_km", "co2_kg")


@dataclass
class ReplicationSummary:
    """Everything reported about one replication; small and picklable."""

    kpis: dict[str, float]
    products_t: dict[str, float]
    by_fleet: dict[str, dict[str, float]]
    jobs: dict[str, dict[str, dict[str, float]]]
    flows: dict[tuple[str, str, str, str], np.ndarray]   # (origin, destination, material, fleet) -> FLOW_COLUMNS
    levels: np.ndarray                                   # (days, series)
    series: SeriesMeta = field(default_factory=SeriesMeta)
    events: int = 0
    extra: dict[str, float] = field(default_factory=dict)
    #: with a warm-up, the stocks when the reported period opened, by site:
    #: {"source_stock": {site: {material: t}}, "in_process": {site: {"all": t}}, "stored": {...}}
    start_stocks: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    #: tonnes by site and product for the climate and cost balances (metrics.tonnages)
    tonnages: dict[str, dict[str, float]] = field(default_factory=dict)


def summarise(world: World, rec: Records) -> ReplicationSummary:
    """KPIs, breakdowns and tables of one replication; checks the mass balance first."""
    balance_error = check_balance(world, rec)
    win = rec.window()
    t = totals(world, rec, win)
    sh = window_shipments(rec)
    annual = DAYS_PER_YEAR / rec.horizon_days
    vehicle_km = sh["loaded_km"] + sh["empty_km"] + sh["round_km"]
    tonne_km = sh["mass_t"] * sh["loaded_km"]
    by_fleet, jobs_site, jobs_fleet, jobs_activity = _fleets_and_jobs(world, win, sh, annual)
    jobs_fte = sum(r["fte"] for r in jobs_activity.values())
    insertion = sum(r["insertion_fte"] for r in jobs_activity.values())

    diverted, generated = t["diverted_t"], t["generated_t"]
    available = diversion_base(t)
    kpis = {
        "generated_t": generated,
        "residual_t": t["residual_t"],
        "collected_t": t["collected_t"],
        "transferred_t": float(np.sum(win.tr_intake)),
        "diverted_t": diverted,
        "chained_t": t["chained_t"],
        "disposed_t": t["disposed_t"],
        "disposal_refused_t": float(np.sum(win.disp_refused)),
        "disposal_over_capacity_t": float(np.sum(win.disp_over)),
        "diversion_rate": min(1.0, diverted / available) if available > 0 else 0.0,
        "delivered_t": t["delivered_t"],
        "produced_t": t["produced_t"],
        "process_losses_t": t["process_losses_t"],
        "residues_disposed_t": t["residues_disposed_t"],
        "unmet_demand_t": float(win.dem_unmet.sum()),
        "stock_end_t": t["source_stock_t"] + t["transfer_stock_t"] + t["waste_in_transit_t"]
        + t["product_in_transit_t"] + t["in_process_t"] + t["stored_t"],
        "mass_balance_error_t": balance_error,
        "trips": float(len(sh["mass_t"])),
        "vehicle_km": float(vehicle_km.sum()),
        "round_km": float(sh["round_km"].sum()),
        "tonne_km": float(tonne_km.sum()),
        "co2_t": float(sh["co2_kg"].sum() / 1000.0),
        "driver_hours": float(sh["driver_h"].sum()),
        "jobs_fte": jobs_fte,
        "insertion_fte": insertion,
    }
    produced = win.treat_produced.sum(axis=0) if len(world.treatments) else np.zeros(len(world.materials))
    products = {world.materials[m]: float(produced[m]) for m in np.flatnonzero(
        np.isin(np.arange(len(world.materials)), _product_materials(world)))}
    return ReplicationSummary(
        kpis=kpis,
        products_t=products,
        by_fleet=by_fleet,
        jobs={"by_site": jobs_site, "by_fleet": jobs_fleet, "by_activity": jobs_activity},
        flows=flows(world, rec),
        levels=rec.levels,
        series=rec.series,
        events=rec.events,
        extra={**{k: v for k, v in t.items() if k not in kpis},
               "breakdowns": float(win.breakdowns[0]),
               "downtime_d": float(win.downtime_d[0])},
        start_stocks=start_stocks(world, rec),
        tonnages=site_tonnages(world, win),
    )


def diversion_base(t: dict[str, float]) -> float:
    """The tonnes the diversion rate is a share of: the waste generated in the period plus the
    waste already waiting, when it opened, at sources, at transfer stations and on the road
    (zero without a warm-up). The mass balance (``metrics.balance.headline``) makes the tonnes
    diverted at most that: diverted = generated + waiting at the start - disposed - waiting at
    the end, so the rate never exceeds 1 (``min(1, .)`` only removes float rounding)."""
    return (t["generated_t"] + t["start_source_stock_t"] + t["start_transfer_stock_t"]
            + t["start_waste_in_transit_t"])


def _fleets_and_jobs(world: World, win: State, sh: dict[str, np.ndarray], annual: float):
    """Transport by fleet, and jobs by site, fleet and activity (FTE and insertion FTE)."""
    vehicle_km = sh["loaded_km"] + sh["empty_km"] + sh["round_km"]
    tonne_km = sh["mass_t"] * sh["loaded_km"]
    by_fleet: dict[str, dict[str, float]] = {}
    jobs_site: dict[str, dict[str, float]] = {}
    jobs_fleet: dict[str, dict[str, float]] = {}
    jobs_activity: dict[str, dict[str, float]] = {}

    def add_job(table, key, fte, share):
        row = table.setdefault(key, {"fte": 0.0, "insertion_fte": 0.0})
        row["fte"] += fte
        row["insertion_fte"] += fte * share

    for f, info in enumerate(world.fleets):
        mine = sh["fleet"] == f
        hours = float(sh["driver_h"][mine].sum())
        fte = hours * info.crew / FTE_HOURS_PER_YEAR * annual
        by_fleet[info.id] = {
            "trips": int(mine.sum()),
            "vehicle_km": float(vehicle_km[mine].sum()),
            "tonne_km": float(tonne_km[mine].sum()),
            "co2_t": float(sh["co2_kg"][mine].sum() / 1000.0),
            "driver_hours": hours,
            "jobs_fte": fte,
        }
        add_job(jobs_fleet, info.id, fte, info.insertion_share)
        add_job(jobs_activity, "transport", fte, info.insertion_share)
    intake = win.treat_intake
    for k, info in enumerate(world.treatments):
        kt_year = float(intake[k].sum()) / T_PER_KT * annual
        fte = info.fixed_fte + info.fte_per_kt * kt_year
        add_job(jobs_site, world.sites[info.site], fte, info.insertion_share)
        add_job(jobs_activity, info.process, fte, info.insertion_share)
    for k, info in enumerate(world.transfers):
        kt_year = float(win.tr_intake[k].sum()) / T_PER_KT * annual
        fte = info.fixed_fte + info.fte_per_kt * kt_year
        if fte > 0:
            add_job(jobs_site, world.sites[info.site], fte, info.insertion_share)
            add_job(jobs_activity, "transfer", fte, info.insertion_share)
    received = win.disp_waste + win.disp_residue + win.disp_residual
    for k, info in enumerate(world.disposals):
        kt_year = float(received[k].sum()) / T_PER_KT * annual
        fte = info.fixed_fte + info.fte_per_kt * kt_year
        if fte > 0:
            add_job(jobs_site, world.sites[info.site], fte, info.insertion_share)
            add_job(jobs_activity, "disposal", fte, info.insertion_share)
    return by_fleet, jobs_site, jobs_fleet, jobs_activity


def start_stocks(world: World, rec: Records) -> dict[str, dict[str, dict[str, float]]]:
    """Stocks by site and material when the reported period opened (empty without warm-up)."""
    if rec.start is None:
        return {}
    mats = world.materials
    out: dict[str, dict[str, dict[str, float]]] = {"source_stock": {}, "in_process": {}, "stored": {}}
    start = rec.start
    for k, (site, m) in enumerate(zip(world.supply.site.tolist(), world.supply.material.tolist(), strict=True)):
        row = out["source_stock"].setdefault(world.sites[site], {})
        row[mats[m]] = row.get(mats[m], 0.0) + float(start.sup_stock[k])
    for t, info in enumerate(world.treatments):
        site = world.sites[info.site]
        out["in_process"][site] = {"all": float(start.treat_in_process[t].sum())}
        out["stored"][site] = {mats[m]: float(start.treat_store[t, m]) for m in info.out_mats.tolist()}
    return out


def window_shipments(rec: Records) -> dict[str, np.ndarray]:
    """The shipment columns of the trucks that left during the reported window."""
    if not rec.first_row:
        return rec.shipments
    keep = rec.in_window()
    return {name: column[keep] for name, column in rec.shipments.items()}


def _product_materials(world: World) -> list[int]:
    mats: set[int] = set()
    for info in world.treatments:
        mats.update(info.out_mats.tolist())
    return sorted(mats)


def flows(world: World, rec: Records) -> dict[tuple[str, str, str, str], np.ndarray]:
    """Totals per (origin, destination, material, fleet): FLOW_COLUMNS."""
    sh = window_shipments(rec)
    n = len(sh["mass_t"])
    if n == 0:
        return {}
    keys = np.stack([sh["origin"], sh["destination"], sh["material"], sh["fleet"]], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    values = np.stack([
        sh["mass_t"],
        np.ones(n),
        sh["loaded_km"] + sh["empty_km"] + sh["round_km"],
        sh["mass_t"] * sh["loaded_km"],
        sh["co2_kg"],
    ], axis=1)
    sums = np.zeros((len(uniq), values.shape[1]))
    np.add.at(sums, inverse, values)
    return {
        (world.sites[o], world.sites[d], world.materials[m], world.fleets[f].id): sums[i]
        for i, (o, d, m, f) in enumerate(uniq.tolist())
    }
