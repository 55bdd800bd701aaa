"""``compare``: common random numbers, paired differences to a baseline, failures, files, CLI."""

from __future__ import annotations

import copy
import csv
import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import yaml

from conftest import MINIMAL, run_cli
from ptce_flows.cli_options import parse_sweep_param
from ptce_flows.errors import ScenarioError, UsageError
from ptce_flows.experiment import replication_seeds, run_record
from ptce_flows.experiment.cache import RunCache, scenario_key
from ptce_flows.experiment.execution import Task, execute
from ptce_flows.experiment.plans import PlanError, plan_compare, run_plan
from ptce_flows.experiment.records import COMPACT
from ptce_flows.metrics.differences import BENEFITS, COMPARE_KPIS, paired, rank
from ptce_flows.reports.compare_output import comparison_rows, write_comparison
from ptce_flows.sim.world import build_world

NOISY = {"cv": 0.3}
#: everything to landfill: no platform, so no compost, no farm to serve, no spreading fleet
STATUS_QUO = ["sites.platform", "sites.farm", "fleets.spreading"]


def _noisy(data: dict) -> dict:
    data = copy.deepcopy(data)
    data["sites"]["town"]["supply"]["biowaste"]["variability"] = dict(NOISY)
    return data


def _no_roads_with_near_variant(data: dict) -> dict:
    """Distances by great circle, and a variant that moves the platform towards the town."""
    data = _noisy(data)
    data.pop("roads")
    town = data["sites"]["town"]["location"]
    far = data["sites"]["platform"]["location"]
    near = [round(town[0] + 0.25 * (far[0] - town[0]), 4), round(town[1] + 0.25 * (far[1] - town[1]), 4)]
    data["variants"] = {"near": {"description": "platform a quarter of the way",
                                 "set": {"sites.platform.location": near}}}
    return data


def test_scenario_compared_with_itself_differs_by_exactly_zero(minimal_data, write_yaml, tmp_path):
    a = _noisy(minimal_data)
    b = copy.deepcopy(a)
    b["name"] = "minimal-loop-copy"        # another resolved scenario: computed, not shared
    fa, fb = write_yaml(a, "a.yaml"), write_yaml(b, "b.yaml")
    plan = plan_compare([str(fa), str(fb)], replications=5)
    assert [lay.name for lay in plan.layouts] == ["a", "b"] and plan.baseline == "a"
    assert plan.layouts[0].key != plan.layouts[1].key
    comp = run_plan(plan, cache_dir=tmp_path / "cache")
    assert comp.execution.computed == 10 and not comp.failures
    for kpi, stat in comp.table["layouts"]["b"].items():
        assert stat["diff"] == {"n": 5, "mean": 0.0, "std": 0.0, "low": 0.0, "high": 0.0,
                                "significant": False}, kpi
    for benefit in BENEFITS:
        assert comp.table["benefits"]["b"][benefit]["mean"] == 0.0
    # not trivially zero: the replications themselves vary
    assert comp.table["layouts"]["a"]["generated_t"]["std"] > 0
    assert comp.runs["a"] == comp.runs["b"]


def test_moving_the_platform_towards_the_sources_lowers_tonne_km(minimal_data, write_yaml, tmp_path):
    file = write_yaml(_no_roads_with_near_variant(minimal_data))
    plan = plan_compare([str(file)], replications=4, rank_by="tonne_km")
    assert [lay.name for lay in plan.layouts] == ["base", "near"]
    comp = run_plan(plan, cache_dir=tmp_path / "cache")
    diff = comp.table["layouts"]["near"]["tonne_km"]["diff"]
    assert diff["mean"] < 0 and diff["high"] < 0 and diff["significant"] is True
    avoided = comp.table["benefits"]["near"]["avoided_tonne_km"]
    assert avoided["mean"] == pytest.approx(-diff["mean"]) and avoided["low"] > 0
    # every replication, not only the mean (common random numbers: same supply draws)
    for i in range(4):
        assert comp.runs["near"][i]["tonne_km"] < comp.runs["base"][i]["tonne_km"]
        assert comp.runs["near"][i]["generated_t"] == comp.runs["base"][i]["generated_t"]
    assert comp.ranking[0]["layout"] == "near"      # less tonne-km ranks first


def test_common_random_numbers_make_paired_intervals_narrower(minimal_data, write_yaml, tmp_path):
    file = write_yaml(_no_roads_with_near_variant(minimal_data))
    comp = run_plan(plan_compare([str(file)], replications=6), cache_dir=tmp_path / "c")
    near, base = comp.runs["near"], comp.runs["base"]
    paired_std = comp.table["layouts"]["near"]["tonne_km"]["diff"]["std"]
    # the standard deviation of the difference of two independent layouts would be
    independent = np.hypot(*(np.std([runs[i]["tonne_km"] for i in runs], ddof=1) for runs in (near, base)))
    assert 0 < paired_std < 0.75 * independent
    # what does not depend on the layout does not differ at all
    assert comp.table["layouts"]["near"]["generated_t"]["diff"]["std"] == 0
    assert comp.table["layouts"]["near"]["generated_t"]["std"] > 0
    # replication i of every layout is replication_seeds(seed, n)[i]
    plan = plan_compare([str(file)])
    record = run_record(build_world(plan.layouts[0].loaded), replication_seeds(plan.seed, 6)[3])
    assert record["kpis"]["tonne_km"] == base[3]["tonne_km"]


def test_paired_and_rank_functions():
    d = paired({0: 3.0, 1: 5.0, 2: 4.0}, {0: 1.0, 1: 2.0, 2: 2.0})
    assert d["n"] == 3 and d["mean"] == pytest.approx(7 / 3)
    assert d["low"] < d["mean"] < d["high"] and d["significant"] is True
    assert paired({0: 1.0}, {0: 0.0})["significant"] is None       # one pair: cannot judge
    runs = {"a": {0: {"co2_t": 5.0}, 1: {"co2_t": 6.0}}, "b": {0: {"co2_t": 1.0}, 1: {"co2_t": 2.0}}}
    order = rank(runs, "co2_t")
    assert [r["layout"] for r in order] == ["b", "a"]          # less CO2 is better
    assert order[1]["vs_best"]["mean"] == 4.0 and order[1]["tied_with_best"] is False


def test_variant_selection_baseline_and_errors(minimal_data, write_yaml):
    data = _no_roads_with_near_variant(minimal_data)
    data["variants"]["status_quo"] = {"description": "everything to landfill", "remove": STATUS_QUO}
    file = str(write_yaml(data))
    plan = plan_compare([file], variants="near", baseline="status_quo")
    assert [lay.name for lay in plan.layouts] == ["status_quo", "near"] and plan.baseline == "status_quo"
    assert plan.layouts[0].description == "everything to landfill"
    with pytest.raises(UsageError, match="no layout named 'nowhere'.*layouts: base, near, status_quo"):
        plan_compare([file], variants="nowhere")
    with pytest.raises(PlanError, match="no layout named 'nope'") as info:
        plan_compare([file], baseline="nope")
    assert info.value.option == "baseline"
    with pytest.raises(PlanError, match="unknown KPI"):
        plan_compare([file], rank_by="happiness")
    data["variants"]["broken"] = {"set": {"sites.platform.capacity_t_per_day": -5}}
    with pytest.raises(ScenarioError) as info:
        plan_compare([str(write_yaml(data, "broken.yaml"))])
    assert any("with variant 'broken'" in p.message for p in info.value.problems)


def test_status_quo_baseline_benefits(minimal_data, write_yaml, tmp_path):
    data = copy.deepcopy(minimal_data)
    data["variants"] = {"status_quo": {"remove": STATUS_QUO}}
    comp = run_plan(plan_compare([str(write_yaml(data))], baseline="status_quo"), cache_dir=tmp_path / "c")
    base, sq = comp.runs["base"][0], comp.runs["status_quo"][0]
    assert sq["diverted_t"] == 0 and sq["to_disposal_t"] == pytest.approx(sq["generated_t"] - sq["stock_end_t"])
    gains = comp.table["benefits"]["base"]
    assert gains["avoided_disposal_t"]["mean"] == pytest.approx(sq["to_disposal_t"] - base["to_disposal_t"], abs=1e-6)
    assert gains["avoided_disposal_t"]["mean"] > 3000
    assert gains["net_jobs_fte"]["mean"] == pytest.approx(base["jobs_fte"] - sq["jobs_fte"], abs=1e-6)
    assert gains["net_jobs_fte"]["mean"] > 0
    # the landfill is 20 km away, the platform 35 km: composting adds tonne-km
    assert gains["avoided_tonne_km"]["mean"] < 0


def _failing_for(label_key: str, replication: int):
    def fn(world, seed):
        if world.name == label_key and seed.spawn_key == (replication,):
            raise RuntimeError("boom")
        return run_record(world, seed)
    return fn


def test_a_failed_run_is_reported_and_the_others_complete(minimal_data, write_yaml, tmp_path, monkeypatch):
    data = _no_roads_with_near_variant(minimal_data)
    file = str(write_yaml(data))
    plan = plan_compare([file], replications=3)
    # the near variant has the same scenario name: fail replication 1 of both, say, by world name
    import ptce_flows.experiment.plans as compare_mod
    monkeypatch.setattr(compare_mod, "COMPACT", replace(COMPACT, compute=_failing_for("minimal-loop", 1)))
    comp = run_plan(plan, cache_dir=tmp_path / "cache")
    assert len(comp.failures) == 2
    assert {f.label for f in comp.failures} == {"base", "near"}
    assert all(f.replication == 1 and f.seed == plan.seed and "RuntimeError: boom" in f.error
               for f in comp.failures)
    assert "replication 1" in comp.failures[0].format()
    assert comp.execution.computed == 4
    assert sorted(comp.runs["near"]) == [0, 2]
    assert comp.table["layouts"]["near"]["tonne_km"]["diff"]["n"] == 2
    out = write_comparison(comp, tmp_path / "out", ["test"], figures=False)
    doc = json.loads((out / "comparison.json").read_text())
    assert [(f["layout"], f["replication"]) for f in doc["failures"]] == [("base", 1), ("near", 1)]
    # failures are not stored: a rerun computes exactly them
    monkeypatch.setattr(compare_mod, "COMPACT", COMPACT)
    again = run_plan(plan, cache_dir=tmp_path / "cache")
    assert again.execution.computed == 2 and again.execution.reused == 4 and not again.failures


def test_failures_in_worker_processes(minimal_data, write_yaml):
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(write_yaml(_noisy(minimal_data)))
    key = scenario_key(loaded)
    seeds = replication_seeds(3, 4)
    tasks = [Task(key, "base", i, s) for i, s in enumerate(seeds)]
    done = execute(tasks, replace(COMPACT, compute=_raise_on_two), {key: lambda: build_world(loaded)}, jobs=2)
    assert done.backend == "2 local processes"
    assert sorted(i for _, i in done.results) == [0, 1, 3]
    assert [(f.label, f.replication) for f in done.failures] == [("base", 2)]
    assert "ValueError: replication two" in done.failures[0].error


def _raise_on_two(world, seed):
    if seed.spawn_key == (2,):
        raise ValueError("replication two")
    return run_record(world, seed)


def test_cache_round_trip_and_corrupt_records(minimal_data, write_yaml, tmp_path):
    file = str(write_yaml(_noisy(minimal_data)))
    plan = plan_compare([file], replications=2)
    first = run_plan(plan, cache_dir=tmp_path / "cache")
    cache = RunCache(tmp_path / "cache")
    key = plan.layouts[0].key
    assert cache.count(key) == 2 and (tmp_path / "cache" / key / "layout.json").exists()
    cache.path(key, replication_seeds(plan.seed, 2)[1]).write_text("{not json")
    second = run_plan(plan, cache_dir=tmp_path / "cache")
    assert second.execution.computed == 1 and second.execution.reused == 1
    assert comparison_rows(first) == comparison_rows(second)


def test_cache_key_follows_the_resolved_scenario(minimal_data, write_yaml):
    from ptce_flows.scenario import load_scenario

    file = write_yaml(minimal_data)
    same = scenario_key(load_scenario(file))
    assert same == scenario_key(load_scenario(file))
    assert same != scenario_key(load_scenario(file, overrides={"sites.platform.capacity_t_per_day": 13}))
    # setting a value to what the file already says resolves to the same scenario
    assert same == scenario_key(load_scenario(file, overrides={"sites.platform.capacity_t_per_day": 12}))


@pytest.mark.parametrize("text,values", [
    ("a.b=20:80:10", [20, 30, 40, 50, 60, 70, 80]),
    ("a.b=80:20:-30", [80, 50, 20]),
    ("a.b=0.1:0.3:0.1", [0.1, 0.2, 0.3]),
    ("a.b=5,7,11", [5, 7, 11]),
    ("a.b={cv: 0.1},{cv: 0.3}", [{"cv": 0.1}, {"cv": 0.3}]),
    ("a.b=[43.5, 1.6],[43.6, 1.5]", [[43.5, 1.6], [43.6, 1.5]]),
    ("a.b=40", [40]),
])
def test_parse_sweep_param(text, values):
    assert parse_sweep_param(text) == ("a.b", values)


@pytest.mark.parametrize("text,message", [
    ("a.b", "expected PATH="), ("=1:2:1", "missing key path"), ("a.b=1:5:0", "step"),
    ("a.b=5:1:1", "empty"), ("a.b=0:1e9:1", "more than"), ("a.b=", "no value"),
])
def test_parse_sweep_param_errors(text, message):
    with pytest.raises(UsageError, match=message):
        parse_sweep_param(text)


# --------------------------------------------------------------------------- CLI

@pytest.fixture(scope="module")
def cli_compare(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    data = _no_roads_with_near_variant(yaml.safe_load(MINIMAL.read_text()))
    data["variants"]["status_quo"] = {"description": "everything to landfill", "remove": STATUS_QUO}
    file = root / "loop.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    out = root / "out"
    proc = run_cli("compare", str(file), "--replications", "3", "--jobs", "2", "--baseline", "status_quo",
                   "--out", str(out), "--rank-by", "tonne_km", cwd=root)
    return root, file, out, proc


def test_cli_compare_writes_every_file(cli_compare):
    root, _file, out, proc = cli_compare
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} == {"comparison.csv", "benefits.csv", "ranking.csv", "abatement.csv",
                                              "replications.csv", "comparison.json", "manifest.json", "figures",
                                              "results.xlsx"}
    assert {p.name for p in (out / "figures").iterdir()} == {"comparison.png", "comparison.svg",
                                                             "benefits.png", "benefits.svg"}
    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert len(rows) == 3 * (len(COMPARE_KPIS) + 1)    # and the abatement cost
    assert {r["layout"] for r in rows} == {"base", "near", "status_quo"}
    sq = [r for r in rows if r["layout"] == "status_quo"]
    assert all(float(r["diff_mean"]) == 0 for r in sq if r["kpi"] != "abatement_cost_eur_per_t_co2e")
    assert [r["diff_mean"] for r in sq if r["kpi"] == "abatement_cost_eur_per_t_co2e"] == [""]
    ranking = list(csv.DictReader((out / "ranking.csv").open()))
    assert [r["layout"] for r in ranking][0] == "status_quo"  # landfill is closest: fewest tonne-km
    assert ranking[0]["rank"] == "1" and ranking[0]["kpi"] == "tonne_km"
    reps = list(csv.DictReader((out / "replications.csv").open()))
    assert len(reps) == 9 and {r["replication"] for r in reps} == {"0", "1", "2"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 9 and manifest["runs_computed"] == 9 and manifest["runs_reused"] == 0
    assert manifest["backend"] == "2 local processes"
    assert (root / ".out.runs").is_dir()
    assert "Ranking on tonne_km" in proc.stdout and "Benefits against the baseline 'status_quo'" in proc.stdout
    assert "9/9 runs" not in proc.stderr   # the progress bar is for terminals, not pipes or logs


def test_cli_compare_figures_have_labels(cli_compare):
    _root, _file, out, _proc = cli_compare
    svg = (out / "figures" / "comparison.svg").read_text()
    assert "Tonne-km" in svg and "status_quo" in svg and "near" in svg
    assert (out / "figures" / "comparison.png").stat().st_size > 20_000
    assert "Avoided disposal" in (out / "figures" / "benefits.svg").read_text()


def test_cli_compare_rerun_reuses_everything_and_french(cli_compare):
    root, file, out, _proc = cli_compare
    before = (out / "comparison.csv").read_bytes()
    proc = run_cli("compare", str(file), "--replications", "3", "--baseline", "status_quo",
                   "--out", str(out), "--rank-by", "tonne_km", "--lang", "fr", "--quiet", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    assert (out / "comparison.csv").read_bytes() == before
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs_computed"] == 0 and manifest["runs_reused"] == 9
    svg = (out / "figures" / "comparison.svg").read_text()
    assert "Tonnes-km" in svg and "Tonne-km" not in svg
    assert "Élimination évitée" in (out / "figures" / "benefits.svg").read_text()


def test_cli_compare_bad_input_exit_2_and_results_untouched(cli_compare, tmp_path):
    root, file, out, _proc = cli_compare
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    cases = [
        (["--variants", "nowhere"], "no layout named 'nowhere'"),
        (["--rank-by", "happiness"], "unknown KPI"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], "either --jobs"),
        (["--scheduler", "localhost"], "not a scheduler address"),
        (["--replications", "0"], "at least 1"),
    ]
    for extra, message in cases:
        proc = run_cli("compare", str(file), "--out", str(out), *extra, cwd=root)
        assert proc.returncode == 2, (extra, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(file.read_text().replace("capacity_t_per_day: 12", "capacity_t_per_day: -12"))
    proc = run_cli("compare", str(bad), "--out", str(out), cwd=root)
    assert proc.returncode == 2 and "bad.yaml:" in proc.stderr and "capacity_t_per_day" in proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_cli_compare_several_files(tmp_path):
    a = tmp_path / "one.yaml"
    shutil.copy(MINIMAL, a)
    data = yaml.safe_load(MINIMAL.read_text())
    data["sites"]["platform"]["capacity_t_per_day"] = 6
    data["variants"] = {"big": {"set": {"sites.platform.capacity_t_per_day": 20}}}
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(data))
    proc = run_cli("compare", str(a), str(tmp_path / "two.yaml"), "--days", "120", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "results" / "one-two-compare"
    doc = json.loads((out / "comparison.json").read_text())
    assert [lay["name"] for lay in doc["layouts"]] == ["one", "two", "two:big"]
    assert doc["baseline"] == "one"
    diverted = {lay["name"]: lay["kpis"]["diverted_t"]["mean"] for lay in doc["layouts"]}
    assert diverted["two"] < diverted["one"] <= diverted["two:big"]
    assert doc["ranking"][-1]["layout"] == "two"


def test_cli_scheduler_without_dask_is_a_clear_exit_2(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    code = ("import sys; sys.modules['distributed'] = None; from ptce_flows.cli import main; "
            f"sys.exit(main(['compare', {str(MINIMAL)!r}, '--scheduler', 'tcp://127.0.0.1:8786', "
            f"'--out', {str(tmp_path / 'o')!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "pip install 'ptce-flows[cluster]'" in proc.stderr and "Traceback" not in proc.stderr


def test_every_run_failing_still_writes_tables_and_lists_failures(minimal_data, write_yaml, tmp_path,
                                                                 monkeypatch):
    import ptce_flows.experiment.plans as compare_mod
    from ptce_flows.reports.compare_output import console_summary

    def broken(world, seed):
        raise RuntimeError("model broke")

    monkeypatch.setattr(compare_mod, "COMPACT", replace(COMPACT, compute=broken))
    plan = plan_compare([str(write_yaml(_no_roads_with_near_variant(minimal_data)))], replications=2)
    comp = run_plan(plan, cache_dir=tmp_path / "c")
    assert len(comp.failures) == 4 and comp.execution.computed == 0
    out = write_comparison(comp, tmp_path / "out", ["test"])
    doc = json.loads((out / "comparison.json").read_text())
    assert len(doc["failures"]) == 4 and doc["layouts"][0]["kpis"]["diverted_t"]["mean"] is None
    assert not (out / "figures" / "comparison.png").exists()
    assert "n/a" in console_summary(comp)
