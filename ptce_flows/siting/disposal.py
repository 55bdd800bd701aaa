"""Disposal sites in the static model: yearly capacities, overflow chains, and where the
waste that goes to disposal ends up.

The simulation (``sim.disposal``) gives a disposal site with ``capacity_t_per_year`` at most
that much in each 365 simulated days from the start of the run (the warm-up included); what it
cannot take goes down its ``overflow_to`` chain, and the last site with no overflow left takes
it beyond its capacity. The static model follows that calendar day by day: every stream sent to
disposal (the residual, waste no treatment site took, process residues, loads a transfer station
or a chain could not place) arrives at its mean rate of the month, each site takes until its
year's capacity is used and passes the rest on (sites before their overflow). Over the reported
days this gives, per site, the tonnes received, refused and taken beyond capacity, and the share
of its arrivals it refused; every truckload sent to a site is then split by that share down the
chain (a load the truck cannot drive on to the next site stays, beyond capacity, as in a run).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ptce_flows.sim.tables import World
from ptce_flows.units import DAYS_PER_YEAR, MONTH_OF_DOY, day_of_year


@dataclass
class Sent:
    """Streams sent to disposal, as parallel lists of arrays (one entry per batch)."""

    site: list = field(default_factory=list)      # disposal index
    mass: list = field(default_factory=list)      # t over the reported days
    profile: list = field(default_factory=list)   # (12, n) t per day by month, or None: uniform
    trucks: list = field(default_factory=list)    # (fleet, origin site, trips, load h, round km) or None
    kinds: list = field(default_factory=list)     # "waste" (disposed_t) or "residue"

    def add(self, site, mass, profile=None, trucks=None, kind: str = "waste") -> None:
        site = np.atleast_1d(np.asarray(site, dtype=np.int64))
        keep = (site >= 0) & (np.atleast_1d(mass) > 0)
        if not keep.any():
            return
        self.site.append(site[keep])
        self.mass.append(np.atleast_1d(np.asarray(mass, float))[keep])
        self.profile.append(None if profile is None else np.asarray(profile)[:, keep])
        self.trucks.append(None if trucks is None else tuple(np.broadcast_to(a, site.shape)[keep] for a in trucks))
        self.kinds.append(kind)


class DisposalSites:
    """The disposal sites of a world: capacities, overflow order and the calendar of the run."""

    def __init__(self, world: World, month_days: np.ndarray):
        self.world = world
        d = world.disposals
        self.n = len(d)
        self.site = np.array([x.site for x in d], dtype=np.int64)
        self.capacity = np.array([x.capacity_t_per_year for x in d], dtype=float)
        self.overflow = np.array([x.overflow for x in d], dtype=np.int64)
        self.limited = bool(np.isfinite(self.capacity).any())
        self.month_days = month_days
        self.horizon = max(int(month_days.sum()), 1)
        self.km = world.disposal_km
        if not self.limited:
            return
        days = np.arange(world.total_days)
        self.month = MONTH_OF_DOY[day_of_year(days - world.warmup_days, world.start_day_of_year) - 1]
        self.window = days >= world.warmup_days
        year = days // DAYS_PER_YEAR
        self.year_start = year * DAYS_PER_YEAR
        self.order = _upstream_first(self.overflow)

    def _rates(self, sent: Sent) -> np.ndarray:
        """(12, sites) t per day arriving, by month (the reported month's mean; a month with no
        reported day, the mean of the reported days)."""
        rates = np.zeros((12, self.n))
        days = self.month_days
        for site, mass, profile in zip(sent.site, sent.mass, sent.profile, strict=True):
            if profile is None:
                rates += np.bincount(site, mass, minlength=self.n)[None, :] / self.horizon
            else:
                per_day = np.divide(profile, days[:, None], out=np.zeros_like(profile), where=days[:, None] > 0)
                mean = mass / self.horizon
                per_day = np.where(days[:, None] > 0, per_day, mean[None, :])
                for m in range(12):
                    rates[m] += np.bincount(site, per_day[m], minlength=self.n)
        return rates

    def shares(self, sent: Sent) -> tuple[np.ndarray, float, float]:
        """(share of its arrivals each site refuses, t refused, t taken beyond capacity) over
        the reported days."""
        frac = np.zeros(self.n)
        if not self.limited:
            return frac, 0.0, 0.0
        inflow = self._rates(sent)[self.month]          # (days, sites)
        refused = over = 0.0
        for d in self.order:
            x = inflow[:, d]
            cap = self.capacity[d]
            if not np.isfinite(cap):
                continue
            cum = np.cumsum(x)
            before = np.where(self.year_start > 0, cum[np.maximum(self.year_start - 1, 0)], 0.0)
            taken_cum = np.minimum(cum - before, cap)
            taken = np.diff(np.concatenate(([0.0], taken_cum)))
            taken = np.where(self.year_start == np.arange(len(x)), taken_cum, taken)
            rest = np.maximum(x - taken, 0.0)
            arrived = float(x[self.window].sum())
            out = float(rest[self.window].sum())
            if self.overflow[d] >= 0:
                inflow[:, self.overflow[d]] += rest
                refused += out
                frac[d] = out / arrived if arrived > 0 else 0.0
            else:
                over += out
        return frac, refused, over

    def route(self, sent: Sent, frac: np.ndarray):
        """Each batch's tonnes by final disposal site: yields (batch, rows, site, share) where
        ``share`` of the rows' tonnes (and trips) end at ``site``."""
        for b, (site, trucks) in enumerate(zip(sent.site, sent.trucks, strict=True)):
            w = np.ones(len(site))
            cur = site.copy()
            rows = np.arange(len(site))
            alive = np.ones(len(site), bool)
            for _ in range(self.n + 1):
                f = frac[cur]
                nxt = self.overflow[cur]
                can = alive & (nxt >= 0) & (f > 0)
                if trucks is not None and can.any():
                    origin = trucks[1]
                    can &= np.isfinite(self.km[origin, np.maximum(nxt, 0)])
                stay = np.where(can, w * (1.0 - f), w)
                keep = alive & (stay > 0)
                if keep.any():
                    yield b, rows[keep], cur[keep], stay[keep]
                w = np.where(can, w * f, 0.0)
                alive = can
                if not alive.any():
                    break
                cur = np.where(can, nxt, cur)


def _upstream_first(overflow: np.ndarray) -> list[int]:
    """Disposal indices with every site before the site it overflows to (no cycles: checked)."""
    n = len(overflow)
    indegree = np.zeros(n, int)
    for d in overflow[overflow >= 0]:
        indegree[d] += 1
    order = [d for d in range(n) if indegree[d] == 0]
    i = 0
    while i < len(order):
        nxt = overflow[order[i]]
        if nxt >= 0:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                order.append(int(nxt))
        i += 1
    return order
