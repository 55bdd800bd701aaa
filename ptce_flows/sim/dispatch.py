"""The daily dispatch: which loads are sent today, as jobs queued on the fleets.

Once a day, after supply is generated and demand accrues: every due load at a source becomes
a collection job; products in store are promised to the farms and outlets that want them
(largest need first, nearest site holding a load first); process residues leave in full loads,
and a partial load every ``RESIDUE_CLEARANCE_DAYS``.
"""

from __future__ import annotations

import numpy as np

from ptce_flows.errors import SimulationError
from ptce_flows.sim.constants import EPS, MAX_LOADS_PER_DAY, RESIDUE_CLEARANCE_DAYS
from ptce_flows.sim.demand import Demand
from ptce_flows.sim.fleet import Fleet
from ptce_flows.sim.jobs import CollectionJob, DeliveryJob, ResidueJob
from ptce_flows.sim.supply import Supply
from ptce_flows.sim.tables import World
from ptce_flows.sim.treatment import TreatmentSite


def _round_h(est_h: float, loading_h: float, round_h: float) -> float:
    return est_h if round_h == loading_h else est_h - loading_h + round_h


class Dispatcher:
    """Turns the day's stocks and orders into jobs."""

    def __init__(self, world: World, supply: Supply, sites: list[TreatmentSite], demand: Demand,
                 fleets: list[Fleet]):
        self.world = world
        self.supply = supply
        self.sites = sites
        self.demand = demand
        self.fleets = fleets
        #: material -> treatment indices making it
        self.makers: dict[int, list[int]] = {}
        for t, info in enumerate(world.treatments):
            for m in info.out_mats.tolist():
                self.makers.setdefault(m, []).append(t)
        dem = world.demand
        #: per demand entry, the payload of the fleet serving its nearest site (inf if none)
        self.dem_payload = np.array([
            world.fleets[f[c[0][0]]].payload_t if c and c[0][0] in f else np.inf
            for c, f in zip(dem.candidates, dem.fleet, strict=True)
        ]) if len(dem) else np.zeros(0)
        # per supply entry, as plain lists for the daily loop: material, fleet and the hours a
        # trip to the nearest destination takes (what a truck checks against its shift)
        sup = world.supply
        self._sup_mat = sup.material.tolist()
        self._sup_fleet = [fleets[f] for f in sup.fleet.tolist()]
        self._sup_est_h = [  # a collection round's hours replace the loading time
            _round_h(fleet.estimate_h(cands[0][1] if cands else disposal[1]), fleet.info.loading_h, round_h)
            for fleet, cands, disposal, round_h in zip(self._sup_fleet, sup.candidates, sup.disposal,
                                                       sup.round_h.tolist(), strict=True)]

    def collections(self, day: int) -> None:
        """A collection job per load due today at the sources."""
        pending = self.supply.pending
        sup_mat, sup_fleet, sup_est_h = self._sup_mat, self._sup_fleet, self._sup_est_h
        for e, mass in self.supply.due_loads(day):
            pending[e] += mass
            sup_fleet[e].submit(CollectionJob(e, sup_mat[e], mass, sup_est_h[e]))

    def products(self, day: int, doy: int, inwin: np.ndarray) -> None:
        """Deliveries of products to farms and outlets, then residues to disposal."""
        if self.makers and len(self.world.demand):
            last = self.demand.last_day(doy)
            for m, makers in self.makers.items():
                if m not in self.demand.by_material:
                    continue
                if max(self.sites[t].available(m) for t in makers) <= EPS:
                    continue
                for e in self.demand.orders(m, inwin, last, self.dem_payload):
                    self._serve(e, m, bool(last[e]))
        self._residues(day)

    def _residues(self, day: int) -> None:
        for (t, m), (d, km, f) in self.world.residues.items():
            site = self.sites[t]
            avail = site.available(m)
            if avail <= EPS:
                continue
            fleet = self.fleets[f]
            payload = fleet.info.payload_t
            n = np.floor(avail / payload + EPS)
            if not n <= MAX_LOADS_PER_DAY:
                w = self.world
                raise SimulationError(
                    f"site '{w.sites[w.treatments[t].site]}' would send {n:.3g} loads of {payload:.3g} t "
                    f"of '{w.materials[m]}' in one day (at most {MAX_LOADS_PER_DAY:,} can be simulated): "
                    f"the payload_t of fleet '{fleet.info.id}' is too small for the tonnage")
            loads = [payload] * int(n)
            rest = avail - len(loads) * payload
            if rest > EPS and day % RESIDUE_CLEARANCE_DAYS == 0:
                loads.append(rest)
            est_h = fleet.estimate_h(km)
            for mass in loads:
                site.committed[m] += mass
                fleet.submit(ResidueJob(t, d, m, mass, est_h))

    def _choose(self, e: int, m: int, want: float, last: bool, unlimited: bool) -> tuple[int, float] | None:
        """The site serving ``want`` t of ``m`` to demand entry ``e``: the nearest holding
        it all; on a window's last day, the one holding most."""
        dem = self.world.demand
        fleets = dem.fleet[e]
        for t, km in dem.candidates[e]:
            if t in fleets and self.sites[t].available(m) >= want - EPS:
                return t, km
        if last and not unlimited:
            options = [(self.sites[t].available(m), -i, t, km)
                       for i, (t, km) in enumerate(dem.candidates[e]) if t in fleets]
            best = max(options, default=None)
            if best is not None and best[0] > EPS:
                return best[2], best[3]
        return None

    def _serve(self, e: int, m: int, last: bool) -> None:
        """Promise loads to demand entry ``e`` while it wants some and a site holds them."""
        demand = self.demand
        unlimited = bool(self.world.demand.unlimited[e])
        payload = self.dem_payload[e]
        while True:
            want = payload if unlimited else min(payload, demand.open[e])
            if want <= EPS or (not unlimited and not last and want < payload - EPS):
                return
            chosen = self._choose(e, m, want, last, unlimited)
            if chosen is None:
                return
            t, km = chosen
            mass = min(want, self.sites[t].available(m))
            self.sites[t].committed[m] += mass
            if not unlimited:
                demand.open[e] -= mass
            fleet = self.fleets[self.world.demand.fleet[e][t]]
            fleet.submit(DeliveryJob(t, e, m, mass, fleet.estimate_h(km)))
