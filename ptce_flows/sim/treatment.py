"""Treatment sites: intake limited per day, batches that mature after the residence time,
and a product store whose capacity is never exceeded.

A load is accepted only if (a) the intake already booked for its arrival day plus the load
fits ``capacity_t_per_day`` and (b) the products in store, the products still to come from
batches in process or on the road, and this load's products fit ``storage_t``. The booking is
made when the truck leaves the source, so a full site sends waste elsewhere at once. Each
arrival is a batch: a SimPy timeout of ``residence_days`` releases its products.
"""

from __future__ import annotations

import numpy as np
import simpy

from ptce_flows.sim.world import TreatmentInfo

_EPS = 1e-9


class TreatmentSite:
    def __init__(self, env: simpy.Environment, info: TreatmentInfo, n_materials: int, horizon_days: int):
        self.env = env
        self.info = info
        self.booked = np.zeros(horizon_days + 366)   # intake booked per arrival day
        self.yield_total = info.yield_total
        self.projected = 0.0           # products still to come (in process or on the road)
        self.store = np.zeros(n_materials)      # products in store, t
        self.committed = np.zeros(n_materials)  # of which promised to a truck
        self.in_process = np.zeros(n_materials)
        self.intake = np.zeros(n_materials)     # cumulative t received
        self.matured_in = np.zeros(n_materials)  # cumulative input t whose batch matured
        self.produced = np.zeros(n_materials)   # cumulative product t
        self.losses = 0.0                       # cumulative t lost in process
        self.refused = 0.0                      # cumulative t turned away (went elsewhere)
        self._out = list(zip(info.out_mats.tolist(), info.out_coefs.tolist(), strict=True))

    def can_take(self, mass: float, day: int) -> bool:
        day = min(day, len(self.booked) - 1)
        if self.booked[day] + mass > self.info.capacity_t_per_day + _EPS:
            return False
        if self.yield_total > 0:
            future = self.store.sum() + self.projected + mass * self.yield_total
            if future > self.info.storage_t + _EPS:
                return False
        return True

    def book(self, mass: float, day: int) -> None:
        self.booked[min(day, len(self.booked) - 1)] += mass
        self.projected += mass * self.yield_total

    def receive(self, material: int, mass: float) -> None:
        """A booked load arrives: it starts a batch."""
        self.intake[material] += mass
        self.in_process[material] += mass
        if self.info.residence_days > 0:
            self.env.timeout(self.info.residence_days).callbacks.append(
                lambda _event, m=material, t=mass: self.mature(m, t))
        else:
            self.mature(material, mass)

    def mature(self, material: int, mass: float) -> None:
        """A batch is done: its products go to store, the rest is process loss."""
        self.in_process[material] -= mass
        self.matured_in[material] += mass
        made = 0.0
        for out, coef in self._out:
            amount = mass * coef
            self.store[out] += amount
            self.produced[out] += amount
            made += amount
        self.losses += mass - made
        self.projected = max(0.0, self.projected - made)

    def available(self, material: int) -> float:
        return self.store[material] - self.committed[material]
