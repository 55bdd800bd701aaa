"""A layered Sankey diagram of the material flows, drawn with patches.

Four columns (sources, treatment sites, products and losses, destinations; see
:func:`ptce_flows.results.derive.sankey_graph`), node heights proportional to tonnes, bands
as cubic Bézier ribbons coloured by material. Nodes are ordered by the barycentre of their
neighbours to limit crossings; labels are spread so that they never overlap, with a leader
line when a label had to move away from its node.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path

from ptce_flows.i18n import fmt_qty, tr
from ptce_flows.plotting.labels import spread_1d
from ptce_flows.plotting.style import (
    FIG_WIDTH_IN,
    FONT_SIZE,
    GREY,
    TEXT,
    figure,
    kind_color,
    material_colors,
)
from ptce_flows.results.derive import SankeyGraph, sankey_graph
from ptce_flows.results.resultset import ResultSet

#: x of each column (axes fraction) and width of a node bar
COLUMN_X = (0.175, 0.40, 0.615, 0.79)
NODE_W = 0.014
GAP = 0.022            # vertical gap between nodes, as a share of the axes height
LABEL_CHARS = (18, 19, 14, 21)   # wrap width of labels per column
#: the same with a column of transfer stations after the sources
COLUMN_X5 = (0.15, 0.31, 0.48, 0.645, 0.80)
LABEL_CHARS5 = (16, 13, 15, 12, 20)
STAGES = ("sources", "treatment", "products", "destinations")
STAGES5 = ("sources", "transfer", "treatment", "products", "destinations")


def _layout(graph: SankeyGraph) -> tuple[tuple, tuple, tuple]:
    """(column x, label widths, stage keys): four columns, or five with transfer stations."""
    if any(n.column == 4 for n in graph.nodes.values()):
        return COLUMN_X5, LABEL_CHARS5, STAGES5
    return COLUMN_X, LABEL_CHARS, STAGES
LABEL_SIZE = FONT_SIZE - 0.5
LINE_PT = 1.3 * LABEL_SIZE   # height of a label line (points), linespacing included
LABEL_PAD_PT = 5.0


def _label_lines(graph: SankeyGraph, nid: str) -> int:
    node = graph.nodes[nid]
    return len(_wrap(node.label, node.column, _layout(graph)[1])) + 1


def sankey_height(graph: SankeyGraph) -> float:
    """Figure height (inches) that gives every label room beside its node."""
    per_col = [0.0] * 5
    for nid, n in graph.nodes.items():
        per_col[n.column] += _label_lines(graph, nid) * LINE_PT + LABEL_PAD_PT + 3.0
    return float(np.clip(max(per_col) / 72.0 * 1.3 + 0.6, 3.6, 9.5))


def _wrap(text: str, column: int, widths: tuple = LABEL_CHARS) -> list[str]:
    return textwrap.wrap(text, widths[column]) or [""]


def _order_nodes(graph: SankeyGraph) -> dict[int, list[str]]:
    """Node ids per column, ordered top to bottom (barycentre of neighbours, terminals last)."""
    n_cols = len(_layout(graph)[0])
    cols: dict[int, list[str]] = {c: [] for c in range(n_cols)}
    for n in sorted(graph.nodes.values(), key=lambda n: n.order):
        cols[n.column].append(n.id)
    pos = {nid: i for c in cols.values() for i, nid in enumerate(c)}

    def bary(nid: str, upstream: bool) -> float:
        links = [lk for lk in graph.links if (lk.target == nid if upstream else lk.source == nid)]
        other = [(lk.source if upstream else lk.target, lk.value) for lk in links]
        total = sum(v for _o, v in other)
        if not total:
            return pos[nid]
        return sum(pos[o] * v for o, v in other) / total

    for _sweep in range(2):
        for c, upstream in ((n_cols - 2, True), (n_cols - 1, True), (0, False)):
            terminal = [nid for nid in cols[c] if graph.nodes[nid].order >= 1e6]
            regular = [nid for nid in cols[c] if graph.nodes[nid].order < 1e6]
            regular.sort(key=lambda nid: (graph.nodes[nid].kind == "disposal", bary(nid, upstream),
                                          graph.nodes[nid].order))
            cols[c] = regular + sorted(terminal, key=lambda nid: graph.nodes[nid].order)
            pos.update({nid: i for i, nid in enumerate(cols[c])})
    return cols


def _ribbon(x0, y0_top, y0_bot, x1, y1_top, y1_bot) -> Path:
    xm = (x0 + x1) / 2.0
    verts = [(x0, y0_top), (xm, y0_top), (xm, y1_top), (x1, y1_top),
             (x1, y1_bot), (xm, y1_bot), (xm, y0_bot), (x0, y0_bot), (x0, y0_top)]
    codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4,
             Path.LINETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.CLOSEPOLY]
    return Path(verts, codes)


def plot_sankey(results: ResultSet, ax=None, lang: str = "en", graph: SankeyGraph | None = None):
    """Draw the Sankey diagram of ``results`` on ``ax`` (a new figure when None); return ``ax``.

    ``graph`` may be given to draw a graph made (or edited) elsewhere; by default it is
    :func:`~ptce_flows.results.derive.sankey_graph` of ``results``.
    """
    graph = graph or sankey_graph(results, lang)
    if ax is None:
        ax = figure(FIG_WIDTH_IN, sankey_height(graph))[1]
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    cols = _order_nodes(graph)
    values = {nid: graph.node_value(nid) for nid in graph.nodes}
    top_y = 0.93
    axes_h_pt = ax.get_figure(root=True).get_size_inches()[1] * 72.0 * ax.get_position().height
    label_h = {nid: (_label_lines(graph, nid) * LINE_PT + LABEL_PAD_PT) / axes_h_pt for nid in graph.nodes}
    boxes, scale = _boxes(cols, values, label_h, top_y, column_x=_layout(graph)[0])
    colors = material_colors(results)

    def node_color(nid: str) -> str:
        node = graph.nodes[nid]
        if node.kind == "material":
            return colors.get(nid.removeprefix("_mat_"), GREY)
        return kind_color(node.kind)

    _draw_ribbons(ax, graph, boxes, scale, colors)
    for nid, (x, y, h) in boxes.items():
        ax.add_patch(Rectangle((x, y - h), NODE_W, h, facecolor=node_color(nid), edgecolor="white",
                               linewidth=0.4, zorder=2))
    _draw_labels(ax, graph, cols, values, boxes, label_h, lang, top_y)
    column_x, _widths, stages = _layout(graph)
    for c, key in enumerate(stages):
        if cols[c]:  # five columns leave less room: smaller titles ("Products and residues")
            ax.text(column_x[c] + NODE_W / 2.0, 0.995, tr(f"sankey.stage.{key}", lang), ha="center",
                    va="top", fontsize=FONT_SIZE - (1.5 if len(stages) == 5 else 0.0),
                    fontweight="bold", color="#555555")
    return ax


def _boxes(cols, values, label_h, top_y: float, bottom_y: float = 0.0, column_x: tuple = COLUMN_X):
    """Node boxes ``{id: (x, y_top, height)}`` and the tonnes-to-height scale: the largest scale
    at which every column fits with its labels beside their nodes, columns centred."""
    usable = top_y - bottom_y

    def needed(scale: float, ids: list[str]) -> float:
        return sum(max(values[n] * scale + GAP, label_h[n] + 0.004) for n in ids)

    total_max = max((sum(values[n] for n in ids) for ids in cols.values() if ids), default=1.0)
    lo, hi = 0.0, usable / max(total_max, 1e-9)
    for _ in range(50):
        mid = (lo + hi) / 2.0
        if all(needed(mid, ids) <= usable for ids in cols.values() if ids):
            lo = mid
        else:
            hi = mid
    scale = lo if lo > 0 else 0.5 * usable / max(total_max, 1e-9)
    boxes: dict[str, tuple[float, float, float]] = {}
    for c, ids in cols.items():
        slots = [max(values[n] * scale + GAP, label_h[n] + 0.004) for n in ids]
        y = top_y - max(0.0, usable - sum(slots)) / 2.0
        for nid, slot in zip(ids, slots, strict=True):
            h = max(values[nid] * scale, 0.004)
            boxes[nid] = (column_x[c], y - (slot - h) / 2.0, h)
            y -= slot
    return boxes, scale


def _draw_ribbons(ax, graph: SankeyGraph, boxes, scale: float, colors: dict[str, str]) -> None:
    """Ribbons, stacked on each side in the order of the node at the other end."""
    rank = {nid: (graph.nodes[nid].column, -boxes[nid][1]) for nid in graph.nodes}
    out_cursor = {nid: boxes[nid][1] for nid in graph.nodes}
    in_cursor = {nid: boxes[nid][1] for nid in graph.nodes}
    out_order = sorted(graph.links, key=lambda lk: (rank[lk.source], rank[lk.target], lk.material))
    heights = {}
    for lk in out_order:
        h = lk.value * scale
        heights[id(lk)] = (out_cursor[lk.source], h)
        out_cursor[lk.source] -= h
    in_order = sorted(graph.links, key=lambda lk: (rank[lk.target], rank[lk.source], lk.material))
    for lk in in_order:
        y0, h = heights[id(lk)]
        y1 = in_cursor[lk.target]
        in_cursor[lk.target] -= h
        x0 = boxes[lk.source][0] + NODE_W
        x1 = boxes[lk.target][0]
        terminal = not lk.material
        color = colors.get(lk.material, GREY) if lk.material else "#BDBDBD"
        ax.add_patch(PathPatch(_ribbon(x0, y0, y0 - h, x1, y1, y1 - h), facecolor=color,
                               edgecolor="none", alpha=0.35 if terminal else 0.55, zorder=1))


def _draw_labels(ax, graph: SankeyGraph, cols, values, boxes, label_h, lang: str, top_y: float) -> None:
    """Labels beside their nodes (spread if they still collide, with a leader line)."""
    for c, ids in cols.items():
        if not ids:
            continue
        widths = _layout(graph)[1]
        texts = [_wrap(graph.nodes[n].label, c, widths) + [fmt_qty(values[n], "t", lang, 0)] for n in ids]
        hts = [label_h[n] for n in ids]
        centres = [boxes[n][1] - boxes[n][2] / 2.0 for n in ids]
        placed = spread_1d(centres, hts, -0.02, top_y + 0.03)
        for nid, lines, want, got in zip(ids, texts, centres, placed, strict=True):
            x, y, h = boxes[nid]
            left = c == 0
            tx = x - 0.008 if left else x + NODE_W + 0.008
            moved = abs(got - want) > h / 2.0 + 1e-3
            label = "\n".join(lines[:-1])
            ax.text(tx, got, f"{label}\n{lines[-1]}", ha="right" if left else "left", va="center",
                    fontsize=LABEL_SIZE, color=TEXT, linespacing=1.1, zorder=4,
                    bbox=None if c in (0, len(widths) - 1) else {"boxstyle": "round,pad=0.15", "fc": "white",
                                                   "ec": "none", "alpha": 0.8})
            if moved:
                edge = x if left else x + NODE_W
                ax.plot([edge, tx], [want, got], color="#999999", lw=0.5, zorder=3)
