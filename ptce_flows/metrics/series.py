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


#: the text columns of a row, from the head of its series
TEXT_COLUMNS = ("site", "kind", "material", "quantity", "unit")


@dataclass
class SeriesTable:
    """timeseries.csv as columns (without the ``scenario`` column).

    Row ``i`` is day ``time_d[i]`` of series ``series[i]``, whose text columns are
    ``heads[series[i]]`` (site, kind, material, quantity, unit). ``value``, ``low`` and
    ``high`` are Python floats already rounded to ``DIGITS`` (exactly as ``round(x, DIGITS)``);
    with one replication the three are the same list.
    """

    time_d: np.ndarray
    series: np.ndarray
    heads: list[tuple[str, str, str, str, str]]
    value: list[float]
    low: list[float]
    high: list[float]
    detail: bool

    def __len__(self) -> int:
        return len(self.time_d)

    def rows(self) -> list[dict]:
        """The table as row dicts (the form of ``aggregate.timeseries_rows``)."""
        return [{"time_d": d, **dict(zip(TEXT_COLUMNS, self.heads[j], strict=True)), "value": v, "low": lo,
                 "high": hi}
                for d, j, v, lo, hi in zip(self.time_d.tolist(), self.series.tolist(), self.value, self.low,
                                           self.high, strict=True)]


def series_heads(world: World, runs: list[ReplicationSummary]) -> list[tuple[str, str, str, str, str]]:
    """(site, kind, material, quantity, unit) of each daily series of the runs."""
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
    heads = series_heads(world, runs)
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
    value = _round(mean[day, col])
    low_, high_ = (value, value) if len(runs) == 1 else (_round(low[day, col]), _round(high[day, col]))
    return SeriesTable(time_d=day, series=col, heads=heads, value=value, low=low_, high=high_, detail=detail)


def _round(values: np.ndarray) -> list[float]:
    """Python's ``round(x, DIGITS)`` of every value, bit for bit (correctly rounded;
    ``np.round`` is not always the same in the last bit).

    Vectorised where that is provably the same: ``p = x * 10**DIGITS`` is within half an ulp of
    the exact product, so where ``p`` is farther than ``|p| * 2**-51`` from a half-integer its
    nearest integer ``k`` is the exact product's, and ``k / 10**DIGITS`` (one correctly rounded
    division, ``k`` exact below 2**50) is the double nearest the decimal that ``round`` rounds
    to, as ``round`` returns (the sign of a zero included). Values near a half, large, NaN or
    infinite go through ``round`` itself.
    """
    x = np.asarray(values, dtype=float).ravel()
    scale = float(10**DIGITS)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = x * scale
        nearest = np.rint(scaled)
        sure = np.abs(np.abs(scaled - nearest) - 0.5) > np.abs(scaled) * 2.0**-51
        out = nearest / scale
    if not sure.all():
        doubt = np.flatnonzero(~sure)
        out[doubt] = [round(v, DIGITS) for v in x[doubt].tolist()]
    return out.tolist()
