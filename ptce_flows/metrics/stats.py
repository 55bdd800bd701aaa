"""Statistics over replications: mean, standard deviation and a 95 % confidence interval.

The interval is Student's t: mean +/- t(0.975, n-1) x s / sqrt(n), with s the sample standard
deviation (ddof=1). With one replication, or when every replication gives the same value,
the interval collapses to the mean.
"""

from __future__ import annotations

import math

import numpy as np


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, std, low, high) of ``values``."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return mean, 0.0, mean, mean
    std = float(x.std(ddof=1))
    if std == 0.0:
        return mean, 0.0, mean, mean
    from scipy import stats  # here, not at the top: importing it costs 0.2 s (docs/performance.md)

    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def mean_dicts(rows: list[dict]) -> dict:
    """Element-wise mean of nested dicts of numbers with the same shape (missing keys = 0)."""
    keys: list = []
    for row in rows:
        for key in row:
            if key not in keys:
                keys.append(key)
    out = {}
    for key in keys:
        values = [row.get(key) for row in rows]
        sample = next(v for v in values if v is not None)
        if isinstance(sample, dict):
            out[key] = mean_dicts([v or {} for v in values])
        else:
            out[key] = float(np.mean([0.0 if v is None else v for v in values]))
    return out
