"""The Dask path: the same runs on a ``distributed.LocalCluster`` as on local processes.

The cluster is in-process (``processes=False``: worker threads) but listens on TCP, so the CLI
test connects to it from another process exactly as it would to a real cluster, and every
world and record crosses a process boundary (pickled).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import MINIMAL, run_cli
from ptce_flows.cli_options import parse_sweep_param
from ptce_flows.experiment import replication_seeds, run_record
from ptce_flows.experiment.execution import Task, execute
from ptce_flows.experiment.plans import plan_sweep, run_plan
from ptce_flows.experiment.records import COMPACT
from ptce_flows.reports.compare_output import write_comparison


def grid(*params):
    return [parse_sweep_param(p) for p in params]


distributed = pytest.importorskip("distributed")

NOISY = "sites.town.supply.biowaste.variability={cv: 0.3}"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as local:
        yield local


def _plan():
    return plan_sweep(str(MINIMAL), grid("sites.platform.capacity_t_per_day=6,12", NOISY), replications=3)


def test_dask_gives_the_same_results_as_local_processes(cluster, tmp_path):
    plan = _plan()
    on_dask = run_plan(plan, scheduler=cluster.scheduler_address, cache_dir=tmp_path / "dask")
    assert on_dask.execution.backend.startswith("Dask at tcp://127.0.0.1:")
    assert on_dask.execution.slots == 2
    assert on_dask.execution.computed == plan.runs and not on_dask.failures
    local = run_plan(plan, cache_dir=tmp_path / "local")
    assert on_dask.runs == local.runs
    assert on_dask.table == local.table


def test_dask_failure_is_reported_and_others_complete(cluster):
    plan = _plan()
    layout = plan.layouts[0]
    seeds = replication_seeds(plan.seed, 3)
    tasks = [Task(layout.key, layout.name, i, s) for i, s in enumerate(seeds)]
    from ptce_flows.sim.world import build_world

    done = execute(tasks, replace(COMPACT, compute=_fail_first), {layout.key: lambda: build_world(layout.loaded)},
                   scheduler=cluster.scheduler_address)
    assert sorted(i for _, i in done.results) == [1, 2]
    assert [(f.label, f.replication) for f in done.failures] == [(layout.name, 0)]
    assert "ZeroDivisionError" in done.failures[0].error


def _fail_first(world, seed):
    if seed.spawn_key == (0,):
        return {"x": 1 / 0}
    return run_record(world, seed)


def test_cli_compare_on_a_dask_scheduler(cluster, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("sweep", str(MINIMAL), "--param", "sites.platform.capacity_t_per_day=6,12", "--param", NOISY,
                   "--replications", "2", "--scheduler", cluster.scheduler_address, "--out", str(out),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"].startswith("Dask at ") and manifest["runs_computed"] == 4
    plan = plan_sweep(str(MINIMAL), grid("sites.platform.capacity_t_per_day=6,12", NOISY), replications=2)
    local = write_comparison(run_plan(plan), tmp_path / "local", ["test"], figures=False)
    assert (out / "comparison.csv").read_bytes() == (local / "comparison.csv").read_bytes()


def test_cli_run_on_a_dask_scheduler(cluster, tmp_path):
    """``run`` goes through the same execution path: the same files as a local run."""
    args = ["run", str(MINIMAL), "--param", NOISY, "--replications", "3", "--quiet"]
    on_dask = run_cli(*args, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask"))
    assert on_dask.returncode == 0, on_dask.stderr
    local = run_cli(*args, "--jobs", "2", "--out", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    for name in ("summary.json", "flows.csv", "timeseries.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
