"""Distances: explicit roads, great-circle fallback, circuity, unreachable pairs."""

from __future__ import annotations

import numpy as np
import pytest

from ptce_flows.network import RoadNetwork, haversine_km, project_km


def test_haversine_known_distance():
    # Toulouse -> Bélesta-en-Lauragais: 35.5 km straight line (reference data, derived)
    assert haversine_km(43.6045, 1.4440, 43.4422, 1.8233) == pytest.approx(35.5, abs=0.1)
    # one degree of latitude is about 111.2 km
    assert haversine_km(0, 0, 1, 0) == pytest.approx(111.19, abs=0.01)


def test_roads_then_fallback():
    places = {"a": (43.6, 1.4), "b": (43.5, 1.6), "c": (43.4, 1.8), "d": (43.7, 1.2)}
    net = RoadNetwork.from_places(places, [("a", "b", 20.0), ("b", "c", 15.0)], circuity=1.3)
    d = net.distances_km([0], [0, 1, 2, 3])[0]
    assert d[0] == 0 and d[1] == 20 and d[2] == 35  # shortest road path a-b-c
    expected = haversine_km(43.6, 1.4, 43.7, 1.2) * 1.3  # d has no road: great circle x circuity
    assert d[3] == pytest.approx(expected)


def test_shortest_of_parallel_roads_and_route():
    places = {"a": (0, 0), "b": (0, 1), "c": (0, 2)}
    net = RoadNetwork.from_places(places, [("a", "b", 9.0), ("a", "b", 5.0), ("b", "c", 1.0), ("a", "c", 10.0)])
    assert net.distances_km([0], [2])[0, 0] == 6.0
    assert net.route("a", "c") == ["a", "b", "c"]
    g = net.graph()
    assert g["a"]["b"]["km"] == 5.0


def test_no_fallback_means_unreachable():
    places = {"a": (0, 0), "b": (0, 1), "c": (0, 2)}
    net = RoadNetwork.from_places(places, [("a", "b", 3.0)], fallback=False)
    d = net.distances_km([0], [1, 2])[0]
    assert d[0] == 3.0 and np.isinf(d[1])


def test_chunked_dijkstra_matches_networkx():
    import networkx as nx

    rng = np.random.default_rng(0)
    n = 300
    places = {f"n{i}": (float(rng.uniform(43, 44)), float(rng.uniform(1, 2))) for i in range(n)}
    ids = list(places)
    roads = [(ids[i], ids[j], float(rng.uniform(1, 30))) for i, j in rng.integers(0, n, size=(900, 2)) if i != j]
    net = RoadNetwork.from_places(places, roads, fallback=False)
    import ptce_flows.network.roads as roads_mod

    old = roads_mod._CHUNK_CELLS
    roads_mod._CHUNK_CELLS = 1000  # force many chunks
    try:
        d = net.road_km(np.arange(20), np.arange(n))
    finally:
        roads_mod._CHUNK_CELLS = old
    g = net.graph()
    for o in range(0, 20, 7):
        ref = nx.single_source_dijkstra_path_length(g, ids[o], weight="km")
        for t in range(n):
            assert d[o, t] == pytest.approx(ref.get(ids[t], np.inf))


def test_projection_keeps_proportions():
    x, y = project_km([43.0, 43.0, 44.0], [1.0, 2.0, 1.0], 43.5, 1.5)
    # 1 degree of longitude at 43.5 N is shorter than 1 degree of latitude
    assert (x[1] - x[0]) == pytest.approx(111.19 * np.cos(np.radians(43.5)), rel=1e-3)
    assert (y[2] - y[0]) == pytest.approx(111.19, rel=1e-3)
