"""The facility-location problem of a scenario's design, read off the static model.

Clients are the supply entries (source x material) with their tonnes over the reported period;
sites are the treatment sites of the design (existing ones always open, candidates to choose).
The cost of serving entry ``e`` from site ``t`` adds, for the chosen objective:

- ``cost`` (EUR): the collection trips (EUR/km x vehicle-km + EUR/h x hours, the entry's trips
  as in the static model), the site's EUR per tonne less the energy it sells, and per tonne of
  output either the residue's trip and disposal fees and taxes or, for a product, the trip to
  the nearest farm or outlet that takes it less the product's price; a site's fixed cost is its
  annualised capex plus its fixed EUR per year (pro rata of the reported days);
- ``tonne_km``: tonnes x loaded km of the collection, of the products to the nearest taker and
  of the residues;
- ``ghg`` (t CO2e): the trucks' CO2, the process emissions less the energy credit, the residues'
  disposal emissions less the products' avoided emissions.

A client whose receiver is a transfer station is served by the treatment sites it forwards to
(its collection leg, then the bulk loads' share per tonne); collection rounds add their km and
hours to every collection trip, as in the static model.

Leaving an entry unserved (what the sites refuse) sends it to its disposal site: trips, gate fee
and taxes, disposal emissions; only as far as every open site that can serve it is full
(``overflow_only``), even where disposal would cost less, as routing does. Capacities are the sites' t/day over the reported days (none when
no site could ever be full). Farm demand caps and seasons are not in the problem: the
simulation judges them.
"""

from __future__ import annotations

import numpy as np

from ptce_flows.siting.problem import LocationProblem
from ptce_flows.siting.static import StaticModel
from ptce_flows.units import DAYS_PER_YEAR

OBJECTIVES = {"cost": ("cost_net_eur", "EUR"), "tonne_km": ("tonne_km", "t.km"),
              "ghg": ("ghg_net_t_co2e", "t CO2e")}


def _per_t_output(model: StaticModel, objective: str) -> np.ndarray:
    """Per tonne received at each treatment site: what its outputs add (residues, products)."""
    w, f = model.world, model.factors
    out = np.zeros(model.n_treat)
    dem = w.demand
    for t, m, c in model.outputs:
        route = w.residues.get((t, m))
        if route is not None:
            d, km, fleet = route
            dsid = w.sites[w.disposals[d].site]
            value = _trip_per_t(model, fleet, w.treatments[t].site, w.disposals[d].site, km, objective)
            if objective == "cost":
                value += f.costs.gate_fee[dsid].value + f.costs.tax[dsid].value
            elif objective == "ghg":
                value += f.climate.disposal[dsid].value / 1000.0
        else:
            options = [(km, dem.fleet[e][tt], int(dem.site[e])) for e in range(len(dem))
                       if int(dem.material[e]) == m for tt, km in dem.candidates[e] if tt == t and tt in dem.fleet[e]]
            if not options:
                continue
            km, fleet, site = min(options)
            value = _trip_per_t(model, fleet, w.treatments[t].site, site, km, objective)
            name = w.materials[m]
            if objective == "cost" and name in f.costs.price:
                value -= f.costs.price[name].value
            elif objective == "ghg" and name in f.climate.product:
                value -= f.climate.product[name].value / 1000.0
        out[t] += c * value
    return out


def _trip_per_t(model: StaticModel, fleet: int, origin: int, dest: int, km: float, objective: str) -> float:
    """One tonne's share of a full-load trip."""
    info = model.world.fleets[fleet]
    trip = model._trip(fleet, origin, np.array([dest]), np.array([km]))
    if objective == "tonne_km":
        return km
    if objective == "cost":
        f = model.factors.costs
        value = float((trip.km + trip.empty_km)[0]) * f.fleet_km[info.id].value + float(trip.hours[0]) * f.fleet_h[info.id].value
    else:
        value = (km * info.co2_kg_per_km + float(trip.empty_km[0]) * info.co2_kg_per_km_empty) / 1000.0
    return value / info.payload_t


def _via_transfers(model: StaticModel, objective: str, a: np.ndarray, legs: tuple, total: np.ndarray,
                   per_t_site: np.ndarray) -> None:
    """Clients whose receiver is a transfer station: served by each treatment site it forwards
    to, at the collection leg + the station's and the bulk loads' share per tonne + the site's
    per-tonne value (``a`` keeps the cheaper of that and a direct delivery). The station's
    capacity is not in the problem: the static model and the simulation judge it."""
    w = model.world
    per_t_station = _station_costs(model, objective, None)[0]
    per_t: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for e, k, value in zip(*(x.tolist() for x in legs), strict=True):
        m = int(model.mat_of[e])
        onward = w.transfers[k].forward.get(m)
        if onward is None:
            continue
        if (k, m) not in per_t:
            site = w.transfers[k].site
            per_t[(k, m)] = [(j, _trip_per_t(model, onward.fleet, site, w.treatments[j].site, km, objective))
                             for j, km in onward.candidates]
        for j, forward in per_t[(k, m)]:
            a[e, j] = min(a[e, j], value + total[e] * (per_t_station[k] + forward + per_t_site[j]))


def build_problem(model: StaticModel, objective: str, candidates: list[str],
                  open_transfers: np.ndarray | None = None) -> tuple[LocationProblem, float, np.ndarray]:
    """The problem, the constant to add to its objective, and the client entries kept, with
    the transfer stations ``open_transfers`` (all by default) open."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective '{objective}' (one of: {', '.join(OBJECTIVES)})")
    w, f = model.world, model.factors
    T = model.n_treat
    total = model.gen.sum(axis=0)
    trips = model.trips_per_t * total
    fleets = w.fleets
    fid = [fleets[x].id for x in model.fleet_of]
    site_of = model.cand
    valid = site_of >= 0
    if open_transfers is not None and len(open_transfers):
        valid &= (site_of < T) | np.asarray(open_transfers, bool)[np.clip(site_of - T, 0, len(open_transfers) - 1)]
    n_e = len(total)
    a = np.full((n_e, T), np.inf)
    if objective == "tonne_km":
        per_trip = np.zeros_like(model.t_km)
        per_t_site = np.zeros(T)
        unserved = total * model.disp_km
    elif objective == "cost":
        ekm = np.array([f.costs.fleet_km[x].value for x in fid])
        eh = np.array([f.costs.fleet_h[x].value for x in fid])
        rk = model.round_km
        per_trip = (model.t_km + model.t_empty + rk[:, None]) * ekm[:, None] + model.t_hours * eh[:, None]
        ids = model.treat_ids
        per_t_site = np.array([f.costs.per_t[s].value - f.costs.energy_kwh[s].value * f.costs.energy_price[s].value
                               for s in ids])
        dsid = [w.sites[w.disposals[d].site] if d >= 0 else None for d in model.disp]
        fee = np.array([f.costs.gate_fee[s].value + f.costs.tax[s].value if s else 0.0 for s in dsid])
        unserved = trips * ((model.disp_km + model.d_empty + rk) * ekm + model.d_hours * eh) + total * fee
    else:
        c_l = np.array([fleets[x].co2_kg_per_km for x in model.fleet_of])
        c_e = np.array([fleets[x].co2_kg_per_km_empty for x in model.fleet_of])
        rk = model.round_km * 0.5 * (c_l + c_e)  # the round at the mean of loaded and empty
        per_trip = (model.t_km * c_l[:, None] + model.t_empty * c_e[:, None] + rk[:, None]) / 1000.0
        ids = model.treat_ids
        per_t_site = np.array([(f.climate.process[s].value - f.climate.energy_kwh[s].value
                                * f.climate.avoided_per_kwh[s].value) / 1000.0 for s in ids])
        dsid = [w.sites[w.disposals[d].site] if d >= 0 else None for d in model.disp]
        dis = np.array([f.climate.disposal[s].value / 1000.0 if s else 0.0 for s in dsid])
        unserved = trips * (model.disp_km * c_l + model.d_empty * c_e + rk) / 1000.0 + total * dis
    per_t_site = per_t_site + _per_t_output(model, objective)
    rows, cols = np.nonzero(valid)
    r = site_of[rows, cols]
    leg = total[rows] * model.t_km[rows, cols] if objective == "tonne_km" else trips[rows] * per_trip[rows, cols]
    direct = r < T
    a[rows[direct], r[direct]] = leg[direct] + total[rows[direct]] * per_t_site[r[direct]]
    _via_transfers(model, objective, a, (rows[~direct], r[~direct] - T, leg[~direct]), total, per_t_site)
    unserved = np.where(model.disp >= 0, unserved, np.inf)
    keep = (total > 0) & (np.isfinite(a).any(axis=1) | np.isfinite(unserved))
    a, unserved, total = a[keep], unserved[keep], total[keep]
    # costs may be negative (revenue, avoided emissions): shift each client by a constant
    shift = np.minimum(np.where(np.isfinite(a), a, np.inf).min(axis=1, initial=np.inf), unserved)
    a = a - shift[:, None]
    unserved = unserved - shift
    share = w.horizon_days / DAYS_PER_YEAR
    fixed = np.zeros(T)
    capex = np.zeros(T)
    if objective == "cost":
        from ptce_flows.metrics.costs import annuity_factor

        rate = f.costs.discount_rate.value
        for k, sid in enumerate(model.treat_ids):
            capex[k] = f.costs.capex[sid].value
            fixed[k] = (capex[k] * annuity_factor(rate, f.costs.life[sid].value) + f.costs.fixed[sid].value) * share
    else:
        capex = np.array([f.costs.capex[s].value for s in model.treat_ids])
    cap = model.cap * w.horizon_days
    capacity = cap if (cap < total.sum()).any() else None
    existing = np.array([sid not in candidates for sid in model.treat_ids])
    has_unserved = bool(np.isfinite(unserved).any())
    if has_unserved and not np.isfinite(unserved).all():
        big = 10.0 * (np.abs(a[np.isfinite(a)]).sum() + np.abs(unserved[np.isfinite(unserved)]).sum() + 1.0)
        unserved = np.where(np.isfinite(unserved), unserved, big)
    problem = LocationProblem(a, total, fixed, existing, capacity, unserved if has_unserved else None, capex,
                              has_unserved and _disposal_cheaper(a, unserved))
    return problem, float(shift.sum()) + _constant(model, objective, open_transfers), keep


def _constant(model: StaticModel, objective: str, open_transfers: np.ndarray | None) -> float:
    """What every layout of this subset of stations adds: the residual stream, the stations'
    capital and fixed costs."""
    return _residual_constant(model, objective) + _station_costs(model, objective, open_transfers)[1]


def _station_costs(model: StaticModel, objective: str, open_transfers: np.ndarray | None) -> tuple[np.ndarray, float]:
    """Cost objective: each transfer station's running cost per tonne, and the yearly cost
    (capital annuity + fixed, pro rata of the reported days) of the open stations, a constant
    of the layout; zeros for the other objectives."""
    n = len(model.transfer_ids)
    if objective != "cost" or not n:
        return np.zeros(n), 0.0
    from ptce_flows.metrics.costs import annuity_factor

    c = model.factors.costs
    opened = np.ones(n, bool) if open_transfers is None or not len(open_transfers) else np.asarray(open_transfers, bool)
    per_t = np.array([c.per_t[s].value for s in model.transfer_ids])
    share = model.world.horizon_days / DAYS_PER_YEAR
    yearly = sum((c.capex[s].value * annuity_factor(c.discount_rate.value, c.life[s].value) + c.fixed[s].value) * share
                 for s, o in zip(model.transfer_ids, opened, strict=True) if o)
    return per_t, float(yearly)


def _disposal_cheaper(a: np.ndarray, unserved: np.ndarray) -> bool:
    """Whether leaving some client unserved costs less than one of its sites: then the problem
    keeps disposal for what the open sites refuse (``overflow_only``), as in the static model
    and the simulation."""
    dearest = np.where(np.isfinite(a), a, -np.inf).max(axis=1, initial=-np.inf)
    return bool((unserved < dearest).any())


def _residual_constant(model: StaticModel, objective: str) -> float:
    """What the residual stream adds in every layout (no truck of ours carries it: its tonnes
    at their disposal sites, with their gate fees and taxes or their emissions), so that the
    solver's optimum is on the same footing as the static model and the simulation."""
    if objective == "tonne_km":
        return 0.0
    w, f = model.world, model.factors
    total = 0.0
    for d, tonnes in enumerate(model.residual_by_disp):
        if tonnes <= 0:
            continue
        sid = w.sites[w.disposals[d].site]
        if objective == "cost":
            total += tonnes * (f.costs.gate_fee[sid].value + f.costs.tax[sid].value)
        else:
            total += tonnes * f.climate.disposal[sid].value / 1000.0
    return total
