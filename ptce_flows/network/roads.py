"""The road network: a networkx graph of sites and junctions, and its distance matrices.

Distances between places come from explicit roads (km, both ways) where a road path exists;
for pairs the roads do not connect, and when ``network.fallback`` is ``great_circle``, from the
great-circle distance times the circuity factor. Shortest road paths are computed in one go for
all the origins that need them with ``scipy.sparse.csgraph.dijkstra`` (much faster than
looping over networkx), in chunks so that memory stays bounded on 100,000-node graphs.

``scipy.sparse.csgraph`` (which pulls in ``scipy.linalg``) and ``networkx`` take about 0.2 s
to import, more than a small run takes: they are imported where they are used, so a scenario
without roads never loads them and ``networkx`` is loaded only when a graph is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ptce_flows.network.geo import haversine_km
from ptce_flows.scenario.defaults import default

#: great-circle x circuity where no road path exists (value and sources: scenario/defaults.py)
CIRCUITY = float(str(default("network.circuity")))

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_matrix

#: Most matrix cells (origins x nodes) held at once while running Dijkstra.
_CHUNK_CELLS = 20_000_000


@dataclass
class RoadNetwork:
    """Places (sites and junctions) joined by roads.

    Attributes:
        node_ids: every place id; the position is the node index.
        lat, lon: coordinates in degrees (NaN for a junction without location).
        edge_u, edge_v, edge_km: the road links (undirected), shortest kept for duplicates.
        circuity: factor applied to great-circle distances where no road path exists.
        fallback: whether great-circle fallback is used at all.
        directed: the links hold from ``edge_u`` to ``edge_v`` only (a road graph with one-way
            streets); otherwise both ways.
        pair_u, pair_v, pair_km: distances given for pairs of places (``network.distances``),
            one way each; they take precedence over the roads and the great-circle estimate.
        notes: warnings about the network (a site far from the road graph).
        snaps: site id -> (road graph node, km from the site to it) when a road graph is given.
    """

    node_ids: list[str]
    lat: np.ndarray
    lon: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_km: np.ndarray
    circuity: float = CIRCUITY
    fallback: bool = True
    directed: bool = False
    pair_u: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_v: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_km: np.ndarray = field(default_factory=lambda: np.zeros(0))
    notes: list = field(default_factory=list)
    snaps: dict = field(default_factory=dict)
    index: dict[str, int] = field(init=False)
    _csr: csr_matrix | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.index = {nid: i for i, nid in enumerate(self.node_ids)}

    @classmethod
    def from_places(
        cls,
        places: dict[str, tuple[float, float] | None],
        roads: list[tuple[str, str, float]],
        circuity: float = CIRCUITY,
        fallback: bool = True,
    ) -> RoadNetwork:
        """Build from ``{id: (lat, lon) or None}`` and ``[(a, b, km), ...]``."""
        ids = list(places)
        lat = np.array([places[i][0] if places[i] is not None else np.nan for i in ids], dtype=float)
        lon = np.array([places[i][1] if places[i] is not None else np.nan for i in ids], dtype=float)
        index = {nid: k for k, nid in enumerate(ids)}
        if roads:
            u = np.array([index[a] for a, _, _ in roads], dtype=np.int64)
            v = np.array([index[b] for _, b, _ in roads], dtype=np.int64)
            km = np.array([float(d) for _, _, d in roads], dtype=float)
        else:
            u = v = np.zeros(0, dtype=np.int64)
            km = np.zeros(0, dtype=float)
        return cls(ids, lat, lon, u, v, km, circuity, fallback)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def csr(self) -> csr_matrix:
        """Sparse adjacency matrix in km (shortest of duplicate roads), symmetric unless
        ``directed``."""
        if self._csr is None:
            from scipy.sparse import csr_matrix

            n = self.n_nodes
            if self.directed:
                u, v, km = self.edge_u, self.edge_v, self.edge_km
            else:
                u = np.concatenate([self.edge_u, self.edge_v])
                v = np.concatenate([self.edge_v, self.edge_u])
                km = np.concatenate([self.edge_km, self.edge_km])
            if len(km):
                # keep the shortest of parallel roads: sort by length, take first per (u, v)
                order = np.lexsort((km, v, u))
                u, v, km = u[order], v[order], km[order]
                first = np.ones(len(u), dtype=bool)
                first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
                u, v, km = u[first], v[first], km[first]
            self._csr = csr_matrix((km, (u, v)), shape=(n, n))
        return self._csr

    def graph(self) -> nx.Graph:
        """The network as a networkx graph (node attributes lat, lon; edge attribute km)."""
        import networkx as nx

        g = nx.Graph()
        for i, nid in enumerate(self.node_ids):
            g.add_node(nid, lat=float(self.lat[i]), lon=float(self.lon[i]))
        for a, b, km in zip(self.edge_u, self.edge_v, self.edge_km, strict=True):
            na, nb = self.node_ids[a], self.node_ids[b]
            if not g.has_edge(na, nb) or g[na][nb]["km"] > km:
                g.add_edge(na, nb, km=float(km))
        return g

    def road_km(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Shortest road distance (km) from each origin to each destination, inf if none."""
        origins = np.asarray(origins, dtype=np.int64)
        destinations = np.asarray(destinations, dtype=np.int64)
        out = np.full((len(origins), len(destinations)), np.inf)
        if len(self.edge_km) == 0 or len(origins) == 0:
            same = origins[:, None] == destinations[None, :]
            out[same] = 0.0
            return out
        from scipy.sparse.csgraph import dijkstra

        graph = self.csr()
        step = max(1, _CHUNK_CELLS // max(1, self.n_nodes))
        for start in range(0, len(origins), step):
            block = origins[start : start + step]
            dist = dijkstra(graph, directed=self.directed, indices=block)
            out[start : start + len(block)] = dist[:, destinations]
        return out

    def distances_km(self, origins, destinations) -> np.ndarray:
        """Distance matrix (km) between node indices: roads first, great-circle fallback."""
        origins = np.asarray(origins, dtype=np.int64)
        destinations = np.asarray(destinations, dtype=np.int64)
        dist = self.road_km(origins, destinations)
        if self.fallback:
            missing = np.isinf(dist)
            if missing.any():
                gc = haversine_km(
                    self.lat[origins][:, None], self.lon[origins][:, None],
                    self.lat[destinations][None, :], self.lon[destinations][None, :],
                ) * self.circuity
                gc = np.where(np.isnan(gc), np.inf, gc)
                dist = np.where(missing, gc, dist)
        return self._given_pairs(origins, destinations, dist)

    def _given_pairs(self, origins: np.ndarray, destinations: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """``dist`` with the given pairs' km written over (vectorised; a repeated origin or
        destination index gets every one of its rows or columns)."""
        if not len(self.pair_km) or not len(origins) or not len(destinations):
            return dist
        for rows, u_is in _positions(origins, self.n_nodes, self.pair_u):
            for cols, v_is in _positions(destinations, self.n_nodes, self.pair_v[u_is]):
                dist[rows[v_is], cols] = self.pair_km[u_is][v_is]
        return dist

    def given_km(self, a: str, b: str) -> float | None:
        """The km given for the pair (a, b) in ``network.distances``, or None."""
        ia, ib = self.index[a], self.index[b]
        hit = np.flatnonzero((self.pair_u == ia) & (self.pair_v == ib))
        return float(self.pair_km[hit[0]]) if len(hit) else None

    def route(self, a: str, b: str) -> list[str]:
        """Node ids along the shortest road path from a to b, or [a, b] for a direct link
        (or a pair whose distance is given)."""
        if len(self.edge_km) and self.given_km(a, b) is None:
            from scipy.sparse.csgraph import dijkstra

            ia, ib = self.index[a], self.index[b]
            dist, pred = dijkstra(self.csr(), directed=self.directed, indices=ia, return_predecessors=True)
            if np.isfinite(dist[ib]):
                path = [ib]
                while path[-1] != ia:
                    path.append(int(pred[path[-1]]))
                return [self.node_ids[k] for k in reversed(path)]
        return [a, b]


def _positions(wanted: np.ndarray, n: int, ends: np.ndarray):
    """For the nodes ``ends`` of the given pairs: groups ``(positions, selector)`` where
    ``positions`` are positions in ``wanted`` and ``selector`` picks the pairs whose end is at
    them. One group when ``wanted`` has no repeats (the usual case), one per repeat otherwise."""
    remaining = np.arange(len(wanted))
    while len(remaining):
        pos = np.full(n, -1, dtype=np.int64)
        pos[wanted[remaining]] = remaining  # with repeats, the last of each wins this round
        taken = pos[wanted[remaining]] == remaining
        at = pos[ends]
        selector = np.flatnonzero(at >= 0)
        yield at[selector], selector
        remaining = remaining[~taken]
