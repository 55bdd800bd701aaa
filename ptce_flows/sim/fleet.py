"""Fleets and their trucks: one job queue per fleet, one SimPy process per truck, shifts,
scheduled unavailability (``fleet_unavailable``) and random breakdowns.

A truck takes the next job of its fleet's queue (or waits, idle, for one), waits for the
next shift if the trip does not fit in today's, checks that it is in service then (otherwise
it hands the job back and waits until it is),
asks the routing function of the job's purpose where to go (``sim.routing``), then drives:
two timeouts, arrival and return. Trips are recorded as shipments when they leave.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np
import simpy

from ptce_flows.errors import SimulationError
from ptce_flows.sim.constants import EPS
from ptce_flows.sim.jobs import Trip
from ptce_flows.sim.records import Recorder
from ptce_flows.sim.tables import Disruptions, FleetInfo
from ptce_flows.units import HOURS_PER_DAY


def check_fleet(info: FleetInfo) -> None:
    """Refuse a fleet whose trucks cannot carry or move anything: loads at or below the
    model's zero (``EPS``) would be dropped silently, and a zero speed never arrives."""
    for key, value in (("payload_t", info.payload_t), ("speed_kmh", info.speed_kmh)):
        if not (math.isfinite(value) and value > EPS):
            raise SimulationError(f"fleet '{info.id}': {key} {value:g} cannot be simulated "
                                  f"(a finite number above {EPS:g} is needed)")


class Fleet:
    """A pool of trucks sharing one queue of jobs."""

    def __init__(self, env: simpy.Environment, index: int, info: FleetInfo,
                 depot_km: dict[tuple[int, int], float], recorder: Recorder):
        check_fleet(info)
        self.env = env
        self.index = index
        self.info = info
        self.queue: deque = deque()
        self.idle: list[simpy.Event] = []
        self.depot_km = depot_km
        self.no_depot = info.depot < 0
        self.recorder = recorder
        self.speed_kmd = info.speed_kmh * HOURS_PER_DAY  # km per day of driving
        self.handling_d = (info.loading_h + info.unloading_h) / HOURS_PER_DAY
        self.handling_h = info.loading_h + info.unloading_h
        self.load_d = info.loading_h / HOURS_PER_DAY
        self.unload_d = info.unloading_h / HOURS_PER_DAY

    def estimate_h(self, km: float) -> float:
        """Hours of a round trip of ``km`` each way (loading, driving, unloading)."""
        return self.handling_h + 2 * km / self.info.speed_kmh

    def depot_leg(self, origin: int) -> float:
        """Days driving empty from the depot to site ``origin`` (0 without a depot)."""
        if self.no_depot:
            return 0.0
        return self.depot_km[(self.index, origin)] / self.speed_kmd

    def submit(self, job) -> None:
        """Queue ``job``, or hand it to an idle truck."""
        if self.idle:
            self.idle.pop().succeed(job)
        else:
            self.queue.append(job)

    def hand_back(self, job) -> None:
        """A truck out of service puts ``job`` back at the head of the queue; an idle truck,
        if any, takes it."""
        self.queue.appendleft(job)
        if self.idle:
            self.idle.pop().succeed(self.queue.popleft())

    def depart(self, trip: Trip, now: float) -> tuple[float, float, float, int]:
        """Record ``trip`` leaving at ``now``; return (days to arrival, days back, driver
        hours, shipment id). Without a depot the truck returns empty to where it loaded;
        with one it drives depot -> origin -> destination -> depot. A collection round
        (``trip.round_km``, ``trip.round_d``) comes before the haul: its time replaces the
        loading time, its km add to the vehicle-km and CO2 (not to the tonne-km)."""
        info, speed_kmd = self.info, self.speed_kmd
        dkm, lead = trip.km, trip.lead_d
        back_km = dkm if self.no_depot else self.depot_km[(self.index, trip.dest_site)]
        lead_km = lead * speed_kmd
        to_arrival = lead + (self.load_d if trip.round_d < 0 else trip.round_d) + dkm / speed_kmd
        to_return = self.unload_d + back_km / speed_kmd
        hours = (to_arrival + to_return) * HOURS_PER_DAY
        co2 = dkm * info.co2_kg_per_km + (back_km + lead_km) * info.co2_kg_per_km_empty
        if trip.round_km:  # the truck fills along its round: the mean of empty and loaded
            co2 += trip.round_km * 0.5 * (info.co2_kg_per_km + info.co2_kg_per_km_empty)
        sid = self.recorder.shipment(self.index, trip.origin, trip.dest_site, trip.material, trip.purpose,
                                     trip.mass, now, now + to_arrival, dkm, back_km + lead_km, hours, co2,
                                     trip.round_km)
        return to_arrival, to_return, hours, sid


class Faults:
    """Breakdowns of every truck, drawn from the replication's *faults* stream, and the
    vehicles taken out of service by ``fleet_unavailable``; counts what happened."""

    def __init__(self, disruptions: Disruptions, rng: np.random.Generator):
        self.disruptions = disruptions
        self.rng = rng
        self.breakdowns = 0          # breakdowns that happened
        self.downtime_d = 0.0        # vehicle-days lost to breakdowns

    def for_truck(self, fleet: int, k: int) -> Availability:
        down = [(a, b) for a, b, n in self.disruptions.fleet_down.get(fleet, []) if k < n]
        return Availability(self, down, self.disruptions.breakdowns.get(fleet))


class Availability:
    """When one truck is out of service. ``down`` is empty and ``next_failure`` infinite for
    a truck that never is, so the check costs one comparison per job."""

    __slots__ = ("faults", "down", "failure", "next_failure")

    def __init__(self, faults: Faults, down: list[tuple[int, int]], failure: tuple[float, float] | None):
        self.faults = faults
        self.down = down
        self.failure = failure
        self.next_failure = faults.rng.exponential(1.0 / failure[0]) if failure else np.inf

    def out_until(self, now: float) -> float:
        """The time the truck is back in service (``now`` if it is in service); a breakdown
        due by ``now`` happens here."""
        until = now
        for a, b in self.down:
            if a <= now < b:
                until = max(until, b)
        if now >= self.next_failure:
            faults, failure = self.faults, self.failure
            until = max(until, now + failure[1])
            faults.breakdowns += 1
            faults.downtime_d += failure[1]
            self.next_failure = until + faults.rng.exponential(1.0 / failure[0])
        return until


#: routing functions indexed by job purpose: (job, fleet, now) -> Trip or None
Routes = tuple[Callable | None, ...]
#: what happens when a trip arrives: (trip, shipment id) -> None
Arrive = Callable[[Trip, int], None]


def truck(env: simpy.Environment, fleet: Fleet, k: int, faults: Faults, routes: Routes, arrive: Arrive):
    """Truck ``k`` of ``fleet``: take jobs from the queue and drive them, forever."""
    availability = faults.for_truck(fleet.index, k)  # its first failure is drawn when it starts
    timeout, queue, idle = env.timeout, fleet.queue, fleet.idle
    shift_h = fleet.info.shift_h
    day, used = -1, 0.0
    while True:
        if queue:
            job = queue.popleft()
        else:
            wake = env.event()
            idle.append(wake)
            job = yield wake
        now = env.now
        today = int(now + EPS)
        if today != day:
            day, used = today, 0.0
        if used > 0 and used + job.est_h > shift_h:  # the job waits for the next shift
            yield timeout(day + 1 - now)
            now = env.now
            day, used = day + 1, 0.0
        # in service when the trip would start (after any wait for the shift, so a truck
        # taken out of service overnight does not drive the next morning)
        if availability.down or now >= availability.next_failure:
            until = availability.out_until(now)
            if until > now:  # out of service: hand the job back and wait
                fleet.hand_back(job)
                yield timeout(until - now)
                continue
        trip = routes[job.purpose](job, fleet, now)
        if trip is None:
            continue
        to_arrival, to_return, hours, sid = fleet.depart(trip, now)
        used += hours
        yield timeout(to_arrival)
        arrive(trip, sid)
        yield timeout(to_return)
