"""A static annual model of a layout: expected flows, transport, costs and greenhouse gases.

The simulation follows every load day by day; this model computes what it does on average
over the reported period, in a few numpy steps, for any set of open treatment sites. It is
the site search's data (``siting.build``) and a fast screening model.

From the ``World`` of the *design* (every candidate built), for a layout (a mask of open
treatment sites, and optionally of open transfer stations):

- **supply**: each source x material entry generates ``rate x seasonal factor`` t per day,
  summed by month over the reported days; the residual stream (the potential not captured)
  goes to its disposal site as tonnes, carried by no simulated truck;
- **collection**: in each month, every entry sends its waste to its first open receiver in
  routing order (treatment sites and transfer stations, nearest first, or ``deliver_to``); a
  receiver offered more than its capacity over the month (t/day x days) accepts the same share
  from each, and the rest goes to the next one, then to the entry's disposal site (or stays at
  the source when it has none);
- **trips**: a collection interval of ``every_days`` days carries ``ceil(x / payload)`` loads
  of the ``x`` t generated in it (``x / payload`` with ``full_loads_only``), split between
  destinations by mass; each load first drives its collection round (``round_km``, in
  ``round_h`` in place of the loading time), then the loaded km, then back empty (to the origin,
  or through the fleet's depot) (``siting.legs``);
- **transfer stations** forward what they receive, by material, to their first open treatment
  site with room left (``forward_to`` order or nearest), then to disposal, in loads of
  ``min(payload, t per day x max(1, max_wait_days))`` (a partial load leaves when its oldest
  tonne has waited ``max_wait_days``);
- **products**: intake x output coefficient; residues go to their disposal site; products go
  to farms and outlets, nearest site first, up to each entry's demand over its window days
  (a site asked for more than it makes shares it out); a chain product (digestate) nobody takes
  goes on to the first open treatment site that takes it with room left, where it is treated
  again (``chained_t``, not diverted twice); deliveries, residues and chains travel in full
  loads;
- **disposal**: yearly capacities and ``overflow_to`` chains day by day (``siting.disposal``);
- **balances**: the quantities feed ``metrics.accounting.replication_balance`` (the same cost
  and greenhouse-gas terms as a run), with the capital and fixed costs of the open sites only.

What it leaves out (docs/optimise.md): day-to-day noise (loads are computed on mean amounts),
storage limits and reception delays, spreading windows beyond the yearly demand they carry,
truck and shift limits, disruptions, the residence time (a product is made the month its input
arrives) and the start-up of a run without warm-up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ptce_flows.metrics.accounting import BalanceFactors, balance_factors, replication_balance
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.sim.tables import World
from ptce_flows.siting.disposal import DisposalSites, Sent
from ptce_flows.siting.legs import Legs, Totals
from ptce_flows.siting.products import Products
from ptce_flows.units import MONTH_OF_DOY, day_of_year

#: KPIs of a layout in the static model (their meaning is the run's KPI of the same name)
STATIC_KPIS = ("generated_t", "residual_t", "diverted_t", "transferred_t", "chained_t", "disposed_t",
               "disposal_refused_t", "disposal_over_capacity_t", "delivered_t", "vehicle_km", "round_km",
               "tonne_km", "co2_t", "driver_hours", "cost_net_eur", "ghg_net_t_co2e")


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
        self.legs = Legs(w)
        self.treat_ids = [w.sites[t.site] for t in w.treatments]
        self.transfer_ids = [w.sites[x.site] for x in w.transfers]
        self.n_treat = len(w.treatments)
        self.n_transfer = len(w.transfers)
        self.n_mat = len(w.materials)
        days = day_of_year(np.arange(w.horizon_days), w.start_day_of_year) - 1
        self.month_days = np.bincount(MONTH_OF_DOY[days], minlength=12).astype(float)
        self.cap = np.array([t.capacity_t_per_day for t in w.treatments], dtype=float)
        #: receivers of collection loads: treatment sites, then transfer stations
        self.recv_cap = np.concatenate([self.cap, [x.capacity_t_per_day for x in w.transfers]])
        self.recv_site = np.array([t.site for t in w.treatments] + [x.site for x in w.transfers], dtype=np.int64)
        self.disp_site = np.array([d.site for d in w.disposals], dtype=np.int64)
        self.disposal = DisposalSites(w, self.month_days)
        self._supply()
        self.products = Products(self)

    @property
    def outputs(self) -> list[tuple[int, int, float]]:
        """(treatment index, material, t out per t in) of every output."""
        return self.products.outputs

    # ------------------------------------------------------------------ preparation
    def _trip(self, fleet: int, origin: int, dest: np.ndarray, km: np.ndarray) -> _Trips:
        """One trip of ``fleet`` from site ``origin`` to the sites ``dest`` (loaded ``km``)."""
        empty = self.legs.empty_km(fleet, origin, np.asarray(dest), np.asarray(km, float))
        return _Trips(np.asarray(km, float), empty, self.legs.hours(fleet, np.asarray(km, float), empty))

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
        # (12, E) t generated per month
        self.gen = (sup.rate[:, None] * sup.season).T * self.month_days[:, None] if n else np.zeros((12, 0))
        self.gen_by_entry = np.ascontiguousarray(self.gen.T)
        # the residual stream (potential not captured) goes to its disposal site, carried by no
        # simulated truck (docs/outputs.md): tonnes only, the same in every layout
        res = (sup.residual_rate[:, None] * sup.season).T * self.month_days[:, None] if n else np.zeros((12, 0))
        self.residual_t = float(res.sum())
        keep = sup.residual_disposal >= 0 if n else np.zeros(0, bool)
        self.residual = (sup.residual_disposal[keep], res.sum(axis=0)[keep], res[:, keep])
        self.residual_by_disp = np.bincount(self.residual[0], self.residual[1], minlength=len(w.disposals))
        payload = self.legs.payload[sup.fleet] if n else np.zeros(0)
        per_interval = sup.rate[:, None] * sup.season * sup.every[:, None]            # (E, 12)
        loads = np.where(sup.full_only[:, None], per_interval / payload[:, None],
                         np.ceil(per_interval / payload[:, None] - 1e-9))
        trips = (loads * (self.month_days[None, :] / sup.every[:, None])).sum(axis=1)
        gen = self.gen.sum(axis=0)
        self.trips_per_t = np.divide(trips, gen, out=np.zeros(n), where=gen > 0)
        self.fleet_of = sup.fleet
        self.origin = sup.site
        round_km = sup.round_km if len(sup.round_km) == n else np.zeros(n)
        round_h = sup.round_h if len(sup.round_h) == n else self.legs.loading_h[sup.fleet]
        self.round_km, self.round_h = round_km.astype(float), round_h.astype(float)
        self.has_rounds = bool(self.round_km.any())
        legs, f, o = self.legs, self.fleet_of, self.origin
        dest = np.where(self.cand >= 0, self.recv_site[np.maximum(self.cand, 0)] if len(self.recv_site) else -1, -1)
        self.t_km = self.cand_km
        self.t_empty = legs.empty_km(f[:, None], o[:, None], dest, self.cand_km)
        self.t_hours = legs.hours(f[:, None], self.cand_km, self.t_empty, self.round_h[:, None])
        dsite = np.where(self.disp >= 0, self.disp_site[np.maximum(self.disp, 0)] if len(self.disp_site) else -1, -1)
        self.d_empty = legs.empty_km(f, o, dsite, self.disp_km)
        self.d_hours = legs.hours(f, self.disp_km, self.d_empty, self.round_h)
        self.mat_of = sup.material

    # ------------------------------------------------------------------ a layout
    def evaluate(self, open_mask: np.ndarray, open_transfers: np.ndarray | None = None) -> dict:
        """Quantities, balances and KPIs of the layout whose open treatment sites are
        ``open_mask`` (indices of ``World.treatments`` of the design) and open transfer
        stations ``open_transfers`` (all by default)."""
        open_mask = np.asarray(open_mask, dtype=bool)
        tr = np.ones(self.n_transfer, bool) if open_transfers is None else np.asarray(open_transfers, bool)
        q = Totals(self.legs)
        sent = Sent()
        if self.disposal.limited:  # otherwise the residual's sites are the same in every layout
            res_site, res_mass, res_month = self.residual
            sent.add(res_site, res_mass, res_month)
        stage = self._collect(np.concatenate([open_mask, tr]), q, sent)
        stage["forwarded"] = self._forward(open_mask, stage, q, sent)
        done = self.products.run(open_mask, stage, q, sent)
        return self._finish(open_mask, tr, q, sent, stage, done)

    def _collect(self, open_r: np.ndarray, q: Totals, sent: Sent) -> dict:
        n_e, k = self.cand.shape
        T, R, M = self.n_treat, len(self.recv_cap), self.n_mat
        valid = (self.cand >= 0) & open_r[np.maximum(self.cand, 0)] if R else np.zeros((n_e, k), bool)
        rest = self.gen_by_entry.copy()                 # (E, 12): rows gather fast
        room = (self.recv_cap[None, :] * self.month_days[:, None]).T.copy()   # (R, 12)
        share = np.zeros((n_e, k))                      # share of the entry's waste sent to receiver i
        total = self.gen.sum(axis=0)
        left = total.copy()
        month = np.arange(12)[None, :]
        received = np.zeros((R, 12))
        transfer_in = np.zeros(max(self.n_transfer, 1) * M * 12)
        for i in range(k):
            # only the entries that can still send something to an open receiver at this position
            idx = np.flatnonzero(valid[:, i] & (left > 1e-12))
            if not idx.size:
                continue
            t = self.cand[idx, i]
            want = rest[idx]                                                  # (n, 12)
            keys = (t[:, None] * 12 + month).ravel()
            asked = np.bincount(keys, want.ravel(), minlength=R * 12).reshape(R, 12)
            over = asked > room
            if over.any():  # a receiver offered more than its room accepts the same share from each
                frac = np.divide(room, asked, out=np.ones_like(room), where=over)
                taken = want * frac[t]
                took = asked * frac
                rest[idx] = want - taken
            else:
                taken, took = want, asked
                rest[idx] = 0.0
            room = np.maximum(room - took, 0.0)
            sent_i = taken.sum(axis=1)
            share[idx, i] = sent_i / total[idx]
            left[idx] -= sent_i
            received += took
            via = t >= T
            if via.any():
                key = (t[via] - T) * M + self.mat_of[idx[via]]
                transfer_in += np.bincount((key[:, None] * 12 + month).ravel(), taken[via].ravel(),
                                           minlength=transfer_in.size)
        rest = rest.T                                   # (12, E)
        sent_t = share * total[:, None]
        trips = self.trips_per_t * total
        q.add(self.fleet_of[:, None], trips[:, None] * share, self.t_km, self.t_empty, self.t_hours, sent_t,
              self.round_km[:, None] if self.has_rounds else None)
        left = rest.sum(axis=0)
        to_disp = np.where(self.disp >= 0, left, 0.0)
        dshare = np.divide(to_disp, total, out=np.zeros(n_e), where=total > 0)
        out = np.flatnonzero(to_disp > 0)
        if out.size:
            sent.add(self.disp[out], to_disp[out], rest[:, out],
                     (self.fleet_of[out], self.origin[out], (trips * dshare)[out], self.round_h[out], self.round_km[out]))
        return {"generated": float(total.sum()) + self.residual_t, "direct": received[:T].T,
                "transfer_in": transfer_in.reshape(-1, 12)[: self.n_transfer * M].T,
                "room": room[:T].T.copy()}

    def _forward(self, open_t: np.ndarray, stage: dict, q: Totals, sent: Sent) -> np.ndarray:
        """(12, T) t forwarded by the transfer stations to each treatment site, by month."""
        w, M, legs = self.world, self.n_mat, self.legs
        out = np.zeros((12, self.n_treat))
        room = stage["room"]
        days = self.month_days
        for k, info in enumerate(w.transfers):
            for m, onward in info.forward.items():
                x = stage["transfer_in"][:, k * M + m].copy()
                if x.sum() <= 1e-12:
                    continue
                f = onward.fleet
                per_day = np.divide(x, days, out=np.zeros(12), where=days > 0)
                size = np.minimum(legs.payload[f], per_day * max(1, info.max_wait_days))
                for t, km in onward.candidates:
                    if not open_t[t] or x.sum() <= 1e-12:
                        continue
                    take = np.minimum(x, room[:, t])
                    room[:, t] -= take
                    x = x - take
                    out[:, t] += take
                    if take.sum() > 0:
                        trip = self._trip(f, info.site, np.array([w.treatments[t].site]), np.array([km]))
                        q.add(np.array([f]), np.array([_loads(take, size)]), trip.km, trip.empty_km, trip.hours,
                              np.array([take.sum()]))
                d = onward.disposal[0]
                if d >= 0 and x.sum() > 1e-12:
                    sent.add([d], [x.sum()], x[:, None],
                             ([f], [info.site], [_loads(x, size)], [legs.loading_h[f]], [0.0]))
        return out

    def _finish(self, open_mask: np.ndarray, open_transfers: np.ndarray, q: Totals, sent: Sent, stage: dict,
                done: dict) -> dict:
        w, legs = self.world, self.legs
        frac, refused, over = self.disposal.shares(sent)
        disposed = np.zeros(len(w.disposals))
        waste = 0.0
        if not self.disposal.limited:
            disposed += self.residual_by_disp
            waste += self.residual_t
        cols: list[list[np.ndarray]] = [[] for _ in range(7)]  # every truck batch, one pass below
        for b, rows, d, share in self.disposal.route(sent, frac):
            mass = sent.mass[b][rows] * share
            disposed += np.bincount(d, mass, minlength=len(disposed))
            if sent.kinds[b] == "waste":
                waste += float(mass.sum())
            trucks = sent.trucks[b]
            if trucks is not None:
                fleet, origin, trips, load_h, rkm = (np.asarray(a)[rows] for a in trucks)
                for col, value in zip(cols, (fleet, origin, trips * share, load_h, rkm, d, mass), strict=True):
                    col.append(value)
        if cols[0]:
            fleet, origin, trips, load_h, rkm, d, mass = (np.concatenate(c) for c in cols)
            km = w.disposal_km[origin, d]
            empty = legs.empty_km(fleet, origin, self.disp_site[d], km)
            q.add(fleet, trips, km, empty, legs.hours(fleet, km, empty, load_h), mass, rkm if rkm.any() else None)
        received = done["received"]
        # t received by each transfer station: its columns are (station, material), by month
        through = stage["transfer_in"].sum(axis=0).reshape(-1, self.n_mat).sum(axis=1) \
            if self.n_transfer else np.zeros(0)
        quantities = {
            "horizon_days": int(self.month_days.sum()),
            "generated_t": stage["generated"],
            "fleets": {f.id: {"vehicle_km": float(q.vkm[i]), "driver_hours": float(q.hours[i]),
                              "co2_t": float(q.co2[i])} for i, f in enumerate(w.fleets)},
            "received_t": {sid: float(received[t]) for t, sid in enumerate(self.treat_ids) if open_mask[t]},
            "disposed_t": {w.sites[d.site]: float(disposed[k]) for k, d in enumerate(w.disposals)},
            "delivered_t": {w.materials[m]: float(t) for m, t in done["delivered"].items()},
            "transferred_t": {self.transfer_ids[k]: float(through[k]) for k in range(self.n_transfer)
                              if open_transfers[k]},
        }
        f = self.factors
        keep = {sid for sid, o in zip(self.treat_ids, open_mask, strict=True) if o}
        keep |= {sid for sid, o in zip(self.transfer_ids, open_transfers, strict=True) if o}
        costs = dataclasses.replace(f.costs, **{
            name: {s: u for s, u in getattr(f.costs, name).items() if s in keep}
            for name in ("capex", "life", "fixed", "per_t", "energy_kwh", "energy_price")})
        balance = replication_balance(BalanceFactors(f.climate, costs), quantities)
        chained = float(done["chained"])
        kpis = {
            "generated_t": stage["generated"],
            "residual_t": self.residual_t,
            "diverted_t": float(received.sum()) - chained,
            "transferred_t": float(stage["transfer_in"].sum()),
            "chained_t": chained,
            "disposed_t": waste,
            "disposal_refused_t": refused,
            "disposal_over_capacity_t": over,
            "delivered_t": float(sum(done["delivered"].values())),
            "vehicle_km": float(q.vkm.sum()),
            "round_km": q.round_km,
            "tonne_km": float(q.tkm),
            "co2_t": float(q.co2.sum()),
            "driver_hours": float(q.hours.sum()),
            "trips": float(q.trips.sum()),
            "cost_net_eur": balance["kpis"]["cost_net_eur"],
            "ghg_net_t_co2e": balance["kpis"]["ghg_net_t_co2e"],
        }
        by_fleet = {f.id: {"trips": float(q.trips[i]), **quantities["fleets"][f.id]} for i, f in enumerate(w.fleets)}
        return {"kpis": kpis, "quantities": quantities, "balance": balance, "by_fleet": by_fleet}


def _loads(month: np.ndarray, size: np.ndarray) -> float:
    """Loads carrying ``month`` t (by month) in loads of ``size`` t."""
    return float(np.divide(month, size, out=np.zeros(12), where=size > 0).sum())


__all__ = ["STATIC_KPIS", "StaticModel"]
