"""Excel workbooks (``.xlsx``): one writer for every command (``run``, ``compare``, ``sweep``,
and any later command such as ``optimise``).

    from ptce_flows.reports.xlsx import Column, Sheet, write_workbook
    write_workbook(path, [Sheet("Flows", [Column("Origin"), Column("Mass (t)", "0.0")],
                                [["Town", 3650.0]])])

Cells are typed: numbers are numeric cells with a number format (Excel shows them with the
reader's own thousands separator and decimal mark: ``12 345,6`` in a French Excel), text is
text. A text cell is never a formula: every text is written as a string, whatever it starts
with (``= + - @``, the equivalent of ``files.safe_cell`` for CSV), and characters XML cannot
hold are dropped. A workbook of at most ``IN_MEMORY_CELLS`` cells given as lists is assembled in
memory (about a quarter faster: 0.15 instead of 0.19-0.25 s for the 32,500 cells of the
1,000-source year); larger ones, or sheets whose rows come from an iterator, are streamed to
disk row by row (``constant_memory``): memory stays flat. The cells are the same either way.

Why XlsxWriter rather than openpyxl: measured on the 1,000-source benchmark year (about
110,000 cells, most of them the daily series of its 205 sites), openpyxl's write-only mode
took 3.1 s (23 µs a cell in its pure-Python XML serialiser) and XlsxWriter 0.6 s for the same
86,000-cell daily sheet that took openpyxl 2.0 s; XlsxWriter is pure Python with no
dependency, and it never turns a string into a formula (``write_string``,
``strings_to_formulas: False``). It cannot read workbooks: tests read them back with openpyxl
(a test dependency).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

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


#: up to this many cells (rows given as lists), the workbook is assembled in memory
IN_MEMORY_CELLS = 500_000


def _streamed(sheets: Sequence[Sheet]) -> bool:
    """Whether to stream rows to disk: rows from an iterator, or more than IN_MEMORY_CELLS."""
    cells = 0
    for sheet in sheets:
        if not isinstance(sheet.rows, Sequence):
            return True
        cells += len(sheet.rows) * max(1, len(sheet.columns))
    return cells > IN_MEMORY_CELLS


def write_workbook(path: str | Path | BinaryIO, sheets: Sequence[Sheet]) -> Path | BinaryIO:
    """Write ``sheets`` into the workbook ``path`` (replaced if it exists), or into a binary
    file object (``io.BytesIO``: the workbook's bytes, for a file written elsewhere).

    Raises:
        ValueError: a sheet with too many rows or columns for Excel.
    """
    import xlsxwriter

    target = path if hasattr(path, "write") else Path(path)
    book = xlsxwriter.Workbook(target if hasattr(target, "write") else str(target),
                               {"constant_memory": _streamed(sheets), "strings_to_formulas": False,
                                "strings_to_numbers": False, "strings_to_urls": False,
                                "nan_inf_to_errors": False})
    try:
        head = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        formats: dict[str, object] = {}

        def number_format(code: str | None):
            if code is None:
                return None
            if code not in formats:
                formats[code] = book.add_format({"num_format": code})
            return formats[code]

        taken: set[str] = set()
        texts: dict[str, str] = {}
        for sheet in sheets:
            _write_sheet(book.add_worksheet(sheet_name(sheet.name, taken)), sheet, head, number_format, texts)
        if not taken:
            book.add_worksheet("Sheet")
    finally:
        book.close()
    return target


def _write_sheet(ws, sheet: Sheet, head, number_format, texts: dict[str, str]) -> None:
    """Write the sheet's cells as :func:`_write_cell` does, with the common cases (a ``float``,
    an ``int``, a ``str``, None) dispatched here and each distinct text cleaned once
    (``texts``: the cache, shared by the sheets of a workbook)."""
    if len(sheet.columns) > MAX_COLUMNS:
        raise ValueError(f"sheet '{sheet.name}': {len(sheet.columns)} columns, Excel holds {MAX_COLUMNS}")
    for i, col in enumerate(sheet.columns):
        ws.set_column(i, i, col.width or min(60, max(10, len(col.header) + 2)))
    r = 0
    for note in sheet.notes:
        ws.write_string(r, 0, _text(note))
        r += 1
    ws.freeze_panes(r + 1, 0)
    for c, col in enumerate(sheet.columns):
        ws.write_string(r, c, _text(col.header), head)
    fmts = [number_format(FORMATS.get(col.fmt, col.fmt) if col.fmt else None) for col in sheet.columns]
    width = len(fmts)
    write_number, write_string, isfinite = ws.write_number, ws.write_string, math.isfinite
    for row in sheet.rows:
        r += 1
        if r >= MAX_ROWS:
            raise ValueError(f"sheet '{sheet.name}': more than {MAX_ROWS} rows, more than Excel holds")
        for c, value in enumerate(row[:width]):
            kind = type(value)
            if kind is float or kind is int:
                if isfinite(value):
                    write_number(r, c, value, fmts[c])
            elif kind is str:
                text = texts.get(value)
                if text is None:
                    text = texts[value] = _text(value)
                write_string(r, c, text)
            elif value is not None:
                _write_cell(ws, r, c, value, fmts[c])


def _write_cell(ws, r: int, c: int, value, fmt) -> None:
    """A finite number as a number (with its column's format), a bool as a bool, None and NaN
    as an empty cell, anything else as a string: never a formula, whatever it starts with."""
    if value is None:
        return
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        value = value.item()
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        if math.isfinite(value):
            ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, _text(str(value)))


def _letter(index: int) -> str:
    """Column letter of a 0-based index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out
