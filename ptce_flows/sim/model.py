"""The SimPy model of one replication: build, start, simulate, finalise.

Phases (after desmod): ``Model(world, seed)`` builds live components from the ``World``;
``start()`` starts the daily tick and one process per truck; ``run()`` simulates up to the
horizon and returns the ``Records``.

What is a SimPy event and what is not (see docs/architecture.md): sources and farms are
arrays updated by one daily tick; each truck is a process whose trips are two timeouts
(arrival, return); each arrival at a treatment site is a batch whose maturation is one timeout.
So the cost grows with days x entries (numpy) and with trips (events), nothing else.
"""

from __future__ import annotations

import gc
from collections import deque
from contextlib import contextmanager

import numpy as np
import simpy

from ptce_flows.sim.constants import EPS as _EPS
from ptce_flows.sim.constants import RESIDUE_CLEARANCE_DAYS
from ptce_flows.sim.demand import Demand
from ptce_flows.sim.records import (
    COLLECTION,
    DELIVERY,
    OVERFLOW,
    RESIDUE,
    Recorder,
    Records,
    SeriesMeta,
)
from ptce_flows.sim.supply import Supply
from ptce_flows.sim.treatment import TreatmentSite
from ptce_flows.sim.world import World
from ptce_flows.units import HOURS_PER_DAY, day_of_year

#: child streams of a replication's SeedSequence, in a fixed order; new features take the
#: reserved ones so that adding them never changes the existing streams
STREAMS = ("supply", "faults", "reserved_2", "reserved_3")


def child_seeds(seed: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """The first ``n`` children of ``seed``, as ``seed.spawn(n)`` gives them on a fresh seed.

    ``spawn`` is not used because it advances a counter inside ``seed``: a second run with the
    same ``SeedSequence`` object (another layout of a comparison, a repeated benchmark) would
    get other children, hence other random numbers. Deriving them from the spawn key keeps
    a replication a pure function of its seed.
    """
    return [np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i), pool_size=seed.pool_size)
            for i in range(n)]


class Fleet:
    """A pool of trucks sharing one queue of jobs."""

    def __init__(self, env: simpy.Environment, index: int, info):
        self.env = env
        self.index = index
        self.info = info
        self.queue: deque = deque()
        self.idle: list[simpy.Event] = []
        self.speed_kmd = info.speed_kmh * HOURS_PER_DAY  # km per day of driving
        self.handling_d = (info.loading_h + info.unloading_h) / HOURS_PER_DAY
        self.handling_h = info.loading_h + info.unloading_h
        self.load_d = info.loading_h / HOURS_PER_DAY
        self.unload_d = info.unloading_h / HOURS_PER_DAY

    def estimate_h(self, km: float) -> float:
        """Hours of a round trip of ``km`` each way (loading, driving, unloading)."""
        return self.handling_h + 2 * km / self.info.speed_kmh

    def submit(self, job: tuple) -> None:
        if self.idle:
            self.idle.pop().succeed(job)
        else:
            self.queue.append(job)


class Model:
    """One replication of a ``World``."""

    def __init__(self, world: World, seed: np.random.SeedSequence):
        self.world = world
        self.env = simpy.Environment()
        streams = dict(zip(STREAMS, child_seeds(seed, len(STREAMS)), strict=True))
        self.supply = Supply(world, np.random.default_rng(streams["supply"]))
        self.demand = Demand(world)
        n_mat = len(world.materials)
        self.sites = [TreatmentSite(self.env, t, n_mat, world.total_days, world.outages.get(k))
                      for k, t in enumerate(world.treatments)]
        self.rng_faults = np.random.default_rng(streams["faults"])
        self.breakdowns = 0          # breakdowns that happened
        self.downtime_d = 0.0        # vehicle-days lost to breakdowns
        self.fleets = [Fleet(self.env, i, f) for i, f in enumerate(world.fleets)]
        self.disposed_waste = np.zeros((len(world.disposals), n_mat))
        self.disposed_residue = np.zeros((len(world.disposals), n_mat))
        self._makers: dict[int, list[int]] = {}
        for t, info in enumerate(world.treatments):
            for m in info.out_mats.tolist():
                self._makers.setdefault(m, []).append(t)
        self._dem_payload = np.array([
            world.fleets[f[c[0][0]]].payload_t if c and c[0][0] in f else np.inf
            for c, f in zip(world.dem_candidates, world.dem_fleet, strict=True)
        ]) if len(world.dem_site) else np.zeros(0)
        # per supply entry, as plain lists for the daily loop: site, material, fleet and the
        # hours a trip to the nearest destination takes (what a truck checks against its shift)
        self._sup_site = world.sup_site.tolist()
        self._sup_mat = world.sup_mat.tolist()
        self._sup_fleet = [self.fleets[f] for f in world.sup_fleet.tolist()]
        self._sup_est_h = [
            fleet.estimate_h(cands[0][1] if cands else disposal[1])
            for fleet, cands, disposal in zip(self._sup_fleet, world.sup_candidates, world.sup_disposal,
                                              strict=True)]
        self.series = self._series()
        self.recorder = Recorder(world.horizon_days, self.series)

    # --- phases -------------------------------------------------------------------------

    def start(self) -> None:
        self._processes = [self.env.process(self.tick())]
        for fleet in self.fleets:
            for k in range(fleet.info.vehicles):
                self._processes.append(self.env.process(self.truck(fleet, k)))

    def run(self) -> Records:
        self.start()
        with _cyclic_gc_paused():
            self.env.run(until=self.world.total_days)
            records = self.finalise()
            self._teardown()
        return records

    def _teardown(self) -> None:
        """Break the reference cycles of a finished run, so that its memory is freed as soon as
        the model is dropped: suspended processes hold the model in their frames, and events
        still queued beyond the horizon hold the sites. Without this, the cycles wait for the
        garbage collector (paused during runs), and back-to-back runs pile up their memory."""
        for process in self._processes:
            process._generator.close()
        self._processes = []
        self.env._queue.clear()

    def finalise(self) -> Records:
        w = self.world
        self.recorder.day_levels(w.horizon_days - 1, self._levels(w.total_days - 1))
        for site in self.sites:
            site.finish()
        end = self._state()
        # events processed: ids SimPy handed out minus the events still queued (scheduled
        # beyond the horizon, e.g. batches maturing later); SimPy keeps no processed count
        env = self.env
        events = next(env._eid) - len(env._queue) if hasattr(env, "_eid") else 0
        return self.recorder.finish(end, events)

    def _state(self) -> dict[str, np.ndarray]:
        """Every cumulative counter and stock, copied (at the window's opening and at the end)."""
        s = self.sites
        return {
            "sup_generated": self.supply.generated.copy(),
            "sup_collected": self.supply.collected.copy(),
            "sup_stock": self.supply.stock.copy(),
            "treat_intake": _stack([x.intake for x in s]),
            "treat_matured_in": _stack([x.matured_in for x in s]),
            "treat_in_process": _stack([x.in_process for x in s]),
            "treat_produced": _stack([x.produced for x in s]),
            "treat_store": _stack([x.store for x in s]),
            "treat_losses": np.array([x.losses for x in s]),
            "disp_waste": self.disposed_waste.copy(),
            "disp_residue": self.disposed_residue.copy(),
            "dem_delivered": self.demand.delivered.copy(),
            "dem_unmet": self.demand.unmet.copy(),
            "dem_open": self.demand.open.copy(),
            "dem_accrued": self.demand.accrued.copy(),
            "breakdowns": np.array([self.breakdowns]),
            "downtime_d": np.array([self.downtime_d]),
        }

    # --- the daily tick -----------------------------------------------------------------

    def tick(self):
        w = self.world
        supply, recorder = self.supply, self.recorder
        pending = supply.pending
        sup_mat, sup_fleet, sup_est_h = self._sup_mat, self._sup_fleet, self._sup_est_h
        warmup = w.warmup_days
        for day in range(w.total_days):
            if day > warmup:
                recorder.day_levels(day - 1 - warmup, self._levels(day - 1))
            elif day == warmup and warmup:
                recorder.window_opens(self._state(), self._levels(day - 1))
            # simulation day ``warmup`` is the first reported day, on ``start_day_of_year``
            doy = int(day_of_year(day - warmup, w.start_day_of_year))
            inwin = self.demand.accrue(doy)
            supply.generate(doy)
            for e, mass in supply.due_loads(day):  # submit a collection job per load
                pending[e] += mass
                sup_fleet[e].submit((COLLECTION, e, -1, sup_mat[e], mass, sup_est_h[e]))
            self._dispatch_products(day, doy, inwin)
            yield self.env.timeout(1)

    def _dispatch_products(self, day: int, doy: int, inwin: np.ndarray) -> None:
        w = self.world
        if self._makers and len(w.dem_site):
            last = self.demand.last_day(doy)
            for m, makers in self._makers.items():
                if m not in self.demand.by_material:
                    continue
                if max(self.sites[t].available(m) for t in makers) <= _EPS:
                    continue
                for e in self.demand.orders(m, inwin, last, self._dem_payload):
                    self._serve(e, m, bool(last[e]))
        for (t, m), (d, km, f) in w.residues.items():
            site = self.sites[t]
            avail = site.available(m)
            if avail <= _EPS:
                continue
            fleet = self.fleets[f]
            payload = fleet.info.payload_t
            loads = [payload] * int(np.floor(avail / payload + _EPS))
            rest = avail - len(loads) * payload
            if rest > _EPS and day % RESIDUE_CLEARANCE_DAYS == 0:
                loads.append(rest)
            est_h = fleet.estimate_h(km)
            for mass in loads:
                site.committed[m] += mass
                fleet.submit((RESIDUE, t, d, m, mass, est_h))

    def _serve(self, e: int, m: int, last: bool) -> None:
        w, demand = self.world, self.demand
        unlimited = bool(w.dem_unlimited[e])
        payload = self._dem_payload[e]
        while True:
            want = payload if unlimited else min(payload, demand.open[e])
            if want <= _EPS or (not unlimited and not last and want < payload - _EPS):
                return
            chosen = None
            for t, km in w.dem_candidates[e]:
                if t in w.dem_fleet[e] and self.sites[t].available(m) >= want - _EPS:
                    chosen = (t, km)
                    break
            if chosen is None and last and not unlimited:
                options = [(self.sites[t].available(m), -i, t, km)
                           for i, (t, km) in enumerate(w.dem_candidates[e]) if t in w.dem_fleet[e]]
                best = max(options, default=None)
                if best is not None and best[0] > _EPS:
                    chosen = (best[2], best[3])
            if chosen is None:
                return
            t, km = chosen
            mass = min(want, self.sites[t].available(m))
            self.sites[t].committed[m] += mass
            if not unlimited:
                demand.open[e] -= mass
            fleet = self.fleets[w.dem_fleet[e][t]]
            fleet.submit((DELIVERY, t, e, m, mass, fleet.estimate_h(km)))

    # --- trucks -------------------------------------------------------------------------

    def truck(self, fleet: Fleet, k: int):
        """Truck ``k`` of ``fleet``: take jobs from the queue and drive them, forever."""
        env = self.env
        timeout, queue, idle = env.timeout, fleet.queue, fleet.idle
        start_trip, arrive = self._start_trip, self._arrive
        shift_h = fleet.info.shift_h
        day, used = -1, 0.0
        down = [(a, b) for a, b, n in self.world.fleet_down.get(fleet.index, []) if k < n]
        failure = self.world.breakdowns.get(fleet.index)
        next_failure = self.rng_faults.exponential(1.0 / failure[0]) if failure else np.inf
        while True:
            if queue:
                job = queue.popleft()
            else:
                wake = env.event()
                idle.append(wake)
                job = yield wake
            now = env.now
            if down or now >= next_failure:
                # out of service: hand the job back and wait until the truck is available
                until = now
                for a, b in down:
                    if a <= now < b:
                        until = max(until, b)
                if now >= next_failure:
                    until = max(until, now + failure[1])
                    self.breakdowns += 1
                    self.downtime_d += failure[1]
                    next_failure = until + self.rng_faults.exponential(1.0 / failure[0])
                if until > now:
                    queue.appendleft(job)
                    self._wake_other(fleet)
                    yield timeout(until - now)
                    continue
            today = int(now + _EPS)
            if today != day:
                day, used = today, 0.0
            if used > 0 and used + job[5] > shift_h:
                yield timeout(day + 1 - now)
                day, used = day + 1, 0.0
            trip = start_trip(job, fleet, env.now)
            if trip is None:
                continue
            to_arrival, to_return, hours, arrival = trip
            used += hours
            yield timeout(to_arrival)
            arrive(*arrival)
            yield timeout(to_return)

    def _wake_other(self, fleet: Fleet) -> None:
        """An idle truck, if any, takes the job handed back."""
        if fleet.idle and fleet.queue:
            fleet.idle.pop().succeed(fleet.queue.popleft())

    def _start_trip(self, job: tuple, fleet: Fleet, now: float):
        """Load, choose where to go, book it, record the shipment; return the trip timing and
        what ``_arrive`` needs: ``(to_arrival, to_return, hours, arrival)``, or None."""
        w = self.world
        purpose, a, b, m, mass, _ = job
        info = fleet.info
        load_d, speed_kmd = fleet.load_d, fleet.speed_kmd
        start_day = 0
        if purpose == COLLECTION:
            origin = self._sup_site[a]
            lead = self._depot_leg(fleet, origin)
            dest = None
            sites = self.sites
            for t, km in w.sup_candidates[a]:
                arrive_day = int(now + lead + load_d + km / speed_kmd)
                site = sites[t]
                start = site.reserve(mass, arrive_day)
                if start >= 0:
                    dest, dkm, kind, start_day = t, km, COLLECTION, start
                    break
                site.refused += mass
            supply = self.supply
            if dest is None:
                d, dkm = w.sup_disposal[a]
                if d < 0:  # nowhere to go: the waste stays at the source
                    supply.pending[a] -= mass
                    return None
                dest, kind = d, OVERFLOW
            supply.stock[a] -= mass
            supply.pending[a] -= mass
            supply.collected[a] += mass
            dest_site = w.treatments[dest].site if kind == COLLECTION else w.disposals[dest].site
        else:
            site = self.sites[a]
            origin = w.treatments[a].site
            lead = self._depot_leg(fleet, origin)
            kind = purpose
            if purpose == DELIVERY:
                dest = b
                dest_site = int(w.dem_site[b])
                dkm = next(km for t, km in w.dem_candidates[b] if t == a)
                arrive_day = int(now + lead + load_d + dkm / speed_kmd)
                doy = day_of_year(arrive_day - w.warmup_days, w.start_day_of_year)
                if not w.dem_window[b, doy - 1]:
                    # the truck could not go before the farm's window closed: the product
                    # stays in store and the order is lost (spreading is banned outside it)
                    site.committed[m] -= mass
                    self.demand.unmet[b] += mass
                    return None
            site.store[m] -= mass
            site.committed[m] -= mass
            if purpose != DELIVERY:
                dest = b
                dest_site = w.disposals[b].site
                dkm = w.residues[(a, m)][1]
        back_km = dkm if info.depot < 0 else w.depot_km[(fleet.index, dest_site)]
        lead_km = lead * speed_kmd
        to_arrival = lead + load_d + dkm / speed_kmd
        to_return = fleet.unload_d + back_km / speed_kmd
        hours = (to_arrival + to_return) * HOURS_PER_DAY
        co2 = dkm * info.co2_kg_per_km + (back_km + lead_km) * info.co2_kg_per_km_empty
        sid = self.recorder.shipment(fleet.index, origin, dest_site, m, kind, mass, now,
                                     now + to_arrival, dkm, back_km + lead_km, hours, co2)
        return to_arrival, to_return, hours, (kind, dest, m, mass, start_day, sid)

    def _arrive(self, kind: int, dest: int, m: int, mass: float, start_day: int, sid: int) -> None:
        """The truck unloads at its destination (``dest`` indexes treatment or disposal sites,
        or demand entries, after ``kind``)."""
        if kind == COLLECTION:
            self.sites[dest].receive(m, mass, start_day)
        elif kind == OVERFLOW:
            self.disposed_waste[dest, m] += mass
        elif kind == DELIVERY:
            self.demand.delivered[dest] += mass
        else:
            self.disposed_residue[dest, m] += mass
        self.recorder.arrival(sid)

    def _depot_leg(self, fleet: Fleet, origin: int) -> float:
        """Days driving empty from the depot to ``origin`` (0 without a depot)."""
        if fleet.info.depot < 0:
            return 0.0
        return self.world.depot_km[(fleet.index, origin)] / fleet.speed_kmd

    # --- daily levels -------------------------------------------------------------------

    def _series(self) -> SeriesMeta:
        w = self.world
        meta = SeriesMeta()
        for e in range(len(w.sup_site)):
            meta.add(int(w.sup_site[e]), int(w.sup_mat[e]), "source_stock", False)
        for info in w.treatments:
            for m in info.inputs.tolist():
                meta.add(info.site, m, "intake", True)
            meta.add(info.site, -1, "processed", False)
            meta.add(info.site, -1, "in_process", False)
            for m in info.out_mats.tolist():
                meta.add(info.site, m, "stored", False)
        for e in range(len(w.dem_site)):
            meta.add(int(w.dem_site[e]), int(w.dem_mat[e]), "delivered", True)
        for info in w.disposals:
            for m in info.accepts.tolist():
                meta.add(info.site, m, "disposed", True)
        return meta

    def _levels(self, day: int) -> np.ndarray:
        values: list[float] = []
        for site in self.sites:
            values += site.levels(day)
        parts = [self.supply.stock, np.array(values, dtype=float), self.demand.delivered]
        for d, info in enumerate(self.world.disposals):
            parts.append(self.disposed_waste[d, info.accepts] + self.disposed_residue[d, info.accepts])
        return np.concatenate(parts)


@contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while the events run and the records are built.

    A run allocates hundreds of thousands of short-lived objects (events, job tuples, shipment
    rows); reference counting frees them, but every 700 allocations the cyclic collector also
    scans the young objects, and now and then everything alive, records included: about 15 %
    of a one-year run for nothing (and more for long runs, whose records are larger), since the
    few cycles a run makes (processes and their environment) live until its end anyway. The collector is switched back on afterwards
    (unless the caller had switched it off) and collects those cycles then.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    return np.array(rows) if rows else np.zeros((0, 0))


def simulate(world: World, seed: np.random.SeedSequence) -> Records:
    """Run one replication of ``world`` with its own random streams from ``seed``."""
    return Model(world, seed).run()

