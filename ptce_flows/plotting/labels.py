"""Label placement without overlaps: a 1-D spreader for stacked labels (Sankey columns, bar
ends) and a greedy 2-D placer for map labels.

Both are deterministic: the same figure gets the same labels, so files do not change between
identical runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Bbox


def spread_1d(centres, heights, low: float, high: float) -> np.ndarray:
    """Move label centres as little as possible so that no two labels overlap.

    Labels keep their order. Overlapping neighbours are merged into a block centred on the
    mean of their wished centres, repeatedly, then blocks are pushed inside ``[low, high]``.

    Args:
        centres: wished centres (any order).
        heights: height of each label, same units as the centres.
        low, high: the span the labels must stay in (if they do not fit, they overflow at
            ``high``).
    """
    centres = np.asarray(centres, dtype=float)
    heights = np.asarray(heights, dtype=float)
    order = np.argsort(centres, kind="stable")
    blocks: list[list] = []  # [wished-centre sum, count, total height, item indices]
    for i in order:
        blocks.append([centres[i], 1, heights[i], [i]])
        while len(blocks) > 1:
            a, b = blocks[-2], blocks[-1]
            a_top = a[0] / a[1] + a[2] / 2.0
            b_bottom = b[0] / b[1] - b[2] / 2.0
            if a_top <= b_bottom + 1e-12:
                break
            blocks[-2:] = [[a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]]
    out = np.empty_like(centres)
    # push blocks inside [low, high]: bottom-up then top-down
    starts = []
    floor = low
    for wished, count, height, _items in blocks:
        start = max(wished / count - height / 2.0, floor)
        starts.append(start)
        floor = start + height
    ceiling = high
    for k in range(len(blocks) - 1, -1, -1):
        height = blocks[k][2]
        starts[k] = max(min(starts[k], ceiling - height), low if k == 0 else -np.inf)
        ceiling = starts[k]
    for (_w, _c, _h, items), start in zip(blocks, starts, strict=True):
        y = start
        for i in items:
            out[i] = y + heights[i] / 2.0
            y += heights[i]
    return out


@dataclass
class MapLabel:
    """A label to place near a point: ``x, y`` in data units, ``radius`` of its marker in points."""

    x: float
    y: float
    text: str
    radius: float
    priority: int        # lower goes first
    required: bool = False


# candidate directions (dx, dy), preferred first: right, left, above, below, diagonals, then
# every 30 degrees in between
_DIRECTIONS = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)] + [
    (round(float(np.cos(np.radians(a))), 3), round(float(np.sin(np.radians(a))), 3))
    for a in (30, 150, 210, 330, 60, 120, 240, 300)]
_STEPS = (1.0, 2.2, 3.6, 5.0)


def place_map_labels(ax, labels: list[MapLabel], obstacles: list[Bbox], fontsize: float,
                     text_kw: dict | None = None) -> list:
    """Place each label at the first free spot around its point (greedy, by priority).

    Spots are tried in eight directions at two distances; a spot is free when the label's box
    stays inside the axes and overlaps neither a placed label nor an obstacle (markers, legend,
    scale bar), in display units. A label with no free spot is left out, unless it is
    ``required``, in which case the spot that overlaps least is taken.

    Returns:
        The matplotlib Text objects created.
    """
    fig = ax.figure
    canvas = FigureCanvasAgg(fig) if not hasattr(fig.canvas, "get_renderer") else fig.canvas
    renderer = canvas.get_renderer()
    axes_box = ax.get_window_extent(renderer)
    placed = _Boxes()
    fixed = _Boxes([b.extents for b in obstacles])
    texts = []
    px_per_pt = fig.dpi / 72.0
    for lab in sorted(labels, key=lambda item: item.priority):
        # the label's box is measured once; each spot moves it (display units)
        ref = ax.annotate(lab.text, (lab.x, lab.y), xytext=(0.0, 0.0), textcoords="offset points", ha="left",
                          va="bottom", fontsize=fontsize, annotation_clip=False, **(text_kw or {}))
        ref_box = ref.get_window_extent(renderer)
        ref.remove()
        gap = (lab.radius + 2.5) * _SPOT_STEP
        x0 = ref_box.x0 + _SPOT_DX * gap * px_per_pt - _SPOT_HA * ref_box.width
        y0 = ref_box.y0 + _SPOT_DY * gap * px_per_pt - _SPOT_VA * ref_box.height
        boxes = np.column_stack([x0 - 1.5 * px_per_pt, y0 - 1.0 * px_per_pt,
                                 x0 + ref_box.width + 1.5 * px_per_pt, y0 + ref_box.height + 1.0 * px_per_pt])
        k = _best_spot(boxes, axes_box, placed, fixed, lab.required)
        if k is None:
            continue
        step, offset, ha, va = _spot(lab.radius, k)
        box = tuple(boxes[k].tolist())
        arrow = None
        if step > 1.0:  # far from its point: a leader line
            arrow = {"arrowstyle": "-", "color": "#999999", "lw": 0.5, "shrinkA": 1.0,
                     "shrinkB": lab.radius}
        text = ax.annotate(lab.text, (lab.x, lab.y), xytext=offset, textcoords="offset points",
                           ha=ha, va=va, fontsize=fontsize, annotation_clip=False, arrowprops=arrow,
                           **(text_kw or {}))
        text.set_in_layout(False)
        placed.add(box)
        texts.append(text)
    return texts


#: where the box of a label starts, in widths (heights) left of (below) its anchor
_SHIFT = {"left": 0.0, "center": 0.5, "right": 1.0, "bottom": 0.0, "top": 1.0}


def _unit(dx: float, dy: float) -> tuple[float, float, str, str]:
    norm = np.hypot(dx, dy)
    ha = "left" if dx / norm > 0.3 else ("right" if dx / norm < -0.3 else "center")
    va = "bottom" if dy / norm > 0.3 else ("top" if dy / norm < -0.3 else "center")
    return dx / norm, dy / norm, ha, va


#: every spot tried around a marker, preferred first: each step, each direction
_UNITS = [_unit(dx, dy) for dx, dy in _DIRECTIONS]
_SPOT_STEP = np.repeat(np.array(_STEPS), len(_UNITS))
_SPOT_DX = np.tile(np.array([u[0] for u in _UNITS]), len(_STEPS))
_SPOT_DY = np.tile(np.array([u[1] for u in _UNITS]), len(_STEPS))
_SPOT_HA = np.tile(np.array([_SHIFT[u[2]] for u in _UNITS]), len(_STEPS))
_SPOT_VA = np.tile(np.array([_SHIFT[u[3]] for u in _UNITS]), len(_STEPS))


def _spot(radius: float, k: int) -> tuple[float, tuple[float, float], str, str]:
    """Spot ``k``: (step, offset in points, ha, va)."""
    step = _STEPS[k // len(_UNITS)]
    ux, uy, ha, va = _UNITS[k % len(_UNITS)]
    gap = (radius + 2.5) * step
    return step, (ux * gap, uy * gap), ha, va


def _free(boxes: np.ndarray, axes_box, placed: _Boxes, fixed: _Boxes) -> np.ndarray:
    """Which of ``boxes`` stay inside the axes and overlap no placed label and no obstacle."""
    inside = ((boxes[:, 0] >= axes_box.x0) & (boxes[:, 2] <= axes_box.x1)
              & (boxes[:, 1] >= axes_box.y0) & (boxes[:, 3] <= axes_box.y1))
    return inside & ~placed.hits(boxes) & ~fixed.hits(boxes)


def _best_spot(boxes: np.ndarray, axes_box, placed: _Boxes, fixed: _Boxes, required: bool) -> int | None:
    """The first free spot; when none is, None, or for a ``required`` label the spot whose
    overlaps (summed in order, placed labels first, plus 1e9 outside the axes) are least, the
    first of equals."""
    free = _free(boxes, axes_box, placed, fixed)
    if free.any():
        return int(np.argmax(free))
    if not required:
        return None
    best, best_cost = 0, None
    for k, box in enumerate(boxes.tolist()):
        inside = (box[0] >= axes_box.x0 and box[2] <= axes_box.x1 and box[1] >= axes_box.y0
                  and box[3] <= axes_box.y1)
        cost = sum(placed.overlaps(box) + fixed.overlaps(box)) + (0 if inside else 1e9)
        if best_cost is None or cost < best_cost:
            best, best_cost = k, cost
    return best


class _Boxes:
    """Boxes (x0, y0, x1, y1) in display units, held as arrays: the overlaps of a box with
    a thousand others are computed at once (a large territory has a marker per source)."""

    def __init__(self, boxes=()) -> None:
        self.rows = [tuple(map(float, b)) for b in boxes]
        self.array = np.array(self.rows, dtype=float).reshape(-1, 4)

    def add(self, box) -> None:
        self.rows.append(box)
        self.array = np.array(self.rows, dtype=float).reshape(-1, 4)

    def overlaps(self, box) -> list[float]:
        """The overlapping areas that are not zero, in order (their sum is the sum of every
        overlap: adding zeros changes no float sum)."""
        a = self.array
        w = np.minimum(box[2], a[:, 2]) - np.maximum(box[0], a[:, 0])
        h = np.minimum(box[3], a[:, 3]) - np.maximum(box[1], a[:, 1])
        hit = (w > 0) & (h > 0)
        return (w[hit] * h[hit]).tolist()

    def hits(self, boxes: np.ndarray) -> np.ndarray:
        """For each row of ``boxes``, whether it overlaps any of these boxes (by a positive
        area): only the boxes near the rows are compared."""
        a = self.array
        near = ((a[:, 0] < boxes[:, 2].max()) & (a[:, 2] > boxes[:, 0].min())
                & (a[:, 1] < boxes[:, 3].max()) & (a[:, 3] > boxes[:, 1].min()))
        a = a[near]
        if not len(a):
            return np.zeros(len(boxes), dtype=bool)
        w = np.minimum(boxes[:, 2:3], a[:, 2]) - np.maximum(boxes[:, 0:1], a[:, 0])
        h = np.minimum(boxes[:, 3:4], a[:, 3]) - np.maximum(boxes[:, 1:2], a[:, 1])
        return ((w > 0) & (h > 0)).any(axis=1)
