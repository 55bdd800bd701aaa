"""What trucks are asked to do (jobs) and what they then drive (trips).

A job is queued on a fleet by the daily dispatch; a truck takes it, the routing function of
its purpose (``sim.routing``) decides where it goes and books it, and returns a ``Trip``. Both
are ``NamedTuple``s: as cheap to create as a tuple, read by name.
"""

from __future__ import annotations

from typing import NamedTuple

from ptce_flows.sim.records import CHAIN, COLLECTION, DELIVERY, FORWARD, RESIDUE


class CollectionJob(NamedTuple):
    """A load of waste to collect at a source."""

    entry: int          # supply entry
    material: int
    mass: float         # t
    est_h: float        # hours of a round trip to the nearest destination (checked against the shift)

    purpose = COLLECTION


class DeliveryJob(NamedTuple):
    """A load of product promised by a treatment site to a farm or outlet."""

    treatment: int      # treatment index (where the truck loads)
    entry: int          # demand entry
    material: int
    mass: float
    est_h: float

    purpose = DELIVERY


class ResidueJob(NamedTuple):
    """A load of process residues from a treatment site to disposal."""

    treatment: int
    disposal: int       # disposal index
    material: int
    mass: float
    est_h: float

    purpose = RESIDUE


class ForwardJob(NamedTuple):
    """A bulk load leaving a transfer station for treatment."""

    transfer: int       # transfer index
    material: int
    mass: float
    est_h: float

    purpose = FORWARD


class ChainJob(NamedTuple):
    """A load of a treatment site's product going on to another treatment (digestate to
    composting)."""

    treatment: int
    material: int
    mass: float
    est_h: float

    purpose = CHAIN


Job = CollectionJob | DeliveryJob | ResidueJob | ForwardJob | ChainJob


class Trip(NamedTuple):
    """A loaded trip, booked at its destination and recorded as a shipment."""

    purpose: int        # records.PURPOSES
    origin: int         # site index where the truck loads
    #: receiver index (treatment, or len(treatments) + transfer), disposal index or demand
    #: entry, after ``purpose``
    destination: int
    dest_site: int      # site index of the destination
    material: int
    mass: float         # t
    km: float           # loaded km, origin -> destination
    lead_d: float       # days driving empty from the depot to the origin (0 without a depot)
    start_day: int = 0  # day processing starts at a treatment site, or arrival day at a transfer
    round_km: float = 0.0   # km driven collecting before the haul (collections)
    round_d: float = -1.0   # days collecting (in place of the fleet's loading time), if >= 0
