"""Map of the territory: sites by kind, flows as lines whose width is proportional to tonnes.

Coordinates are projected in km (see :mod:`ptce_flows.plotting.maplayout`): true proportions,
no web tiles, no internet. The frame has a km scale bar and a north arrow in its emptiest
corners; sites far beyond the territory are reached by arrows leaving the frame with their
distance; a group of sites too close to tell apart gets an enlarged inset. The legend lives in
its own axes beside the map so it never covers data; labels are placed without overlaps.
"""

from __future__ import annotations

import math
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patheffects import withStroke
from matplotlib.transforms import Bbox

from ptce_flows.i18n import fmt_number, fmt_qty, tr
from ptce_flows.network import haversine_km
from ptce_flows.plotting.labels import MapLabel, place_map_labels
from ptce_flows.plotting.maplayout import (
    MapLayout,
    edge_point,
    map_layout,
    map_ratio,
    nice_length,
    spread_markers,
)
from ptce_flows.plotting.style import (
    FIG_WIDTH_IN,
    FONT_SIZE,
    KIND_STYLE,
    LIGHT_GREY,
    TEXT,
    figure,
    material_colors,
)
from ptce_flows.results.resultset import ResultSet
from ptce_flows.scenario.diagnostics import SITE_KINDS

#: marker areas (points^2): sources scale with tonnage up to SOURCE_MAX
SOURCE_MIN, SOURCE_MAX = 18.0, 420.0
KIND_SIZE = {"treatment": 70.0, "farm": 55.0, "outlet": 50.0, "disposal": 70.0, "transfer": 60.0}
#: line widths (points) of the flows: the largest flow gets FLOW_MAX
FLOW_MIN, FLOW_MAX = 0.6, 9.0
FLOW_GAP = 0.8
LABEL_PRIORITY = {"treatment": 0, "transfer": 50, "disposal": 100, "outlet": 200, "source": 300, "farm": 304.5}
LABEL_CHARS = 26
HALO = [withStroke(linewidth=2.5, foreground="white")]


def map_box_ratio(results: ResultSet, axes_width_in: float = FIG_WIDTH_IN - 1.95) -> float:
    """Height/width of the map frame: the sites' own (far sites excluded, bounded to a printable
    0.55..1.25), taller when an inset needs room."""
    return map_ratio(results, axes_width_in * 72.0)


class _Map:
    """What every layer of the map shares: tonnages, marker sizes, line widths, colours."""

    def __init__(self, results: ResultSet, lang: str):
        self.results = results
        self.lang = lang
        self.colors = material_colors(results)
        self.generated = {s: results.flow_mass(origin=s) + results.series.last(s, "source_stock")
                          for s in results.sites_of("source")}
        self.gmax = max(self.generated.values(), default=1.0) or 1.0
        self.sizes: dict[str, float] = {}
        for kind in SITE_KINDS:
            for sid in results.sites_of(kind):
                self.sizes[sid] = (max(SOURCE_MIN, SOURCE_MAX * self.generated.get(sid, 0.0) / self.gmax)
                                   if kind == "source" else KIND_SIZE[kind])
        self.mass: dict[tuple[str, str, str], float] = {}
        for r in results.flows:
            if r["origin"] in results.sites and r["destination"] in results.sites and r["mass_t"] > 0:
                key = (r["origin"], r["destination"], r["material"])
                self.mass[key] = self.mass.get(key, 0.0) + r["mass_t"]
        self.top = max(self.mass.values(), default=1.0)

    def width(self, t: float) -> float:
        return max(FLOW_MIN, FLOW_MAX * t / self.top)

    def radius(self, sid: str) -> float:
        """Marker radius in points."""
        return math.sqrt(self.sizes[sid]) / 2.0


def _frame(ax, extent, color="#BBBBBB", lw=0.6) -> None:
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(True)
        ax.spines[side].set_color(color)
        ax.spines[side].set_linewidth(lw)
    ax.set_facecolor("#FBFBF8")


def _pts_per_km(ax, extent) -> float:
    fig = ax.get_figure(root=True)
    return ax.get_position().width * fig.get_size_inches()[0] * 72.0 / (extent[1] - extent[0])


def _draw_layers(ax, m: _Map, xy: dict, extent, skip: set[str]) -> None:
    """Roads, flows (parallel lines on a shared pair) and site markers, clipped to ``ax``."""
    ppk = _pts_per_km(ax, extent)
    for a, b, _km in m.results.scenario.get("roads") or []:
        if a in xy and b in xy:
            ax.plot([xy[a][0], xy[b][0]], [xy[a][1], xy[b][1]], color=LIGHT_GREY, lw=1.0,
                    solid_capstyle="round", zorder=1)
    pairs: dict[frozenset, list] = {}
    for key in sorted(m.mass, key=lambda k: -m.mass[k]):
        pairs.setdefault(frozenset(key[:2]), []).append(key)
    for group in pairs.values():
        widths = [m.width(m.mass[k]) for k in group]
        offset = -(sum(widths) + FLOW_GAP * (len(widths) - 1)) / 2.0
        for key, w in zip(group, widths, strict=True):
            a, b = sorted(key[:2])
            (xa, ya), (xb, yb) = xy[a], xy[b]
            length = math.hypot(xb - xa, yb - ya) or 1.0
            nx, ny = -(yb - ya) / length, (xb - xa) / length
            shift = (offset + w / 2.0) / ppk
            ax.plot([xa + nx * shift, xb + nx * shift], [ya + ny * shift, yb + ny * shift],
                    color=m.colors.get(key[2], "#888888"), lw=w, alpha=0.85, solid_capstyle="butt", zorder=2)
            offset += w + FLOW_GAP
    for kind in SITE_KINDS:
        ids = [s for s in m.results.sites_of(kind) if s not in skip]
        if not ids:
            continue
        ids.sort(key=lambda s: -m.sizes[s])  # big markers below small ones
        ax.scatter([xy[s][0] for s in ids], [xy[s][1] for s in ids], s=[m.sizes[s] for s in ids],
                   marker=KIND_STYLE[kind]["marker"], color=KIND_STYLE[kind]["color"], edgecolor="white",
                   linewidth=0.8, alpha=0.85 if kind == "source" else 0.95, zorder=3 if kind == "source" else 4)


def _marker_boxes(ax, m: _Map, xy: dict, sites) -> list[Bbox]:
    px = ax.get_figure(root=True).dpi / 72.0
    boxes = []
    for sid in sites:
        r = m.radius(sid) * px
        cx, cy = ax.transData.transform(xy[sid])
        boxes.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
    return boxes


def _far_arrows(ax, m: _Map, layout: MapLayout) -> list[MapLabel]:
    """Arrowheads where flows to or from far sites leave the frame, and their labels."""
    far = set(layout.far)
    best: dict[str, tuple[float, tuple[str, str, str]]] = {}
    for key, t in m.mass.items():
        o, d, _mat = key
        if (o in far) == (d in far):
            continue
        f = d if d in far else o
        if f not in best or t > best[f][0]:
            best[f] = (t, key)
        inside, outside = (o, d) if d in far else (d, o)
        ex, ey = edge_point(layout.xy[inside], layout.xy[outside], layout.extent)
        dx, dy = layout.xy[outside][0] - ex, layout.xy[outside][1] - ey
        angle = math.degrees(math.atan2(dy, dx)) - 90.0
        if o in far:
            angle += 180.0
        ax.plot([ex], [ey], marker=(3, 0, angle), markersize=m.width(t) + 5, color=m.colors.get(key[2], "#888"),
                markeredgecolor="white", markeredgewidth=0.6, zorder=5)
    labels = []
    for f, (_t, (o, d, _mat)) in best.items():
        other = o if d == f else d
        ex, ey = edge_point(layout.xy[other], layout.xy[f], layout.extent)
        (la, lo), (lb, lob) = m.results.location(other), m.results.location(f)
        km = float(haversine_km(la, lo, lb, lob))
        text = _wrap(tr("map.far", m.lang, name=m.results.site_label(f), km=fmt_qty(km, "km", m.lang, 0)))
        labels.append(MapLabel(ex, ey, text, radius=6.0, priority=150, required=True))
    return labels


def _wrap(text: str, width: int = LABEL_CHARS) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _labels_for(m: _Map, xy: dict, sites, width: int = LABEL_CHARS) -> list[MapLabel]:
    ranked = sorted(m.results.sites_of("source"), key=lambda s: -m.generated.get(s, 0.0))
    rank = {s: i for i, s in enumerate(ranked)}
    out = []
    for sid in sites:
        kind = m.results.kind(sid)
        x, y = xy[sid]
        out.append(MapLabel(x, y, _wrap(m.results.site_label(sid), width), radius=m.radius(sid),
                            priority=LABEL_PRIORITY[kind] + rank.get(sid, 0),
                            required=kind in ("treatment", "transfer", "disposal", "outlet")))
    return out


def plot_map(results: ResultSet, ax=None, lang: str = "en", legend_ax=None, labels: bool = True,
             inset: bool = True):
    """Draw the map of ``results`` on ``ax`` (a new figure when None) and return ``ax``.

    Args:
        results: the run's tables.
        ax: axes to draw on; a box with the height/width ratio of :func:`map_box_ratio` is
            filled best.
        lang: ``en`` or ``fr``.
        legend_ax: axes for the legend (turned off and filled); None puts the legend inside
            ``ax``, in its upper left corner.
        labels: write the site labels (placed without overlaps; minor ones may be left out).
        inset: enlarge a group of overlapping sites in an inset when there is one.
    """
    if ax is None:
        fig = figure(height=FIG_WIDTH_IN * map_box_ratio(results))[0]
        fig.set_layout_engine("none")
        fig.clear()
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    fig = ax.get_figure(root=True)
    bbox = ax.get_position()
    fw, fh = fig.get_size_inches()
    box_ratio = (bbox.height * fh) / max(bbox.width * fw, 1e-6)
    layout = map_layout(results, box_ratio, bbox.width * fw * 72.0, inset)
    m = _Map(results, lang)
    _frame(ax, layout.extent)
    far = set(layout.far)
    _draw_layers(ax, m, layout.xy, layout.extent, skip=far)
    obstacles = _decorations(ax, layout, lang)
    far_labels = _far_arrows(ax, m, layout)
    renderer = _renderer(fig)
    hub = set(layout.hub)
    iax = None
    if layout.inset_rect is not None:
        iax = ax.inset_axes(layout.inset_rect)
        _frame(iax, layout.hub_extent, color="#555555", lw=0.9)
        inner = [s for s in results.sites if s not in far and layout.inside(s, layout.hub_extent)]
        inset_xy = spread_markers(layout.xy, inner, _pts_per_km(iax, layout.hub_extent), min_pt=14.0)
        _draw_layers(iax, m, inset_xy, layout.hub_extent, skip=far)
        ax.indicate_inset_zoom(iax, edgecolor="#555555", alpha=0.9, linewidth=0.8)
        inset_obstacles = _decorations(iax, layout, lang, extent=layout.hub_extent, north=False)
        obstacles.append(iax.get_window_extent(renderer).padded(4))

    sections = _legend_sections(m)
    if legend_ax is not None:
        legend_ax.set_axis_off()
        _stack_legends(legend_ax, sections)
        note_ax, note_xy, note_va = legend_ax, (0.0, 0.0), "bottom"
    else:
        handles = [h for _title, hs in sections for h in hs]
        leg = ax.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.9, fontsize=FONT_SIZE - 1)
        leg.get_frame().set_edgecolor("#DDDDDD")
        obstacles.append(leg.get_window_extent(renderer).padded(3))
        note_ax, note_xy, note_va = ax, (0.01, 0.01), "bottom"
    lat0, lon0 = layout.centre
    note = note_ax.text(*note_xy, tr("map.projection", lang, lat=_deg(lat0, "N", "S", lang),
                                     lon=_deg(lon0, "E", "W", lang)),
                        transform=note_ax.transAxes, fontsize=FONT_SIZE - 2, color="#777777", ha="left",
                        va=note_va, wrap=True)
    if note_ax is ax:
        obstacles.append(note.get_window_extent(renderer).padded(3))

    if labels:
        core = [s for s in results.sites if s not in far]
        shown = [s for s in core if s not in hub]
        boxes = _marker_boxes(ax, m, layout.xy, [s for s in core if s not in hub or iax is None])
        place_map_labels(ax, _labels_for(m, layout.xy, shown) + far_labels, obstacles + boxes, FONT_SIZE - 0.5,
                         {"color": TEXT, "path_effects": HALO, "zorder": 6})
        if iax is not None:
            place_map_labels(iax, _labels_for(m, inset_xy, inner, width=22),
                             inset_obstacles + _marker_boxes(iax, m, inset_xy, inner), FONT_SIZE - 1.5,
                             {"color": TEXT, "path_effects": HALO, "zorder": 6})
    return ax


def _deg(value: float, pos: str, neg: str, lang: str) -> str:
    hemi = pos if value >= 0 else neg
    if lang == "fr":
        hemi = {"E": "E", "W": "O", "N": "N", "S": "S"}[hemi]
    return f"{fmt_number(abs(value), lang, 2)}° {hemi}"


def _decorations(ax, layout: MapLayout, lang: str, extent=None, north: bool = True) -> list[Bbox]:
    """Scale bar and north arrow in their corners; returns their display boxes."""
    x0, x1, y0, y1 = extent or layout.extent
    ppk = _pts_per_km(ax, (x0, x1, y0, y1))
    span, height = x1 - x0, y1 - y0
    corner = layout.scalebar_corner if north else "lower right"
    length = nice_length(span)
    if "right" in corner:
        bx1 = x1 - 0.05 * span
        bx0 = bx1 - length
    else:
        bx0 = x0 + 0.05 * span
        bx1 = bx0 + length
    by = y0 + 0.05 * height
    thick = 3.0 / ppk
    half = length / 2.0
    ax.fill([bx0, bx0 + half, bx0 + half, bx0], [by, by, by + thick, by + thick], color="#333333", zorder=5, lw=0)
    ax.fill([bx0 + half, bx1, bx1, bx0 + half], [by, by, by + thick, by + thick], color="white",
            ec="#333333", lw=0.6, zorder=5)
    decimals = 0 if length >= 1 else 1
    size = FONT_SIZE - (1 if north else 1.5)
    texts = [
        ax.text(bx0, by + thick * 1.6, "0", ha="center", va="bottom", fontsize=size, zorder=5, path_effects=HALO),
        ax.text(bx1, by + thick * 1.6, fmt_qty(length, "km", lang, decimals), ha="center", va="bottom",
                fontsize=size, zorder=5, path_effects=HALO),
    ]
    renderer = _renderer(ax.get_figure(root=True))
    boxes = [t.get_window_extent(renderer) for t in texts]
    boxes.append(Bbox(ax.transData.transform([(bx0, by), (bx1, by + thick)])))
    if north:
        nx = x1 - 0.05 * span if "right" in layout.north_corner else x0 + 0.05 * span
        ny = y1 - 0.05 * height
        arrow = ax.annotate(tr("map.north", lang), xy=(nx, ny), xytext=(nx, ny - 22.0 / ppk), ha="center",
                            va="top", fontsize=FONT_SIZE, fontweight="bold", zorder=5,
                            arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 1.0})
        low = arrow.get_window_extent(renderer)
        top = ax.transData.transform([(nx, ny)])[0]
        boxes.append(Bbox.from_extents(low.x0, low.y0, low.x1, top[1]))
    return [b.padded(3) for b in boxes]


def _renderer(fig):
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    return canvas.get_renderer()


def _legend_sections(m: _Map) -> list[tuple[str, list]]:
    """(title, handles) of each legend block: sites, sources by size, flows."""
    results, lang, colors, gmax, top = m.results, m.lang, m.colors, m.gmax, m.top
    width = m.width
    sections = []
    kinds = [k for k in SITE_KINDS if k != "source" and results.sites_of(k)]
    if kinds:
        sections.append((tr("legend.sites", lang), [
            Line2D([], [], ls="none", marker=KIND_STYLE[k]["marker"], markersize=math.sqrt(KIND_SIZE[k]),
                   markerfacecolor=KIND_STYLE[k]["color"], markeredgecolor="white",
                   label=tr(f"kinds.{k}", lang)) for k in kinds]))
    if results.sites_of("source"):
        handles = []
        for frac in (1.0, 0.25):
            t = _round_sig(gmax * frac)
            handles.append(Line2D([], [], ls="none", marker="o", alpha=0.85,
                                  markersize=math.sqrt(max(SOURCE_MIN, SOURCE_MAX * t / gmax)),
                                  markerfacecolor=KIND_STYLE["source"]["color"], markeredgecolor="white",
                                  label=fmt_qty(t, "t", lang, 0)))
        sections.append((tr("legend.source_size", lang), handles))
    handles = []
    for m in results.materials:
        if any(r["material"] == m and r["mass_t"] > 0 for r in results.flows):
            handles.append(Line2D([], [], color=colors[m], lw=4, label=_wrap(results.material_label(m), 22)))
    for frac in (1.0, 0.25):
        t = _round_sig(top * frac)
        handles.append(Line2D([], [], color="#777777", lw=width(t), solid_capstyle="butt",
                              label=fmt_qty(t, "t", lang, 0)))
    if results.scenario.get("roads"):
        handles.append(Line2D([], [], color=LIGHT_GREY, lw=1.0, label=tr("legend.road", lang)))
    sections.append((tr("legend.flows", lang), handles))
    return sections


def legend_lines(results: ResultSet) -> float:
    """Lines of text the map legend takes (titles, entries and gaps), to size the figure."""
    kinds = sum(1 for k in SITE_KINDS if k != "source" and results.sites_of(k))
    mats = sum(len(textwrap.wrap(results.material_label(m), 22)) or 1
               for m in {r["material"] for r in results.flows if r["mass_t"] > 0})
    return (kinds + 1.5 if kinds else 0) + 3.5 + mats + 2 + (1 if results.scenario.get("roads") else 0) + 1


def _stack_legends(legend_ax, sections) -> None:
    """Legend blocks one under the other, titles left-aligned, from the top of ``legend_ax``."""
    renderer = _renderer(legend_ax.figure)
    box = legend_ax.get_window_extent(renderer)
    y = 0.99
    for title, handles in sections:
        big = max((h.get_markersize() for h in handles if h.get_marker() not in (None, "None", "none")),
                  default=0.0)
        leg = Legend(legend_ax, handles, [h.get_label() for h in handles], title=title, loc="upper left",
                     bbox_to_anchor=(0.0, y), frameon=False, alignment="left", handlelength=2.4,
                     handleheight=max(0.7, 1.2 * big / (FONT_SIZE - 0.5)), borderaxespad=0.0,
                     borderpad=0.0, labelspacing=0.45, fontsize=FONT_SIZE - 0.5,
                     title_fontproperties={"weight": "bold", "size": FONT_SIZE - 0.5})
        legend_ax.add_artist(leg)
        height = leg.get_window_extent(renderer).height
        y -= height / max(box.height, 1.0) + 0.035


def _round_sig(x: float, digits: int = 2) -> float:
    if x <= 0:
        return 0.0
    exp = math.floor(math.log10(x)) - digits + 1
    return round(x / 10 ** exp) * 10 ** exp
