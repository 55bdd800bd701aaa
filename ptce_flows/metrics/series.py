"""The daily series table of timeseries.csv, built as columns (numpy) rather than row dicts.

Two contents (see docs/outputs.md, "timeseries.csv"):

- **detailed** (``ptce-flows run --detail``): every series of every site, every day: the same
  rows, in the same order and with the same figures, as ``aggregate.timeseries_rows``;
- **aggregated** (the default): the stock waiting at the sources is summed over all sources,
  one daily series per material (site :data:`ALL_SOURCES`, kind ``source``), and each source
  keeps one row, its stock on the last day (what the Sankey diagram and the map read); every
  other series (treatment sites, farms and outlets, disposal) is written in full, as in the
  detailed table. A territory of 1,000 sources then writes about 80,000 rows instead of 520,000.

The sum is taken in each replication before the mean and the percentiles across
replications, so ``low`` and ``high`` of the total are the percentiles of the total (not the
sum of the sources' percentiles). The mean of the total equals the sum of the sources' means
up to the last bits of the float sum and the rounding of every published figure (``DIGITS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ptce_flows.metrics.kpis import ReplicationSummary
from ptce_flows.sim.world import World

#: rounding of published figures (as ``aggregate.DIGITS``)
DIGITS = 6
#: the site column of the sources' summed stock: not a valid site id (ids start with a letter)
ALL_SOURCES = "_all_sources"
#: the per-source series that the aggregated table sums
SUMMED_QUANTITY = "source_stock"


@dataclass
class SeriesTable:
    """timeseries.csv as columns, one entry per row (without the ``scenario`` column).

    ``time_d`` is an integer array; ``value``, ``low`` and ``high`` are lists of Python floats
    already rounded to ``DIGITS`` (exactly as ``round(x, DIGITS)``); the text columns are
    object arrays.
    """

    time_d: np.ndarray
    site: np.ndarray
    kind: np.ndarray
    material: np.ndarray
    quantity: np.ndarray
    unit: np.ndarray
    value: list[float]
    low: list[float]
    high: list[float]
    detail: bool

    def __len__(self) -> int:
        return len(self.time_d)

    def columns(self) -> dict[str, object]:
        return {"time_d": self.time_d, "site": self.site, "kind": self.kind, "material": self.material,
                "quantity": self.quantity, "unit": self.unit, "value": self.value, "low": self.low,
                "high": self.high}

    def rows(self) -> list[dict]:
        """The table as row dicts (the form of ``aggregate.timeseries_rows``)."""
        cols = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.columns().items()}
        names = list(cols)
        return [dict(zip(names, cells, strict=True)) for cells in zip(*cols.values(), strict=True)]


def _heads(world: World, runs: list[ReplicationSummary]) -> list[tuple[str, str, str, str, str]]:
    series = runs[0].series
    heads = []
    for j in range(len(series)):
        site = world.sites[series.site[j]]
        material = world.materials[series.material[j]] if series.material[j] >= 0 else "all"
        heads.append((site, world.site_kind[series.site[j]], material, series.quantity[j],
                      "t/day" if series.flow[j] else "t"))
    return heads


def _summed(world: World, runs: list[ReplicationSummary], stack: np.ndarray, heads: list
            ) -> tuple[np.ndarray, list, set[int]]:
    """The stack with one column per material of the sources' summed stock appended, their
    heads, and the columns of the per-source series (written on the last day only)."""
    per_source = [j for j, h in enumerate(heads) if h[3] == SUMMED_QUANTITY and h[1] == "source"]
    materials = sorted({heads[j][2] for j in per_source})
    extra, extra_heads = [], []
    for m in materials:
        cols = [j for j in per_source if heads[j][2] == m]
        extra.append(stack[:, :, cols].sum(axis=2))
        extra_heads.append((ALL_SOURCES, "source", m, SUMMED_QUANTITY, "t"))
    if extra:
        stack = np.concatenate([stack, np.stack(extra, axis=2)], axis=2)
    return stack, heads + extra_heads, set(per_source)


def _groups(heads: list, order_first: list[int]) -> list[list[int]]:
    """Series grouped by (site, material, quantity), groups in sorted order after
    ``order_first``; series that tie (none do by construction) are interleaved day by day,
    exactly as a stable sort of the rows would."""
    def key(j: int) -> tuple[str, str, str]:
        site, _kind, material, quantity, _unit = heads[j]
        return site, material, quantity

    groups: list[list[int]] = [[j] for j in order_first]
    skip = set(order_first)
    rest = [j for j in range(len(heads)) if j not in skip]
    start = len(groups)
    for j in sorted(rest, key=key):
        if len(groups) > start and key(groups[-1][0]) == key(j):
            groups[-1].append(j)
        else:
            groups.append([j])
    return groups


def series_table(world: World, runs: list[ReplicationSummary], detail: bool = False) -> SeriesTable:
    """Daily levels in long format with the mean and 95 % band across replications.

    Rows are ordered by site, material, quantity and day (the aggregated table puts the
    sources' totals first). ``detail=True`` gives every series (see the module docstring).
    """
    stack = np.stack([run.levels for run in runs])  # (R, days, series)
    heads = _heads(world, runs)
    end_only: set[int] = set()
    first: list[int] = []
    if not detail:
        n = len(heads)
        stack, heads, end_only = _summed(world, runs, stack, heads)
        first = list(range(n, len(heads)))
    mean = stack.mean(axis=0)
    if len(runs) > 1:
        low, high = np.percentile(stack, [2.5, 97.5], axis=0)
    else:
        low = high = mean
    days = mean.shape[0]
    all_days = np.arange(days)
    col_parts, day_parts = [], []
    for group in _groups(heads, first):
        if group[0] in end_only:
            span = all_days[-1:]
        else:
            span = all_days
        col_parts.append(np.tile(np.asarray(group), len(span)))
        day_parts.append(np.repeat(span, len(group)))
    col = np.concatenate(col_parts) if col_parts else np.zeros(0, dtype=int)
    day = np.concatenate(day_parts) if day_parts else np.zeros(0, dtype=int)
    text = np.array(heads, dtype=object).reshape(len(heads), 5) if heads else np.zeros((0, 5), dtype=object)
    picked = text[col]
    return SeriesTable(
        time_d=day, site=picked[:, 0], kind=picked[:, 1], material=picked[:, 2], quantity=picked[:, 3],
        unit=picked[:, 4], value=_round(mean[day, col]), low=_round(low[day, col]),
        high=_round(high[day, col]), detail=detail)


def _round(values: np.ndarray) -> list[float]:
    """Python's ``round(x, DIGITS)`` of every value (correctly rounded; ``np.round`` is not
    always the same in the last bit)."""
    return [round(v, DIGITS) for v in values.tolist()]
