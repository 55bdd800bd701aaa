"""``sensitivity`` (issue 13, item 6): one-at-a-time low/high of the ranged factors and --param.

Hand case on tests/data/climate_costs.yaml: the composting process factor given as a range
[100, 190, 300] kg CO2e per t received. The factor multiplies the tonnes received at the
platform (8 t/day for a year: about 2,920 t) and nothing else, so net GHG at the low and high
ends differs from the central one by exactly (100 - 190) and (300 - 190) kg x tonnes received,
and no other KPI moves.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from conftest import run_cli
from ptce_flows.cli_sensitivity import parse_range
from ptce_flows.errors import ScenarioError, UsageError
from ptce_flows.experiment import run_scenario
from ptce_flows.experiment.cache import scenario_key
from ptce_flows.experiment.plans import Layout, PlanError, layout_kpis, run_layouts
from ptce_flows.experiment.sensitivity import plan_sensitivity, ranged_factors, run_sensitivity
from ptce_flows.metrics.accounting import balance_factors
from ptce_flows.metrics.differences import describe
from ptce_flows.reports.sensitivity_output import sensitivity_rows
from ptce_flows.scenario import load_scenario

DATA = Path(__file__).resolve().parent / "data" / "climate_costs.yaml"
PROCESS = "climate.processes.composting.kg_co2e_per_t_input"


def _ranged(tmp_path: Path, days: int = 120, noisy: bool = True) -> Path:
    data = yaml.safe_load(DATA.read_text())
    data["horizon_days"] = days
    data["climate"]["processes"]["composting"]["kg_co2e_per_t_input"] = [100, 190, 300]
    if noisy:
        data["sites"]["town"]["supply"]["biowaste"]["variability"] = {"cv": 0.3}
    file = tmp_path / "cc.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    return file


def test_process_factor_moves_net_ghg_by_delta_factor_times_tonnes_received(tmp_path):
    file = _ranged(tmp_path)
    plan = plan_sensitivity(str(file), replications=2)
    assert [p.path for p in plan.parameters] == [PROCESS]       # every other factor is a number
    p = plan.parameters[0]
    assert (p.low, p.central, p.high, p.source, p.factor_only) == (100, 190, 300, "scenario range", True)
    sens = run_sensitivity(plan)
    assert sens.execution.computed == 2                         # the central runs only
    # tonnes received at the platform, replication by replication, from whole summaries of `run`
    run = run_scenario(load_scenario(str(file)), replications=2)
    received = [r.tonnages["received_t"]["platform"] for r in run.runs]
    assert 900 < sum(received) / 2 < 1000                       # 8 t/day x 120 days, within a load
    mean_received = sum(received) / 2
    result = sens.results[0]["kpis"]
    ghg = result["ghg_net_t_co2e"]
    assert ghg["low"]["diff"]["mean"] == pytest.approx((100 - 190) * mean_received / 1000, abs=1e-6)
    assert ghg["high"]["diff"]["mean"] == pytest.approx((300 - 190) * mean_received / 1000, abs=1e-6)
    # the shift is the same in every replication up to its own tonnage: the interval is that spread
    for kpi in ("cost_net_eur", "diverted_t", "jobs_fte"):
        assert result[kpi]["low"]["diff"]["mean"] == 0 and result[kpi]["high"]["diff"]["mean"] == 0
    rows = sensitivity_rows(sens)
    row = next(r for r in rows if r["kpi"] == "ghg_net_t_co2e")
    assert row["swing"] == pytest.approx(200 * mean_received / 1000, rel=1e-6)


def test_factor_only_change_equals_simulating_the_changed_scenario(tmp_path):
    file = _ranged(tmp_path, days=60)
    plan = plan_sensitivity(str(file), replications=2)
    sens = run_sensitivity(plan)
    # simulate the high end as a scenario of its own (its own cache key) and compare
    high = load_scenario(str(file), overrides={PROCESS: 300})
    layout = Layout("high", high, scenario_key(high))
    assert layout.key != scenario_key(plan.central)
    done = run_layouts([layout], plan.seed, 2)
    assert done.computed == 2
    fresh = layout_kpis(done, layout.key, 2, balance_factors(high.spec))
    for kpi in plan.kpis:   # the same numbers, bit for bit
        assert sens.results[0]["kpis"][kpi]["high"] == {
            **describe(fresh[i][kpi] for i in range(2)), "diff": sens.results[0]["kpis"][kpi]["high"]["diff"]}
    central = scenario_key(plan.central)
    for i in range(2):      # the records themselves: the factors changed no simulated flow
        mine, theirs = sens.execution.results[(central, i)], done.results[(layout.key, i)]
        assert {k: v for k, v in mine.items() if k != "wall_time_s"} == {
            k: v for k, v in theirs.items() if k != "wall_time_s"}


def test_default_ranges_are_found_and_simulated_params_are_run(tmp_path):
    data = yaml.safe_load(DATA.read_text())
    data["horizon_days"] = 60
    del data["climate"], data["costs"]          # every factor from the defaults table
    file = tmp_path / "defaults.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    paths = {p.path: p for p in ranged_factors(load_scenario(str(file)))}
    assert (paths[PROCESS].low, paths[PROCESS].central, paths[PROCESS].high) == (17, 190, 380)
    assert paths["climate.disposals.landfill.kg_co2e_per_t"].source == "default range"
    assert "costs.discount_rate" in paths and "costs.sites.platform.capex_eur" in paths
    plan = plan_sensitivity(str(file), params=[("sites.platform.capacity_t_per_day", 6, 10)],
                            kpis=["diverted_t"], replications=1)
    sens = run_sensitivity(plan)
    assert sens.execution.computed == 3          # central, capacity 6, capacity 10
    cap = next(r for r in sens.results if r["parameter"].path == "sites.platform.capacity_t_per_day")
    assert cap["parameter"].central == 8
    k = cap["kpis"]["diverted_t"]
    assert k["low"]["mean"] < sens.central["diverted_t"]["mean"] < k["high"]["mean"]


def test_bad_requests_are_refused():
    with pytest.raises(PlanError, match="unknown KPI"):
        plan_sensitivity(str(DATA), kpis=["nope"])
    with pytest.raises(ScenarioError, match="capacity_t_per_day"):   # the file's own bounds
        run_sensitivity(plan_sensitivity(str(DATA), params=[("sites.platform.capacity_t_per_day", -5, 3)]))
    assert parse_range("costs.discount_rate=0.02:0.08") == ("costs.discount_rate", 0.02, 0.08)
    assert parse_range("fleets.collection.vehicles=1:3") == ("fleets.collection.vehicles", 1, 3)
    for text, message in (("costs.discount_rate=0.08:0.02", "above HIGH"), ("x=a:b", "must be numbers"),
                          ("x=1", "PATH=LOW:HIGH"), ("x=nan:1", "finite"), ("=1:2", "PATH=LOW:HIGH")):
        with pytest.raises(UsageError, match=message):
            parse_range(text)


@pytest.mark.parametrize("param,message", [
    ("costs.discount_rate=0.08:0.02", "LOW (0.08) is above HIGH (0.02)"),
    ("costs.discount_rate=low:high", "LOW and HIGH must be numbers"),
    ("sites.platform.capacity_t_per_day=-5:3", "capacity_t_per_day"),
])
def test_cli_bad_param_exits_2_and_writes_nothing(tmp_path, param, message):
    out = tmp_path / "out"
    proc = run_cli("sensitivity", str(DATA), "--param", param, "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_cli_sensitivity_writes_csv_json_tornados(tmp_path):
    file = _ranged(tmp_path, days=90)
    out = tmp_path / "out"
    proc = run_cli("sensitivity", str(file), "--replications", "2", "--param",
                   "costs.sites.platform.eur_per_t=15:35", "--kpi", "ghg_net_t_co2e", "cost_net_eur",
                   "--out", str(out), "--lang", "fr", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""            # no progress bar when stderr is not a terminal
    assert {p.name for p in out.iterdir()} == {"sensitivity.csv", "sensitivity.json", "manifest.json", "figures"}
    assert {p.name for p in (out / "figures").iterdir()} == {
        f"tornado_{k}.{f}" for k in ("ghg_net_t_co2e", "cost_net_eur") for f in ("png", "svg")}
    rows = list(csv.DictReader((out / "sensitivity.csv").open()))
    assert len(rows) == 4 and {r["parameter"] for r in rows} == {PROCESS, "costs.sites.platform.eur_per_t"}
    cost = next(r for r in rows if r["kpi"] == "cost_net_eur" and r["parameter"].startswith("costs."))
    doc = json.loads((out / "sensitivity.json").read_text())
    received = next(r for r in rows if r["kpi"] == "ghg_net_t_co2e" and r["parameter"] == PROCESS)
    tonnes = float(received["swing"]) * 1000 / 200      # the hand case gives the tonnes received
    assert float(cost["high_minus_central"]) == pytest.approx(10 * tonnes, rel=1e-6)
    assert float(cost["low_minus_central"]) == pytest.approx(-10 * tonnes, rel=1e-6)
    assert doc["replications"] == 2 and doc["kpis"] == {"ghg_net_t_co2e": "t CO2e", "cost_net_eur": "EUR"}
    assert json.loads((out / "manifest.json").read_text())["package"] == "ptce-flows"
    svg = (out / "figures" / "tornado_ghg_net_t_co2e.svg").read_text()
    assert "GES du procédé" in svg and "entrée à sa valeur haute" in svg
    # rerunning replaces the folder: it is recognised as ours
    proc = run_cli("sensitivity", str(file), "--replications", "1", "--out", str(out), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
