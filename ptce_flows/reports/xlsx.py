"""Excel workbooks (``.xlsx``): one writer for every command (``run``, ``compare``, ``sweep``,
and any later command such as ``optimise``).

    from ptce_flows.reports.xlsx import Column, Sheet, write_workbook
    write_workbook(path, [Sheet("Flows", [Column("Origin"), Column("Mass (t)", "0.0")],
                                [["Town", 3650.0]])])

Cells are typed: numbers are numeric cells with a number format (Excel shows them with the
reader's own thousands separator and decimal mark: ``12 345,6`` in a French Excel), text is
text. A text cell is never a formula: openpyxl would turn a string starting with ``=`` into
one, so every text cell is written as an inline string (``t="inlineStr"``), whatever it starts
with (``= + - @``, the equivalent of ``files.safe_cell`` for CSV), and characters XML cannot
hold are dropped. openpyxl's write-only mode streams rows to disk (memory stays flat).

Why openpyxl rather than XlsxWriter: the project reads XLSX too (site tables), which
XlsxWriter cannot, and tests read the workbooks back; one dependency does both. Write speed
is not the limit here: a workbook holds summaries (the daily series of sites, not of every
source), a few thousand to a few hundred thousand cells (``docs/outputs.md``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: number formats by short name (Excel format codes, locale-neutral)
FORMATS = {
    "int": "#,##0",
    "0": "#,##0",
    "0.0": "#,##0.0",
    "0.00": "#,##0.00",
    "0.000": "#,##0.000",
    "0.000000": "#,##0.000000",
    "pct": "0.0%",
    "general": "General",
}
#: Excel's limits: sheet names (31 characters, no ``[]:*?/\``), rows and columns per sheet
MAX_SHEET_NAME = 31
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_TEXT = 32_767
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


@dataclass(frozen=True)
class Column:
    """A column: its header (with the unit, e.g. ``Mass (t)``), the number format of its
    numbers (a key of :data:`FORMATS` or an Excel code; None: ``General``) and a width."""

    header: str
    fmt: str | None = None
    width: float | None = None


@dataclass
class Sheet:
    """A sheet: a name, its columns and its rows (lists of values, one per column).

    Values: ``int``/``float`` (numeric cells; NaN and infinities are left empty), ``str``
    (text), ``bool``, or None (an empty cell). ``note`` rows are written above the header
    (a title line, the unit convention).
    """

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence] = field(default_factory=list)
    notes: Sequence[str] = ()


def sheet_name(name: str, taken: set[str]) -> str:
    """``name`` as Excel accepts it (31 characters, no ``[]:*?/\\``), unique in ``taken``."""
    base = _BAD_SHEET_CHARS.sub(" ", name).strip().strip("'") or "Sheet"
    base = base[:MAX_SHEET_NAME]
    out, n = base, 2
    while out.lower() in taken:
        suffix = f" ({n})"
        out = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        n += 1
    taken.add(out.lower())
    return out


def _text(value: str) -> str:
    text = _ILLEGAL.sub("", value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` into the workbook ``path`` (replaced if it exists).

    Raises:
        ValueError: a sheet with too many rows or columns for Excel.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    book = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    taken: set[str] = set()
    for sheet in sheets:
        if len(sheet.columns) > MAX_COLUMNS:
            raise ValueError(f"sheet '{sheet.name}': {len(sheet.columns)} columns, Excel holds {MAX_COLUMNS}")
        ws = book.create_sheet(sheet_name(sheet.name, taken))
        header_row = len(sheet.notes) + 1
        ws.freeze_panes = f"A{header_row + 1}"
        for i, col in enumerate(sheet.columns):
            ws.column_dimensions[_letter(i)].width = col.width or min(60, max(10, len(col.header) + 2))

        def text_cell(value: str, font=None, align=None):
            cell = WriteOnlyCell(ws, _text(value))
            cell.data_type = "s"  # never a formula, whatever the text starts with
            if font is not None:
                cell.font = font
            if align is not None:
                cell.alignment = align
            return cell

        for note in sheet.notes:
            ws.append([text_cell(note)])
        ws.append([text_cell(col.header, bold, wrap) for col in sheet.columns])
        formats = [FORMATS.get(col.fmt, col.fmt) if col.fmt else None for col in sheet.columns]
        count = header_row
        for row in sheet.rows:
            count += 1
            if count > MAX_ROWS:
                raise ValueError(f"sheet '{sheet.name}': more than {MAX_ROWS} rows, more than Excel holds")
            ws.append([_cell(ws, value, fmt, text_cell) for value, fmt in zip(row, formats, strict=False)])
    if not taken:
        book.create_sheet("Sheet")
    path = Path(path)
    book.save(path)
    return path


def _cell(ws, value, fmt: str | None, text_cell):
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value) if not isinstance(value, int) else value
        if isinstance(number, float) and not math.isfinite(number):
            return None
        cell = WriteOnlyCell(ws, number)
        if fmt:
            cell.number_format = fmt
        return cell
    if hasattr(value, "item"):  # a numpy scalar
        return _cell(ws, value.item(), fmt, text_cell)
    return text_cell(str(value))


def _letter(index: int) -> str:
    """Column letter of a 0-based index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out
