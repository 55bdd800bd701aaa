"""Collection rounds: the km and hours a load takes to collect, before its haul.

A scenario gives ``collection.round_km`` (km driven per load while collecting) and
``collection.round_h`` (hours per load, in place of the fleet's ``loading_h``). When the km of
a round are not known, ``collection.stops`` and ``collection.area_km2`` give an estimate by the
Beardwood-Halton-Hammersley theorem: the shortest tour through ``n`` points spread at random
over an area ``A`` is about ``k sqrt(n A)`` (straight-line km) for large ``n``, with
``k = 0.7124`` (Beardwood, Halton and Hammersley, "The shortest path through many points",
Proc. Cambridge Philos. Soc. 55, 1959, doi:10.1017/S0305004100034095; the constant as computed
by Percus and Martin, Phys. Rev. Lett. 76, 1996, doi:10.1103/PhysRevLett.76.1188, is 0.7120;
Johnson, McGeoch and Rothberg 1996 give 0.7124). Roads are longer than straight lines: the
tour is multiplied by the scenario's ``network.circuity``.

The stops are those visited in one pass (one collection every ``every_days``); a pass collects
``rate x every_days`` tonnes on average. A load of ``payload_t`` covers the share
``payload_t / (rate x every_days)`` of the pass (at most all of it), so each load drives::

    round_km = k sqrt(stops x area_km2) x circuity x min(1, payload_t / (rate x every_days))

and the loads of a pass together drive the whole tour.
"""

from __future__ import annotations

import math

#: Beardwood-Halton-Hammersley constant for the Euclidean travelling salesman tour in the plane
BHH_K = 0.7124


def bhh_tour_km(stops: int, area_km2: float, circuity: float) -> float:
    """Road km of one pass through ``stops`` points spread over ``area_km2``."""
    return BHH_K * math.sqrt(stops * area_km2) * circuity


def round_km_per_load(stops: int, area_km2: float, circuity: float, payload_t: float,
                      t_per_pass: float) -> float:
    """Road km a load drives collecting, by the BHH estimate (see the module text)."""
    share = 1.0 if t_per_pass <= payload_t else payload_t / t_per_pass
    return bhh_tour_km(stops, area_km2, circuity) * share
