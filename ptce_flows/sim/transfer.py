"""Transfer stations, and the daily dispatch of loads that go on from one site to another:
bulk loads forwarded by transfer stations, and chain products (digestate to composting).

A transfer station receives loads (booked when the truck leaves its source, like a treatment
site: at most ``capacity_t_per_day`` arriving per day, and at most ``storage_t`` held,
counting the loads on their way) and forwards them in full loads of the fleet that serves it.
A partial load leaves when the oldest tonne waiting has waited ``max_wait_days`` (first in,
first out). A transfer station diverts nothing itself: the tonnes count as diverted when they
arrive at the treatment site.

Each day, after the farms are served, every transfer station and every treatment site with a
chain product sends its full loads, and its partial load when due (for chain products, every
``RESIDUE_CLEARANCE_DAYS``, like rejects).
"""

from __future__ import annotations

from collections import deque

from ptce_flows.errors import SimulationError
from ptce_flows.sim.constants import EPS, MAX_LOADS_PER_DAY, RESIDUE_CLEARANCE_DAYS
from ptce_flows.sim.fleet import Fleet
from ptce_flows.sim.jobs import ChainJob, ForwardJob
from ptce_flows.sim.tables import TransferInfo, World
from ptce_flows.sim.treatment import TreatmentSite, numpy_sum


class TransferStation:
    """A transfer station during a run (Python lists for fast scalar access)."""

    def __init__(self, info: TransferInfo, n_materials: int):
        self.info = info
        self.capacity = info.capacity_t_per_day + EPS
        self.storage_limit = info.storage_t + EPS
        self.arriving: dict[int, float] = {}      # day -> t booked to arrive
        self.incoming = 0.0                       # t booked, not yet arrived
        self.store = [0.0] * n_materials          # t waiting (including committed)
        self.committed = [0.0] * n_materials      # of which on a truck's job
        self.intake = [0.0] * n_materials         # cumulative t received
        self.refused = 0.0
        #: per material, [arrival day, t] of the tonnes not yet committed, oldest first
        self.waiting: list[deque] = [deque() for _ in range(n_materials)]

    def reserve(self, mass: float, day: int) -> int:
        """Book ``mass`` arriving on ``day``; return ``day``, or -1 if the station is full."""
        arriving = self.arriving.get(day, 0.0)
        if arriving + mass > self.capacity or numpy_sum(self.store) + self.incoming + mass > self.storage_limit:
            return -1
        self.arriving[day] = arriving + mass
        self.incoming += mass
        return day

    def receive(self, material: int, mass: float, start_day: int, chained: bool = False) -> None:
        self.incoming -= mass
        self.store[material] += mass
        self.intake[material] += mass
        self.waiting[material].append([start_day, mass])

    def available(self, material: int) -> float:
        return self.store[material] - self.committed[material]

    def commit(self, material: int, mass: float) -> None:
        """``mass`` t leave on a job: the oldest waiting tonnes first."""
        self.committed[material] += mass
        waiting, rest = self.waiting[material], mass
        while waiting and rest > EPS:
            head = waiting[0]
            take = min(head[1], rest)
            head[1] -= take
            rest -= take
            if head[1] <= EPS:
                waiting.popleft()

    def release(self, material: int, mass: float, day: int) -> None:
        """A job that could not leave gives its tonnes back (due again at once)."""
        self.committed[material] -= mass
        self.waiting[material].appendleft([day - self.info.max_wait_days, mass])

    def oldest(self, material: int) -> int | None:
        waiting = self.waiting[material]
        return waiting[0][0] if waiting else None


class Onwards:
    """The daily dispatch of forwarded loads and chain products, as jobs on the fleets."""

    def __init__(self, world: World, transfers: list[TransferStation], sites: list[TreatmentSite],
                 fleets: list[Fleet]):
        self.world = world
        self.transfers = transfers
        self.sites = sites
        self.fleets = fleets

    def dispatch(self, day: int) -> None:
        for k, station in enumerate(self.transfers):
            wait = station.info.max_wait_days
            for m, onward in station.info.forward.items():
                avail = station.available(m)
                if avail <= EPS:
                    continue
                fleet = self.fleets[onward.fleet]
                est_h = fleet.estimate_h(onward.candidates[0][1] if onward.candidates else onward.disposal[1])
                loads = _loads(avail, fleet.info.payload_t, False)
                for mass in loads:
                    station.commit(m, mass)
                    fleet.submit(ForwardJob(k, m, mass, est_h))
                rest = station.available(m)
                oldest = station.oldest(m)  # of what the full loads left
                if rest > EPS and oldest is not None and day - oldest >= wait:
                    station.commit(m, rest)
                    fleet.submit(ForwardJob(k, m, rest, est_h))
        due = day % RESIDUE_CLEARANCE_DAYS == 0
        for (t, m), onward in self.world.chains.items():
            site = self.sites[t]
            avail = site.available(m)
            if avail <= EPS:
                continue
            fleet = self.fleets[onward.fleet]
            est_h = fleet.estimate_h(onward.candidates[0][1] if onward.candidates else onward.disposal[1])
            for mass in _loads(avail, fleet.info.payload_t, due):
                site.committed[m] += mass
                fleet.submit(ChainJob(t, m, mass, est_h))


def _loads(avail: float, payload: float, partial: bool) -> list[float]:
    """Full loads of ``payload`` in ``avail`` t, and the rest when ``partial``."""
    count = avail / payload + EPS
    if not count <= MAX_LOADS_PER_DAY:
        raise SimulationError(f"{count:.3g} loads of {payload:.3g} t would leave one site in a day "
                              f"(at most {MAX_LOADS_PER_DAY:,} can be simulated): a payload_t is too small")
    n = int(count)
    loads = [payload] * n
    rest = avail - n * payload
    if partial and rest > EPS:
        loads.append(rest)
    return loads
