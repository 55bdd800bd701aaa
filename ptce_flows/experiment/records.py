"""What a run returns and how it is stored: record kinds, their JSON form and their checks.

A *record kind* says what a task computes from ``(world, seed)`` and how that result is
written to and read back from the run cache:

- ``COMPACT`` (``run_record``): the KPIs and breakdowns a comparison keeps, and the
  quantities the climate and cost balances read (``metrics.accounting.quantities``: transport
  by fleet, tonnes received, disposed and delivered), a small dict. Keeping the quantities
  rather than the balance lets a comparison or a sensitivity run recompute the balance with
  other factors from the same records, without simulating again;
- ``SUMMARY`` (``run_summary``): the whole ``ReplicationSummary`` a run's files are written
  from (flows, daily levels), stored with every array's dtype and shape so that tables built
  from a stored summary are identical, bit for bit, to tables built from a fresh one.

A stored record is a file anyone could have edited. Reading one checks it before it is
reused (``decode`` raises ``ValueError`` and the run is recomputed): its schema (keys, types,
finite numbers, array sizes) and its physics: the tonnages close (generated plus the stocks
at the start = disposed, delivered, lost in process and the stocks at the end), nothing
leaves a stage that did not enter it, and the reported balance error is within tolerance.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ptce_flows.metrics.accounting import quantities
from ptce_flows.metrics.kpis import KPI_UNITS, ReplicationSummary, summarise
from ptce_flows.sim.model import simulate
from ptce_flows.sim.records import SeriesMeta

#: version of the compact record; stored records of another version are recomputed
#: (3: ``quantities`` for the climate and cost balances; 4: with the tonnes each transfer station
#: received, for its running cost)
RECORD_FORMAT = 4
#: version of the stored summary
SUMMARY_FORMAT = 1

#: a stored record must close its mass balance within this (t, absolute), plus a relative part
_BALANCE_ABS_T = 1e-6
_BALANCE_REL = 1e-8

_STARTS = ("start_source_stock_t", "start_in_process_t", "start_stored_t",
           "start_waste_in_transit_t", "start_product_in_transit_t")
_END_STOCKS = ("source_stock_t", "in_process_t", "stored_t", "waste_in_transit_t", "product_in_transit_t")

#: arrays of a stored summary: only plain numeric types, never objects
_DTYPES = {"<f8", "<f4", "<i8", "<i4", "|b1", "|u1", "<u4", "<u8", "<i2", "|i1"}
_MAX_ARRAY = 200_000_000


@dataclass(frozen=True)
class RecordKind:
    """What a task computes and how its result is stored (see the module docstring)."""

    name: str                                  # file suffix in the cache ("" for the compact form)
    compute: Callable[[Any, np.random.SeedSequence], Any]   # picklable module-level function
    encode: Callable[[Any], dict]              # result -> JSON-ready dict
    decode: Callable[[Any], Any]               # JSON data -> result; ValueError when invalid
    max_bytes: int                             # larger stored files are not read


def run_replication(world, seed: np.random.SeedSequence) -> ReplicationSummary:
    """Simulate one replication and summarise it (checks the mass balance)."""
    return summarise(world, simulate(world, seed))


def run_record(world, seed: np.random.SeedSequence) -> dict:
    """One replication reduced to what a comparison keeps: a small, JSON-ready dict.

    ``kpis`` are every KPI of ``summarise`` (floats); ``jobs_by_activity`` and ``products_t``
    the breakdowns; ``quantities`` what the climate and cost balances read; ``stocks_t`` the stocks at the start and end of the reported period (for
    checking a stored record); ``events`` and ``wall_time_s`` describe the computation.
    """
    started = time.perf_counter()
    summary = run_replication(world, seed)
    return {
        "format": RECORD_FORMAT,
        "kpis": {k: float(v) for k, v in summary.kpis.items()},
        "products_t": {k: float(v) for k, v in summary.products_t.items()},
        "jobs_by_activity": {k: {kk: float(vv) for kk, vv in row.items()}
                             for k, row in summary.jobs.get("by_activity", {}).items()},
        "stocks_t": {k: float(summary.extra.get(k, 0.0)) for k in (*_STARTS, *_END_STOCKS)},
        "quantities": quantities(summary, world.horizon_days),
        "events": int(summary.events),
        "wall_time_s": time.perf_counter() - started,
    }


# --------------------------------------------------------------------------- checks

def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: not a finite number")
    return float(value)


def _numbers(data: Any, where: str, depth: int = 1) -> dict:
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ValueError(f"{where}: not a table")
    for key, value in data.items():
        if depth > 1:
            _numbers(value, f"{where}.{key}", depth - 1)
        else:
            _number(value, f"{where}.{key}")
    return data


def check_kpis(kpis: Any, stocks: dict[str, float]) -> None:
    """Schema and physics of one replication's KPIs; ``ValueError`` naming what is wrong."""
    _numbers(kpis, "kpis")
    if set(kpis) != set(KPI_UNITS):
        raise ValueError("kpis: not the KPIs of this version")
    k = {key: float(v) for key, v in kpis.items()}
    start = sum(stocks.get(s, 0.0) for s in _STARTS)
    scale = max(1.0, k["generated_t"] + start)
    tol = _BALANCE_ABS_T + _BALANCE_REL * scale
    if any(k[key] < -tol for key, unit in KPI_UNITS.items() if unit == "t" and key != "mass_balance_error_t"):
        raise ValueError("kpis: a negative tonnage")
    if not abs(k["mass_balance_error_t"]) <= tol:
        raise ValueError(f"kpis.mass_balance_error_t: {k['mass_balance_error_t']} t, beyond tolerance")
    if not -tol <= k["diversion_rate"] <= 1 + tol:
        raise ValueError("kpis.diversion_rate: outside 0-1")
    end = sum(stocks.get(s, 0.0) for s in _END_STOCKS)
    if abs(end - k["stock_end_t"]) > tol:
        raise ValueError("kpis.stock_end_t: not the sum of the end stocks")
    out = k["disposed_t"] + k["residues_disposed_t"] + k["delivered_t"] + k["process_losses_t"] + end
    if abs(k["generated_t"] + start - out) > tol:
        raise ValueError("kpis: the tonnages do not close (generated + start stocks != outputs + end stocks)")
    waste_in = stocks.get("start_source_stock_t", 0.0) + stocks.get("start_waste_in_transit_t", 0.0)
    if k["collected_t"] > k["generated_t"] + stocks.get("start_source_stock_t", 0.0) + tol:
        raise ValueError("kpis.collected_t: more than was generated")
    if k["diverted_t"] + k["disposed_t"] > k["collected_t"] + waste_in + tol:
        raise ValueError("kpis.diverted_t: more than was collected")


_QUANTITY_KEYS = {"horizon_days", "generated_t", "fleets", "received_t", "disposed_t", "delivered_t",
                  "transferred_t"}
_FLEET_KEYS = {"vehicle_km", "driver_hours", "co2_t"}


def check_quantities(q: Any, kpis: dict) -> None:
    """Schema and consistency of a record's balance quantities with its KPIs (``ValueError``)."""
    if not isinstance(q, dict) or set(q) != _QUANTITY_KEYS:
        raise ValueError("quantities: not the quantities of this version")
    days = q["horizon_days"]
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ValueError("quantities.horizon_days: not a number of days")
    fleets = _numbers(q["fleets"], "quantities.fleets", depth=2)
    if any(set(row) != _FLEET_KEYS for row in fleets.values()):
        raise ValueError("quantities.fleets: not the fleet quantities of this version")
    tables = {key: _numbers(q[key], f"quantities.{key}")
              for key in ("received_t", "disposed_t", "delivered_t", "transferred_t")}
    k = {key: float(v) for key, v in kpis.items()}
    tol = _BALANCE_ABS_T + _BALANCE_REL * max(1.0, k["generated_t"])
    values = [v for table in tables.values() for v in table.values()]
    values += [v for row in fleets.values() for v in row.values()]
    if any(v < -tol for v in values):
        raise ValueError("quantities: a negative quantity")
    sums = {  # each quantity adds up to its KPI
        "generated_t": (_number(q["generated_t"], "quantities.generated_t"), k["generated_t"]),
        "delivered_t": (sum(tables["delivered_t"].values()), k["delivered_t"]),
        "disposed_t": (sum(tables["disposed_t"].values()), k["disposed_t"] + k["residues_disposed_t"]),
        "transferred_t": (sum(tables["transferred_t"].values()), k["transferred_t"]),
    }
    for key, (mine, theirs) in sums.items():
        if abs(mine - theirs) > tol:
            raise ValueError(f"quantities.{key}: does not add up to the KPIs")
    for key, kpi in (("vehicle_km", "vehicle_km"), ("driver_hours", "driver_hours"), ("co2_t", "co2_t")):
        total = sum(row[key] for row in fleets.values())
        if abs(total - k[kpi]) > 1e-6 * max(1.0, abs(k[kpi])):
            raise ValueError(f"quantities.fleets: {key} does not add up to kpis.{kpi}")


def check_record(data: Any) -> dict:
    """A stored compact record, checked (``ValueError`` when it cannot be trusted)."""
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise ValueError("not a record of this version")
    stocks = _numbers(data.get("stocks_t"), "stocks_t")
    if set(stocks) != {*_STARTS, *_END_STOCKS}:
        raise ValueError("stocks_t: not the stocks of this version")
    check_kpis(data.get("kpis"), stocks)
    _numbers(data.get("products_t"), "products_t")
    _numbers(data.get("jobs_by_activity"), "jobs_by_activity", depth=2)
    check_quantities(data.get("quantities"), data["kpis"])
    if not isinstance(data.get("events"), int) or isinstance(data.get("events"), bool) or data["events"] < 0:
        raise ValueError("events: not a count")
    _number(data.get("wall_time_s"), "wall_time_s")
    return data


# --------------------------------------------------------------------------- whole summaries

_CLASSES = {cls.__name__: cls for cls in (ReplicationSummary, SeriesMeta)}


def _encode(value: Any) -> Any:
    """JSON form of a summary's values, tagged so that decoding gives the same types back."""
    if isinstance(value, np.ndarray):
        if value.dtype.str not in _DTYPES:
            raise ValueError(f"cannot store an array of {value.dtype}")
        return {"t": "array", "dtype": value.dtype.str, "shape": list(value.shape),
                "v": value.ravel().tolist()}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _CLASSES:
        return {"t": "object", "class": type(value).__name__,
                "v": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return _encode(value.item())
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"cannot store a {type(value).__name__}")


def _decode(data: Any) -> Any:
    if isinstance(data, list):
        return [_decode(v) for v in data]
    if not isinstance(data, dict):
        if data is None or isinstance(data, bool | int | float | str):
            return data
        raise ValueError("unexpected value")
    tag = data.get("t")
    if tag == "array":
        return _array(data)
    if tag == "object":
        cls = _CLASSES.get(data.get("class"))
        fields = data.get("v")
        if cls is None or not isinstance(fields, dict):
            raise ValueError("unknown object")
        names = {f.name for f in dataclasses.fields(cls)}
        if set(fields) != names:
            raise ValueError(f"{cls.__name__}: not the fields of this version")
        return cls(**{name: _decode(v) for name, v in fields.items()})
    if tag == "dict" and isinstance(data.get("v"), list):
        pairs = data["v"]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise ValueError("bad table")
        out = {}
        for key, value in pairs:
            key = _decode(key)
            if not isinstance(key, str | int | float | tuple | bool) and key is not None:
                raise ValueError("bad table key")
            out[key] = _decode(value)
        return out
    if tag == "tuple" and isinstance(data.get("v"), list):
        return tuple(_decode(v) for v in data["v"])
    raise ValueError("unknown value")


def _array(data: dict) -> np.ndarray:
    dtype, shape, values = data.get("dtype"), data.get("shape"), data.get("v")
    if dtype not in _DTYPES or not isinstance(shape, list) or not isinstance(values, list):
        raise ValueError("bad array")
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= _MAX_ARRAY for n in shape):
        raise ValueError("bad array shape")
    if math.prod(shape) != len(values):
        raise ValueError("array size does not match its shape")
    kind = np.dtype(dtype).kind
    allowed = (bool,) if kind == "b" else (int,) if kind in "iu" else (int, float)
    if not all(isinstance(v, allowed) and (kind == "b" or not isinstance(v, bool)) for v in values):
        raise ValueError("bad array values")
    array = np.array(values, dtype=dtype).reshape(shape)
    if kind == "f" and not np.isfinite(array).all():
        raise ValueError("array holds NaN or infinity")
    return array


def encode_summary(summary: ReplicationSummary) -> dict:
    return {"format": SUMMARY_FORMAT, "summary": _encode(summary)}


def decode_summary(data: Any) -> ReplicationSummary:
    """A stored summary, checked (``ValueError`` when it cannot be trusted)."""
    if not isinstance(data, dict) or data.get("format") != SUMMARY_FORMAT:
        raise ValueError("not a summary of this version")
    summary = _decode(data.get("summary"))
    if not isinstance(summary, ReplicationSummary) or not isinstance(summary.series, SeriesMeta):
        raise ValueError("not a replication summary")
    _numbers(summary.extra, "extra")
    check_kpis(summary.kpis, summary.extra)
    if not isinstance(summary.levels, np.ndarray) or summary.levels.ndim != 2 \
            or summary.levels.shape[1] != len(summary.series):
        raise ValueError("levels: not one column per series")
    if not isinstance(summary.flows, dict) or not all(
            isinstance(k, tuple) and len(k) == 4 and all(isinstance(x, str) for x in k)
            and isinstance(v, np.ndarray) and v.ndim == 1 for k, v in summary.flows.items()):
        raise ValueError("flows: not (origin, destination, material, fleet) -> numbers")
    if not isinstance(summary.events, int) or summary.events < 0:
        raise ValueError("events: not a count")
    return summary


def _identity(record: Any) -> Any:
    return record


#: the compact record of a comparison
COMPACT = RecordKind("", run_record, _identity, check_record, max_bytes=1 << 20)
#: the whole summary of a run (its files are written from it)
SUMMARY = RecordKind("summary", run_replication, encode_summary, decode_summary, max_bytes=1 << 30)
