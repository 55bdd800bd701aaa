"""A4 pages for the PDF report: text that flows over pages, figures placed on pages, and the
PDF itself (as bytes; the report layer writes the file).

Pages are matplotlib figures of 8.27 x 11.69 in. A :class:`PageWriter` keeps a cursor going
down the page and starts a new page when the next block does not fit: headings, wrapped
paragraphs, tables with wrapped cells, and report figures (drawn by
:func:`ptce_flows.plotting.figures.draw` at their natural size, so a figure in the PDF is the
same as its PNG and SVG files). Page numbers are added at the end, when the total is known.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ptce_flows.i18n import tr
from ptce_flows.plotting import figures as report_figures
from ptce_flows.plotting.style import (
    FIG_WIDTH_IN,
    FONT_SIZE,
    TEXT,
    literal_text,
    style,
    text_width_pt,
)
from ptce_flows.results.resultset import ResultSet

PAGE_W, PAGE_H = 8.27, 11.69
MARGIN_X = (PAGE_W - FIG_WIDTH_IN) / 2.0
MARGIN_TOP, MARGIN_BOTTOM = 0.65, 0.75
#: average glyph width of DejaVu Sans as a share of the font size (for cutting long words)
CHAR_EM = 0.56

def chars_per(width_in: float, size: float) -> int:
    """About how many characters of text at ``size`` points fit in ``width_in`` inches."""
    return max(8, int(width_in * 72.0 / (CHAR_EM * size)))


#: no glyph of the font is narrower than this share of the font size (DejaVu Sans: "i", "'"
#: about 0.27): a longer string cannot fit, and is not measured
MIN_CHAR_EM = 0.15


def wrap_text(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap of ``text`` to ``width_in`` inches, measuring each line.

    Words too long for a line are cut into pieces that fit. The work is linear in the length
    of the text: no string longer than a line can be is ever measured, and a long word is cut
    piece by piece with a bisection on the piece (a 50 KB token takes milliseconds).
    """
    limit = width_in * 72.0
    most = int(limit / (MIN_CHAR_EM * size)) + 1

    def fits(piece: str) -> bool:
        return len(piece) <= most and text_width_pt(piece, size, bold) <= limit

    lines: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}" if line else word
            if fits(trial):
                line = trial
                continue
            if line:
                lines.append(line)
            pieces = [word] if fits(word) else _cut(word, fits, most)
            lines.extend(pieces[:-1])
            line = pieces[-1]
        lines.append(line)
    return lines or [""]


def _cut(word: str, fits, most: int) -> list[str]:
    """``word`` in pieces that each fit (the longest prefix that fits, by bisection)."""
    pieces = []
    while word:
        low, high = 1, min(len(word), most)   # the first character always goes (no empty piece)
        while low < high:
            mid = (low + high + 1) // 2
            if fits(word[:mid]):
                low = mid
            else:
                high = mid - 1
        pieces.append(word[:low])
        word = word[low:]
    return pieces


def wrap_path(path: str, width: int) -> list[str]:
    """Wrap a dotted key path at its dots (long parts are cut)."""
    lines, line = [], ""
    for part in path.split("."):
        piece = part if not line else "." + part
        if line and len(line) + len(piece) > width:
            lines.append(line)
            piece = "." + part
            line = ""
        line += piece
        while len(line) > width:
            lines.append(line[:width])
            line = line[width:]
    if line:
        lines.append(line)
    return lines or [""]


@dataclass
class Column:
    title: str
    width_in: float
    path: bool = False   # wrap at dots
    align: str = "left"  # or "right" (numbers)


class PageWriter:
    """Writes blocks top to bottom over as many A4 pages as needed."""

    def __init__(self, header: str = ""):
        self.pages: list[Figure] = []
        self.header = header
        self.y = 0.0
        self.new_page()

    # --- pages ---------------------------------------------------------------------------
    def new_page(self) -> None:
        fig = Figure(figsize=(PAGE_W, PAGE_H))
        if self.header:
            fig.text(MARGIN_X / PAGE_W, 1 - 0.38 / PAGE_H, self.header, fontsize=FONT_SIZE - 1,
                     color="#777777", ha="left", va="baseline")
        self.pages.append(fig)
        self.y = MARGIN_TOP

    @property
    def page(self) -> Figure:
        return self.pages[-1]

    def room(self) -> float:
        return PAGE_H - MARGIN_BOTTOM - self.y

    def ensure(self, height_in: float) -> None:
        """Start a new page unless ``height_in`` inches fit below the cursor."""
        if height_in > self.room() and self.y > MARGIN_TOP + 1e-6:
            self.new_page()

    def _fy(self, y_in: float) -> float:
        return 1.0 - y_in / PAGE_H

    # --- blocks --------------------------------------------------------------------------
    def space(self, inches: float) -> None:
        self.y += inches

    def heading(self, text: str, size: float = 13.0, keep_with: float = 1.0) -> None:
        self.ensure(size / 72.0 * 1.6 + keep_with)
        self.y += size / 72.0 * 1.15
        self.page.text(MARGIN_X / PAGE_W, self._fy(self.y), text, fontsize=size, fontweight="bold",
                       color=TEXT, ha="left", va="baseline")
        self.y += size / 72.0 * 0.55

    def paragraph(self, text: str, size: float = FONT_SIZE + 1, color: str = TEXT, style_: str = "normal",
                  width_in: float = FIG_WIDTH_IN, indent_in: float = 0.0) -> None:
        lines = wrap_text(text, width_in - indent_in, size)
        line_h = size / 72.0 * 1.3
        for line in lines:
            self.ensure(line_h)
            self.y += line_h
            self.page.text((MARGIN_X + indent_in) / PAGE_W, self._fy(self.y - 0.25 * line_h), line,
                           fontsize=size, color=color, style=style_, ha="left", va="baseline")
        self.y += 0.3 * line_h

    def table(self, columns: list[Column], rows: list[list[str]], size: float = FONT_SIZE - 0.5,
              header: bool = True) -> None:
        """A table with wrapped cells and, if ``header``, a header row repeated on each page."""
        line_h = size / 72.0 * 1.28
        pad = 0.05

        def wrapped(row, bold=False):
            cells = []
            for col, text in zip(columns, row, strict=True):
                if col.path:
                    cells.append(wrap_path(str(text), chars_per(col.width_in - 0.1, size)))
                else:
                    cells.append(wrap_text(str(text), col.width_in - 0.1, size, bold))
            return cells

        def draw(cells, bold=False, shade=None):
            height = max(len(c) for c in cells) * line_h + 2 * pad
            if shade:
                self.page.patches.append(_rect(self.page, MARGIN_X, self.y, FIG_WIDTH_IN, height, shade))
            x = MARGIN_X
            for col, lines in zip(columns, cells, strict=True):
                right = col.align == "right"
                tx = x + col.width_in - 0.05 if right else x + 0.05
                for k, line in enumerate(lines):
                    self.page.text(tx / PAGE_W, self._fy(self.y + pad + (k + 0.78) * line_h), line,
                                   fontsize=size, color=TEXT, fontweight="bold" if bold else "normal",
                                   ha="right" if right else "left", va="baseline")
                x += col.width_in
            self.y += height

        head = wrapped([c.title for c in columns], bold=True)
        header_h = max(len(c) for c in head) * line_h + 2 * pad if header else 0.0
        for i, row in enumerate(rows):
            cells = wrapped(row)
            height = max(len(c) for c in cells) * line_h + 2 * pad
            if i == 0 or height > self.room():
                self.ensure(header_h + height)
                if header:
                    draw(head, bold=True, shade="#E8EEF4")
            draw(cells, shade="#F5F5F5" if i % 2 else None)
        self.y += 0.1

    def figure(self, name: str, results: ResultSet, lang: str, title: str, caption: str,
               sites: list[str] | None = None) -> None:
        """A report figure with its title above and its caption below, on one page."""
        w, h = report_figures.size(name, results, sites)
        cap_lines = len(wrap_text(caption, FIG_WIDTH_IN, FONT_SIZE)) if caption else 0
        needed = 0.45 + h + cap_lines * FONT_SIZE / 72.0 * 1.3 + 0.25
        if needed > self.room():
            self.new_page()
        self.heading(title, 12.0, keep_with=h)
        max_h = self.room() - cap_lines * FONT_SIZE / 72.0 * 1.3 - 0.2
        h = min(h, max_h)
        rect = (MARGIN_X / PAGE_W, self._fy(self.y + h), w / PAGE_W, h / PAGE_H)
        fig = self.page
        if report_figures.uses_grid(name):
            # lay out this figure's grid inside its rectangle now, then freeze its axes so
            # that a later grid figure on the same page is laid out on its own
            fig.set_layout_engine("constrained")
            before = set(fig.axes)
            report_figures.draw(name, results, fig, lang, rect, sites)
            fig.get_layout_engine().execute(fig)
            for ax in fig.axes:
                if ax not in before:
                    ax.set_in_layout(False)
            fig.set_layout_engine("none")
        else:
            report_figures.draw(name, results, fig, lang, rect, sites)
        self.y += h + 0.08
        if caption:
            self.paragraph(caption, FONT_SIZE, "#555555")
        self.y += 0.15

    def image(self, png: bytes, title: str, caption: str = "") -> None:
        """A figure already rendered (PNG bytes) at the text width, its title above."""
        import matplotlib.image as mpimg

        img = mpimg.imread(io.BytesIO(png), format="png")
        w = FIG_WIDTH_IN
        h = w * img.shape[0] / img.shape[1]
        most = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM - 1.0
        if h > most:
            w, h = w * most / h, most
        if 0.6 + h > self.room():
            self.new_page()
        for line in wrap_text(title, FIG_WIDTH_IN, 11.0, bold=True)[:-1]:
            self.heading(line, 11.0, keep_with=h)
        self.heading(wrap_text(title, FIG_WIDTH_IN, 11.0, bold=True)[-1], 11.0, keep_with=h)
        ax = self.page.add_axes((MARGIN_X / PAGE_W, self._fy(self.y + h), w / PAGE_W, h / PAGE_H))
        ax.imshow(img, interpolation="antialiased")
        ax.set_axis_off()
        self.y += h + 0.08
        if caption:
            self.paragraph(caption, FONT_SIZE, "#555555")
        self.y += 0.15

    def finish(self, footer: str, lang: str) -> list[Figure]:
        """Add the footer and page numbers; returns the pages."""
        total = len(self.pages)
        for n, fig in enumerate(self.pages, start=1):
            fig.text(MARGIN_X / PAGE_W, 0.40 / PAGE_H, footer, fontsize=FONT_SIZE - 1.5, color="#777777",
                     ha="left", va="baseline")
            fig.text(1 - MARGIN_X / PAGE_W, 0.40 / PAGE_H, tr("report.page", lang, n=n, total=total),
                     fontsize=FONT_SIZE - 1.5, color="#777777", ha="right", va="baseline")
        return self.pages


def _rect(fig: Figure, x_in: float, y_top_in: float, w_in: float, h_in: float, color: str):
    from matplotlib.patches import Rectangle

    return Rectangle((x_in / PAGE_W, 1 - (y_top_in + h_in) / PAGE_H), w_in / PAGE_W, h_in / PAGE_H,
                     transform=fig.transFigure, facecolor=color, edgecolor="none", zorder=-1)


def new_writer(header: str) -> PageWriter:
    """A PageWriter whose pages get the project's style (call inside ``style()``)."""
    return PageWriter(header)


def render_pdf(pages: list[Figure], title: str = "", lang: str = "en") -> bytes:
    """The pages as one PDF document (bytes), with reproducible metadata."""
    buf = io.BytesIO()
    with style():
        with PdfPages(buf, metadata={"Title": title, "Creator": "ptce-flows", "CreationDate": None,
                                     "Subject": "ptce-flows report", "Keywords": lang}) as pdf:
            for fig in pages:
                pdf.savefig(literal_text(fig))
    return buf.getvalue()
