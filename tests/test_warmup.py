"""Warm-up (``warmup_days``): figures cover the reported days only, starting from running
stocks; the balance reads flows = change of stocks."""

from __future__ import annotations

import pytest

from conftest import MINIMAL
from ptce_flows.experiment import run_scenario
from ptce_flows.experiment.faults import cost_of_disruptions
from ptce_flows.metrics.aggregate import summary_dict
from ptce_flows.scenario import load_scenario


def _summary(**overrides):
    loaded = load_scenario(MINIMAL, overrides=overrides)
    result = run_scenario(loaded)
    return result, summary_dict(loaded.spec.name, result.world, result.seed, result.runs)


def test_steady_state_year_of_the_minimal_loop():
    result, s = _summary(warmup_days=365)
    k = s["kpis"]
    assert s["warmup_days"] == 365 and s["horizon_days"] == 365
    assert k["generated_t"] == pytest.approx(3650.0)
    # in steady state every day's intake matures within the year: 0.45 x 3650
    assert k["produced_t"] == pytest.approx(0.45 * 3650)
    # compost is in store when the windows open: the farm gets its whole 900 t
    assert k["delivered_t"] == pytest.approx(900.0)
    assert k["unmet_demand_t"] == pytest.approx(0.0)
    assert s["start_stock_t"]["in_process_t"] == pytest.approx(700.0)
    assert s["end_stock_t"]["in_process_t"] == pytest.approx(700.0)
    assert k["mass_balance_error_t"] < 1e-6
    # collection: 365 trips of the reported year only, 35 km each way
    assert s["by_fleet"]["collection"]["trips"] == 365
    assert s["by_fleet"]["collection"]["tonne_km"] == pytest.approx(35 * 3650)
    assert result.runs[0].levels.shape[0] == 365


def test_storage_fills_when_products_outrun_demand():
    # 1,642.5 t of compost a year, 900 t taken: 2,000 t of storage is full in the third year
    _, year3 = _summary(warmup_days=730)
    assert year3["kpis"]["disposed_t"] > 500
    assert year3["kpis"]["mass_balance_error_t"] < 1e-6


def test_warmup_shifts_disruptions_to_reported_days():
    faults = [{"kind": "outage", "site": "platform", "start_day": 100, "days": 10}]
    loaded = load_scenario(MINIMAL, overrides={"warmup_days": 200, "disruptions": faults})
    result = run_scenario(loaded)
    cost = cost_of_disruptions(result)
    assert cost["not_diverted_t"]["mean"] == pytest.approx(100.0)
    run = result.runs[0]
    j = run.series.quantity.index("disposed")
    disposed = run.levels[:, j]
    assert disposed[100:110].sum() == pytest.approx(100.0) and disposed.sum() == pytest.approx(100.0)


def test_start_day_of_year_is_the_first_reported_day():
    # windows 60-120 and 240-300: with a warm-up the reported day 0 is still 1 January
    result, _ = _summary(warmup_days=100)
    run = result.runs[0]
    j = run.series.quantity.index("delivered")
    days = (run.levels[:, j] > 0).nonzero()[0] + 1
    assert days.min() >= 60 and all(60 <= d <= 120 or 240 <= d <= 300 for d in days)
