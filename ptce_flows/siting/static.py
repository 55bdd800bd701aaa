"""A static annual model of a layout: expected flows, transport, costs and greenhouse gases.

The simulation follows every load day by day; this model computes what it does on average
over the reported period, in a few numpy steps, for any set of open treatment sites. It is
the site search's data (``siting.build``) and a fast screening model.

From the ``World`` of the *design* (every candidate built), for a layout (a mask of open
treatment sites):

- **supply**: each source x material entry generates ``rate x seasonal factor`` t per day,
  summed by month over the reported days;
- **collection**: in each month, every entry sends its waste to its first open site in routing
  order (nearest first, or ``deliver_to``); a site offered more than its capacity over the
  month (t/day x days) accepts the same share from each, and the rest goes to the next open
  site, then to the entry's disposal site (or stays at the source when it has none);
- **trips**: a collection interval of ``every_days`` days carries ``ceil(x / payload)`` loads
  of the ``x`` t generated in it (``x / payload`` with ``full_loads_only``), split between
  destinations by mass; a trip is loaded km out, then back empty (to the origin, or through
  the fleet's depot), hours = loading + unloading + km / speed;
- **products**: intake x output coefficient; residues go to their disposal site; products go
  to farms and outlets, nearest site first, up to each entry's demand over its window days
  (a site asked for more than it makes shares it out); deliveries and residues travel in full
  loads;
- **balances**: the quantities feed ``metrics.accounting.replication_balance`` (the same cost
  and greenhouse-gas terms as a run), with the capital and fixed costs of the open sites only.

What it leaves out (docs/optimise.md): day-to-day noise (loads are computed on mean amounts),
storage limits and reception delays, spreading windows beyond the yearly demand they carry,
truck and shift limits, disruptions, and the start-up of a run without warm-up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ptce_flows.metrics.accounting import BalanceFactors, balance_factors, replication_balance
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.sim.tables import World
from ptce_flows.units import MONTH_OF_DOY, day_of_year

#: KPIs of a layout in the static model (their meaning is the run's KPI of the same name)
STATIC_KPIS = ("generated_t", "diverted_t", "disposed_t", "delivered_t", "vehicle_km", "tonne_km",
               "co2_t", "driver_hours", "cost_net_eur", "ghg_net_t_co2e")


@dataclass
class _Trips:
    """Per-trip figures of a set of origin -> destination pairs (arrays of one shape)."""

    km: np.ndarray        # loaded km
    empty_km: np.ndarray  # back (and depot lead) km
    hours: np.ndarray     # driver hours of one trip


class StaticModel:
    """The static model of one scenario's design; ``evaluate(open_mask)`` for a layout."""

    def __init__(self, world: World, spec: ScenarioSpec, factors: BalanceFactors | None = None):
        self.world, self.spec = world, spec
        self.factors = factors if factors is not None else balance_factors(spec)
        w = world
        self.treat_ids = [w.sites[t.site] for t in w.treatments]
        self.n_treat = len(w.treatments)
        days = day_of_year(np.arange(w.horizon_days), w.start_day_of_year) - 1
        self.month_days = np.bincount(MONTH_OF_DOY[days], minlength=12).astype(float)
        self.cap = np.array([t.capacity_t_per_day for t in w.treatments], dtype=float)
        self._supply()
        self._products()

    # ------------------------------------------------------------------ preparation
    def _trip(self, fleet: int, origin: int, dest: np.ndarray, km: np.ndarray) -> _Trips:
        f = self.world.fleets[fleet]
        if f.depot < 0:
            empty = km.copy()
        else:
            dk = self.world.depot_km
            back = np.array([dk[(fleet, int(d))] if d >= 0 else 0.0 for d in np.ravel(dest)]).reshape(km.shape)
            empty = back + dk[(fleet, origin)]
        hours = f.loading_h + f.unloading_h + (km + empty) / f.speed_kmh
        return _Trips(km, empty, hours)

    def _supply(self) -> None:
        w, sup = self.world, self.world.supply
        n = len(sup)
        k = max((len(c) for c in sup.candidates), default=0)
        self.cand = np.full((n, max(k, 1)), -1, dtype=np.int64)
        self.cand_km = np.zeros((n, max(k, 1)))
        for e, cands in enumerate(sup.candidates):
            for i, (t, km) in enumerate(cands):
                self.cand[e, i], self.cand_km[e, i] = t, km
        self.disp = np.array([d for d, _ in sup.disposal], dtype=np.int64) if n else np.zeros(0, int)
        self.disp_km = np.array([km if d >= 0 else 0.0 for d, km in sup.disposal]) if n else np.zeros(0)
        # (12, E) t generated per month, and loads per tonne
        self.gen = (sup.rate[:, None] * sup.season).T * self.month_days[:, None] if n else np.zeros((12, 0))
        # the residual stream (potential not captured) goes to its disposal site, carried by no
        # simulated truck (docs/outputs.md): tonnes only, the same in every layout
        res = (sup.residual_rate[:, None] * sup.season).T * self.month_days[:, None] if n else np.zeros((12, 0))
        keep = sup.residual_disposal >= 0 if n else np.zeros(0, bool)
        self.residual_t = float(res.sum())
        self.residual_by_disp = np.bincount(sup.residual_disposal[keep], res.sum(axis=0)[keep],
                                            minlength=len(w.disposals)) if n else np.zeros(len(w.disposals))
        payload = np.array([w.fleets[f].payload_t for f in sup.fleet]) if n else np.zeros(0)
        per_interval = sup.rate[:, None] * sup.season * sup.every[:, None]            # (E, 12)
        loads = np.where(sup.full_only[:, None], per_interval / payload[:, None],
                         np.ceil(per_interval / payload[:, None] - 1e-9))
        trips = (loads * (self.month_days[None, :] / sup.every[:, None])).sum(axis=1)
        gen = self.gen.sum(axis=0)
        self.trips_per_t = np.divide(trips, gen, out=np.zeros(n), where=gen > 0)
        site_of_treat = np.array([t.site for t in w.treatments] or [0])
        self.to_treat = []
        self.to_disp = []
        disp_site = np.array([d.site for d in w.disposals] or [0])
        for e in range(n):
            f, origin = int(sup.fleet[e]), int(sup.site[e])
            dest = np.where(self.cand[e] >= 0, site_of_treat[np.maximum(self.cand[e], 0)], -1)
            self.to_treat.append(self._trip(f, origin, dest, self.cand_km[e]))
            d = np.array([disp_site[self.disp[e]] if self.disp[e] >= 0 else -1])
            self.to_disp.append(self._trip(f, origin, d, np.array([self.disp_km[e]])))
        self.fleet_of = sup.fleet
        stack = [(tt.km, tt.empty_km, tt.hours) for tt in self.to_treat]
        shape = self.cand.shape
        self.t_km, self.t_empty, self.t_hours = (np.array([s[i] for s in stack]).reshape(shape) if n
                                                 else np.zeros(shape) for i in range(3))
        self.d_empty = np.array([tt.empty_km[0] for tt in self.to_disp]) if n else np.zeros(0)
        self.d_hours = np.array([tt.hours[0] for tt in self.to_disp]) if n else np.zeros(0)

    def _products(self) -> None:
        """Outputs per tonne received, residue routes and delivery options as arrays."""
        w = self.world
        self.outputs = [(t, int(m), float(c)) for t, info in enumerate(w.treatments)
                        for m, c in zip(info.out_mats.tolist(), info.out_coefs.tolist(), strict=True)]
        self.n_mat = len(w.materials)
        self.residue_trips = {}
        for (t, m), (d, km, f) in w.residues.items():
            trip = self._trip(f, w.treatments[t].site, np.array([w.disposals[d].site]), np.array([km]))
            self.residue_trips[(t, m)] = (d, f, trip)
        dem = w.demand
        n = len(dem)
        k = max((len(c) for c in dem.candidates), default=0) or 1
        self.d_cand = np.full((n, k), -1, dtype=np.int64)
        self.d_fleet = np.zeros((n, k), dtype=np.int64)
        self.d_km, self.d_tempty, self.d_thours, self.d_payload = (np.zeros((n, k)) for _ in range(4))
        for e in range(n):
            for i, (t, km) in enumerate(dem.candidates[e]):
                f = dem.fleet[e].get(t)
                if f is None:
                    continue
                trip = self._trip(f, w.treatments[t].site, np.array([dem.site[e]]), np.array([km]))
                self.d_cand[e, i], self.d_fleet[e, i], self.d_km[e, i] = t, f, km
                self.d_tempty[e, i], self.d_thours[e, i] = trip.empty_km[0], trip.hours[0]
                self.d_payload[e, i] = w.fleets[f].payload_t
        self.d_mat = dem.material.astype(np.int64) if n else np.zeros(0, np.int64)
        window_days = np.zeros(n)
        if n:
            days = day_of_year(np.arange(w.horizon_days), w.start_day_of_year) - 1
            window_days = dem.window[:, days].sum(axis=1).astype(float)
        self.dem_want = np.where(dem.unlimited, np.inf, dem.rate * window_days) if n else np.zeros(0)

    # ------------------------------------------------------------------ a layout
    def evaluate(self, open_mask: np.ndarray) -> dict:
        """Quantities, balances and KPIs of the layout whose open treatment sites are
        ``open_mask`` (indices of ``World.treatments`` of the design)."""
        open_mask = np.asarray(open_mask, dtype=bool)
        w = self.world
        q = _Quantities(w, self.month_days)
        intake = self._collect(open_mask, q)
        self._deliver(open_mask, intake, q)
        return self._finish(open_mask, q)

    def _collect(self, open_mask: np.ndarray, q: _Quantities) -> np.ndarray:
        n_e, k = self.cand.shape
        T = self.n_treat
        valid = (self.cand >= 0) & open_mask[np.maximum(self.cand, 0)] if T else np.zeros((n_e, k), bool)
        rest = self.gen.copy()                          # (12, E)
        room = self.cap[None, :] * self.month_days[:, None] if T else np.zeros((12, 0))
        share = np.zeros((n_e, k))                      # share of the entry's waste sent to candidate i
        total = self.gen.sum(axis=0)
        month = np.arange(12)[:, None] * T
        for i in range(k):
            # only the entries that can still send something to an open site at this position
            idx = np.flatnonzero(valid[:, i] & (rest.sum(axis=0) > 1e-12))
            if not idx.size:
                continue
            t = self.cand[idx, i]
            want = rest[:, idx]
            asked = np.bincount((month + t[None, :]).ravel(), want.ravel(), minlength=12 * T).reshape(12, T)
            frac = np.divide(room, asked, out=np.ones_like(room), where=asked > room)
            frac = np.minimum(frac, 1.0)
            taken = want * frac[:, t]
            room = np.maximum(room - asked * frac, 0.0)
            rest[:, idx] = want - taken
            share[idx, i] = taken.sum(axis=0) / total[idx]
        sent = share * total[:, None]
        intake = np.bincount(np.where(valid, self.cand, 0).ravel(), (sent * valid).ravel(), minlength=T)
        left = rest.sum(axis=0)
        to_disp = np.where(self.disp >= 0, left, 0.0)
        trips = self.trips_per_t * total
        # collection and overflow trips, split by mass
        q.add_trips(self.fleet_of, (trips[:, None] * share), self.t_km, self.t_empty, self.t_hours, sent)
        dshare = np.divide(to_disp, total, out=np.zeros(n_e), where=total > 0)
        q.add_trips(self.fleet_of, (trips * dshare)[:, None], self.disp_km[:, None], self.d_empty[:, None],
                    self.d_hours[:, None], to_disp[:, None])
        q.generated = float(total.sum()) + self.residual_t
        q.collected = float(sent.sum() + to_disp.sum())
        q.disposed_waste = np.bincount(self.disp[self.disp >= 0], to_disp[self.disp >= 0],
                                       minlength=len(self.world.disposals)) + self.residual_by_disp
        return intake

    def _deliver(self, open_mask: np.ndarray, intake: np.ndarray, q: _Quantities) -> None:
        M = self.n_mat
        made = np.zeros(self.n_treat * M)
        q.received = intake
        res = []
        for t, m, c in self.outputs:
            if not (open_mask[t] and intake[t] > 0):
                continue
            mass = intake[t] * c
            route = self.residue_trips.get((t, m))
            if route is None:
                made[t * M + m] += mass
            else:
                d, f, trip = route
                q.residues[d] += mass
                res.append((f, mass / self.world.fleets[f].payload_t, trip.km[0], trip.empty_km[0],
                            trip.hours[0], mass))
        if res:
            f, n, km, empty, hours, mass = (np.array(col) for col in zip(*res, strict=True))
            q.add_trips(f.astype(np.int64), n[:, None], km[:, None], empty[:, None], hours[:, None], mass[:, None])
        want = self.dem_want.copy()
        valid = (self.d_cand >= 0) & open_mask[np.maximum(self.d_cand, 0)] if self.n_treat else self.d_cand >= 0
        sent = np.zeros(self.d_cand.shape)
        for i in range(self.d_cand.shape[1]):
            ok = valid[:, i] & (want > 0)
            if not ok.any():
                continue
            key = np.maximum(self.d_cand[:, i], 0) * M + self.d_mat
            ask = np.where(ok, np.minimum(want, made[key]), 0.0)
            asked = np.bincount(key, ask, minlength=made.size)
            frac = np.minimum(np.divide(made, asked, out=np.zeros_like(made), where=asked > 0), 1.0)
            sent[:, i] = ask * frac[key]
            want = want - sent[:, i]
            made = made - asked * frac
        if sent.size:
            by_mat = np.bincount(self.d_mat, sent.sum(axis=1), minlength=M)
            q.delivered = {m: float(by_mat[m]) for m in np.flatnonzero(by_mat > 0).tolist()}
            trips = np.divide(sent, self.d_payload, out=np.zeros_like(sent), where=sent > 0)
            q.add_trips(self.d_fleet, trips, self.d_km, self.d_tempty, self.d_thours, sent)

    def _finish(self, open_mask: np.ndarray, q: _Quantities) -> dict:
        w = self.world
        quantities = q.as_dict(self.treat_ids, open_mask)
        f = self.factors
        keep = {sid for sid, o in zip(self.treat_ids, open_mask, strict=True) if o}
        costs = dataclasses.replace(f.costs, **{
            name: {s: u for s, u in getattr(f.costs, name).items() if s in keep}
            for name in ("capex", "life", "fixed", "per_t", "energy_kwh", "energy_price")})
        balance = replication_balance(BalanceFactors(f.climate, costs), quantities)
        kpis = {
            "generated_t": q.generated,
            "diverted_t": float(q.received.sum()),
            "disposed_t": float(q.disposed_waste.sum()),
            "delivered_t": float(sum(q.delivered.values())),
            "vehicle_km": float(q.vkm.sum()),
            "tonne_km": float(q.tkm),
            "co2_t": float(q.co2.sum()),
            "driver_hours": float(q.hours.sum()),
            "trips": float(q.trips.sum()),
            "cost_net_eur": balance["kpis"]["cost_net_eur"],
            "ghg_net_t_co2e": balance["kpis"]["ghg_net_t_co2e"],
        }
        del w
        return {"kpis": kpis, "quantities": quantities, "balance": balance}


class _Quantities:
    """Running totals of one evaluation, per fleet and site."""

    def __init__(self, world: World, month_days: np.ndarray):
        self.world = world
        nf = len(world.fleets)
        self.vkm, self.hours, self.co2, self.trips = (np.zeros(nf) for _ in range(4))
        self.co2_loaded = np.array([f.co2_kg_per_km for f in world.fleets])
        self.co2_empty = np.array([f.co2_kg_per_km_empty for f in world.fleets])
        self.tkm = 0.0
        self.residues = np.zeros(len(world.disposals))
        self.delivered: dict[int, float] = {}
        self.horizon = int(month_days.sum())

    def add_trips(self, fleet: np.ndarray, trips: np.ndarray, km: np.ndarray, empty: np.ndarray,
                  hours: np.ndarray, mass: np.ndarray) -> None:
        """``trips`` of ``km`` loaded and ``empty`` km (2-D arrays); ``fleet`` per row or per cell."""
        nf = len(self.world.fleets)
        f = np.broadcast_to(fleet[:, None] if fleet.ndim == 1 else fleet, trips.shape).ravel()
        tk, te = (trips * km).ravel(), (trips * empty).ravel()
        self.trips += np.bincount(f, trips.ravel(), minlength=nf)
        self.vkm += np.bincount(f, tk + te, minlength=nf)
        self.hours += np.bincount(f, (trips * hours).ravel(), minlength=nf)
        self.co2 += (np.bincount(f, tk, minlength=nf) * self.co2_loaded
                     + np.bincount(f, te, minlength=nf) * self.co2_empty) / 1000.0
        self.tkm += float((mass * km).sum())

    def as_dict(self, treat_ids: list[str], open_mask: np.ndarray) -> dict:
        """The quantities of ``metrics.accounting.quantities``."""
        w = self.world
        disposed = self.disposed_waste + self.residues
        return {
            "horizon_days": self.horizon,
            "generated_t": self.generated,
            "fleets": {f.id: {"vehicle_km": float(self.vkm[i]), "driver_hours": float(self.hours[i]),
                              "co2_t": float(self.co2[i])} for i, f in enumerate(w.fleets)},
            "received_t": {sid: float(self.received[t]) for t, sid in enumerate(treat_ids) if open_mask[t]},
            "disposed_t": {w.sites[d.site]: float(disposed[k]) for k, d in enumerate(w.disposals)},
            "delivered_t": {w.materials[m]: float(t) for m, t in self.delivered.items()},
        }


__all__ = ["STATIC_KPIS", "StaticModel"]
