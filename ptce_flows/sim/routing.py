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
from ptce_flows.sim.jobs import ChainJob, CollectionJob, DeliveryJob, ForwardJob, ResidueJob, Trip
from ptce_flows.sim.records import CHAIN, COLLECTION, DELIVERY, FORWARD, OVERFLOW, RESIDUE, Recorder
from ptce_flows.sim.supply import Supply
from ptce_flows.sim.tables import Onward, World
from ptce_flows.sim.transfer import TransferStation
from ptce_flows.sim.treatment import TreatmentSite
from ptce_flows.units import HOURS_PER_DAY, day_of_year


class Router:
    """The routing functions and arrivals of one replication, over its live components."""

    def __init__(self, world: World, supply: Supply, sites: list[TreatmentSite], demand: Demand,
                 disposal: Disposal, recorder: Recorder, transfers: list[TransferStation] | None = None):
        self.world = world
        self.transfers = transfers or []
        #: where a collection load may go: treatment sites, then transfer stations
        self.receivers = [*sites, *self.transfers]
        self._receiver_site = [info.site for info in world.treatments] + [t.site for t in world.transfers]
        self._round_km = world.supply.round_km.tolist()
        self._round_d = (world.supply.round_h / HOURS_PER_DAY).tolist()
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
        self.routes = (self.collection, None, self.delivery, self.residue, self.forward, self.chain)

    def _disposal(self, origin: int, d: int, mass: float, now: float) -> tuple[int, float]:
        """(disposal index, km) taking a load sent from site ``origin`` to ``d`` (a full site
        sends it down its overflow chain)."""
        km = self.world.disposal_km
        d = self.disposal.book(d, mass, now, lambda nxt: km[origin, nxt] < float("inf"))
        return d, float(km[origin, d])

    def collection(self, job: CollectionJob, fleet: Fleet, now: float) -> Trip | None:
        """A source's load goes to the first treatment site (in routing order) that books
        it, otherwise to its disposal site; with neither, it stays at the source."""
        e, m, mass = job.entry, job.material, job.mass
        origin = self._sup_site[e]
        lead = 0.0 if fleet.no_depot else fleet.depot_leg(origin)
        load_d, speed_kmd = self._round_d[e], fleet.speed_kmd
        round_km = self._round_km[e]
        trip = None
        receivers = self.receivers
        for t, km in self._sup_candidates[e]:
            arrive_day = int(now + lead + load_d + km / speed_kmd)
            site = receivers[t]
            start = site.reserve(mass, arrive_day)
            if start >= 0:
                trip = Trip(COLLECTION, origin, t, self._receiver_site[t], m, mass, km, lead, start,
                            round_km, load_d)
                break
            site.refused += mass
        supply = self.supply
        if trip is None:
            d, dkm = self._sup_disposal[e]
            if d < 0:  # nowhere to go: the waste stays at the source
                supply.pending[e] -= mass
                return None
            if self.disposal.limited:
                d, dkm = self._disposal(origin, d, mass, now)
            trip = Trip(OVERFLOW, origin, d, self._disp_site[d], m, mass, dkm, lead, 0, round_km, load_d)
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
        km = w.residues[(t, m)][1]
        if self.disposal.limited:
            d, km = self._disposal(origin, d, mass, now)
        return Trip(RESIDUE, origin, d, w.disposals[d].site, m, mass, km, lead)

    def _onward(self, onward: Onward, purpose: int, origin: int, m: int, mass: float, fleet: Fleet,
                now: float) -> Trip | None:
        """A load leaving ``origin`` for treatment: the first site of ``onward`` that books it,
        else its disposal site (purpose ``fallback``), else None."""
        lead = fleet.depot_leg(origin)
        sites, speed_kmd = self.sites, fleet.speed_kmd
        for t, km in onward.candidates:
            site = sites[t]
            start = site.reserve(mass, int(now + lead + fleet.load_d + km / speed_kmd))
            if start >= 0:
                return Trip(purpose, origin, t, self._treat_site[t], m, mass, km, lead, start)
            site.refused += mass
        d, km = onward.disposal
        if d < 0:
            return None
        if self.disposal.limited:
            d, km = self._disposal(origin, d, mass, now)
        return Trip(OVERFLOW if purpose == FORWARD else RESIDUE, origin, d, self._disp_site[d], m, mass, km, lead)

    def forward(self, job: ForwardJob, fleet: Fleet, now: float) -> Trip | None:
        """A bulk load from a transfer station to treatment (or, if none books it, disposal);
        with neither, it stays at the station and is due again the next day."""
        k, m, mass = job.transfer, job.material, job.mass
        station = self.transfers[k]
        info = self.world.transfers[k]
        trip = self._onward(info.forward[m], FORWARD, info.site, m, mass, fleet, now)
        if trip is None:
            station.release(m, mass, int(now))
            return None
        station.store[m] -= mass
        station.committed[m] -= mass
        return trip

    def chain(self, job: ChainJob, fleet: Fleet, now: float) -> Trip | None:
        """A product going on to another treatment (or disposal); with neither it stays."""
        t, m, mass = job.treatment, job.material, job.mass
        site = self.sites[t]
        trip = self._onward(self.world.chains[(t, m)], CHAIN, self._treat_site[t], m, mass, fleet, now)
        site.committed[m] -= mass
        if trip is not None:
            site.store[m] -= mass
        return trip

    def arrive(self, trip: Trip, sid: int) -> None:
        """The truck unloads at its destination."""
        kind, dest, m, mass = trip.purpose, trip.destination, trip.material, trip.mass
        if kind == COLLECTION or kind == FORWARD:
            self.receivers[dest].receive(m, mass, trip.start_day)
        elif kind == CHAIN:
            self.sites[dest].receive(m, mass, trip.start_day, chained=True)
        elif kind == OVERFLOW:
            self.disposal.waste[dest, m] += mass
        elif kind == DELIVERY:
            self.demand.delivered[dest] += mass
        else:
            self.disposal.residue[dest, m] += mass
        self.recorder.arrival(sid)
