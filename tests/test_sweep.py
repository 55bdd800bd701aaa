"""``sweep``: grids of parameters, monotone capacity response, interruption and resumption."""

from __future__ import annotations

import copy
import csv
import json

import pytest

from conftest import MINIMAL, run_cli
from ptce_flows.cli_options import parse_sweep_param
from ptce_flows.errors import ScenarioError, UsageError
from ptce_flows.experiment import replication_seeds
from ptce_flows.experiment.cache import RunCache
from ptce_flows.experiment.plans import plan_sweep, run_plan
from ptce_flows.reports.compare_output import (
    benefit_rows,
    comparison_rows,
    ranking_rows,
    replication_rows,
)


def sweep_plan(file, params, *args, **kwargs):
    """``plan_sweep`` with ``--param`` texts, read as the command line reads them."""
    return plan_sweep(file, [parse_sweep_param(p) for p in params], *args, **kwargs)


CAPACITY = "sites.platform.capacity_t_per_day"


def _tables(comp) -> tuple:
    return comparison_rows(comp), benefit_rows(comp), ranking_rows(comp), replication_rows(comp)


def test_diverted_tonnage_never_decreases_with_capacity(tmp_path):
    # minimal_loop has no randomness: one replication per point is the whole truth
    plan = sweep_plan(str(MINIMAL), [f"{CAPACITY}=1:16:1"], replications=2)
    assert [lay.name for lay in plan.layouts][:2] == ["capacity_t_per_day=1", "capacity_t_per_day=2"]
    comp = run_plan(plan, cache_dir=tmp_path / "c")
    diverted = [comp.table["layouts"][lay.name]["diverted_t"] for lay in plan.layouts]
    assert all(d["std"] == 0 for d in diverted)          # deterministic: replications agree
    means = [d["mean"] for d in diverted]
    assert all(b >= a for a, b in zip(means, means[1:], strict=False)), means
    assert means[0] < means[-1] == comp.table["layouts"][plan.layouts[-1].name]["generated_t"]["mean"]
    disposed = [comp.table["layouts"][lay.name]["to_disposal_t"]["mean"] for lay in plan.layouts]
    assert all(b <= a for a, b in zip(disposed, disposed[1:], strict=False))
    # the baseline is the first point; the ranking puts a full-capacity point first
    assert plan.baseline == "capacity_t_per_day=1"
    assert comp.ranking[0]["mean"] == max(means) and comp.ranking[-1]["layout"] == "capacity_t_per_day=1"


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    plan = sweep_plan(str(MINIMAL), [f"{CAPACITY}=4:12:2", "sites.town.supply.biowaste.variability={cv: 0.2}"],
                      replications=3, baseline="base")
    total = len(plan.layouts) * 3
    assert total == 6 * 3
    reference = run_plan(plan, cache_dir=tmp_path / "uninterrupted")
    assert reference.execution.computed == total

    computed = []

    def interrupt_after_seven(task, record):
        computed.append(task)
        if len(computed) == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, cache_dir=tmp_path / "resumable", on_result=interrupt_after_seven)
    cache = RunCache(tmp_path / "resumable")
    assert sum(cache.count(lay.key) for lay in plan.layouts) == 7

    resumed = run_plan(plan, cache_dir=tmp_path / "resumable")
    assert resumed.execution.computed == total - 7 and resumed.execution.reused == 7
    assert _tables(resumed) == _tables(reference)

    again = run_plan(plan, cache_dir=tmp_path / "resumable")
    assert again.execution.computed == 0 and again.execution.reused == total
    assert _tables(again) == _tables(reference)


def test_interrupted_parallel_sweep_keeps_what_finished(tmp_path):
    plan = sweep_plan(str(MINIMAL), [f"{CAPACITY}=4:14:2"], replications=2)
    seen = []

    def stop(task, record):
        seen.append(task)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, jobs=2, cache_dir=tmp_path / "c", on_result=stop)
    stored = sum(RunCache(tmp_path / "c").count(lay.key) for lay in plan.layouts)
    assert stored == 3          # stored as they arrived, nothing half-written
    resumed = run_plan(plan, jobs=2, cache_dir=tmp_path / "c")
    assert resumed.execution.computed == plan.runs - 3
    assert _tables(resumed) == _tables(run_plan(plan, cache_dir=tmp_path / "fresh"))


def test_more_replications_reuse_the_first_ones(tmp_path):
    noisy = "sites.town.supply.biowaste.variability={cv: 0.2}"
    first = run_plan(sweep_plan(str(MINIMAL), [noisy], replications=2), cache_dir=tmp_path / "c")
    more = run_plan(sweep_plan(str(MINIMAL), [noisy], replications=5), cache_dir=tmp_path / "c")
    assert more.execution.reused == 2 and more.execution.computed == 3
    name = first.plan.layouts[0].name
    assert [more.runs[name][i] for i in (0, 1)] == [first.runs[name][i] for i in (0, 1)]
    assert replication_seeds(first.plan.seed, 2)[1].spawn_key == replication_seeds(first.plan.seed, 5)[1].spawn_key


def test_sweep_grid_names_and_baselines():
    plan = sweep_plan(str(MINIMAL), [f"{CAPACITY}=10,20", "sites.platform.storage_t=1000:2000:1000"],
                      baseline="capacity_t_per_day=20,storage_t=1000")
    assert [lay.name for lay in plan.layouts] == [
        "capacity_t_per_day=10,storage_t=1000", "capacity_t_per_day=10,storage_t=2000",
        "capacity_t_per_day=20,storage_t=1000", "capacity_t_per_day=20,storage_t=2000"]
    assert plan.layouts[1].params == ((CAPACITY, 10), ("sites.platform.storage_t", 2000))
    assert plan.layouts[1].loaded.spec.sites["platform"].storage_t == 2000
    assert sweep_plan(str(MINIMAL), [f"{CAPACITY}=10,20"], baseline="20").baseline == "capacity_t_per_day=20"
    base = sweep_plan(str(MINIMAL), [f"{CAPACITY}=10,20"], baseline="base")
    assert [lay.name for lay in base.layouts] == ["base", "capacity_t_per_day=10", "capacity_t_per_day=20"]
    with pytest.raises(UsageError, match="no grid point named '30'"):
        sweep_plan(str(MINIMAL), [f"{CAPACITY}=10,20"], baseline="30")
    with pytest.raises(UsageError, match="given twice"):
        sweep_plan(str(MINIMAL), [f"{CAPACITY}=1,2", f"{CAPACITY}=3"])
    with pytest.raises(ScenarioError) as info:
        sweep_plan(str(MINIMAL), [f"{CAPACITY}=-10,10"])
    assert any("capacity_t_per_day" in p.path and "capacity_t_per_day=-10" in p.message
               for p in info.value.problems)


def test_sweep_on_a_variant(minimal_data, write_yaml, tmp_path):
    data = copy.deepcopy(minimal_data)
    data["variants"] = {"small": {"set": {CAPACITY: 3}}}
    file = str(write_yaml(data))
    plan = sweep_plan(file, ["sites.platform.storage_t=100,2000"], variant="small", baseline="base")
    assert all(lay.loaded.spec.sites["platform"].capacity_t_per_day == 3 for lay in plan.layouts)
    assert plan.stem == "scenario-small"


# --------------------------------------------------------------------------- CLI

def test_cli_sweep_files_figure_and_rerun(tmp_path):
    out = tmp_path / "sw"
    args = ["sweep", str(MINIMAL), "--param", f"{CAPACITY}=4:12:4", "--param",
            "sites.town.supply.biowaste.variability={cv: 0.2}", "--replications", "3", "--out", str(out)]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "9/9 runs" not in proc.stderr and "capacity_t_per_day=12" in proc.stdout   # no bar off a terminal
    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert {r[CAPACITY] for r in rows} == {"4", "8", "12"}
    assert list(rows[0])[:2] == [CAPACITY, "sites.town.supply.biowaste.variability"]
    diverted = {r[CAPACITY]: float(r["mean"]) for r in rows if r["kpi"] == "diverted_t"}
    assert diverted["4"] <= diverted["8"] <= diverted["12"]
    assert {p.name for p in (out / "figures").iterdir()} == {"sweep.png", "sweep.svg"}  # 1 numeric axis + 1 fixed
    before = {name: (out / name).read_bytes() for name in ("comparison.csv", "ranking.csv", "comparison.json")}
    again = run_cli(*args, "--quiet", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""
    assert {name: (out / name).read_bytes() for name in before} == before
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs_computed"] == 0 and manifest["runs_reused"] == 9
    assert manifest["kind"] == "sweep"


def test_cli_sweep_two_parameters_heat_map(tmp_path):
    out = tmp_path / "hm"
    proc = run_cli("sweep", str(MINIMAL), "--param", f"{CAPACITY}=4:12:4", "--param",
                   "sites.platform.storage_t=500,2000", "--days", "200", "--out", str(out), "--lang", "fr",
                   "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    svg = (out / "figures" / "sweep.svg").read_text()
    assert "platform.storage_t" in svg and "Valorisé" in svg
    assert (out / "figures" / "sweep.png").stat().st_size > 20_000
    doc = json.loads((out / "comparison.json").read_text())
    assert doc["params"] == [CAPACITY, "sites.platform.storage_t"] and len(doc["layouts"]) == 6


@pytest.mark.parametrize("param,message", [
    (f"{CAPACITY}=10:1:1", "is empty"),
    (f"{CAPACITY}=1:10:0", "step"),
    ("nothing", "expected PATH="),
    (f"{CAPACITY}=0:100000:1", "more than"),
])
def test_cli_sweep_bad_param_exit_2(tmp_path, param, message):
    proc = run_cli("sweep", str(MINIMAL), "--param", param, "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x").exists()


def test_cli_sweep_invalid_value_names_the_point(tmp_path):
    proc = run_cli("sweep", str(MINIMAL), "--param", f"{CAPACITY}=-5,5", "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "capacity_t_per_day=-5" in proc.stderr and "minimal_loop.yaml" in proc.stderr


def test_sweep_needs_a_param(tmp_path):
    proc = run_cli("sweep", str(MINIMAL), cwd=tmp_path)
    assert proc.returncode == 2 and "--param" in proc.stderr


def test_help_lists_compare_and_sweep():
    proc = run_cli("--help")
    assert "compare" in proc.stdout and "sweep" in proc.stdout


def test_cli_ctrl_c_keeps_finished_runs_and_a_rerun_resumes(tmp_path):
    """A real SIGINT to the process group (what Ctrl-C in a terminal sends), then the same command."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    out, cache = tmp_path / "out", tmp_path / "cache"
    args = [sys.executable, "-m", "ptce_flows.cli", "sweep", str(MINIMAL), "--param", f"{CAPACITY}=1:50:1",
            "--replications", "3", "--days", "90", "--jobs", "2", "--out", str(out), "--cache", str(cache)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(cache.glob("*/*_*.json"))) < 5:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "rerun the same command to resume" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()                                  # nothing half-written
    stored = len(list(cache.glob("*/*_*.json")))
    assert 5 <= stored < 150
    rerun = run_cli(*args[3:], "--quiet", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs_reused"] == stored and manifest["runs_computed"] == 150 - stored
