"""Treatment sites: a processing ledger limited per day, batches that mature after the
residence time, and a product store whose capacity is never exceeded.

Intake works like a reception pad in front of a line of ``capacity_t_per_day``: each load is
booked on a per-day ledger, filling the first day that still has room and spilling into the
following days (so a 10 t load at a 5 t/day site takes two days of capacity). A load is
accepted only if (a) processing can start within ``reception_days`` of its arrival and (b) the
products in store, the products still to come from batches in process or on the road, and this
load's products fit ``storage_t``. The booking is made when the truck leaves the source, so a
full site sends waste elsewhere at once. Each load is a batch: it starts when its processing
starts and a SimPy timeout of ``residence_days`` later releases its products. The ledger never
exceeds the capacity of any day.
"""

from __future__ import annotations

import numpy as np
import simpy

from ptce_flows.sim.world import TreatmentInfo

_EPS = 1e-9


class TreatmentSite:
    def __init__(self, env: simpy.Environment, info: TreatmentInfo, n_materials: int, horizon_days: int,
                 outages: list[tuple[int, int]] | None = None):
        self.env = env
        self.info = info
        self.booked = np.zeros(horizon_days + 400)   # t of processing booked per day
        self.closed = np.zeros(horizon_days + 400, dtype=bool)  # outage days: no intake, no processing
        for start, end in outages or []:
            self.closed[start:end] = True
        self.capacity = info.capacity_t_per_day
        self.reception_days = info.reception_days
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

    def _first_free(self, day: int) -> int:
        """First open day in [day, day + reception_days] with room on the ledger, or -1."""
        room = self.capacity - _EPS
        for d in range(day, day + self.reception_days + 1):
            if d >= len(self.booked):
                self._grow(d)
            if self.booked[d] < room and not self.closed[d]:
                return d
        return -1

    def _grow(self, day: int) -> None:
        extra = max(day + 1 - len(self.booked), 365)
        self.booked = np.concatenate([self.booked, np.zeros(extra)])
        self.closed = np.concatenate([self.closed, np.zeros(extra, dtype=bool)])

    def can_take(self, mass: float, day: int) -> bool:
        if day < len(self.closed) and self.closed[day]:
            return False  # the gate is shut on the arrival day
        if self._first_free(day) < 0:
            return False
        if self.yield_total > 0:
            future = self.store.sum() + self.projected + mass * self.yield_total
            if future > self.info.storage_t + _EPS:
                return False
        return True

    def book(self, mass: float, day: int) -> int:
        """Book ``mass`` on the ledger from the first free day; return that day."""
        start = self._first_free(day)
        rest, d = mass, start
        while rest > _EPS:
            if d >= len(self.booked):
                self._grow(d)
            if self.closed[d]:
                d += 1
                continue
            take = min(self.capacity - self.booked[d], rest)
            if take > 0:
                self.booked[d] += take
                rest -= take
            d += 1
        self.projected += mass * self.yield_total
        return start

    def receive(self, material: int, mass: float, start_day: int) -> None:
        """A booked load arrives: its batch starts when its processing starts."""
        self.intake[material] += mass
        self.in_process[material] += mass
        delay = max(0.0, start_day - self.env.now) + self.info.residence_days
        if delay > 0:
            self.env.timeout(delay).callbacks.append(
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
