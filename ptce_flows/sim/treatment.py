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

from ptce_flows.sim.constants import EPS
from ptce_flows.sim.tables import TreatmentInfo

#: days of ledger allocated beyond the horizon at the start (batches booked late in the run)
_LEDGER_MARGIN = 400


def numpy_sum(values: list[float]) -> float:
    """``np.sum(values)`` for a short list of floats, to the last bit, in plain Python.

    The per-material counters of a site are Python lists during a run (reading and writing a
    list item is several times faster than a numpy scalar access). Their sum must stay what
    ``numpy.ndarray.sum`` gave, bit for bit, so this follows numpy's pairwise summation:
    fewer than 8 values are added in order from 0.0; from 8 to 128 values, eight running
    partial sums over strides of 8, combined pairwise, then the remainder in order. Longer
    lists (never a material count) go to numpy itself.
    """
    n = len(values)
    if n < 8:
        total = 0.0
        for v in values:
            total += v
        return total
    if n > 128:
        return float(np.sum(values))
    r0, r1, r2, r3, r4, r5, r6, r7 = values[:8]
    i = 8
    while i + 8 <= n:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for v in values[i:]:
        total += v
    return total


class TreatmentSite:
    """A treatment site during a run.

    The ledger (``booked``, ``closed``) and the per-material counters (``store``,
    ``committed``, ``in_process``, ``intake``, ``matured_in``, ``produced``) are Python lists
    while the simulation runs, for fast scalar access; ``finish()`` turns them into numpy
    arrays for whoever inspects the site afterwards.
    """

    def __init__(self, env: simpy.Environment, info: TreatmentInfo, n_materials: int, horizon_days: int,
                 outages: list[tuple[int, int]] | None = None):
        self.env = env
        self.info = info
        size = horizon_days + _LEDGER_MARGIN
        self.booked = [0.0] * size        # t of processing booked per day
        self.closed = [False] * size      # outage days: no intake, no processing
        for start, end in outages or []:
            for d in range(start, min(end, size)):
                self.closed[d] = True
        self.capacity = info.capacity_t_per_day
        self.reception_days = info.reception_days
        self.yield_total = info.yield_total
        self.storage_limit = info.storage_t + EPS
        self.residence_days = info.residence_days
        self.projected = 0.0           # products still to come (in process or on the road)
        self.store = [0.0] * n_materials       # products in store, t
        self.committed = [0.0] * n_materials   # of which promised to a truck
        self.in_process = [0.0] * n_materials
        self.intake = [0.0] * n_materials      # cumulative t received
        self.chain_in = [0.0] * n_materials    # of which from another treatment site (a chain)
        self.matured_in = [0.0] * n_materials  # cumulative input t whose batch matured
        self.produced = [0.0] * n_materials    # cumulative product t
        self.losses = 0.0                      # cumulative t lost in process
        self.refused = 0.0                     # cumulative t turned away (went elsewhere)
        self._out = list(zip(info.out_mats.tolist(), info.out_coefs.tolist(), strict=True))
        self._inputs = info.inputs.tolist()
        self._out_mats = info.out_mats.tolist()

    def _grow(self, day: int) -> None:
        extra = max(day + 1 - len(self.booked), 365)
        self.booked.extend([0.0] * extra)
        self.closed.extend([False] * extra)

    def reserve(self, mass: float, day: int) -> int:
        """Book ``mass`` arriving on ``day`` if the site accepts it, and return the day its
        processing starts, or -1 (nothing booked) if the site refuses it: the gate is shut on
        the arrival day, no open day in [day, day + reception_days] has room on the ledger, or
        the products would not fit the store. (One method, the hottest of a run: 37,000 calls
        in the 1,000-source year.)"""
        booked, closed = self.booked, self.closed
        if day < len(closed) and closed[day]:
            return -1
        room = self.capacity - EPS
        start = -1
        for d in range(day, day + self.reception_days + 1):
            if d >= len(booked):
                self._grow(d)  # extends the same lists
            if booked[d] < room and not closed[d]:
                start = d
                break
        if start < 0:
            return -1
        if self.yield_total > 0:
            store = self.store
            if len(store) < 8:  # numpy_sum's short case, inline
                stored = 0.0
                for v in store:
                    stored += v
            else:
                stored = numpy_sum(store)
            if stored + self.projected + mass * self.yield_total > self.storage_limit:
                return -1
        self._book_from(mass, start)
        return start

    def _book_from(self, mass: float, start: int) -> None:
        booked, closed, capacity = self.booked, self.closed, self.capacity
        rest, d = mass, start
        while rest > EPS:
            if d >= len(booked):
                self._grow(d)
            if closed[d]:
                d += 1
                continue
            take = min(capacity - booked[d], rest)
            if take > 0:
                booked[d] += take
                rest -= take
            d += 1
        self.projected += mass * self.yield_total

    def receive(self, material: int, mass: float, start_day: int, chained: bool = False) -> None:
        """A booked load arrives: its batch starts when its processing starts. ``chained``:
        it is another treatment site's product."""
        self.intake[material] += mass
        if chained:
            self.chain_in[material] += mass
        self.in_process[material] += mass
        lag = start_day - self.env.now
        delay = (lag if lag > 0.0 else 0.0) + self.residence_days
        if delay > 0:
            self.env.timeout(delay, (material, mass)).callbacks.append(self._matured)
        else:
            self.mature(material, mass)

    def _matured(self, event: simpy.Event) -> None:
        self.mature(*event.value)

    def mature(self, material: int, mass: float) -> None:
        """A batch is done: its products go to store, the rest is process loss."""
        self.in_process[material] -= mass
        self.matured_in[material] += mass
        made = 0.0
        store, produced = self.store, self.produced
        for out, coef in self._out:
            amount = mass * coef
            store[out] += amount
            produced[out] += amount
            made += amount
        self.losses += mass - made
        self.projected = max(0.0, self.projected - made)

    def available(self, material: int) -> float:
        return self.store[material] - self.committed[material]

    def levels(self, day: int) -> list[float]:
        """End-of-day series of this site: intake by input, processed, in process, stored."""
        intake, store = self.intake, self.store
        return ([intake[m] for m in self._inputs] + [self.booked[day], numpy_sum(self.in_process)]
                + [store[m] for m in self._out_mats])

    def finish(self) -> None:
        """After the run: the ledger and counters as numpy arrays."""
        for name in ("booked", "store", "committed", "in_process", "intake", "chain_in", "matured_in", "produced"):
            setattr(self, name, np.array(getattr(self, name), dtype=float))
        self.closed = np.array(self.closed, dtype=bool)
