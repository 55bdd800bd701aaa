"""The scenario's network from its data files: a table of distances and a GraphML road graph.

- ``network.distances``: a CSV or XLSX table with columns ``origin, destination, km`` (other
  columns, such as a duration, are ignored), as routing services and GIS tools export them.
  Each pair holds both ways unless ``network.directed`` is true. The pairs take precedence
  over roads and great-circle estimates; pairs not in the table fall back to those.
- ``network.graphml``: a road graph as ``osmnx.save_graphml`` writes it (nodes with ``x`` =
  longitude and ``y`` = latitude in degrees, edges with ``length`` in metres, every attribute
  stored as text). It is parsed by ``networkx.read_graphml`` (the standard library's XML
  parser) after refusing any ``<!DOCTYPE`` or ``<!ENTITY`` (entity expansion bombs) and
  bounding the size. Each site is joined to its nearest graph node (great-circle distance)
  by a link of that length, both ways; a site more than ``SNAP_WARN_KM`` from the graph gets a
  warning. The graph's edges keep their direction (one-way streets) when it is directed.
  Distances are shortest paths by ``scipy.sparse.csgraph.dijkstra``, as for ``roads``.

A graph read once is kept (keyed by path, size and modification time), so the layouts of a
comparison do not parse it again.
"""

from __future__ import annotations

import difflib
import io
import math
import os
from dataclasses import dataclass

import numpy as np

from ptce_flows.errors import NetworkError, Problem, ScenarioError
from ptce_flows.network.geo import haversine_km
from ptce_flows.network.roads import RoadNetwork
from ptce_flows.scenario.tables import read_bytes, read_table, shown_name

#: a site farther than this from the road graph gets a warning (km)
SNAP_WARN_KM = 2.0
#: the longest link accepted, in km (as a road of the scenario)
MAX_KM = 5_000.0
#: most problems listed for one data file
MAX_PROBLEMS = 50

_GRAPHS: dict[tuple, GraphData] = {}


@dataclass(frozen=True)
class GraphData:
    """A road graph as arrays: node ids, lat/lon (degrees), directed edges u -> v in km."""

    node_ids: list[str]
    lat: np.ndarray
    lon: np.ndarray
    u: np.ndarray
    v: np.ndarray
    km: np.ndarray


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", ".") if value.count(",") == 1 and "." not in value else value.strip()
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def read_distances(path: str, known: list[str], directed: bool, shown: str = ""
                   ) -> tuple[list[str], list[str], list[float]]:
    """The pairs of the table at ``path``: (origins, destinations, km), both ways unless
    ``directed``; ids must be in ``known``.

    Raises:
        ScenarioError: every bad row, at ``FILE:ROW: COLUMN``.
    """
    shown = shown or path
    table = read_table(path, shown)
    missing = [c for c in ("origin", "destination", "km") if c not in table.columns]
    if missing:
        raise ScenarioError(Problem(shown, 1, ", ".join(missing), "missing column(s)",
                                    "columns origin, destination, km"))
    ids = set(known)
    seen: dict[tuple[str, str], float] = {}   # every pair one way, as used
    written: dict[tuple[str, str], int] = {}  # row of each pair as written
    problems: list[Problem] = []
    for row, values in table.rows:
        if len(problems) >= MAX_PROBLEMS:
            break
        a, b = (str(values.get(c, "")).strip() for c in ("origin", "destination"))
        for column, sid in (("origin", a), ("destination", b)):
            if sid not in ids:
                close = difflib.get_close_matches(sid, known, n=1, cutoff=0.6)
                problems.append(Problem(shown, row, column, f"unknown site '{sid}'" + (
                    f"; did you mean '{close[0]}'?" if close else ""), "a site or node id of the scenario"))
        km = _number(values.get("km"))
        if km is None or not 0.0 <= km <= MAX_KM:
            problems.append(Problem(shown, row, "km", f"expected a distance in km, found {values.get('km')!r}",
                                    f"a number from 0 to {MAX_KM:g}"))
            continue
        if (a, b) in written:
            problems.append(Problem(shown, row, "origin", f"the pair {a} -> {b} is already given on row "
                                    f"{written[(a, b)]}", "each pair once"))
            continue
        written[(a, b)] = row
        if not directed and (b, a) in written and seen[(b, a)] != km:
            problems.append(Problem(shown, row, "km", f"{b} -> {a} is {seen[(b, a)]:g} km on row "
                                    f"{written[(b, a)]}, {a} -> {b} {km:g} km here",
                                    "the same both ways, or set network.directed: true"))
            continue
        seen[(a, b)] = km
        if not directed:
            seen[(b, a)] = km
    if problems:
        raise ScenarioError(problems)
    return [a for a, _ in seen], [b for _, b in seen], list(seen.values())


def read_graphml(path: str, shown: str = "") -> GraphData:
    """The road graph of the GraphML file at ``path`` (kept once read).

    Raises:
        ScenarioError: unreadable, an XML entity or DOCTYPE, a node without coordinates, an
            edge without a length.
    """
    shown = shown or path
    try:
        info = os.stat(path)
        key = (os.path.realpath(path), info.st_size, info.st_mtime_ns)
    except OSError:
        key = (path, -1, -1)
    if key not in _GRAPHS or key[1] < 0:
        _GRAPHS.clear()  # one graph at a time: they are large
        _GRAPHS[key] = _parse_graphml(read_bytes(path, shown), shown)
    return _GRAPHS[key]


def _parse_graphml(raw: bytes, shown: str) -> GraphData:
    import xml.etree.ElementTree as ET

    import networkx as nx

    head = raw[:1 << 20].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in raw.upper():
        raise ScenarioError(Problem(shown, None, "", "the file declares a DOCTYPE or XML entities",
                                    "a GraphML file as osmnx.save_graphml writes it has none"))
    try:
        g = nx.read_graphml(io.BytesIO(raw), node_type=str)
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError) as exc:
        raise ScenarioError(Problem(shown, None, "", f"not a readable GraphML file ({exc})",
                                    "save it with osmnx.save_graphml")) from None
    ids = list(g.nodes)
    index = {n: i for i, n in enumerate(ids)}
    lat, lon = np.empty(len(ids)), np.empty(len(ids))
    problems: list[Problem] = []
    for i, (n, data) in enumerate(g.nodes(data=True)):
        x, y = _number(data.get("x")), _number(data.get("y"))
        if x is None or y is None or not (-180 <= x <= 180 and -90 <= y <= 90):
            problems.append(Problem(shown, None, f"node {n}", "needs x (longitude) and y (latitude) in degrees",
                                    "osmnx graphs are saved unprojected (EPSG:4326)"))
            x = y = math.nan
        lon[i], lat[i] = x, y
        if len(problems) >= MAX_PROBLEMS:
            raise ScenarioError(problems)
    u, v, km = [], [], []
    pairs = g.edges(data=True)
    for a, b, data in pairs:
        metres = _number(data.get("length"))
        if metres is None or not 0.0 <= metres <= MAX_KM * 1000:
            problems.append(Problem(shown, None, f"edge {a} -> {b}", "needs a length in metres",
                                    f"from 0 to {MAX_KM * 1000:g}"))
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        u.append(index[a])
        v.append(index[b])
        km.append(metres / 1000.0)
    if problems:
        raise ScenarioError(problems)
    if not g.is_directed():  # both ways
        u, v, km = u + v, v + u, km + km
    return GraphData(ids, lat, lon, np.array(u, dtype=np.int64), np.array(v, dtype=np.int64),
                     np.array(km, dtype=float))


def snap(lat: np.ndarray, lon: np.ndarray, graph: GraphData) -> tuple[np.ndarray, np.ndarray]:
    """Nearest graph node of each point (a k-d tree on a local projection, then the exact
    great-circle distance to the node found) and its distance in km."""
    from scipy.spatial import cKDTree

    if not len(graph.node_ids):
        return np.zeros(len(lat), dtype=np.int64), np.full(len(lat), np.inf)
    scale = math.cos(math.radians(float(np.mean(lat))))
    tree = cKDTree(np.column_stack([graph.lon * scale, graph.lat]))
    _d, nearest = tree.query(np.column_stack([np.asarray(lon) * scale, lat]))
    km = haversine_km(lat, lon, graph.lat[nearest], graph.lon[nearest])
    return np.asarray(nearest, dtype=np.int64), np.asarray(km, dtype=float)


def scenario_network(loaded) -> RoadNetwork:
    """The road network of a loaded scenario: its sites, nodes and roads, the road graph of
    ``network.graphml`` joined to the sites, and the pairs of ``network.distances``.

    Raises:
        NetworkError: a data file cannot be read (at ``FILE:ROW: COLUMN`` or its key's line).
    """
    spec = loaded.spec
    places = {sid: tuple(s.location) for sid, s in spec.sites.items()}
    places.update({nid: tuple(loc) for nid, loc in spec.nodes.items()})
    net = RoadNetwork.from_places(places, [tuple(r) for r in spec.roads], spec.network.circuity,
                                  spec.network.fallback == "great_circle")
    graphml, distances = loaded.input_path("network.graphml"), loaded.input_path("network.distances")
    try:
        if graphml:
            graph = read_graphml(graphml, shown_name(loaded.file, spec.network.graphml))
            net = _with_graph(net, graph, list(spec.sites), loaded)
        if distances:
            a, b, km = read_distances(distances, list(places), spec.network.directed,
                                      shown_name(loaded.file, spec.network.distances))
            net.pair_u = np.array([net.index[x] for x in a], dtype=np.int64)
            net.pair_v = np.array([net.index[x] for x in b], dtype=np.int64)
            net.pair_km = np.array(km, dtype=float)
    except ScenarioError as exc:
        raise NetworkError(exc.problems) from None
    return net


def _with_graph(net: RoadNetwork, graph: GraphData, sites: list[str], loaded) -> RoadNetwork:
    """``net`` plus the graph's nodes (ids ``graphml:<node>``), its edges and one link each
    way between every site and its nearest node; directed from then on."""
    n0 = net.n_nodes
    site_ix = np.array([net.index[s] for s in sites], dtype=np.int64)
    nearest, snap_km = snap(net.lat[site_ix], net.lon[site_ix], graph)
    notes, snaps = [], {}
    for sid, node, km in zip(sites, nearest, snap_km, strict=True):
        snaps[sid] = (graph.node_ids[node], float(km))
        if km > SNAP_WARN_KM:
            notes.append(loaded.problem(("sites", sid, "location"),
                                        f"'{sid}' is {km:,.1f} km from the nearest node of the road graph "
                                        f"(more than {SNAP_WARN_KM:g} km): its trips start with that "
                                        "straight line", "check its location, or use a graph covering it"))
    u = [net.edge_u, net.edge_v, graph.u + n0, site_ix, nearest + n0]
    v = [net.edge_v, net.edge_u, graph.v + n0, nearest + n0, site_ix]
    km = [net.edge_km, net.edge_km, graph.km, snap_km, snap_km]
    out = RoadNetwork([*net.node_ids, *(f"graphml:{n}" for n in graph.node_ids)],
                      np.concatenate([net.lat, graph.lat]), np.concatenate([net.lon, graph.lon]),
                      np.concatenate(u), np.concatenate(v), np.concatenate(km), net.circuity, net.fallback,
                      directed=True, notes=notes, snaps=snaps)
    return out


def snap_summary(net: RoadNetwork) -> str | None:
    """One line on how the sites were joined to the road graph, or None without a graph."""
    if not net.snaps:
        return None
    far = max(net.snaps, key=lambda s: net.snaps[s][1])
    mean = sum(km for _n, km in net.snaps.values()) / len(net.snaps)
    return (f"road graph: {len(net.snaps):,} sites joined to their nearest node, "
            f"mean {mean:,.2f} km, farthest '{far}' at {net.snaps[far][1]:,.2f} km")
