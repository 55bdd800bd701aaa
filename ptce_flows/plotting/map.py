"""Map of the territory: sites by kind, flows as lines whose width is proportional to tonnes.

Coordinates are projected with :func:`ptce_flows.network.project_km` (equirectangular, in km,
centred on the territory): true proportions, no web tiles, no internet. The axes have equal
aspect, a km scale bar and a north arrow; the legend lives in its own axes beside the map so it
never covers data.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patheffects import withStroke
from matplotlib.transforms import Bbox

from ptce_flows.i18n import fmt_number, fmt_qty, tr
from ptce_flows.network import project_km
from ptce_flows.plotting.data import ResultSet
from ptce_flows.plotting.labels import MapLabel, place_map_labels
from ptce_flows.plotting.style import (
    FIG_WIDTH_IN,
    FONT_SIZE,
    KIND_STYLE,
    LIGHT_GREY,
    TEXT,
    figure,
    material_colors,
)

#: marker areas (points^2): sources scale with tonnage up to SOURCE_MAX
SOURCE_MIN, SOURCE_MAX = 18.0, 420.0
KIND_SIZE = {"treatment": 70.0, "farm": 55.0, "outlet": 50.0, "disposal": 70.0}
#: line widths (points) of the flows: the largest flow gets FLOW_MAX
FLOW_MIN, FLOW_MAX = 0.6, 9.0
KIND_ORDER = ("source", "treatment", "farm", "outlet", "disposal")


def _generated(results: ResultSet) -> dict[str, float]:
    """Tonnes generated at each source over the horizon (shipped + left in stock)."""
    out = {}
    for s in results.sites_of("source"):
        out[s] = results.flow_mass(origin=s) + results.series.last(s, "source_stock")
    return out


def _nice_length(span_km: float) -> float:
    """A round scale-bar length close to a fifth of ``span_km`` (1, 2 or 5 x 10^n km)."""
    target = max(span_km / 5.0, 1e-3)
    exp = math.floor(math.log10(target))
    for mult in (5, 2, 1):
        if mult * 10 ** exp <= target:
            return mult * 10 ** exp
    return 10 ** exp


def map_extent(results: ResultSet, box_ratio: float, pad: float = 0.08):
    """Projected coordinates of every site and the (x0, x1, y0, y1) limits whose ratio
    height/width is ``box_ratio`` (so that equal aspect fills the axes exactly)."""
    ids = list(results.sites)
    lat = np.array([results.sites[s]["location"][0] for s in ids], dtype=float)
    lon = np.array([results.sites[s]["location"][1] for s in ids], dtype=float)
    lat0, lon0 = float(lat.mean()), float(lon.mean())
    x, y = project_km(lat, lon, lat0, lon0)
    xy = {s: (float(a), float(b)) for s, a, b in zip(ids, x, y, strict=True)}
    for nid, (nlat, nlon) in (results.scenario.get("nodes") or {}).items():
        nx, ny = project_km(np.array([nlat]), np.array([nlon]), lat0, lon0)
        xy[nid] = (float(nx[0]), float(ny[0]))
    w = max(float(x.max() - x.min()), 1.0)
    h = max(float(y.max() - y.min()), 1.0)
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    if h / w < box_ratio:
        h = w * box_ratio
    else:
        w = h / box_ratio
    cx, cy = (x.max() + x.min()) / 2.0, (y.max() + y.min()) / 2.0
    return xy, (cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2), (lat0, lon0)


def map_box_ratio(results: ResultSet) -> float:
    """Height/width of the sites' bounding box, bounded to a printable 0.55..1.25."""
    lat = np.array([s["location"][0] for s in results.sites.values()], dtype=float)
    lon = np.array([s["location"][1] for s in results.sites.values()], dtype=float)
    x, y = project_km(lat, lon)
    w, h = max(float(np.ptp(x)), 1.0), max(float(np.ptp(y)), 1.0)
    return float(np.clip(h / w, 0.55, 1.25))


def plot_map(results: ResultSet, ax=None, lang: str = "en", legend_ax=None, labels: bool = True):
    """Draw the map of ``results`` on ``ax`` (a new figure when None) and return ``ax``.

    Args:
        results: the run's tables.
        ax: axes to draw on; its box should have the height/width ratio of
            :func:`map_box_ratio` for the map to fill it.
        lang: ``en`` or ``fr``.
        legend_ax: axes for the legend (turned off and filled); None puts the legend inside
            ``ax``, in its upper left corner.
        labels: write the site labels (placed without overlaps; minor ones may be left out).
    """
    if ax is None:
        fig = figure(height=FIG_WIDTH_IN * map_box_ratio(results))[0]
        fig.set_layout_engine("none")
        fig.clear()
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    fig = ax.figure
    bbox = ax.get_position()
    fw, fh = fig.get_size_inches()
    box_ratio = (bbox.height * fh) / max(bbox.width * fw, 1e-6)
    xy, (x0, x1, y0, y1), (lat0, lon0) = map_extent(results, box_ratio)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(True)
        ax.spines[side].set_color("#BBBBBB")
        ax.spines[side].set_linewidth(0.6)
    ax.set_facecolor("#FBFBF8")
    pts_per_km = (bbox.width * fw * 72.0) / (x1 - x0)

    # roads
    for a, b, _km in results.scenario.get("roads") or []:
        if a in xy and b in xy:
            ax.plot([xy[a][0], xy[b][0]], [xy[a][1], xy[b][1]], color=LIGHT_GREY, lw=1.0,
                    solid_capstyle="round", zorder=1)

    # flows: one line per (pair, material); parallel lines side by side on the same pair
    colors = material_colors(results)
    mass: dict[tuple[str, str, str], float] = {}
    for r in results.flows:
        if r["origin"] in xy and r["destination"] in xy and r["mass_t"] > 0:
            key = (r["origin"], r["destination"], r["material"])
            mass[key] = mass.get(key, 0.0) + r["mass_t"]
    top = max(mass.values(), default=1.0)

    def width(t: float) -> float:
        return max(FLOW_MIN, FLOW_MAX * t / top)

    pairs: dict[frozenset, list] = {}
    for key in sorted(mass, key=lambda k: -mass[k]):
        pairs.setdefault(frozenset(key[:2]), []).append(key)
    for group in pairs.values():
        widths = [width(mass[k]) for k in group]
        total = sum(widths) + 0.8 * (len(widths) - 1)
        offset = -total / 2.0
        for key, w in zip(group, widths, strict=True):
            a, b = sorted(key[:2])
            (xa, ya), (xb, yb) = xy[a], xy[b]
            length = math.hypot(xb - xa, yb - ya) or 1.0
            nx, ny = -(yb - ya) / length, (xb - xa) / length
            shift = (offset + w / 2.0) / pts_per_km
            ax.plot([xa + nx * shift, xb + nx * shift], [ya + ny * shift, yb + ny * shift],
                    color=colors.get(key[2], "#888888"), lw=w, alpha=0.85, solid_capstyle="butt",
                    zorder=2)
            offset += w + 0.8

    # sites
    generated = _generated(results)
    gmax = max(generated.values(), default=1.0) or 1.0
    sizes: dict[str, float] = {}
    for kind in KIND_ORDER:
        ids = results.sites_of(kind)
        if not ids:
            continue
        if kind == "source":
            ss = [max(SOURCE_MIN, SOURCE_MAX * generated.get(s, 0.0) / gmax) for s in ids]
        else:
            ss = [KIND_SIZE[kind]] * len(ids)
        sizes.update(zip(ids, ss, strict=True))
        order = np.argsort(ss)[::-1]  # big markers below small ones
        ax.scatter([xy[ids[i]][0] for i in order], [xy[ids[i]][1] for i in order],
                   s=[ss[i] for i in order], marker=KIND_STYLE[kind]["marker"],
                   color=KIND_STYLE[kind]["color"], edgecolor="white", linewidth=0.8,
                   alpha=0.95 if kind != "source" else 0.85, zorder=4 if kind != "source" else 3)

    obstacles = _decorations(ax, x0, x1, y0, y1, pts_per_km, lang)

    # legend and projection note
    sections = _legend_sections(results, lang, colors, gmax, top, width)
    if legend_ax is not None:
        legend_ax.set_axis_off()
        _stack_legends(legend_ax, sections)
    else:
        handles = [h for _title, hs in sections for h in hs]
        leg = ax.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.9,
                        fontsize=FONT_SIZE - 1)
        leg.get_frame().set_edgecolor("#DDDDDD")
        obstacles.append(leg.get_window_extent(_renderer(fig)).padded(3))
    note = ax.text(0.01, 0.01, tr("map.projection", lang, lat=_deg(lat0, "N", "S", lang),
                                  lon=_deg(lon0, "E", "W", lang)),
                   transform=ax.transAxes, fontsize=FONT_SIZE - 2, color="#777777", ha="left", va="bottom")
    obstacles.append(note.get_window_extent(_renderer(fig)).padded(3))

    if labels:
        renderer_obstacles = list(obstacles)
        to_display = ax.transData
        px_per_pt = fig.dpi / 72.0
        for sid, s in sizes.items():
            r = math.sqrt(s) / 2.0 * px_per_pt
            cx, cy = to_display.transform(xy[sid])
            renderer_obstacles.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
        items = []
        ranked_sources = sorted(results.sites_of("source"), key=lambda s: -generated.get(s, 0.0))
        rank = {s: i for i, s in enumerate(ranked_sources)}
        base = {"treatment": 0, "disposal": 100, "outlet": 200, "source": 300, "farm": 1000}
        for sid in sizes:
            kind = results.kind(sid)
            items.append(MapLabel(xy[sid][0], xy[sid][1], results.site_label(sid),
                                  radius=math.sqrt(sizes[sid]) / 2.0,
                                  priority=base[kind] + rank.get(sid, 0),
                                  required=kind in ("treatment",)))
        place_map_labels(ax, items, renderer_obstacles, FONT_SIZE - 0.5,
                         {"color": TEXT, "path_effects": [withStroke(linewidth=2.5, foreground="white")],
                          "zorder": 6})
    return ax


def _deg(value: float, pos: str, neg: str, lang: str) -> str:
    hemi = pos if value >= 0 else neg
    if lang == "fr":
        hemi = {"E": "E", "W": "O", "N": "N", "S": "S"}[hemi]
    return f"{fmt_number(abs(value), lang, 2)}° {hemi}"


def _decorations(ax, x0, x1, y0, y1, pts_per_km, lang) -> list[Bbox]:
    """Scale bar (lower right) and north arrow (upper right); returns their display boxes."""
    span = x1 - x0
    length = _nice_length(span)
    bx1 = x1 - 0.04 * span
    bx0 = bx1 - length
    by = y0 + 0.05 * (y1 - y0)
    thick = 3.0 / pts_per_km
    half = length / 2.0
    ax.fill([bx0, bx0 + half, bx0 + half, bx0], [by, by, by + thick, by + thick], color="#333333",
            zorder=5, lw=0)
    ax.fill([bx0 + half, bx1, bx1, bx0 + half], [by, by, by + thick, by + thick], color="white",
            ec="#333333", lw=0.6, zorder=5)
    decimals = 0 if length >= 1 else 1
    texts = [
        ax.text(bx0, by + thick * 1.6, "0", ha="center", va="bottom", fontsize=FONT_SIZE - 1, zorder=5),
        ax.text(bx1, by + thick * 1.6, fmt_qty(length, "km", lang, decimals), ha="center", va="bottom",
                fontsize=FONT_SIZE - 1, zorder=5),
    ]
    nx, ny = x1 - 0.05 * span, y1 - 0.06 * (y1 - y0)
    arrow = ax.annotate(tr("map.north", lang), xy=(nx, ny), xytext=(nx, ny - 22.0 / pts_per_km),
                        ha="center", va="top", fontsize=FONT_SIZE, fontweight="bold", zorder=5,
                        arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 1.0})
    renderer = _renderer(ax.figure)
    boxes = [t.get_window_extent(renderer) for t in texts]
    disp = ax.transData.transform([(bx0, by), (bx1, by + thick)])
    boxes.append(Bbox(disp))
    boxes.append(arrow.get_window_extent(renderer))
    top = ax.transData.transform([(nx, ny)])[0]
    bottom = arrow.get_window_extent(renderer)
    boxes.append(Bbox.from_extents(bottom.x0, bottom.y0, bottom.x1, top[1]))
    return [b.padded(3) for b in boxes]


def _renderer(fig):
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    return canvas.get_renderer()


def _legend_sections(results, lang, colors, gmax, top, width) -> list[tuple[str, list]]:
    """(title, handles) of each legend block: sites, sources by size, flows."""
    sections = []
    kinds = [k for k in KIND_ORDER if k != "source" and results.sites_of(k)]
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
            handles.append(Line2D([], [], color=colors[m], lw=4, label=results.material_label(m)))
    for frac in (1.0, 0.25):
        t = _round_sig(top * frac)
        handles.append(Line2D([], [], color="#777777", lw=width(t), solid_capstyle="butt",
                              label=fmt_qty(t, "t", lang, 0)))
    if results.scenario.get("roads"):
        handles.append(Line2D([], [], color=LIGHT_GREY, lw=1.0, label=tr("legend.road", lang)))
    sections.append((tr("legend.flows", lang), handles))
    return sections


def legend_lines(results: ResultSet) -> int:
    """Lines of text the map legend takes (titles, entries and gaps), to size the figure."""
    kinds = sum(1 for k in KIND_ORDER if k != "source" and results.sites_of(k))
    mats = len({r["material"] for r in results.flows if r["mass_t"] > 0})
    return (kinds + 1.5 if kinds else 0) + 3.5 + mats + 2 + (1 if results.scenario.get("roads") else 0) + 1


def _stack_legends(legend_ax, sections) -> None:
    """Legend blocks one under the other, titles left-aligned, from the top of ``legend_ax``."""
    renderer = _renderer(legend_ax.figure)
    box = legend_ax.get_window_extent(renderer)
    y = 1.0
    for title, handles in sections:
        big = max((h.get_markersize() for h in handles if h.get_marker() not in (None, "None", "none")),
                  default=0.0)
        leg = Legend(legend_ax, handles, [h.get_label() for h in handles], title=title, loc="upper left",
                     bbox_to_anchor=(0.0, y), frameon=False, alignment="left", handlelength=2.4,
                     handleheight=max(0.7, 0.9 * big / (FONT_SIZE - 0.5)), borderaxespad=0.0,
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
