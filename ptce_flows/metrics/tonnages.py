"""Tonnages by site and product that the climate and cost balances need (pure functions).

They come from the same cumulative counters as the mass balance, over the reported window:
tonnes received by each treatment site (its intake, chain products included), tonnes received
by each disposal site (refused waste, process residues and the residual stream: the waste not
captured is landfilled or burnt in every layout, and its emissions and fees belong to the
territory's balance), tonnes delivered of each product to farms and outlets, tonnes received by
each transfer station (to forward: its running cost is per tonne).
"""

from __future__ import annotations

import numpy as np

from ptce_flows.sim.records import State
from ptce_flows.sim.tables import World


def site_tonnages(world: World, win: State) -> dict[str, dict[str, float]]:
    """{"received_t": {treatment site: t}, "disposed_t": {disposal site: t},
    "delivered_t": {product: t}, "transferred_t": {transfer station: t}} over the reported
    window (``Records.window()``)."""
    received = {world.sites[info.site]: float(np.sum(win.treat_intake[k]))
                for k, info in enumerate(world.treatments)}
    dumped = win.disp_waste + win.disp_residue + win.disp_residual  # the residual stream counts
    disposed = {world.sites[info.site]: float(np.sum(dumped[k])) for k, info in enumerate(world.disposals)}
    delivered: dict[str, float] = {}
    for k, t in enumerate(np.atleast_1d(win.dem_delivered).tolist()):
        material = world.materials[int(world.demand.material[k])]
        delivered[material] = delivered.get(material, 0.0) + float(t)
    transferred = {world.sites[info.site]: float(np.sum(win.tr_intake[k])) for k, info in enumerate(world.transfers)}
    return {"received_t": received, "disposed_t": disposed, "delivered_t": delivered, "transferred_t": transferred}
