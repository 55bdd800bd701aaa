"""Modelled faults (issue #6): outages, fleet unavailability, breakdowns, and what they cost."""

from __future__ import annotations

import pytest

from conftest import MINIMAL
from ptce_flows.experiment import run_scenario
from ptce_flows.experiment.faults import cost_of_disruptions
from ptce_flows.scenario import load_dict, load_scenario


def _run(disruptions, replications=1, **overrides):
    loaded = load_scenario(MINIMAL, overrides={"disruptions": disruptions, **overrides})
    result = run_scenario(loaded, replications=replications)
    return result, cost_of_disruptions(result)


@pytest.mark.parametrize("days", [1, 7, 30])
def test_outage_sends_about_n_times_10_t_to_disposal(days):
    result, cost = _run([{"kind": "outage", "site": "platform", "start_day": 100, "days": days}])
    k = result.runs[0].kpis
    assert k["disposed_t"] == pytest.approx(10.0 * days, rel=0.05)
    assert cost["not_diverted_t"]["mean"] == pytest.approx(10.0 * days, rel=0.05)
    # the landfill is 20 km from town, the platform 35: an outage saves tonne-km here
    assert cost["extra_tonne_km"]["mean"] == pytest.approx((20 - 35) * 10.0 * days, rel=0.05)
    assert k["mass_balance_error_t"] < 1e-6


def test_outage_reroutes_to_another_platform_before_disposal(minimal_data):
    data = minimal_data
    data["sites"]["platform_b"] = {"kind": "treatment", "location": [43.50, 1.70], "process": "composting",
                                   "capacity_t_per_day": 12, "storage_t": 2000}
    data["roads"].append(["town", "platform_b", 50])
    data["roads"].append(["platform_b", "farm", 25])
    data["disruptions"] = [{"kind": "outage", "site": "platform", "start_day": 50, "days": 20}]
    result = run_scenario(load_dict(data))
    k = result.runs[0].kpis
    assert k["disposed_t"] == 0.0
    intake = result.runs[0].jobs["by_site"]
    assert intake["platform_b"]["fte"] > 0
    cost = cost_of_disruptions(result)
    assert cost["not_diverted_t"]["mean"] == 0.0
    assert cost["extra_tonne_km"]["mean"] == pytest.approx((50 - 35) * 10.0 * 20, rel=0.05)


def test_fleet_unavailable_builds_a_backlog_that_recovers():
    result, cost = _run([{"kind": "fleet_unavailable", "fleet": "collection", "share": 1.0,
                          "start_day": 100, "days": 10}])
    run = result.runs[0]
    j = run.series.quantity.index("source_stock")
    assert run.levels[100:110, j].max() == pytest.approx(100.0, abs=10.0)  # ten days of 10 t waiting
    rec = cost["recovery_days"]
    assert rec["replications_recovered"] == 1
    assert 0 <= rec["mean"] <= 5


def test_half_fleet_unavailable_is_absorbed():
    _, cost = _run([{"kind": "fleet_unavailable", "fleet": "collection", "share": 0.5,
                     "start_day": 100, "days": 10}])
    assert cost["not_diverted_t"]["mean"] == 0.0
    assert cost["recovery_days"]["mean"] == 0.0


def test_breakdowns_are_random_but_seeded():
    faults = [{"kind": "breakdowns", "fleet": "collection", "per_vehicle_per_year": 20, "repair_days": 3}]
    a, _ = _run(faults)
    b, _ = _run(faults)
    assert a.runs[0].extra["breakdowns"] == b.runs[0].extra["breakdowns"] > 0
    # about 20 per vehicle-year on 2 vehicles, minus repair time: a Poisson count
    assert 15 <= a.runs[0].extra["breakdowns"] <= 60
    c, _ = _run(faults, seed=99)
    assert c.runs[0].kpis != a.runs[0].kpis or c.runs[0].extra != a.runs[0].extra


def test_single_truck_breakdowns_leave_waste_waiting():
    faults = [{"kind": "breakdowns", "fleet": "collection", "per_vehicle_per_year": 12, "repair_days": 4}]
    result, cost = _run(faults, replications=3, **{"fleets.collection.vehicles": 1})
    assert result.runs[0].extra["breakdowns"] > 0
    assert cost["breakdowns"]["mean"] > 0
    assert "recovery_days" not in cost  # breakdowns never end: no recovery date
    # with one truck out of service, waste waits at the town: the stock there rises above 0
    run = result.runs[0]
    j = run.series.quantity.index("source_stock")
    assert run.levels[:, j].max() >= 10.0
    for run in result.runs:
        assert run.kpis["mass_balance_error_t"] < 1e-6


def test_disruptions_do_not_change_supply():
    faults = [{"kind": "outage", "site": "platform", "start_day": 10, "days": 5}]
    loaded = load_scenario(MINIMAL, overrides={"disruptions": faults,
                                              "sites.town.supply.biowaste.variability": {"cv": 0.4}})
    result = run_scenario(loaded, replications=2)
    twin = run_scenario(load_scenario(MINIMAL, overrides={"sites.town.supply.biowaste.variability": {"cv": 0.4}}),
                        replications=2)
    for a, b in zip(result.runs, twin.runs, strict=True):
        assert a.kpis["generated_t"] == b.kpis["generated_t"]


def test_cli_prints_and_writes_disruption_cost(tmp_path):
    import json

    from conftest import run_cli

    text = MINIMAL.read_text().replace(
        "seed: 1", "seed: 1\ndisruptions:\n  - {kind: outage, site: platform, start_day: 100, days: 14}")
    file = tmp_path / "outage.yaml"
    file.write_text(text)
    proc = run_cli("run", str(file), "--out", str(tmp_path / "res"))
    assert proc.returncode == 0, proc.stderr
    assert "Sent to disposal instead of treatment" in proc.stdout
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert summary["disruption"]["not_diverted_t"]["mean"] == pytest.approx(140.0)
    assert summary["kpis"]["disposed_t"] == pytest.approx(140.0)
