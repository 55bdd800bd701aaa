"""The look shared by every figure: colour-blind-safe colours, fonts, sizes, number formats.

Reuse it for any new figure (comparison figures included)::

    from ptce_flows.plotting.style import figure, kind_color, material_colors, number_formatter
    with style():                                  # rcParams of the project (Agg, fonts, SVG text)
        fig, ax = figure(height=3.0)               # 7 in wide: fits an A4 page unchanged
        colors = material_colors(results)          # same material -> same colour everywhere
        ax.yaxis.set_major_formatter(number_formatter(lang))   # 12 345,6 in French

Colours: the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), safe for the
common forms of colour blindness, extended with Paul Tol's "muted" scheme when a scenario has
more materials than Okabe-Ito has colours. Site kinds always have the same colour and marker;
materials get colours by meaning first (compost green, rejects grey...), then in scenario
order, so the same scenario always gets the same colours.

Figures are plain ``matplotlib.figure.Figure`` objects, never registered with pyplot, and are
rendered with the Agg canvas (PNG) or the vector canvases (SVG, PDF): no display and no global
backend switch are needed, so these functions also work inside a notebook or a server.
``import ptce_flows`` never imports this module.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.ticker import Formatter

from ptce_flows.i18n import fmt_number

#: Okabe-Ito colours by name
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
#: Paul Tol's muted scheme, used after Okabe-Ito
TOL_MUTED = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
             "#882255", "#AA4499"]
GREY = "#8C8C8C"
LIGHT_GREY = "#D9D9D9"
TEXT = "#222222"

#: colour and marker of each site kind (markers differ too, so kinds read in greyscale)
KIND_STYLE = {
    "source": {"color": OKABE_ITO["orange"], "marker": "o"},
    "treatment": {"color": OKABE_ITO["blue"], "marker": "s"},
    "farm": {"color": OKABE_ITO["bluish_green"], "marker": "^"},
    "outlet": {"color": OKABE_ITO["reddish_purple"], "marker": "D"},
    "disposal": {"color": "#4D4D4D", "marker": "X"},
    "transfer": {"color": OKABE_ITO["sky_blue"], "marker": "P"},
    "material": {"color": GREY, "marker": "o"},
    "loss": {"color": "#B3B3B3", "marker": "o"},
    "stock": {"color": "#B3B3B3", "marker": "o"},
}

#: colours by meaning: the first keyword found in a material id picks the colour
_MATERIAL_KEYWORDS = [
    (("reject", "refus", "residue", "residu"), "#999999"),
    (("compost",), OKABE_ITO["bluish_green"]),
    (("digestate", "digestat"), "#117733"),
    (("green", "vert", "yard", "garden"), "#999933"),
    (("bio", "food", "organic", "fermentescible", "kitchen"), OKABE_ITO["orange"]),
    (("packag", "emballage", "recyclable"), OKABE_ITO["yellow"]),
    (("cardboard", "paper", "carton", "papier"), OKABE_ITO["sky_blue"]),
    (("plastic", "plastique"), OKABE_ITO["reddish_purple"]),
    (("metal", "steel", "alu", "acier"), OKABE_ITO["blue"]),
    (("wood", "bois"), "#882255"),
    (("glass", "verre"), "#88CCEE"),
    (("manure", "fumier", "lisier", "effluent"), OKABE_ITO["vermillion"]),
]
_FALLBACK = [OKABE_ITO[k] for k in ("vermillion", "sky_blue", "blue", "reddish_purple", "orange",
                                    "bluish_green", "yellow")] + TOL_MUTED

#: width of a figure that fits an A4 page with 2 cm margins, in inches
FIG_WIDTH_IN = 6.9
FONT_SIZE = 8.0

RC = {
    "font.family": "DejaVu Sans",
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.titleweight": "bold",
    "axes.labelsize": FONT_SIZE,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": TEXT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.grid": False,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "xtick.labelsize": FONT_SIZE - 0.5,
    "ytick.labelsize": FONT_SIZE - 0.5,
    "legend.fontsize": FONT_SIZE - 0.5,
    "legend.frameon": False,
    # layouts and label placement are measured at the resolution of the PNG files: Agg text
    # widths vary by up to 10 % with the resolution (hinting), and 300 dpi is closest to the
    # true font metrics used by SVG and PDF viewers
    "figure.dpi": 300,
    "savefig.dpi": 300,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",   # text stays text in SVG (searchable, editable)
    "svg.hashsalt": "ptce-flows",  # stable ids: the same figure gives the same file
    "pdf.fonttype": 42,       # TrueType in PDF (editable text)
    "axes.formatter.use_mathtext": False,
    # labels come from the user's scenario: "$5 and $10" is text, never TeX (mathtext would eat
    # the dollars, and an unknown macro would crash the report); see also literal_text()
    "text.parse_math": False,
    "axes.unicode_minus": True,
}


_MEASURE = RendererAgg(10, 10, 72.0)  # 72 dpi: text extents in points


@contextlib.contextmanager
def style():
    """Context in which figures get the project's rcParams."""
    with matplotlib.rc_context(RC):
        yield


def figure(width: float = FIG_WIDTH_IN, height: float = 3.5, **subplots) -> tuple[Figure, object]:
    """A new figure (not registered with pyplot's state machine) and its axes.

    ``subplots`` go to ``Figure.subplots`` (``nrows``, ``ncols``, ``gridspec_kw``...).
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(**subplots) if subplots else fig.add_subplot()
    return fig, axes


def new_axes(ax=None, width: float = FIG_WIDTH_IN, height: float = 3.5):
    """``ax`` itself, or the axes of a new figure when ``ax`` is None (for ``plot_x(data, ax=None)``)."""
    if ax is not None:
        return ax
    return figure(width, height)[1]


def kind_color(kind: str) -> str:
    return KIND_STYLE.get(kind, KIND_STYLE["material"])["color"]


def kind_marker(kind: str) -> str:
    return KIND_STYLE.get(kind, KIND_STYLE["material"])["marker"]


def material_colors(materials) -> dict[str, str]:
    """A colour per material id: by meaning first (keywords in the id), then in order.

    ``materials`` is a list of ids or anything with a ``materials`` list (a ResultSet).
    Materials that match no keyword take unused palette colours in order; the result is
    deterministic for a given list.
    """
    ids = list(getattr(materials, "materials", materials))
    out: dict[str, str] = {}
    used: set[str] = set()
    for m in ids:
        low = m.lower()
        for words, color in _MATERIAL_KEYWORDS:
            if any(w in low for w in words) and color not in used:
                out[m] = color
                used.add(color)
                break
    free = [c for c in _FALLBACK if c not in used]
    for m in ids:
        if m not in out:
            out[m] = free.pop(0) if free else GREY
    return out


def text_width_pt(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Width of ``text`` in points in the project's font (for layouts decided before drawing)."""
    return _text_width(str(text), float(size), bool(bold))


@functools.lru_cache(maxsize=20000)
def _text_width(text: str, size: float, bold: bool) -> float:
    prop = FontProperties(family=RC["font.family"], size=size, weight="bold" if bold else "normal")
    return _MEASURE.get_text_width_height_descent(text, prop, ismath=False)[0]


class _LocaleFormatter(Formatter):
    """Tick labels in the language's number format, with the decimals the ticks need.

    All the ticks of an axis get the same number of decimals: the fewest (0 to 4) that write
    every tick exactly, so 1.25 and 1.75 are not shown as "1.2" and "1.8".
    """

    def __init__(self, lang: str, decimals: int | None):
        self.lang = lang
        self.decimals = decimals
        self._auto = 0

    def format_ticks(self, values):
        if self.decimals is None:
            self._auto = _decimals_for(values)
        return [self(v, i) for i, v in enumerate(values)]

    def __call__(self, x, pos=None):
        d = self.decimals if self.decimals is not None else (
            self._auto if pos is not None else _decimals_for([x]))
        return fmt_number(x, self.lang, d)


def _decimals_for(values) -> int:
    values = [float(v) for v in values if math.isfinite(v)]
    for d in range(5):
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return 4


def number_formatter(lang: str = "en", decimals: int | None = None) -> Formatter:
    """Tick formatter in the language's number format (thin-space thousands, decimal comma)."""
    return _LocaleFormatter(lang, decimals)


def literal_text(fig: Figure) -> Figure:
    """Make every text of ``fig`` literal (no mathtext), whatever rcParams it was made under.

    Figures made inside :func:`style` already are (``text.parse_math`` is off there); this
    covers text added elsewhere. Called before every rendering.
    """
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return fig


def render(fig: Figure, fmt: str, dpi: float = 300) -> bytes:
    """The figure as ``png``, ``svg`` or ``pdf`` bytes (nothing is written to disk here)."""
    literal_text(fig)
    buf = io.BytesIO()
    if fmt == "png":
        FigureCanvasAgg(fig)  # the Agg canvas, whatever backend pyplot may use elsewhere
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    with style():
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def render_svg_paths(fig: Figure) -> bytes:
    """SVG with text drawn as paths: looks the same without the fonts (for embedding in HTML)."""
    literal_text(fig)
    buf = io.BytesIO()
    with style(), matplotlib.rc_context({"svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
