"""Append-only records of what happened in one replication.

Processes call the recorder to note facts (a shipment left, a shipment arrived, the levels at
the end of a day, the state at the end of the horizon); nothing reads them back during the
run. ``Recorder.finish`` turns the rows into column arrays (``Records``) that the metrics layer
reads afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

#: purpose codes of a shipment
COLLECTION, OVERFLOW, DELIVERY, RESIDUE, FORWARD, CHAIN = 0, 1, 2, 3, 4, 5
PURPOSES = ("collection", "overflow", "delivery", "residue", "forward", "chain")
#: purposes carrying waste (not yet treated): from sources, and forwarded by transfer stations
WASTE_PURPOSES = (COLLECTION, OVERFLOW, FORWARD)


@dataclass
class SeriesMeta:
    """What one column of the daily level matrix holds."""

    site: list[int] = field(default_factory=list)
    material: list[int] = field(default_factory=list)   # -1 for all materials
    quantity: list[str] = field(default_factory=list)
    flow: list[bool] = field(default_factory=list)       # True: cumulative t, diffed into t/day

    def add(self, site: int, material: int, quantity: str, flow: bool) -> None:
        self.site.append(site)
        self.material.append(material)
        self.quantity.append(quantity)
        self.flow.append(flow)

    def __len__(self) -> int:
        return len(self.site)


@dataclass
class State:
    """Every cumulative counter and stock of a replication at one moment (copies): when the
    reported window opens and at the end. Indexed like the ``World``'s tables."""

    sup_generated: np.ndarray      # (supply entries,) cumulative t generated
    sup_collected: np.ndarray      # (supply entries,) cumulative t loaded onto trucks
    sup_stock: np.ndarray          # (supply entries,) t waiting at the source
    treat_intake: np.ndarray       # (treatment, material) cumulative t received
    treat_matured_in: np.ndarray   # (treatment, material) cumulative input t whose batch matured
    treat_in_process: np.ndarray   # (treatment, material) t in process
    treat_produced: np.ndarray     # (treatment, material) cumulative product t
    treat_store: np.ndarray        # (treatment, material) products in store, t
    treat_losses: np.ndarray       # (treatment,) cumulative t lost in process
    disp_waste: np.ndarray         # (disposal, material) cumulative waste t received
    disp_residue: np.ndarray       # (disposal, material) cumulative residue t received
    dem_delivered: np.ndarray      # (demand entries,) cumulative t received
    dem_unmet: np.ndarray          # (demand entries,) cumulative t lapsed
    dem_open: np.ndarray           # (demand entries,) t wanted, not yet promised
    dem_accrued: np.ndarray        # (demand entries,) cumulative t of demand accrued
    breakdowns: np.ndarray         # (1,) breakdowns that happened
    downtime_d: np.ndarray         # (1,) vehicle-days lost to breakdowns
    sup_residual: np.ndarray       # (supply entries,) cumulative residual t (potential not captured)
    disp_residual: np.ndarray      # (disposal, material) cumulative residual t received
    disp_refused: np.ndarray       # (disposal,) cumulative t refused by a full site (sent on)
    disp_over: np.ndarray          # (disposal,) cumulative t taken beyond capacity (no overflow left)
    treat_chain_in: np.ndarray     # (treatment, material) cumulative t received from another treatment
    tr_intake: np.ndarray          # (transfer, material) cumulative t received
    tr_store: np.ndarray           # (transfer, material) t waiting at the transfer station

    def as_dict(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def since(self, start: State | None) -> State:
        """What every counter and stock gained from ``start`` (from zero if None) to here."""
        if start is None:
            return State(*(getattr(self, f.name) - 0.0 for f in fields(self)))
        return State(*(getattr(self, f.name) - getattr(start, f.name) for f in fields(self)))


@dataclass
class Records:
    """Column arrays of one replication's facts (see ``Recorder``)."""

    shipments: dict[str, np.ndarray]
    arrived: np.ndarray                # bool per shipment
    levels: np.ndarray                 # (days, series) end-of-day values
    series: SeriesMeta
    end: State                         # end-of-horizon state and cumulative counters
    horizon_days: int                  # reported days (after any warm-up)
    events: int = 0                    # SimPy events processed (for benchmarks)
    start: State | None = None         # the same state when the reported window opened
    first_row: int = 0                 # shipments before this row left during the warm-up
    arrived_before: np.ndarray | None = None     # bool per shipment: unloaded during the warm-up

    def in_window(self) -> np.ndarray:
        """Bool per shipment: it left during the reported window."""
        return np.arange(len(self.arrived)) >= self.first_row

    def arrived_in_window(self) -> np.ndarray:
        """Bool per shipment: it was unloaded during the reported window."""
        before = self.arrived_before if self.arrived_before is not None else np.zeros_like(self.arrived)
        return self.arrived & ~before

    def window(self) -> State:
        """What every counter and stock gained over the reported window (the whole run
        without warm-up)."""
        return self.end.since(self.start)


#: shipment rows kept as Python tuples before they are packed into a numpy block
_BLOCK_ROWS = 4096


class Recorder:
    """Collects facts during a run.

    Shipment rows are appended as tuples (the cheapest thing to do per trip) and packed into a
    float block every ``_BLOCK_ROWS`` rows, while they are still in the CPU cache: this keeps
    the memory of long runs small (96 bytes a shipment instead of about 400) and makes
    ``finish`` a concatenation instead of a walk over scattered tuples.
    """

    _COLUMNS = ("fleet", "origin", "destination", "material", "purpose", "mass_t",
                "depart_d", "arrive_d", "loaded_km", "empty_km", "driver_h", "co2_kg", "round_km")
    _INTEGER = frozenset(("fleet", "origin", "destination", "material", "purpose"))

    def __init__(self, horizon_days: int, series: SeriesMeta):
        self.horizon_days = horizon_days
        self.series = series
        self._rows: list[tuple] = []
        self._blocks: list[np.ndarray] = []
        self._count = 0
        self._arrivals: list[int] = []
        self.levels = np.zeros((horizon_days, len(series)))
        self._start: State | None = None
        self._first_row = 0
        self._arrivals_before = 0
        self._start_levels = np.zeros(len(series))

    def shipment(self, fleet: int, origin: int, destination: int, material: int, purpose: int,
                 mass_t: float, depart_d: float, arrive_d: float, loaded_km: float,
                 empty_km: float, driver_h: float, co2_kg: float, round_km: float = 0.0) -> int:
        """Note a loaded truck leaving; returns the shipment id. ``round_km``: km driven
        collecting before the haul (collection trips)."""
        rows = self._rows
        rows.append((fleet, origin, destination, material, purpose, mass_t, depart_d,
                     arrive_d, loaded_km, empty_km, driver_h, co2_kg, round_km))
        if len(rows) >= _BLOCK_ROWS:
            self._blocks.append(np.array(rows, dtype=float))
            rows.clear()
        sid = self._count
        self._count = sid + 1
        return sid

    def arrival(self, shipment_id: int) -> None:
        """Note that shipment ``shipment_id`` was unloaded at its destination."""
        self._arrivals.append(shipment_id)

    def window_opens(self, state: State, levels: np.ndarray | None) -> None:
        """Note the state when the reported window opens (after the warm-up days): KPIs are
        computed over what happens from here on. ``levels`` are the cumulative series then."""
        self._start = state
        self._first_row = self._count
        self._arrivals_before = len(self._arrivals)
        if levels is not None:
            self._start_levels = levels

    def day_levels(self, day: int, values: np.ndarray) -> None:
        """Note the end-of-day values of every series for ``day``."""
        self.levels[day] = values

    def finish(self, end: State, events: int = 0) -> Records:
        n = self._count
        # one (n, 13) float table (the integer columns are small counts, exact as floats),
        # then one contiguous array per column
        last = np.array(self._rows, dtype=float).reshape(len(self._rows), len(self._COLUMNS))
        table = np.concatenate([*self._blocks, last]) if self._blocks else last
        shipments = {}
        for k, name in enumerate(self._COLUMNS):
            column = np.ascontiguousarray(table[:, k])
            shipments[name] = column.astype(np.int64) if name in self._INTEGER else column
        arrived = np.zeros(n, dtype=bool)
        if self._arrivals:
            arrived[np.array(self._arrivals, dtype=np.int64)] = True
        arrived_before = np.zeros(n, dtype=bool)
        if self._arrivals_before:
            arrived_before[np.array(self._arrivals[: self._arrivals_before], dtype=np.int64)] = True
        levels = self.levels  # the recorder is done: its matrix becomes the record's
        flows = np.array(self.series.flow, dtype=bool)
        if flows.any():
            cumulative = levels[:, flows]
            levels[:, flows] = np.diff(cumulative, axis=0, prepend=self._start_levels[flows][None, :])
        return Records(shipments, arrived, levels, self.series, end, self.horizon_days, events,
                       self._start, self._first_row, arrived_before)
