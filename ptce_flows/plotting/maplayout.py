"""Where things go on the map (pure geometry, no drawing).

- **Projection**: equirectangular in km (:func:`ptce_flows.network.project_km`), centred on
  the median site, so distances and shapes are true at the scale of a territory.
- **Far sites**: a paper mill 200 km away would shrink the territory to a dot. Sites much
  farther from the centre than the others (more than 3 x the 75th percentile of distances,
  and at least 15 km) are left off the frame; the flows to them leave the frame with an
  arrow and a label giving their distance.
- **Hub inset**: when several sites sit so close that their markers would overlap (a sorting
  centre, a baling shed and an incinerator on one industrial estate), an inset enlarges that
  group, in the corner of the map that hides the fewest sites.
- **Corners** for the scale bar and the north arrow: the emptiest ones left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ptce_flows.network import project_km
from ptce_flows.results.resultset import ResultSet

FAR_FACTOR = 3.0
FAR_MIN_KM = 15.0
HUB_OVERLAP_PT = 12.0      # markers closer than this (points) overlap
HUB_MIN_ZOOM = 3.0
INSET_BAND = 0.34          # share of the frame added on top when the inset has no free place
MAX_RATIO = 1.75
INSET_WIDTH = 0.5         # share of the map's width
PAD = 0.09

Extent = tuple[float, float, float, float]
Rect = tuple[float, float, float, float]    # x, y, w, h in axes fraction


@dataclass
class MapLayout:
    xy: dict[str, tuple[float, float]]
    extent: Extent
    centre: tuple[float, float]             # lat, lon of the projection centre
    far: list[str] = field(default_factory=list)
    hub: list[str] = field(default_factory=list)
    hub_extent: Extent | None = None
    inset_rect: Rect | None = None
    scalebar_corner: str = "lower right"
    north_corner: str = "upper right"
    inset_blocked: bool = False             # the inset's best place hides sites

    @property
    def span_km(self) -> float:
        return self.extent[1] - self.extent[0]

    def inside(self, site: str, extent: Extent | None = None) -> bool:
        x0, x1, y0, y1 = extent or self.extent
        x, y = self.xy[site]
        return x0 <= x <= x1 and y0 <= y <= y1


def project_sites(results: ResultSet) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Projected (x, y) km of every site and road node, and the (lat, lon) centre used."""
    ids = list(results.sites)
    lat = np.array([results.sites[s]["location"][0] for s in ids], dtype=float)
    lon = np.array([results.sites[s]["location"][1] for s in ids], dtype=float)
    lat0, lon0 = float(np.median(lat)), float(np.median(lon))
    x, y = project_km(lat, lon, lat0, lon0)
    xy = {s: (float(a), float(b)) for s, a, b in zip(ids, x, y, strict=True)}
    for nid, (nlat, nlon) in (results.scenario.get("nodes") or {}).items():
        nx, ny = project_km(np.array([nlat], dtype=float), np.array([nlon], dtype=float), lat0, lon0)
        xy[nid] = (float(nx[0]), float(ny[0]))
    return xy, (lat0, lon0)


def far_sites(xy: dict[str, tuple[float, float]], sites: list[str]) -> list[str]:
    """Sites far beyond the others (see the module docstring); at most a quarter of them."""
    if len(sites) < 5:
        return []
    pts = np.array([xy[s] for s in sites])
    centre = np.median(pts, axis=0)
    d = np.hypot(*(pts - centre).T)
    limit = max(FAR_FACTOR * float(np.percentile(d, 75)), FAR_MIN_KM)
    far = [s for s, di in zip(sites, d, strict=True) if di > limit]
    return far if len(far) <= len(sites) // 4 else []


def _fit(x0: float, x1: float, y0: float, y1: float, ratio: float, pad: float, min_span: float,
         room_on_top: bool = False) -> Extent:
    """Padded bounds with height/width ``ratio``; extra height goes on top if ``room_on_top``."""
    w = max(x1 - x0, min_span) * (1 + 2 * pad)
    h = max(y1 - y0, min_span) * (1 + 2 * pad)
    natural_h = h
    if h / w < ratio:
        h = w * ratio
    else:
        w = h / ratio
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    if room_on_top:
        bottom = cy - natural_h / 2
        return cx - w / 2, cx + w / 2, bottom, bottom + h
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def natural_ratio(results: ResultSet) -> float:
    """Height/width of the frame of the sites shown (far sites excluded), within 0.55..1.25."""
    xy, _c = project_sites(results)
    sites = list(results.sites)
    far = set(far_sites(xy, sites))
    pts = np.array([xy[s] for s in sites if s not in far])
    w = max(float(np.ptp(pts[:, 0])), 1.0)
    h = max(float(np.ptp(pts[:, 1])), 1.0)
    return float(np.clip(h / w, 0.55, 1.25))


def map_ratio(results: ResultSet, axes_width_pt: float) -> float:
    """Height/width the map frame should have: the natural ratio, made taller (room on top)
    when an inset is needed and would otherwise hide sites."""
    ratio = natural_ratio(results)
    layout = map_layout(results, ratio, axes_width_pt)
    if layout.inset_blocked:
        return min(ratio / (1.0 - INSET_BAND), MAX_RATIO)
    return ratio


def _to_axes(p, extent: Extent) -> tuple[float, float]:
    x0, x1, y0, y1 = extent
    return (p[0] - x0) / (x1 - x0), (p[1] - y0) / (y1 - y0)


def _corner_rect(corner: str, w: float, h: float, margin: float = 0.015) -> Rect:
    x = margin if "left" in corner else 1 - margin - w
    y = margin if "lower" in corner else 1 - margin - h
    return x, y, w, h


def _inset_candidates(w: float, h: float, margin: float = 0.015, step: float = 0.05) -> list[Rect]:
    """Positions on a grid over the frame, corners first (the preferred places on ties)."""
    xs = np.arange(margin, 1 - margin - w + 1e-9, step).tolist() + [1 - margin - w]
    ys = np.arange(margin, 1 - margin - h + 1e-9, step).tolist() + [1 - margin - h]
    corners = [(margin, 1 - margin - h), (1 - margin - w, 1 - margin - h), (margin, margin),
               (1 - margin - w, margin)]
    grid = [(x, y) for y in ys for x in xs if (x, y) not in corners]
    return [(x, y, w, h) for x, y in corners + grid]


def _grow(rect: Rect, by: float) -> Rect:
    return rect[0] - by, rect[1] - by, rect[2] + 2 * by, rect[3] + 2 * by


def _count_in(rect: Rect, points: list[tuple[float, float]]) -> int:
    x, y, w, h = rect
    return sum(1 for px, py in points if x <= px <= x + w and y <= py <= y + h)


def _overlaps(a: Rect, b: Rect) -> bool:
    return not (a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1])


def _hub(xy, sites: list[str], pts_per_km: float) -> list[str]:
    """The largest group of at least 3 sites whose markers overlap, if they are not all at one point."""
    if len(sites) < 3:
        return []
    pts = np.array([xy[s] for s in sites])
    dist = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1]) * pts_per_km
    near = dist < HUB_OVERLAP_PT
    counts = near.sum(axis=1)
    best = int(np.argmax(counts))
    if counts[best] < 3:
        return []
    group = np.flatnonzero(near[best])
    spread = np.ptp(pts[group], axis=0)
    if float(max(spread)) < 0.2:  # all at one point: an inset would not separate them
        return []
    return [sites[i] for i in group]


def map_layout(results: ResultSet, box_ratio: float, axes_width_pt: float, inset: bool = True) -> MapLayout:
    """The layout of a map whose axes are ``axes_width_pt`` wide with height/width ``box_ratio``."""
    xy, centre = project_sites(results)
    sites = list(results.sites)
    far = far_sites(xy, sites)
    core = [s for s in sites if s not in far]
    pts = np.array([xy[s] for s in core])
    extent = _fit(pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max(), box_ratio, PAD, 1.0,
                  room_on_top=True)
    layout = MapLayout(xy=xy, extent=extent, centre=centre, far=far)
    pts_per_km = axes_width_pt / (extent[1] - extent[0])
    in_axes = [_to_axes(xy[s], extent) for s in core]
    # where flows to far sites leave the frame: keep those visible too (weighted)
    far_set = set(far)
    exits = []
    for r in results.flows:
        o, d = r["origin"], r["destination"]
        if o in xy and d in xy and ((o in far_set) != (d in far_set)):
            inside, outside = (o, d) if d in far_set else (d, o)
            exits.append(_to_axes(edge_point(xy[inside], xy[outside], extent), extent))
    avoid = in_axes + exits * 3
    taken: list[Rect] = []
    if inset:
        hub = _hub(xy, core, pts_per_km)
        if hub:
            hp = np.array([xy[s] for s in hub])
            hub_ratio = float(np.clip(np.ptp(hp[:, 1]) / max(np.ptp(hp[:, 0]), 1e-6), 0.6, 1.25))
            w = INSET_WIDTH
            h = float(np.clip(w * hub_ratio / box_ratio, 0.27, INSET_BAND - 0.04))
            hub_extent = _fit(hp[:, 0].min(), hp[:, 0].max(), hp[:, 1].min(), hp[:, 1].max(),
                              h * box_ratio / w, 0.35, 0.5)
            zoom = (extent[1] - extent[0]) / (hub_extent[1] - hub_extent[0]) * w
            if zoom >= HUB_MIN_ZOOM:
                hx0, hy0 = _to_axes((hub_extent[0], hub_extent[2]), extent)
                hx1, hy1 = _to_axes((hub_extent[1], hub_extent[3]), extent)
                hub_rect = (hx0, hy0, hx1 - hx0, hy1 - hy0)
                best = None
                for rect in _inset_candidates(w, h):
                    edge = min(rect[0], rect[1], 1 - rect[0] - rect[2], 1 - rect[1] - rect[3])
                    score = (10 * _count_in(_grow(rect, 0.05), in_axes) + 3 * _count_in(rect, exits)
                             + 4 * edge + (1000 if _overlaps(_grow(rect, 0.02), hub_rect) else 0))
                    if best is None or score < best[0] - 1e-9:
                        best = (score, rect)
                if best[0] < 1000:
                    layout.inset_blocked = best[0] >= 10
                    layout.hub = [s for s in core if layout.inside(s, hub_extent)]
                    layout.hub_extent = hub_extent
                    layout.inset_rect = best[1]
                    taken.append(best[1])
    for attr, corners, size in (("scalebar_corner", ("lower right", "lower left"), (0.30, 0.10)),
                                ("north_corner", ("upper right", "upper left"), (0.08, 0.16))):
        best = None
        for corner in corners:
            rect = _corner_rect(corner, *size)
            score = _count_in(rect, avoid) + (1000 if any(_overlaps(rect, t) for t in taken) else 0)
            if best is None or score < best[0]:
                best = (score, corner)
        setattr(layout, attr, best[1])
        taken.append(_corner_rect(best[1], *size))
    return layout


def edge_point(start: tuple[float, float], end: tuple[float, float], extent: Extent,
               margin: float = 0.03) -> tuple[float, float]:
    """Where the segment start -> end leaves ``extent`` shrunk by ``margin`` (share of span)."""
    x0, x1, y0, y1 = extent
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    x0, x1, y0, y1 = x0 + mx, x1 - mx, y0 + my, y1 - my
    dx, dy = end[0] - start[0], end[1] - start[1]
    t = 1.0
    for d, s, lo, hi in ((dx, start[0], x0, x1), (dy, start[1], y0, y1)):
        if d > 0:
            t = min(t, (hi - s) / d)
        elif d < 0:
            t = min(t, (lo - s) / d)
    t = max(t, 0.0)
    return start[0] + t * dx, start[1] + t * dy


def nice_length(span_km: float) -> float:
    """A round scale-bar length close to a fifth of ``span_km`` (1, 2 or 5 x 10^n km)."""
    target = max(span_km / 5.0, 1e-3)
    exp = math.floor(math.log10(target))
    for mult in (5, 2, 1):
        if mult * 10 ** exp <= target:
            return mult * 10 ** exp
    return 10 ** exp


def spread_markers(xy: dict[str, tuple[float, float]], sites: list[str], pts_per_km: float,
                   min_pt: float = 11.0, iterations: int = 60) -> dict[str, tuple[float, float]]:
    """Positions where markers of ``sites`` closer than ``min_pt`` points are pushed apart.

    A cartographic displacement for an enlarged inset: sites on one industrial estate, a few
    hundred metres apart, stay recognisable. Sites at the very same point are fanned out in a
    fixed order. Positions move by at most ``min_pt`` points; other entries are unchanged.
    """
    out = dict(xy)
    if len(sites) < 2:
        return out
    pts = np.array([xy[s] for s in sites], dtype=float) * pts_per_km
    start = pts.copy()
    n = len(sites)
    for i in range(n):  # fan out identical points deterministically
        for j in range(i):
            if np.hypot(*(pts[i] - pts[j])) < 1e-6:
                angle = 2.0 * math.pi * i / n
                pts[i] += 0.5 * min_pt * np.array([math.cos(angle), math.sin(angle)])
    for _ in range(iterations):
        moved = False
        for i in range(n):
            for j in range(i + 1, n):
                d = pts[j] - pts[i]
                dist = float(np.hypot(*d))
                if dist < min_pt:
                    push = (min_pt - dist) / 2.0 * (d / dist if dist > 1e-9 else np.array([1.0, 0.0]))
                    pts[i] -= push
                    pts[j] += push
                    moved = True
        shift = pts - start
        norm = np.hypot(shift[:, 0], shift[:, 1])
        too_far = norm > min_pt
        pts[too_far] = start[too_far] + shift[too_far] * (min_pt / norm[too_far])[:, None]
        if not moved:
            break
    for s, p in zip(sites, pts / pts_per_km, strict=True):
        out[s] = (float(p[0]), float(p[1]))
    return out
