"""Abatement cost of a layout against the baseline: EUR paid per tonne of CO2e avoided.

    abatement cost = mean extra cost / mean avoided GHG
                   = mean(cost_layout - cost_base) / mean(ghg_base - ghg_layout)   [EUR / t CO2e]

over the replications both layouts ran with the same seeds (paired). Sign conventions, as in
marginal abatement cost curves: a positive figure is what each tonne avoided costs; a negative
figure means the layout avoids emissions *and* saves money. When the layout emits more than the
baseline the ratio is not an abatement cost (a negative number would read as a win-win when it
is a loss on both counts, or a price for adding emissions), so none is given.

**Interval: Fieller's method.** The figure is a ratio of two paired means. Fieller's 95 %
confidence set for ``R = E[x] / E[y]`` (x: extra cost, y: avoided t CO2e per replication) is
every R with ``(x̄ - R ȳ)² <= t² (s_xx - 2 R s_xy + R² s_yy)``, where ``s`` are the variances
and covariance of the means (sample (co)variances / n) and ``t`` Student's 97.5 % quantile with
n - 1 degrees of freedom. It is exact when the paired differences are normal, uses their
covariance (common random numbers make cost and GHG differences move together), and, unlike
the delta method, says honestly when the denominator cannot be told apart from zero: the set is
then unbounded (``ȳ² <= t² s_yy``, i.e. the avoided GHG is not significant at 5 %) and no
interval, no central figure, is published; the delta method would give a finite, symmetric and
misleading interval around a huge number. When the set is bounded it is the interval between
the two roots, generally not symmetric around the point estimate.

Statuses: ``ok`` (bounded interval), ``no_interval`` (one replication: the point estimate
only), ``unbounded`` (avoided GHG not distinguishable from zero), ``emits_more`` (the layout
emits significantly more than the baseline), ``undefined`` (exactly the same emissions),
``baseline`` (the baseline itself) and ``no_runs``.
"""

from __future__ import annotations

import math

import numpy as np

#: the abatement cost as a ranking KPI, and its unit
ABATEMENT = "abatement_cost_eur_per_t_co2e"
ABATEMENT_UNIT = "EUR/t CO2e"
METHOD = "Fieller (95 %)"
DIGITS = 6


def _r(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(round(float(x), DIGITS))


def fieller(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Fieller's confidence interval of ``mean(x) / mean(y)`` for paired samples; None when
    the confidence set is unbounded (the mean of ``y`` is not distinguishable from zero)."""
    n = len(x)
    mx, my = float(np.mean(x)), float(np.mean(y))
    if n < 2:
        return None
    from scipy import stats  # here, not at the top: importing it costs 0.2 s (docs/performance.md)

    t2 = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) ** 2
    cov = np.cov(np.vstack([x, y]), ddof=1) / n
    sxx, syy, sxy = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    a = my * my - t2 * syy
    if a <= 0:
        return None
    b = mx * my - t2 * sxy            # the roots of a R² - 2 b R + c
    c = mx * mx - t2 * sxx
    disc = max(b * b - a * c, 0.0)    # >= 0 when a > 0 (the point estimate is inside); rounding
    root = math.sqrt(disc)
    return (b - root) / a, (b + root) / a


def abatement(cost: dict[int, float], cost_base: dict[int, float], ghg: dict[int, float],
              ghg_base: dict[int, float], is_baseline: bool = False) -> dict:
    """Abatement cost of a layout against the baseline from per-replication net cost (EUR) and
    net GHG (t CO2e); ``{n, mean, low, high, status, method, extra_cost_eur, avoided_t_co2e}``
    (means of the paired differences)."""
    common = sorted(set(cost) & set(cost_base) & set(ghg) & set(ghg_base))
    x = np.array([cost[i] - cost_base[i] for i in common], dtype=float)      # extra cost
    y = np.array([ghg_base[i] - ghg[i] for i in common], dtype=float)        # avoided GHG
    out = {"n": len(common), "mean": None, "low": None, "high": None, "method": METHOD,
           "extra_cost_eur": _r(float(x.mean())) if len(x) else None,
           "avoided_t_co2e": _r(float(y.mean())) if len(y) else None}
    if is_baseline:
        return {**out, "status": "baseline"}
    if not common:
        return {**out, "status": "no_runs"}
    mx, my = float(x.mean()), float(y.mean())
    scale = max(float(np.max(np.abs(np.r_[[ghg[i] for i in common], [ghg_base[i] for i in common]]))), 1.0)
    if abs(my) <= 1e-12 * scale:
        return {**out, "status": "undefined"}
    if len(common) == 1:
        if my < 0:
            return {**out, "status": "emits_more"}
        return {**out, "mean": _r(mx / my), "status": "no_interval"}
    interval = fieller(x, y)
    if interval is None:
        return {**out, "status": "unbounded"}
    if my < 0:
        return {**out, "status": "emits_more"}
    return {**out, "mean": _r(mx / my), "low": _r(interval[0]), "high": _r(interval[1]), "status": "ok"}
