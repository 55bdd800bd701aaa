"""Read a results folder (written by ``ptce-flows run``) back into a ResultSet.

Everything is checked before any figure is drawn: a missing folder, a missing file, a file
that does not parse or lacks a column is a ``UsageError`` (exit code 2) that names the file
and says what is wrong, and nothing is written.

The original scenario text (whose comments hold the sources of the figures) is looked for in
this order: ``scenario.yaml`` in the folder, then the ``scenario_file`` of manifest.json as
given and relative to the folder's parents. A candidate is used only if its SHA-256 matches
the manifest's ``scenario_sha256``: a file edited since the run would attach the wrong sources.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import math
import os
import stat
from pathlib import Path

import numpy as np

from ptce_flows.errors import ScenarioError, UsageError
from ptce_flows.metrics.kpis import FLOW_COLUMNS
from ptce_flows.reports.files import plain_cell
from ptce_flows.results.resultset import ResultSet, Series

REQUIRED = ("summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml")
FLOW_KEYS = ("origin", "destination", "material", "fleet")
SERIES_COLUMNS = ("time_d", "site", "material", "quantity", "value", "low", "high")
SOURCE_NAME = "scenario.yaml"
#: the largest file read from a results folder: tables of a 100-year horizon fit well under it
MAX_TABLE_BYTES = 1 << 30
MAX_DOC_BYTES = 64 << 20
MAX_JSON_DEPTH = 16


def _fail(folder: Path, message: str) -> UsageError:
    return UsageError(f"{folder}: {message}")


def check_folder(folder: str | Path) -> Path:
    """The folder as a Path if it looks like a results folder, else a UsageError."""
    folder = Path(folder)
    hint = "give the folder written by `ptce-flows run SCENARIO.yaml --out DIR`"
    if not folder.exists():
        raise _fail(folder, f"no such results folder ({hint})")
    if not folder.is_dir():
        raise _fail(folder, f"not a folder ({hint})")
    missing = [name for name in REQUIRED if not os.path.lexists(folder / name)]
    if missing:
        raise _fail(folder, f"not a results folder: missing {', '.join(missing)} ({hint})")
    for name in REQUIRED:
        _regular(folder / name)
    return folder


def _regular(path: Path) -> os.stat_result:
    """``path``'s status if it is a regular file, not a link (a folder received as an archive
    may hold links to anywhere, FIFOs or devices: none is read)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise _fail(path.parent, f"cannot read {path.name}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise _fail(path.parent, f"{path.name} is a symbolic link: a results folder holds regular files "
                                 "only (copy the real file in its place)")
    if not stat.S_ISREG(info.st_mode):
        raise _fail(path.parent, f"{path.name} is not a regular file (a folder, FIFO or device)")
    return info


def _read_text(path: Path, limit: int = MAX_DOC_BYTES) -> str:
    """The text of a regular file of at most ``limit`` bytes; never follows a link, never blocks."""
    if _regular(path).st_size > limit:
        raise _fail(path.parent, f"{path.name} is larger than {limit >> 20} MB: not a file of ptce-flows")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise _fail(path.parent, f"{path.name} is not a regular file")
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise _fail(path.parent, f"cannot read {path.name}: {exc.strerror}") from None
    if len(raw) > limit:
        raise _fail(path.parent, f"{path.name} is larger than {limit >> 20} MB: not a file of ptce-flows")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path.parent, f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a results file may hold")


def _depth(value, depth: int = 0) -> int:
    if depth > MAX_JSON_DEPTH:
        return depth
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(c, depth + 1) for c in children), default=depth)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(_read_text(path), parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _fail(path.parent, f"{path.name}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise _fail(path.parent, f"{path.name}: not valid JSON ({str(exc)[:200] or 'nested too deeply'})") from None
    if not isinstance(data, dict):
        raise _fail(path.parent, f"{path.name}: expected a JSON object")
    if _depth(data) > MAX_JSON_DEPTH:
        raise _fail(path.parent, f"{path.name}: nested more than {MAX_JSON_DEPTH} levels deep")
    return data


def _read_csv(path: Path, needed: tuple[str, ...], numbers: tuple[str, ...]) -> list[dict]:
    reader = csv.DictReader(_read_text(path, MAX_TABLE_BYTES).splitlines())
    columns = reader.fieldnames or []
    lacking = [c for c in needed if c not in columns]
    if lacking:
        raise _fail(path.parent, f"{path.name}: missing column(s) {', '.join(lacking)} "
                                 f"(found: {', '.join(columns) or 'nothing'})")
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row or None in row.values():
            raise _fail(path.parent, f"{path.name}:{line}: not as many cells as columns")
        row = {k: plain_cell(v) for k, v in row.items()}   # undo the formula guard of write_csv
        try:
            for c in numbers:
                row[c] = float(row[c])
                if not math.isfinite(row[c]):
                    raise ValueError
        except (TypeError, ValueError):
            raise _fail(path.parent, f"{path.name}:{line}: column '{c}' is not a number "
                                     f"(found '{row.get(c)}')") from None
        rows.append(row)
    return rows


def _read_series(path: Path) -> Series:
    """timeseries.csv as a :class:`Series`, checked as :func:`_read_csv` checks it (anything
    it would refuse goes through it, for the same message), column by column: a detailed table
    of a large territory has half a million rows. The cyclic garbage collector is paused
    meanwhile: it would rescan those rows over and over (it tripled the time)."""
    numbers = ("time_d", "value", "low", "high")
    enabled = gc.isenabled()
    gc.disable()
    try:
        columns = _series_columns(path, numbers)
    finally:
        if enabled:
            gc.enable()
    if columns is None:
        return Series.from_rows(_read_csv(path, SERIES_COLUMNS, numbers))   # its message, or an empty table
    return Series.from_columns(*columns)


def _series_columns(path: Path, numbers: tuple[str, ...]):
    """(days, keys, value, low, high) of timeseries.csv, or None if :func:`_read_csv` would
    refuse the file or find it empty."""
    reader = csv.reader(_read_text(path, MAX_TABLE_BYTES).splitlines())
    header = next(reader, [])
    rows = [row for row in reader if row]   # DictReader skips empty rows too
    if not rows or any(c not in header for c in SERIES_COLUMNS) or len(set(header)) != len(header) \
            or any(len(row) != len(header) for row in rows):
        return None
    at = {c: [row[i] for row in rows] for c, i in ((c, header.index(c)) for c in SERIES_COLUMNS)}
    del rows
    try:
        values = {c: np.array(list(map(float, at[c]))) for c in numbers}
    except ValueError:
        return None
    if not all(np.isfinite(v).all() for v in values.values()):
        return None
    texts = [at["site"], at["material"], at["quantity"]]
    for i, column in enumerate(texts):  # undo the formula guard of write_csv, once per distinct text
        plain = {v: plain_cell(v) for v in set(column)}
        if any(k != v for k, v in plain.items()):
            texts[i] = [plain[v] for v in column]
    return (np.trunc(values["time_d"]).astype(np.int64), list(zip(*texts, strict=True)), values["value"], values["low"],
            values["high"])


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _numbers(folder: Path, where: str, value, depth: int) -> None:
    """``value`` is a mapping whose leaves (``depth`` levels down) are finite numbers."""
    if not isinstance(value, dict):
        raise _fail(folder, f"summary.json: {where}: expected a mapping")
    for key, item in value.items():
        if depth > 1:
            _numbers(folder, f"{where}.{key}", item, depth - 1)
        elif not _is_number(item):
            raise _fail(folder, f"summary.json: {where}.{key}: expected a number, found {str(item)[:40]!r}")


def _check_summary(folder: Path, summary: dict) -> None:
    """The sections the figures read, with the types they need (a tampered file is an input error)."""
    for key in ("kpis", "by_fleet", "jobs"):
        if not isinstance(summary.get(key), dict):
            raise _fail(folder, f"summary.json: missing or malformed '{key}' section")
    _numbers(folder, "kpis", summary["kpis"], 1)
    _numbers(folder, "by_fleet", summary["by_fleet"], 2)
    for group, sites in summary["jobs"].items():
        _numbers(folder, f"jobs.{group}", sites, 2)
    for key in ("products_t", "end_stock_t", "start_stock_t"):
        if summary.get(key) is not None:
            _numbers(folder, key, summary[key], 1)
    for key in ("horizon_days", "warmup_days", "seed", "replications"):
        value = summary.get(key)
        if value is not None and not (_is_number(value) and 0 <= value <= 1e12):
            raise _fail(folder, f"summary.json: {key}: expected a whole number, found {str(value)[:40]!r}")
    for key in ("scenario", "variant"):
        if summary.get(key) is not None and not isinstance(summary[key], str):
            raise _fail(folder, f"summary.json: {key}: expected text")
    unc = summary.get("uncertainty") or {}
    if not isinstance(unc, dict):
        raise _fail(folder, "summary.json: uncertainty: expected a mapping")
    for key, stat_ in unc.items():
        ci = stat_.get("ci95") if isinstance(stat_, dict) else None
        if not (isinstance(ci, list) and len(ci) == 2 and all(_is_number(v) for v in ci)):
            raise _fail(folder, f"summary.json: uncertainty.{key}.ci95: expected two numbers")


def _check_scenario(folder: Path, scenario) -> dict:
    if not isinstance(scenario, dict) or not isinstance(scenario.get("sites"), dict) or not scenario["sites"]:
        raise _fail(folder, "scenario.resolved.yaml: expected a scenario with a 'sites' mapping")
    for sid, site in scenario["sites"].items():
        ok = isinstance(site, dict) and isinstance(site.get("kind"), str) \
            and isinstance(site.get("location"), list | tuple) and len(site["location"]) == 2 \
            and all(_is_number(v) for v in site["location"])
        if not ok:
            raise _fail(folder, f"scenario.resolved.yaml: sites.{sid}: needs 'kind' and 'location' [lat, lon]")
    return scenario


def find_source_text(folder: Path, manifest: dict) -> str | None:
    """The original scenario text, if a copy whose hash matches the manifest can be found."""
    want = manifest.get("scenario_sha256")
    candidates = [folder / SOURCE_NAME]
    given = manifest.get("scenario_file")
    if given:
        path = Path(given)
        candidates.append(path)
        if not path.is_absolute():
            candidates += [parent / path for parent in folder.resolve().parents]
    for path in candidates:
        try:
            if path == folder / SOURCE_NAME and path.is_symlink():
                continue  # never follow a link planted in the results folder
            if not path.is_file() or path.stat().st_size > 10 * 1024 * 1024:
                continue
            raw = path.read_bytes()
        except OSError:
            continue
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        # the loader hashes the decoded text (LoadedScenario.sha256)
        if want and hashlib.sha256(text.encode("utf-8")).hexdigest() != want:
            continue
        if not want and path != folder / SOURCE_NAME:
            continue
        return text
    return None


def load_results(folder: str | Path, source_text: str | None = None) -> ResultSet:
    """Read and check the results folder ``folder``.

    Args:
        folder: the folder written by ``ptce-flows run``.
        source_text: the original scenario text when the caller has it (``run --report``);
            otherwise it is looked for (see the module docstring).

    Raises:
        UsageError: the folder is missing, incomplete or a file in it is malformed.
    """
    folder = check_folder(folder)
    summary = _read_json(folder / "summary.json")
    _check_summary(folder, summary)
    flows = _read_csv(folder / "flows.csv", FLOW_KEYS + FLOW_COLUMNS, FLOW_COLUMNS)
    series = _read_series(folder / "timeseries.csv")
    from ptce_flows.scenario.yamlio import parse_yaml  # bounded: sizes, aliases, nesting

    try:
        scenario = parse_yaml(_read_text(folder / "scenario.resolved.yaml"), "scenario.resolved.yaml").data
    except ScenarioError as exc:
        raise _fail(folder, f"scenario.resolved.yaml: not valid YAML ({exc.problems[0].format()})") from None
    scenario = _check_scenario(folder, scenario)
    manifest = _read_json(folder / "manifest.json") if os.path.lexists(folder / "manifest.json") else {}
    if source_text is None:
        source_text = find_source_text(folder, manifest)
    layers = {}
    if os.path.lexists(folder / "map_layers.json"):
        from ptce_flows.network.layers import check_layers

        try:
            layers = check_layers(_read_json(folder / "map_layers.json"))
        except ValueError as exc:
            raise _fail(folder, f"map_layers.json: {exc}") from None
    return ResultSet(summary=summary, flows=flows, series=series,
                     scenario=scenario, manifest=manifest, source_text=source_text, map_layers=layers)
