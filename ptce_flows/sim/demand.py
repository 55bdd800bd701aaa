"""Farms and outlets as arrays: demand accrues on window days and lapses when a window closes.

A limited demand entry accrues ``t_per_year / window days`` on each day of its windows; the
open amount can be delivered any day of the window and what is left when it closes is unmet
(a farmer spreads in the window or not at all). Deliveries go in full truckloads, except on the
last day of a window, when a partial load may top up. An entry without a rate (an outlet such
as a paper mill) takes every full truckload offered. Products leave a site only to meet demand.
"""

from __future__ import annotations

import numpy as np

from ptce_flows.sim.constants import EPS
from ptce_flows.sim.tables import World


class Demand:
    def __init__(self, world: World):
        self.world = world
        n = len(world.demand)
        self.open = np.zeros(n)        # t wanted now, not yet promised to a truck
        self.delivered = np.zeros(n)   # cumulative t received
        self.unmet = np.zeros(n)       # cumulative t that lapsed at a window's end
        self.accrued = np.zeros(n)     # cumulative t of demand accrued
        self._limited = ~world.demand.unlimited
        self.by_material: dict[int, np.ndarray] = {}
        for m in np.unique(world.demand.material):
            self.by_material[int(m)] = np.flatnonzero(world.demand.material == m)

    def accrue(self, doy: int) -> np.ndarray:
        """Open today's demand; returns the in-window mask for ``doy``."""
        if not len(self.open):
            return np.zeros(0, dtype=bool)
        inwin = self.world.demand.window[:, doy - 1]
        lapse = ~inwin & (self.open > 0)
        if lapse.any():
            self.unmet[lapse] += self.open[lapse]
            self.open[lapse] = 0.0
        grow = inwin & self._limited
        self.open[grow] += self.world.demand.rate[grow]
        self.accrued[grow] += self.world.demand.rate[grow]
        return inwin

    def orders(self, material: int, inwin: np.ndarray, last: np.ndarray, payload: float) -> list[int]:
        """Entries wanting ``material`` that may receive a load today, largest need first;
        unlimited outlets come after every limited entry."""
        idx = self.by_material.get(material)
        if idx is None:
            return []
        ok = inwin[idx]
        limited = self._limited[idx]
        if np.ndim(payload):  # one payload per demand entry: keep this material's entries
            payload = np.asarray(payload)[idx]
        want = ok & ((limited & ((self.open[idx] >= payload - EPS) | (last[idx] & (self.open[idx] > EPS))))
                     | ~limited)
        chosen = idx[want]
        if not len(chosen):
            return []
        key = np.where(self._limited[chosen], -self.open[chosen], np.inf)
        return chosen[np.argsort(key, kind="stable")].tolist()

    def last_day(self, doy: int) -> np.ndarray:
        return self.world.demand.last_day[:, doy - 1]
