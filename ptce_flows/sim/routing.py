"""Where a loaded truck goes: one routing function per job purpose, each returning a
``Trip`` (or None when the load does not leave), and what happens when a trip arrives.

A routing function runs when the truck loads: it chooses the destination, books it (a
treatment site's ledger, a farm's window), and moves the load out of its stock. New purposes
(transfers, chains) add a function here and an entry in ``Router.routes``.
"""

from __future__ import annotations

from ptce_flows.sim.demand import Demand
from ptce_flows.sim.disposal import Disposal
from ptce_flows.sim.fleet import Fleet
from ptce_flows.sim.jobs import CollectionJob, DeliveryJob, ResidueJob, Trip
from ptce_flows.sim.records import COLLECTION, DELIVERY, OVERFLOW, RESIDUE, Recorder
from ptce_flows.sim.supply import Supply
from ptce_flows.sim.tables import World
from ptce_flows.sim.treatment import TreatmentSite
from ptce_flows.units import day_of_year


class Router:
    """The routing functions and arrivals of one replication, over its live components."""

    def __init__(self, world: World, supply: Supply, sites: list[TreatmentSite], demand: Demand,
                 disposal: Disposal, recorder: Recorder):
        self.world = world
        self.supply = supply
        self.sites = sites
        self.demand = demand
        self.disposal = disposal
        self.recorder = recorder
        # plain lists for the per-trip lookups
        self._sup_site = world.supply.site.tolist()
        self._sup_candidates = world.supply.candidates
        self._sup_disposal = world.supply.disposal
        self._treat_site = [info.site for info in world.treatments]
        self._disp_site = [info.site for info in world.disposals]
        #: routing function per purpose code (records.PURPOSES); overflow is decided by collection
        self.routes = (self.collection, None, self.delivery, self.residue)

    def collection(self, job: CollectionJob, fleet: Fleet, now: float) -> Trip | None:
        """A source's load goes to the first treatment site (in routing order) that books
        it, otherwise to its disposal site; with neither, it stays at the source."""
        e, m, mass = job.entry, job.material, job.mass
        origin = self._sup_site[e]
        lead = fleet.depot_leg(origin)
        load_d, speed_kmd = fleet.load_d, fleet.speed_kmd
        trip = None
        sites = self.sites
        for t, km in self._sup_candidates[e]:
            arrive_day = int(now + lead + load_d + km / speed_kmd)
            site = sites[t]
            start = site.reserve(mass, arrive_day)
            if start >= 0:
                trip = Trip(COLLECTION, origin, t, self._treat_site[t], m, mass, km, lead, start)
                break
            site.refused += mass
        supply = self.supply
        if trip is None:
            d, dkm = self._sup_disposal[e]
            if d < 0:  # nowhere to go: the waste stays at the source
                supply.pending[e] -= mass
                return None
            trip = Trip(OVERFLOW, origin, d, self._disp_site[d], m, mass, dkm, lead)
        supply.stock[e] -= mass
        supply.pending[e] -= mass
        supply.collected[e] += mass
        return trip

    def delivery(self, job: DeliveryJob, fleet: Fleet, now: float) -> Trip | None:
        """A product promised to a farm leaves if the truck arrives within the farm's window;
        otherwise it stays in store and the order is lost."""
        w = self.world
        t, e, m, mass = job.treatment, job.entry, job.material, job.mass
        site = self.sites[t]
        origin = self._treat_site[t]
        lead = fleet.depot_leg(origin)
        dkm = next(km for c, km in w.demand.candidates[e] if c == t)
        arrive_day = int(now + lead + fleet.load_d + dkm / fleet.speed_kmd)
        doy = day_of_year(arrive_day - w.warmup_days, w.start_day_of_year)
        if not w.demand.window[e, doy - 1]:
            # the truck could not go before the farm's window closed: the product stays in
            # store and the order is lost (spreading is banned outside it)
            site.committed[m] -= mass
            self.demand.unmet[e] += mass
            return None
        site.store[m] -= mass
        site.committed[m] -= mass
        return Trip(DELIVERY, origin, e, int(w.demand.site[e]), m, mass, dkm, lead)

    def residue(self, job: ResidueJob, fleet: Fleet, now: float) -> Trip:
        """Process residues go to their (nearest) disposal site."""
        w = self.world
        t, d, m, mass = job.treatment, job.disposal, job.material, job.mass
        site = self.sites[t]
        origin = w.treatments[t].site
        lead = fleet.depot_leg(origin)
        site.store[m] -= mass
        site.committed[m] -= mass
        return Trip(RESIDUE, origin, d, w.disposals[d].site, m, mass, w.residues[(t, m)][1], lead)

    def arrive(self, trip: Trip, sid: int) -> None:
        """The truck unloads at its destination."""
        kind, dest, m, mass = trip.purpose, trip.destination, trip.material, trip.mass
        if kind == COLLECTION:
            self.sites[dest].receive(m, mass, trip.start_day)
        elif kind == OVERFLOW:
            self.disposal.waste[dest, m] += mass
        elif kind == DELIVERY:
            self.demand.delivered[dest] += mass
        else:
            self.disposal.residue[dest, m] += mass
        self.recorder.arrival(sid)
