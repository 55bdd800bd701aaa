"""The static model's treatment stage: products, residues, deliveries to farms and chains.

Given each open treatment site's intake by month (collected directly and forwarded by transfer
stations), outputs are intake x coefficient. Residues (rejects) go to their disposal site in
full loads. Products go to farms and outlets, nearest site first, up to each entry's demand
over its window days (a site asked for more than it makes shares it out), in full loads. A
chain product (``World.chains``: digestate to composting) that the farms do not take goes on, in
full loads of its fleet, to the first open treatment site taking it with room left that month
(else to its disposal site), where it is treated again: its outputs are added and the stage is
run again until nothing changes (chains have no cycle, so at most one pass per link).
"""

from __future__ import annotations

import numpy as np

from ptce_flows.sim.constants import RESIDUE_CLEARANCE_DAYS
from ptce_flows.siting.disposal import Sent
from ptce_flows.siting.legs import Totals
from ptce_flows.units import day_of_year


def cleared_loads(month: np.ndarray, payload: float, month_days: np.ndarray) -> float:
    """Loads of a product cleared like residues: full loads as they are ready and the partial
    rest every ``RESIDUE_CLEARANCE_DAYS``, i.e. ``ceil(x / payload)`` loads for the ``x`` t made
    in each clearance period (at the month's mean rate)."""
    per_day = np.divide(month, month_days, out=np.zeros(12), where=month_days > 0)
    per_period = np.ceil(per_day * RESIDUE_CLEARANCE_DAYS / payload - 1e-9)
    return float((per_period * month_days / RESIDUE_CLEARANCE_DAYS).sum())


class Products:
    """Outputs per tonne received, residue routes, delivery options and chains as arrays."""

    def __init__(self, model):
        self.model = model
        w = model.world
        self.world = w
        self.n_treat, self.n_mat = model.n_treat, model.n_mat
        self.outputs = [(t, int(m), float(c)) for t, info in enumerate(w.treatments)
                        for m, c in zip(info.out_mats.tolist(), info.out_coefs.tolist(), strict=True)]
        self.coef = {(t, m): c for t, m, c in self.outputs}
        self.residue_trips = {(t, m): (d, f) for (t, m), (d, km, f) in w.residues.items()}
        keys = list(self.residue_trips)
        self.residue_table = None if not keys else (
            np.array([t for t, _ in keys], dtype=np.int64),
            np.array([self.residue_trips[k][0] for k in keys], dtype=np.int64),
            np.array([self.residue_trips[k][1] for k in keys], dtype=np.int64),
            np.array([w.treatments[t].site for t, _ in keys], dtype=np.int64),
            np.array([self.coef[k] for k in keys], dtype=float))
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
                trip = model._trip(f, w.treatments[t].site, np.array([dem.site[e]]), np.array([km]))
                self.d_cand[e, i], self.d_fleet[e, i], self.d_km[e, i] = t, f, km
                self.d_tempty[e, i], self.d_thours[e, i] = trip.empty_km[0], trip.hours[0]
                self.d_payload[e, i] = w.fleets[f].payload_t
        self.d_mat = dem.material.astype(np.int64) if n else np.zeros(0, np.int64)
        window_days = np.zeros(n)
        if n:
            days = day_of_year(np.arange(w.horizon_days), w.start_day_of_year) - 1
            window_days = dem.window[:, days].sum(axis=1).astype(float)
        self.dem_want = np.where(dem.unlimited, np.inf, dem.rate * window_days) if n else np.zeros(0)
        self.chains = list(w.chains.items())

    def run(self, open_mask: np.ndarray, stage: dict, q: Totals, sent: Sent) -> dict:
        """Treat, deliver and chain; record the trips; return the tonnes received by each
        treatment site (chains included), delivered by product, and chained."""
        base = stage["direct"] + stage["forwarded"]               # (12, T)
        chain_in = np.zeros_like(base)
        for _ in range(len(self.chains) + 1):
            intake_month = base + chain_in
            made = self._made(open_mask, intake_month.sum(axis=0))
            deliveries, left = self._deliver(open_mask, made)
            if not self.chains:
                flows = []
                break
            new_in, flows = self._chain(open_mask, intake_month, made, left, stage["room"].copy())
            settled = np.allclose(new_in, chain_in, rtol=1e-12, atol=1e-9)
            chain_in = new_in
            if settled:
                break
        intake_month = base + chain_in
        intake = intake_month.sum(axis=0)
        self._residues(open_mask, intake_month, sent)
        delivered = self._record_deliveries(deliveries, q)
        self._record_chains(flows, q, sent)
        return {"received": intake, "delivered": delivered, "chained": float(chain_in.sum())}

    def _made(self, open_mask: np.ndarray, intake: np.ndarray) -> np.ndarray:
        """(T x M) products made (residues left out)."""
        made = np.zeros(self.n_treat * self.n_mat)
        for t, m, c in self.outputs:
            if open_mask[t] and intake[t] > 0 and (t, m) not in self.residue_trips:
                made[t * self.n_mat + m] += intake[t] * c
        return made

    def _residues(self, open_mask: np.ndarray, intake_month: np.ndarray, sent: Sent) -> None:
        """Residues to their disposal site, cleared like a run clears them (one batch)."""
        r = self.residue_table
        if r is None:
            return
        t, d, f, origin, coef = r
        keep = open_mask[t]
        month = intake_month[:, t] * coef[None, :]                    # (12, n)
        legs, days = self.model.legs, self.model.month_days
        per_day = np.divide(month, days[:, None], out=np.zeros_like(month), where=days[:, None] > 0)
        periods = np.ceil(per_day * RESIDUE_CLEARANCE_DAYS / legs.payload[f][None, :] - 1e-9)
        loads = (periods * (days / RESIDUE_CLEARANCE_DAYS)[:, None]).sum(axis=0)
        sent.add(np.where(keep, d, -1), month.sum(axis=0), month,
                 (f, origin, loads, legs.loading_h[f], np.zeros(len(t))), kind="residue")

    def _deliver(self, open_mask: np.ndarray, made: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(demand entries x ranks) t delivered, and what each site has left of each product."""
        M = self.n_mat
        made = made.copy()
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
            made = np.maximum(made - asked * frac, 0.0)
        return sent, made

    def _record_deliveries(self, sent: np.ndarray, q: Totals) -> dict[int, float]:
        if not sent.size:
            return {}
        by_mat = np.bincount(self.d_mat, sent.sum(axis=1), minlength=self.n_mat)
        trips = np.divide(sent, self.d_payload, out=np.zeros_like(sent), where=sent > 0)
        q.add(self.d_fleet, trips, self.d_km, self.d_tempty, self.d_thours, sent)
        return {m: float(by_mat[m]) for m in np.flatnonzero(by_mat > 0).tolist()}

    def _chain(self, open_mask, intake_month, made, left, room) -> tuple[np.ndarray, list]:
        """(12, T) chain intake by month, and the chain flows (to treatment or disposal)."""
        M = self.n_mat
        chain_in = np.zeros_like(intake_month)
        flows = []
        for (t, m), onward in self.chains:
            key = t * M + m
            if not open_mask[t] or made[key] <= 0:
                continue
            x = intake_month[:, t] * self.coef[(t, m)] * (left[key] / made[key])
            for j, km in onward.candidates:
                if not open_mask[j] or x.sum() <= 1e-12:
                    continue
                take = np.minimum(x, room[:, j])
                room[:, j] -= take
                x = x - take
                chain_in[:, j] += take
                flows.append((t, onward.fleet, j, km, take))
            if x.sum() > 1e-12 and onward.disposal[0] >= 0:
                flows.append((t, onward.fleet, -1 - onward.disposal[0], onward.disposal[1], x))
        return chain_in, flows

    def _record_chains(self, flows: list, q: Totals, sent: Sent) -> None:
        w, legs, days = self.world, self.model.legs, self.model.month_days
        for t, f, j, km, month in flows:
            mass = float(month.sum())
            if mass <= 0:
                continue
            origin = w.treatments[t].site
            if j >= 0:
                trip = self.model._trip(f, origin, np.array([w.treatments[j].site]), np.array([km]))
                q.add(np.array([f]), np.array([cleared_loads(month, legs.payload[f], days)]), trip.km,
                      trip.empty_km, trip.hours,
                      np.array([mass]))
            else:
                sent.add([-1 - j], [mass], month[:, None],
                         ([f], [origin], [cleared_loads(month, legs.payload[f], days)], [legs.loading_h[f]],
                          [0.0]), kind="residue")
