"""Read the data files a scenario names: tables of rows (CSV, XLSX, GeoJSON) and raw bytes.

A scenario received from someone else may name any path (``/etc/passwd``, ``/dev/zero``, a
FIFO that never ends). Reading a local file the user pointed at is what the feature is for, so
any path is accepted, but only **regular files** are opened (a device or a FIFO is refused
without blocking: the file is opened non-blocking and checked with ``fstat`` on the open
handle), and sizes are bounded: ``MAX_DATA_BYTES`` per file, ``MAX_ROWS`` rows,
``MAX_COLUMNS`` columns, ``MAX_CELL_CHARS`` characters a cell.

Rows are numbered as a spreadsheet shows them: in a CSV or XLSX file the header is row 1
and the first site row 2; in GeoJSON the row is the feature's number (1 for the first).
Messages are ``FILE:ROW: COLUMN: what is wrong (what is allowed)``.

CSV: UTF-8 (a byte-order mark is accepted, as Excel writes one), the delimiter is sniffed
from the header among ``;`` (French Excel), ``,`` and tab. XLSX: the first sheet, read with
openpyxl in read-only mode (values, not formulas). GeoJSON: a ``FeatureCollection`` of
features with a ``Point`` geometry (``[lon, lat]``) and ``properties``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ptce_flows.errors import Problem, ScenarioError

#: Largest data file (table, distances, road graph, map layer), in bytes.
MAX_DATA_BYTES = 200 * 1024 * 1024
#: Most rows in one table (a departement has a few hundred communes, France about 35,000).
MAX_ROWS = 200_000
#: Most columns in one table.
MAX_COLUMNS = 200
#: Most characters in one cell.
MAX_CELL_CHARS = 10_000
#: Largest XLSX file: it is a zip, so its cells take several times its size in memory.
MAX_XLSX_BYTES = 20 * 1024 * 1024

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".geojson", ".json")


@dataclass
class Table:
    """Rows of a data file: ``rows[i] = (row number, {column: value})``; an empty cell is
    absent from its row. CSV values are text; XLSX and GeoJSON values keep their type."""

    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    #: the CSV delimiter (``;`` tells a French Excel file, whose decimal mark is a comma)
    delimiter: str = ","


def resolve(scenario_file: str, name: str) -> str:
    """``name`` relative to the folder of ``scenario_file`` (absolute names stay as given)."""
    path = Path(os.path.expanduser(name))
    if not path.is_absolute():
        path = Path(scenario_file).resolve().parent / path
    return str(path)


def shown_name(scenario_file: str, name: str) -> str:
    """How messages name the data file ``name`` of ``scenario_file``: its path as the scenario
    file was given plus ``name`` (``scenarios/data/sites.csv``), or ``name`` if absolute."""
    name = os.path.expanduser(name)
    return name if os.path.isabs(name) else os.path.normpath(os.path.join(os.path.dirname(scenario_file), name))


def read_bytes(path: str, shown: str, limit: int = MAX_DATA_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (``shown`` in messages), at most ``limit``.

    Raises:
        ScenarioError: missing, not a regular file (folder, device, FIFO), too large, unreadable.
    """
    def fail(message: str, allowed: str = "") -> ScenarioError:
        return ScenarioError(Problem(shown, None, "", message, allowed))

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise fail("no such file") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise fail("is not a regular file (a folder, device or pipe)", "give a data file")
        if info.st_size > limit:
            raise fail(f"file is {info.st_size / 1e6:,.1f} MB, larger than the {limit / 1e6:,.0f} MB limit")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise fail(f"file is larger than the {limit / 1e6:,.0f} MB limit")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def decode(raw: bytes, shown: str) -> str:
    """UTF-8 text (a byte-order mark accepted), or a problem naming the line of the bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(Problem(shown, line, "", f"not valid UTF-8 text (byte 0x{raw[exc.start]:02x})",
                                    "save the file as UTF-8 (Excel: 'CSV UTF-8')")) from None


def read_table(path: str, shown: str) -> Table:
    """The rows of the CSV, XLSX or GeoJSON file ``path`` (by its suffix)."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ScenarioError(Problem(shown, None, "", f"unknown table format '{suffix or path}'",
                                    "one of " + ", ".join(TABLE_SUFFIXES)))
    if suffix == ".xlsx":
        return _read_xlsx(read_bytes(path, shown, MAX_XLSX_BYTES), shown)
    raw = read_bytes(path, shown)
    if suffix in (".geojson", ".json"):
        return _read_geojson(raw, shown)
    return read_csv(decode(raw, shown), shown)


def _check_header(columns: list[str], shown: str) -> list[str]:
    problems = []
    if len(columns) > MAX_COLUMNS:
        raise ScenarioError(Problem(shown, 1, "", f"{len(columns):,} columns, more than {MAX_COLUMNS}"))
    seen: dict[str, int] = {}
    for i, name in enumerate(columns):
        if not name:
            problems.append(Problem(shown, 1, f"column {i + 1}", "a column without a name",
                                    "name every column in the first row"))
        elif name in seen:
            problems.append(Problem(shown, 1, name, f"column given twice (columns {seen[name] + 1} "
                                                    f"and {i + 1})", "each column once"))
        seen.setdefault(name, i)
    if problems:
        raise ScenarioError(problems)
    return columns


def _sniff(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(text: str, shown: str) -> Table:
    """Rows of CSV ``text``; the delimiter (``;``, ``,`` or tab) sniffed from the header."""
    delimiter = _sniff(text)
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise ScenarioError(Problem(shown, 1, "", "the table is empty", "a header row, then one row a site"))
        columns = _check_header([h.strip() for h in header], shown)
        table = Table(shown, columns, delimiter=delimiter)
        for cells in reader:
            row = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(table.rows) >= MAX_ROWS:
                raise ScenarioError(Problem(shown, row, "", f"more than {MAX_ROWS:,} rows"))
            if len(cells) > len(columns):
                raise ScenarioError(Problem(shown, row, "", f"{len(cells)} cells for {len(columns)} columns",
                                            f"cells separated by '{delimiter}'; quote a cell holding it"))
            table.rows.append((row, {c: v.strip() for c, v in zip(columns, cells, strict=False) if v.strip()}))
    except csv.Error as exc:
        raise ScenarioError(Problem(shown, reader.line_num, "", f"not a valid CSV table: {exc}")) from None
    return table


def _read_xlsx(raw: bytes, shown: str) -> Table:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise ScenarioError(Problem(shown, None, "", "reading XLSX needs openpyxl",
                                    "pip install openpyxl, or save the sheet as CSV")) from None
    import warnings
    import zipfile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not read
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ScenarioError(Problem(shown, None, "", f"not a readable XLSX workbook ({exc})",
                                    "save the sheet as .xlsx or as CSV")) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
        header = next(rows, None)
        if header is None:
            raise ScenarioError(Problem(shown, 1, "", "the first sheet is empty"))
        names = [("" if h is None else str(h).strip()) for h in header]
        while names and not names[-1]:
            names.pop()
        table = Table(shown, _check_header(names, shown))
        for number, cells in enumerate(rows, start=2):
            values = {c: v.strip() if isinstance(v, str) else v
                      for c, v in zip(table.columns, cells, strict=False) if v is not None and v != ""}
            values = {c: v for c, v in values.items() if v != ""}
            if not values:
                continue
            if len(table.rows) >= MAX_ROWS:
                raise ScenarioError(Problem(shown, number, "", f"more than {MAX_ROWS:,} rows"))
            for c, v in values.items():
                if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                    raise ScenarioError(Problem(shown, number, c, f"a cell of {len(v):,} characters"))
            table.rows.append((number, values))
        return table
    finally:
        book.close()


def read_json(raw: bytes, shown: str) -> object:
    """JSON of bounded size; a problem with the line of a syntax error."""
    text = decode(raw, shown)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(Problem(shown, exc.lineno, "", f"not valid JSON: {exc.msg}")) from None
    except RecursionError:
        raise ScenarioError(Problem(shown, None, "", "JSON nested too deeply")) from None


def features(data: object, shown: str) -> list:
    """The features of a GeoJSON ``FeatureCollection`` (or of a single ``Feature``)."""
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise ScenarioError(Problem(shown, None, "type", "not a GeoJSON FeatureCollection",
                                    '{"type": "FeatureCollection", "features": [...]}'))
    return data["features"]


def _read_geojson(raw: bytes, shown: str) -> Table:
    found = features(read_json(raw, shown), shown)
    if len(found) > MAX_ROWS:
        raise ScenarioError(Problem(shown, None, "", f"{len(found):,} features, more than {MAX_ROWS:,}"))
    columns: dict[str, None] = {}
    table = Table(shown, [])
    problems = []
    for number, feature in enumerate(found, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        values = {str(k): v for k, v in (props or {}).items() if v is not None and v != ""}
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            problems.append(Problem(shown, number, "geometry", "a site needs a Point geometry",
                                    '"geometry": {"type": "Point", "coordinates": [lon, lat]}'))
            continue
        coords = geometry.get("coordinates")
        if (not isinstance(coords, list) or len(coords) < 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])):
            problems.append(Problem(shown, number, "geometry.coordinates", "expected [lon, lat] numbers"))
            continue
        values.setdefault("lon", coords[0])
        values.setdefault("lat", coords[1])
        columns.update(dict.fromkeys(values))
        table.rows.append((number, values))
    if problems:
        raise ScenarioError(problems)
    table.columns = _check_header(list(columns), shown)
    return table
