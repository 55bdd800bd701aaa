"""Trips of the static model as arrays: the legs a truck drives and the totals they add up to.

``Legs`` gives, for arrays of (fleet, origin site, destination site, loaded km), the km driven
back empty and the driver hours of one trip, as the simulation's ``sim.fleet.Fleet.depart``
counts them: without a depot the truck returns empty to where it loaded; with one it drives
depot -> origin -> destination -> depot. Hours are the loading time (or the collection round's
``round_h``) + unloading + driving at the fleet's speed. ``Totals`` sums trips per fleet
(vehicle-km, hours, CO2 with the round at the mean of the loaded and empty rates, as the
simulation does) and the tonne-km (load x loaded km: the haul, never the round).
"""

from __future__ import annotations

import numpy as np

from ptce_flows.sim.tables import World


class Legs:
    """Per-fleet constants and depot legs as dense arrays (fleets x sites)."""

    def __init__(self, world: World):
        fleets = world.fleets
        nf, ns = len(fleets), len(world.sites)
        self.has_depot = np.array([f.depot >= 0 for f in fleets], dtype=bool)
        self.depot_km = np.zeros((nf, ns))
        for (f, s), km in world.depot_km.items():
            self.depot_km[f, s] = km
        self.speed = np.array([f.speed_kmh for f in fleets], dtype=float)
        self.loading_h = np.array([f.loading_h for f in fleets], dtype=float)
        self.unloading_h = np.array([f.unloading_h for f in fleets], dtype=float)
        self.payload = np.array([f.payload_t for f in fleets], dtype=float)
        self.co2_loaded = np.array([f.co2_kg_per_km for f in fleets], dtype=float)
        self.co2_empty = np.array([f.co2_kg_per_km_empty for f in fleets], dtype=float)

    def empty_km(self, fleet, origin, dest_site, km) -> np.ndarray:
        """Km driven empty on one trip (back to the origin, or the depot legs)."""
        fleet, origin, dest_site, km = np.broadcast_arrays(fleet, origin, dest_site, np.asarray(km, float))
        if not self.has_depot.any():
            return km.astype(float, copy=True)
        dk = self.depot_km
        depot = dk[fleet, np.maximum(dest_site, 0)] + dk[fleet, origin]
        return np.where(self.has_depot[fleet], depot, km)

    def hours(self, fleet, km, empty, load_h=None) -> np.ndarray:
        """Driver hours of one trip; ``load_h`` replaces the fleet's loading time (a round)."""
        load = self.loading_h[fleet] if load_h is None else load_h
        return load + self.unloading_h[fleet] + (km + empty) / self.speed[fleet]


class Totals:
    """Running totals of one evaluation, per fleet."""

    def __init__(self, legs: Legs):
        self.legs = legs
        nf = len(legs.speed)
        self.vkm, self.hours, self.co2, self.trips = (np.zeros(nf) for _ in range(4))
        self.tkm = 0.0
        self.round_km = 0.0

    def add(self, fleet, trips, km, empty, hours, mass, round_km=None) -> None:
        """``trips`` of ``km`` loaded and ``empty`` km (arrays of one shape, ``fleet`` broadcast
        to it), carrying ``mass`` t in all; ``round_km`` per trip before the haul."""
        nf = len(self.vkm)
        trips = np.asarray(trips, float)
        f = np.broadcast_to(fleet, trips.shape).ravel()
        tk, te = (trips * km).ravel(), (trips * empty).ravel()
        self.trips += np.bincount(f, trips.ravel(), minlength=nf)
        self.hours += np.bincount(f, (trips * hours).ravel(), minlength=nf)
        legs = self.legs
        loaded, back = np.bincount(f, tk, minlength=nf), np.bincount(f, te, minlength=nf)
        self.vkm += loaded + back
        co2 = loaded * legs.co2_loaded + back * legs.co2_empty
        if round_km is not None:
            rk = np.bincount(f, np.broadcast_to(trips * round_km, trips.shape).ravel(), minlength=nf)
            self.vkm += rk
            self.round_km += float(rk.sum())
            co2 = co2 + rk * 0.5 * (legs.co2_loaded + legs.co2_empty)
        self.co2 += co2 / 1000.0
        self.tkm += float((np.asarray(mass) * km).sum())
