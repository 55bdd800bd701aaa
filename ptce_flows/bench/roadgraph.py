"""Synthetic road graphs for the network benchmark: a perturbed grid, planar and connected-ish.

``road_graph(n_nodes, seed)`` lays ``n_nodes`` junctions on a square grid with ``spacing_km``
between neighbours, moves each by up to a third of the spacing, joins grid neighbours (about
8 % of links dropped, as rivers and fields break a real grid) and adds a few diagonals; a road's
length is its straight length times a winding factor between 1.0 and 1.3. The result has
about 2 edges per node, like real road graphs, and is returned as a ``RoadNetwork`` built
directly from arrays (no YAML, no per-road Python objects).
"""

from __future__ import annotations

import math

import numpy as np

from ptce_flows.network import RoadNetwork

KM_PER_DEG_LAT = 111.2


def road_graph(n_nodes: int, seed: int = 0, spacing_km: float = 0.5,
               centre: tuple[float, float] = (43.6, 1.44)) -> RoadNetwork:
    """A perturbed-grid road network of about ``n_nodes`` junctions (``side**2`` exactly)."""
    rng = np.random.default_rng(seed)
    side = max(2, int(round(math.sqrt(n_nodes))))
    n = side * side
    gx, gy = np.meshgrid(np.arange(side, dtype=float), np.arange(side, dtype=float), indexing="ij")
    x = (gx.ravel() + rng.uniform(-1 / 3, 1 / 3, n)) * spacing_km
    y = (gy.ravel() + rng.uniform(-1 / 3, 1 / 3, n)) * spacing_km
    ids = np.arange(n).reshape(side, side)
    pairs = [np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()]),     # east
             np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()])]     # north
    grid = np.vstack(pairs)
    grid = grid[rng.random(len(grid)) > 0.08]
    diag = np.column_stack([ids[:-1, :-1].ravel(), ids[1:, 1:].ravel()])
    diag = diag[rng.random(len(diag)) < 0.05]
    edges = np.vstack([grid, diag])
    u, v = edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64)
    km = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.3, len(u))
    lat = centre[0] + (y - y.mean()) / KM_PER_DEG_LAT
    lon = centre[1] + (x - x.mean()) / (KM_PER_DEG_LAT * math.cos(math.radians(centre[0])))
    names = [f"n{i}" for i in range(n)]
    return RoadNetwork(names, lat, lon, u, v, km)


def road_places(net: RoadNetwork) -> tuple[dict, list]:
    """The same network as ``from_places`` input: ``{id: (lat, lon)}`` and ``[(a, b, km)]``
    (what a scenario's nodes and roads turn into)."""
    places = {nid: (float(a), float(b)) for nid, a, b in zip(net.node_ids, net.lat, net.lon, strict=True)}
    ids = net.node_ids
    roads = [(ids[a], ids[b], float(k)) for a, b, k in zip(net.edge_u.tolist(), net.edge_v.tolist(),
                                                          net.edge_km.tolist(), strict=True)]
    return places, roads
