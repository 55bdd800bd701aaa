"""What the map draws under the flows: the GeoJSON layers of ``map.background`` and the road
graph of ``network.graphml``, as plain coordinate lists kept in the results folder
(``map_layers.json``) so that a report made later needs neither the files nor the graph.

Layout of ``map_layers.json``::

    {"background": [{"name": "communes", "polygons": [[[lon, lat], ...], ...],
                     "lines": [[[lon, lat], ...], ...], "points": [[lon, lat], ...]}, ...],
     "roads": [[lon1, lat1, lon2, lat2], ...]}

Polygons keep their outer and inner rings (drawn as outlines), MultiPolygons and
MultiLineStrings are split into their parts, coordinates are rounded to 5 decimals (about 1 m).
Sizes are bounded: at most ``MAX_VERTICES`` vertices over all background layers (beyond, each
ring and line is thinned by keeping every k-th vertex) and ``MAX_ROAD_SEGMENTS`` road segments
(beyond, the longest ones).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ptce_flows.errors import Problem, ScenarioError
from ptce_flows.network.roads import RoadNetwork
from ptce_flows.scenario.tables import features, read_bytes, read_json, shown_name

MAX_VERTICES = 400_000
MAX_ROAD_SEGMENTS = 150_000
GRAPH_PREFIX = "graphml:"


def _ring(coords: object) -> list[list[float]] | None:
    if not isinstance(coords, list):
        return None
    out = []
    for p in coords:
        if (isinstance(p, list) and len(p) >= 2 and all(isinstance(c, int | float) and not isinstance(c, bool)
                                                       and math.isfinite(c) for c in p[:2])
                and -180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            out.append([float(p[0]), float(p[1])])
        else:
            return None
    return out


def _add_geometry(geometry: object, layer: dict) -> bool:
    """Add one GeoJSON geometry's parts to ``layer``; False if it is not one we read."""
    if not isinstance(geometry, dict):
        return False
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "GeometryCollection" and isinstance(geometry.get("geometries"), list):
        return all(_add_geometry(g, layer) for g in geometry["geometries"])
    parts = {"Point": ("points", [[coords]]), "MultiPoint": ("points", [coords]),
             "LineString": ("lines", [coords]), "MultiLineString": ("lines", coords),
             "Polygon": ("polygons", coords), "MultiPolygon": ("polygons",
                                                               [r for poly in coords for r in poly]
                                                               if isinstance(coords, list) and all(
                                                                   isinstance(x, list) for x in coords) else None)}
    if kind not in parts or not isinstance(parts[kind][1], list):
        return False
    key, rings = parts[kind]
    for ring in rings:
        clean = _ring(ring)
        if clean is None:
            return False
        if key == "points":
            layer["points"].extend(clean)
        elif len(clean) >= 2:
            layer[key].append(clean)
    return True


def read_background(path: str, shown: str) -> dict:
    """One layer from the GeoJSON file at ``path``.

    Raises:
        ScenarioError: not GeoJSON, or a geometry that is not made of [lon, lat] numbers.
    """
    layer = {"name": Path(shown).stem, "polygons": [], "lines": [], "points": []}
    for number, feature in enumerate(features(read_json(read_bytes(path, shown), shown), shown), start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if geometry is not None and not _add_geometry(geometry, layer):
            raise ScenarioError(Problem(shown, number, "geometry", "not a GeoJSON geometry of [lon, lat] "
                                        "degrees", "Point, LineString, Polygon or their Multi forms, "
                                        "in WGS84 (EPSG:4326)"))
    return layer


def _thinned(ring: list, step: int) -> list:
    kept = ring[::step]
    if step > 1 and (len(ring) - 1) % step:
        kept.append(ring[-1])  # a ring stays closed, a line keeps its end
    return [[round(x, 5), round(y, 5)] for x, y in kept]


def _thin(layers: list[dict]) -> None:
    total = sum(len(r) for layer in layers for key in ("polygons", "lines") for r in layer[key])
    step = math.ceil(total / MAX_VERTICES) if total > MAX_VERTICES else 1
    for layer in layers:
        for key in ("polygons", "lines"):
            layer[key] = [_thinned(r, step) for r in layer[key]]
        layer["points"] = _thinned(layer["points"][:MAX_VERTICES], 1)


def road_segments(net: RoadNetwork | None) -> list[list[float]]:
    """The road graph's edges as [lon1, lat1, lon2, lat2], each pair of nodes once."""
    if net is None or not net.snaps:
        return []
    graph = np.array([nid.startswith(GRAPH_PREFIX) for nid in net.node_ids])
    u, v, km = net.edge_u, net.edge_v, net.edge_km
    keep = graph[u] & graph[v]
    a, b = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
    pairs, first = np.unique(np.column_stack([a, b]), axis=0, return_index=True)
    if len(pairs) > MAX_ROAD_SEGMENTS:
        longest = np.argsort(-km[keep][first], kind="stable")[:MAX_ROAD_SEGMENTS]
        pairs = pairs[np.sort(longest)]
    seg = np.column_stack([net.lon[pairs[:, 0]], net.lat[pairs[:, 0]], net.lon[pairs[:, 1]], net.lat[pairs[:, 1]]])
    return np.round(seg, 5).tolist()


def map_layers(loaded, net: RoadNetwork | None) -> dict | None:
    """The layers of ``map_layers.json`` for a run of ``loaded`` on ``net``, or None if none.

    Raises:
        ScenarioError: a background file that cannot be read.
    """
    layers = []
    for role, name, path, _sha in loaded.inputs:
        if role.startswith("map.background."):
            layers.append(read_background(path, shown_name(loaded.file, name)))
    _thin(layers)
    roads = road_segments(net)
    if not layers and not roads:
        return None
    return {"background": layers, "roads": roads}


def check_layers(data: object) -> dict:
    """``map_layers.json`` as read back from a results folder, checked; ValueError if not."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    out = {"background": [], "roads": []}
    for layer in data.get("background") or []:
        if not isinstance(layer, dict):
            raise ValueError("background: expected a list of layers")
        clean = {"name": str(layer.get("name", ""))[:100], "polygons": [], "lines": [], "points": []}
        for key in ("polygons", "lines"):
            for ring in layer.get(key) or []:
                r = _ring(ring)
                if r is None:
                    raise ValueError(f"background.{key}: expected [lon, lat] pairs")
                clean[key].append(r)
        points = _ring(layer.get("points") or [])
        if points is None:
            raise ValueError("background.points: expected [lon, lat] pairs")
        clean["points"] = points
        out["background"].append(clean)
    for seg in data.get("roads") or []:
        if not isinstance(seg, list) or len(seg) != 4 or _ring([seg[:2], seg[2:]]) is None:
            raise ValueError("roads: expected [lon1, lat1, lon2, lat2] segments")
        out["roads"].append([float(x) for x in seg])
    return out
