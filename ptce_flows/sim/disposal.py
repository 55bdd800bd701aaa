"""Disposal sites during a run: what they received (waste, process residues and the residual
stream apart), and their yearly capacity.

A disposal site with ``capacity_t_per_year`` takes at most that much in each year of the run
(each 365 simulated days from the start, the warm-up included). What it cannot take is
*refused* and goes to its ``overflow_to`` (and on down that chain); the last site of the chain,
with no overflow left, takes it beyond its capacity (counted apart, ``over``). A truckload is
booked whole, when it leaves (``book``: the truck then drives to the site that takes it); the
residual stream, which no simulated truck carries, is split by the tonne (``take_residual``).
"""

from __future__ import annotations

import numpy as np

from ptce_flows.sim.constants import EPS
from ptce_flows.sim.tables import DisposalInfo
from ptce_flows.units import DAYS_PER_YEAR


class Disposal:
    """Cumulative t received by every disposal site, by material."""

    def __init__(self, infos: list[DisposalInfo], n_materials: int):
        self.infos = infos
        self.waste = np.zeros((len(infos), n_materials))     # waste no treatment site took
        self.residue = np.zeros((len(infos), n_materials))   # process residues (rejects)
        self.residual = np.zeros((len(infos), n_materials))  # residual stream (not captured)
        self.refused = np.zeros(len(infos))                  # t turned away when full
        self.over = np.zeros(len(infos))                     # t taken beyond capacity
        self.capacity = [info.capacity_t_per_year for info in infos]
        self.overflow = [info.overflow for info in infos]
        self.limited = any(np.isfinite(c) for c in self.capacity)
        self._year = -1
        self.used = [0.0] * len(infos)                       # t booked this year

    def _at(self, day: float) -> None:
        year = int(day // DAYS_PER_YEAR)
        if year != self._year:
            self._year = year
            self.used = [0.0] * len(self.infos)

    def book(self, d: int, mass: float, day: float, reachable=None) -> int:
        """The disposal site that takes a load of ``mass`` sent to ``d`` on ``day``: ``d``, or
        the first site down its overflow chain with room (``reachable(d)`` says whether the
        truck can get there); the load is booked there."""
        if not self.limited:
            return d
        self._at(day)
        used, capacity = self.used, self.capacity
        while used[d] + mass > capacity[d] + EPS:
            nxt = self.overflow[d]
            if nxt < 0 or (reachable is not None and not reachable(nxt)):
                self.over[d] += mass - max(0.0, min(mass, capacity[d] - used[d]))
                break
            self.refused[d] += mass
            d = nxt
        used[d] += mass
        return d

    def take_residual(self, d: int, m: int, mass: float, day: float) -> None:
        """The residual stream of one day: ``mass`` t of ``m`` for site ``d``, split by the
        tonne down the overflow chain when sites are full."""
        if self.limited:
            self._at(day)
            used, capacity = self.used, self.capacity
            while True:
                room = max(0.0, capacity[d] - used[d])
                nxt = self.overflow[d]
                if mass <= room + EPS or nxt < 0:
                    if mass > room + EPS:
                        self.over[d] += mass - room
                    break
                used[d] += room
                self.residual[d, m] += room
                mass -= room
                self.refused[d] += mass
                d = nxt
            used[d] += mass
        self.residual[d, m] += mass

    def levels(self) -> list[np.ndarray]:
        """End-of-day series: cumulative t received per accepted material, per site."""
        return [self.waste[d, info.accepts] + self.residue[d, info.accepts] + self.residual[d, info.accepts]
                for d, info in enumerate(self.infos)]
