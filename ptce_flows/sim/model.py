"""The SimPy model of one replication: build, start, simulate, finalise.

Phases (after desmod): ``Model(world, seed)`` builds live components from the ``World``;
``start()`` starts the daily tick and one process per truck; ``run()`` simulates up to the
horizon and returns the ``Records``.

The components: ``Supply`` (sources), ``TreatmentSite``s, ``Demand`` (farms and outlets),
``Disposal``, the ``Fleet``s with their trucks and ``Faults`` (``sim.fleet``), the daily
``Dispatcher`` (``sim.dispatch``), the ``Router`` (``sim.routing``) and the ``Recorder``.

What is a SimPy event and what is not (see docs/architecture.md): sources and farms are
arrays updated by one daily tick; each truck is a process whose trips are two timeouts
(arrival, return); each arrival at a treatment site is a batch whose maturation is one timeout.
So the cost grows with days x entries (numpy) and with trips (events), nothing else.
"""

from __future__ import annotations


import numpy as np

from ptce_flows.gcpause import cyclic_gc_paused
from ptce_flows.sim import observe
from ptce_flows.sim.clock import Clock
from ptce_flows.sim.demand import Demand
from ptce_flows.sim.dispatch import Dispatcher
from ptce_flows.sim.disposal import Disposal
from ptce_flows.sim.fleet import Faults, Fleet, truck
from ptce_flows.sim.records import Recorder, Records, State
from ptce_flows.sim.routing import Router
from ptce_flows.sim.supply import Supply
from ptce_flows.sim.tables import World
from ptce_flows.sim.transfer import Onwards, TransferStation
from ptce_flows.sim.treatment import TreatmentSite
from ptce_flows.units import day_of_year

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


class Model:
    """One replication of a ``World``."""

    def __init__(self, world: World, seed: np.random.SeedSequence):
        self.world = world
        self.env = Clock()
        streams = dict(zip(STREAMS, child_seeds(seed, len(STREAMS)), strict=True))
        self.supply = Supply(world, np.random.default_rng(streams["supply"]))
        self.demand = Demand(world)
        n_mat = len(world.materials)
        self.sites = [TreatmentSite(self.env, t, n_mat, world.total_days, world.disruptions.outages.get(k))
                      for k, t in enumerate(world.treatments)]
        self.disposal = Disposal(world.disposals, n_mat)
        self.transfers = [TransferStation(info, n_mat) for info in world.transfers]
        self.faults = Faults(world.disruptions, np.random.default_rng(streams["faults"]))
        self.series = observe.series_meta(world)
        self.recorder = Recorder(world.horizon_days, self.series)
        self.fleets = [Fleet(self.env, i, f, world.depot_km, self.recorder) for i, f in enumerate(world.fleets)]
        self.dispatcher = Dispatcher(world, self.supply, self.sites, self.demand, self.fleets)
        self.router = Router(world, self.supply, self.sites, self.demand, self.disposal, self.recorder,
                             self.transfers)
        self.onwards = Onwards(world, self.transfers, self.sites, self.fleets)
        sup = world.supply
        self._res_entries = np.flatnonzero(sup.residual_rate > 0)
        self._res_keys = (sup.residual_disposal[self._res_entries], sup.material[self._res_entries])

    # --- phases -------------------------------------------------------------------------

    def start(self) -> None:
        self._processes = [self.tick()]
        for fleet in self.fleets:
            for k in range(fleet.info.vehicles):
                self._processes.append(truck(self.env, fleet, k, self.faults, self.router.routes,
                                             self.router.arrive))
        for process in self._processes:
            self.env.process(process)

    def run(self) -> Records:
        self.start()
        with cyclic_gc_paused():
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
            process.close()
        self._processes = []
        self.env.discard_queued()

    def finalise(self) -> Records:
        w = self.world
        self.recorder.day_levels(w.horizon_days - 1, self._levels(w.total_days - 1))
        for site in self.sites:
            site.finish()
        return self.recorder.finish(self._state(), self.env.events)

    def _state(self) -> State:
        """Every cumulative counter and stock, copied (at the window's opening and at the end)."""
        return observe.snapshot(self.supply, self.sites, self.demand, self.disposal, self.faults,
                                self.transfers)

    def _levels(self, day: int) -> np.ndarray:
        return observe.levels(day, self.supply, self.sites, self.demand, self.disposal, self.transfers)

    def _residual(self, day: int, amounts: np.ndarray | None) -> None:
        """The day's residual stream goes to its disposal sites (no simulated truck: it is the
        existing residual-waste service, see docs/outputs.md)."""
        if amounts is None or not len(self._res_entries):
            return
        entries, disposal = self._res_entries, self.disposal
        if not disposal.limited:
            np.add.at(disposal.residual, self._res_keys, amounts[entries])
            return
        for d, m, mass in zip(*self._res_keys, amounts[entries], strict=True):
            disposal.take_residual(int(d), int(m), float(mass), day)

    # --- the daily tick -----------------------------------------------------------------

    def tick(self):
        """Each day: note yesterday's levels, accrue demand, generate supply, dispatch."""
        w = self.world
        supply, recorder, dispatcher = self.supply, self.recorder, self.dispatcher
        warmup = w.warmup_days
        for day in range(w.total_days):
            if day > warmup:
                recorder.day_levels(day - 1 - warmup, self._levels(day - 1))
            elif day == warmup and warmup:
                recorder.window_opens(self._state(), self._levels(day - 1))
            # simulation day ``warmup`` is the first reported day, on ``start_day_of_year``
            doy = int(day_of_year(day - warmup, w.start_day_of_year))
            inwin = self.demand.accrue(doy)
            self._residual(day, supply.generate(doy))
            dispatcher.collections(day)
            dispatcher.products(day, doy, inwin)
            self.onwards.dispatch(day)
            yield self.env.timeout(1)


def simulate(world: World, seed: np.random.SeedSequence) -> Records:
    """Run one replication of ``world`` with its own random streams from ``seed``."""
    return Model(world, seed).run()
