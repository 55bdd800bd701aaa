"""Sites from tables: the top-level ``include: [FILE, ...]`` of a scenario.

Each row (GeoJSON: each feature) of a CSV, XLSX or GeoJSON file becomes a site: columns
``id``, ``kind``, ``lat``, ``lon`` (GeoJSON: the Point geometry), optional ``label`` (or
``label.en``, ``label.fr``), ``population``, and any other key of a site as a dotted column
name (``supply.food_waste.kg_per_capita_year``, ``collection.every_days``,
``demand.compost.windows`` with the YAML flow value ``[[60, 120]]``). Cells are read as YAML
1.2 scalars, as in the scenario file (``010`` is ten, ``no`` is text); in a ``;``-delimited
CSV (French Excel) a decimal comma ``12,5`` is read as 12.5. An empty cell sets nothing.

The rows are added to ``sites`` before the variants and the validation, in file order and
before the sites written only in the YAML; a site in the YAML with the id of a row extends
the row (its keys replace the row's, mappings are merged key by key). Every problem of a key
that came from a table is reported at ``FILE:ROW: COLUMN``, those of keys written in the YAML
at their line (:func:`relocate`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ptce_flows.errors import Problem, ScenarioError
from ptce_flows.scenario.tables import Table, read_bytes, read_table, resolve, shown_name
from ptce_flows.scenario.yamlio import YamlDocument, dotted, parse_value

#: Most files in ``include``.
MAX_INCLUDES = 50
#: columns kept as text (never read as YAML: a label ``Nord: zone 2`` is not a mapping)
TEXT_COLUMNS = ("id", "kind", "label", "label.en", "label.fr", "process", "type", "overflow_to")
_DECIMAL_COMMA = re.compile(r"^[-+]?[0-9]+,[0-9]+$")


def site_columns() -> list[str]:
    """First parts of the column names a table of sites may have."""
    from ptce_flows.scenario.schema import (
        DemandSiteSpec,
        DisposalSpec,
        SourceSpec,
        TreatmentSiteSpec,
    )

    names = {"id": None, "lat": None, "lon": None}
    for model in (SourceSpec, TreatmentSiteSpec, DemandSiteSpec, DisposalSpec):
        names.update(dict.fromkeys(k for k in model.model_fields if k != "location"))
    return list(names)


@dataclass
class Included:
    """What the tables added: the rows as sites, where each key came from, the files read."""

    sites: dict[str, dict] = field(default_factory=dict)
    #: dotted key path (``sites.town.population``) -> (file, row, column)
    origins: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    #: (file as written, sha256) of every table read
    files: list[tuple[str, str]] = field(default_factory=list)


def _cell(column: str, value: object, table: Table, row: int) -> object:
    if column in TEXT_COLUMNS:
        return value if isinstance(value, str) else (str(int(value)) if isinstance(value, float)
                                                     and value.is_integer() else str(value))
    if not isinstance(value, str):
        return value
    if table.delimiter == ";" and _DECIMAL_COMMA.match(value):
        return float(value.replace(",", "."))
    try:
        return parse_value(value, table.file)
    except ScenarioError as exc:
        raise ScenarioError([Problem(table.file, row, column, p.message, p.allowed) for p in exc.problems]) from None


def _put(site: dict, parts: list[str], value: object) -> str | None:
    """Set ``site[parts[0]][parts[1]]... = value``; the reason it cannot, or None."""
    node = site
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return "clashes with another column giving the whole value"
    if parts[-1] in node:
        return "clashes with another column giving the same key"
    node[parts[-1]] = value
    return None


def _row_site(table: Table, row: int, values: dict, problems: list[Problem]) -> tuple[str | None, dict, dict]:
    """The site of one row, its id, and the column of each of its key paths."""
    site: dict = {}
    where: dict[tuple, str] = {}
    sid = values.get("id")
    sid = _cell("id", sid, table, row) if sid is not None else None
    if sid is None:
        problems.append(Problem(table.file, row, "id", "missing site id", "every row needs an id"))
    lat, lon = values.get("lat"), values.get("lon")
    for column, raw in values.items():
        if column in ("id", "lat", "lon"):
            continue
        try:
            value = _cell(column, raw, table, row)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        parts = column.split(".")
        error = _put(site, parts, value)
        if error:
            problems.append(Problem(table.file, row, column, error, "give each key once"))
            continue
        for n in range(1, len(parts) + 1):
            where.setdefault(tuple(parts[:n]), column)
    if (lat is None) != (lon is None):
        problems.append(Problem(table.file, row, "lat" if lat is None else "lon", "missing",
                                "give both lat and lon (degrees, WGS84)"))
    elif lat is not None:
        site["location"] = [_cell("lat", lat, table, row), _cell("lon", lon, table, row)]
        where[("location",)] = where[("location", 0)] = "lat"
        where[("location", 1)] = "lon"
    return sid, site, where


def _check_columns(table: Table, allowed: list[str]) -> list[Problem]:
    import difflib

    problems = []
    for column in table.columns:
        first = column.split(".")[0]
        if first in allowed and all(column.split(".")) and not (first in ("id", "lat", "lon") and column != first):
            continue
        guess = difflib.get_close_matches(first, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        problems.append(Problem(table.file, 1, column, f"unknown column '{column}'{hint}",
                                "columns: " + ", ".join(allowed) + ", or a dotted key such as "
                                "supply.biowaste.t_per_day"))
    return problems


def read_includes(names: list, scenario_file: str, at) -> Included:
    """Read every table of ``include``; ``at(index, message)`` locates a problem of the list.

    Raises:
        ScenarioError: every problem of every file at once.
    """
    out = Included()
    first_seen: dict[str, tuple[str, int]] = {}
    problems: list[Problem] = []
    allowed = site_columns()
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            problems.append(at(i, f"expected a file name, found {name!r}"))
            continue
        path = resolve(scenario_file, name)
        shown = shown_name(scenario_file, name)
        try:
            out.files.append((name, hashlib.sha256(read_bytes(path, shown)).hexdigest()))
            table = read_table(path, shown)
        except ScenarioError as exc:
            problems += [at(i, f"'{name}': {p.message}", p.allowed) if p.line is None and not p.path else p
                         for p in exc.problems]
            continue
        problems += _check_columns(table, allowed)
        for row, values in table.rows:
            sid, site, where = _row_site(table, row, values, problems)
            if sid is None:
                continue
            if sid in first_seen:
                f, r = first_seen[sid]
                problems.append(Problem(table.file, row, "id", f"site '{sid}' is already given at {f}:{r}",
                                        "each site once; to change a row, give the site in the YAML"))
                continue
            first_seen[sid] = (table.file, row)
            out.sites[sid] = site
            out.origins[f"sites.{sid}"] = (table.file, row, "id")
            for path, column in where.items():
                out.origins[dotted(("sites", sid, *path))] = (table.file, row, column)
    if problems:
        raise ScenarioError(problems)
    return out


def _merge(base: dict, over: dict) -> dict:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def expand_includes(doc: YamlDocument, file: str) -> YamlDocument:
    """``doc`` with the sites of its ``include`` tables added (and ``include`` removed); the
    origins of their keys in ``doc.cache["origins"]``, the files read in ``doc.cache["inputs"]``."""
    data = doc.data
    if not isinstance(data, dict) or "include" not in data:
        return doc
    names = data["include"]
    if isinstance(names, str):
        names = [names]

    def at(i, message: str, allowed: str = "") -> Problem:
        path = ("include", i) if i is not None and isinstance(doc.data["include"], list) else ("include",)
        return Problem(file, doc.line_of(path), dotted(path), message, allowed)

    if not isinstance(names, list) or not names:
        raise ScenarioError(at(None, "expected a list of table files", "include: [sites.csv, farms.xlsx]"))
    if len(names) > MAX_INCLUDES:
        raise ScenarioError(at(None, f"{len(names)} files, more than {MAX_INCLUDES}"))
    included = read_includes(names, file, at)
    written = data.get("sites")
    sites = dict(included.sites)
    if isinstance(written, dict):
        for sid, site in written.items():
            if sid in sites and isinstance(site, dict):
                _merge(sites[sid], site)
            else:
                sites[sid] = site
    elif written is not None:
        sites = written  # not a mapping: validation reports it at its line
    new = {k: v for k, v in data.items() if k != "include"}
    new["sites"] = sites
    lines = {p: v for p, v in doc.lines.items() if p[:1] != ("include",)}
    out = YamlDocument(data=new, lines=lines, text=doc.text)
    out.cache["origins"] = included.origins
    out.cache["inputs"] = included.files
    return out


def relocate(problem: Problem, origins: dict, lines: dict, file: str) -> Problem:
    """``problem`` at ``FILE:ROW: COLUMN`` when the key it is about came from a table."""
    if not origins or problem.file != file or not problem.path.startswith("sites."):
        return problem
    parts = problem.path.split(".")
    for n in range(len(parts), 1, -1):
        key = ".".join(parts[:n])
        if n > 2 and _written(lines, parts[:n]):
            return problem  # written in the YAML (or set by a variant) over the row
        if key in origins:
            table, row, column = origins[key]
            return Problem(table, row, column, problem.message, problem.allowed)
        if _written(lines, parts[:n]):
            return problem
    return problem


def _written(lines: dict, parts: list[str]) -> bool:
    """Is the key path (as text parts) written in the YAML (list indices may be numbers)?"""
    path = tuple(int(p) if p.isdigit() else p for p in parts)
    return path in lines or tuple(parts) in lines
