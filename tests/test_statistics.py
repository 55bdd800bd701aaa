"""Statistics against known theory, with stated tolerances.

- Daily variability has mean 1: over R replications the mean yearly supply matches the rate
  within 4 standard errors (a false alarm about once in 16,000 runs).
- Seasonality preserves the yearly total exactly.
- The Student-t 95 % interval covers the true mean about 95 % of the time.
- A saturated fleet collects exactly what its shifts allow (deterministic capacity).
- Little's law at the platform: in process = intake rate x residence time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import MINIMAL
from ptce_flows.experiment import run_scenario
from ptce_flows.metrics.stats import mean_ci
from ptce_flows.scenario import load_scenario


@pytest.mark.parametrize("distribution", ["gamma", "lognormal"])
def test_variability_keeps_the_mean(distribution):
    cv, reps, days = 0.5, 40, 365
    loaded = load_scenario(MINIMAL, overrides={
        "sites.town.supply.biowaste.variability": {"cv": cv, "distribution": distribution},
        "sites.platform.capacity_t_per_day": 200})
    result = run_scenario(loaded, replications=reps)
    totals = np.array([r.kpis["generated_t"] for r in result.runs])
    expected = 10.0 * days
    # each year is a sum of 365 independent days of sd 10 x cv
    se = 10.0 * cv * math.sqrt(days) / math.sqrt(reps)
    assert abs(totals.mean() - expected) < 4 * se
    # and the spread across years matches theory within 35 % (chi-square, 39 degrees of freedom)
    assert totals.std(ddof=1) == pytest.approx(10.0 * cv * math.sqrt(days), rel=0.35)


def test_seasonality_preserves_yearly_total():
    shares = [0.03, 0.04, 0.08, 0.12, 0.13, 0.12, 0.09, 0.07, 0.08, 0.10, 0.09, 0.05]
    loaded = load_scenario(MINIMAL, overrides={
        "sites.town.supply.biowaste": {"t_per_year": 3650, "seasonality": shares},
        "sites.platform.capacity_t_per_day": 100})
    result = run_scenario(loaded)
    assert result.runs[0].kpis["generated_t"] == pytest.approx(3650.0, rel=1e-12)
    # May gets 13 % / 3 % of January's daily rate x (31/31)
    levels = result.runs[0].levels
    j = result.runs[0].series.quantity.index("intake")
    jan, may = levels[0:31, j].sum(), levels[120:151, j].sum()
    assert may / jan == pytest.approx(0.13 / 0.03, rel=0.05)


def test_confidence_interval_coverage():
    rng = np.random.default_rng(12345)
    trials, n, covered = 2000, 8, 0
    for _ in range(trials):
        _, _, low, high = mean_ci(rng.normal(5.0, 2.0, size=n))
        covered += low <= 5.0 <= high
    # binomial(2000, 0.95): sd 0.49 %; allow 3 sd
    assert covered / trials == pytest.approx(0.95, abs=0.015)


def test_saturated_fleet_collects_what_its_shifts_allow():
    # one truck, 8 h shift, 35 km each way at 50 km/h + 0.5 h handling = 1.9 h a trip:
    # trips start at 0, 1.9, 3.8, 5.7 h; a fifth would end after 8 h -> 4 trips a day
    loaded = load_scenario(MINIMAL, overrides={
        "fleets.collection.vehicles": 1, "sites.town.supply.biowaste.t_per_day": 100,
        "sites.platform.capacity_t_per_day": 1000, "horizon_days": 50})
    result = run_scenario(loaded)
    k = result.runs[0].kpis
    assert result.runs[0].by_fleet["collection"]["trips"] == 4 * 50
    assert k["collected_t"] == pytest.approx(4 * 10 * 50)
    assert k["generated_t"] - k["collected_t"] == pytest.approx(100 * 50 - 2000)  # waiting at the town


def test_littles_law_at_the_platform():
    loaded = load_scenario(MINIMAL)
    run = run_scenario(loaded).runs[0]
    j = run.series.quantity.index("in_process")
    # after the first 70 days, 10 t/day x 70 days are always in process
    assert run.levels[80:, j] == pytest.approx(np.full(365 - 80, 700.0))
