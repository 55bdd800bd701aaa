"""``ptce-flows run`` through the real entry point: files, contract, replications, seeds."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import MINIMAL, ROOT, run_cli

KPI_KEYS = {"generated_t", "collected_t", "diverted_t", "disposed_t", "diversion_rate", "delivered_t",
            "process_losses_t", "stock_end_t", "mass_balance_error_t", "trips", "vehicle_km", "tonne_km",
            "co2_t", "jobs_fte", "insertion_fte"}
FILES = {"summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml", "scenario.yaml", "results.xlsx",
         "manifest.json"}


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "res"
    proc = run_cli("run", str(MINIMAL), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_files_written(single):
    out, proc = single
    assert {p.name for p in out.iterdir()} == FILES
    assert "Diverted" in proc.stdout and "Results in" in proc.stdout


def test_summary_contract(single):
    out, _ = single
    s = json.loads((out / "summary.json").read_text())
    assert s["scenario"] == "minimal-loop"
    assert s["horizon_days"] == 365 and s["seed"] == 1 and s["replications"] == 1
    assert KPI_KEYS <= set(s["kpis"])
    assert all(isinstance(v, int | float) for v in s["kpis"].values())
    assert s["products_t"] == {"compost": pytest.approx(1327.5)}
    assert set(s["by_fleet"]) == {"collection", "spreading"}
    for fleet in s["by_fleet"].values():
        assert {"trips", "vehicle_km", "tonne_km", "co2_t", "driver_hours"} <= set(fleet)
    assert {"by_site", "by_activity"} <= set(s["jobs"])
    assert "uncertainty" not in s


def test_flows_csv(single):
    out, _ = single
    rows = list(csv.DictReader((out / "flows.csv").open()))
    keys = [(r["origin"], r["destination"], r["material"], r["fleet"]) for r in rows]
    assert len(keys) == len(set(keys))
    town = next(r for r in rows if r["origin"] == "town")
    assert float(town["tonne_km"]) == pytest.approx(35 * float(town["mass_t"]))
    assert {"mass_t", "trips", "vehicle_km", "tonne_km", "co2_kg"} <= set(rows[0])


def test_timeseries_csv(single):
    out, _ = single
    rows = list(csv.DictReader((out / "timeseries.csv").open()))
    quantities = {r["quantity"] for r in rows}
    assert {"source_stock", "intake", "processed", "in_process", "stored", "delivered", "disposed"} <= quantities
    days = {int(r["time_d"]) for r in rows}
    assert days == set(range(365))
    stored = [float(r["value"]) for r in rows if r["quantity"] == "stored"]
    assert max(stored) <= 2000


def test_manifest(single):
    out, _ = single
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["scenario_sha256"]) == 64
    assert m["seed"] == 1 and m["replications"] == 1 and m["version"]
    assert m["command_line"][:2] == ["ptce-flows", "run"]
    assert m["wall_time_s"] >= 0


def test_replications_in_parallel_match_serial(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    param = "sites.town.supply.biowaste.variability={cv: 0.3}"
    p1 = run_cli("run", str(MINIMAL), "--out", str(a), "--replications", "4", "--jobs", "2", "--param", param)
    p2 = run_cli("run", str(MINIMAL), "--out", str(b), "--replications", "4", "--jobs", "1", "--param", param)
    assert p1.returncode == 0 and p2.returncode == 0, p1.stderr + p2.stderr
    sa = json.loads((a / "summary.json").read_text())
    sb = json.loads((b / "summary.json").read_text())
    assert sa == sb
    assert sa["replications"] == 4
    for key in KPI_KEYS - {"mass_balance_error_t"}:
        low, high = sa["uncertainty"][key]["ci95"]
        assert low <= sa["kpis"][key] <= high
    assert sa["uncertainty"]["generated_t"]["std"] > 0
    for name in ("flows.csv", "timeseries.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_same_seed_identical_different_seed_differs(tmp_path):
    param = "sites.town.supply.biowaste.variability={cv: 0.2}"
    outs = []
    for name, seed in (("x", "7"), ("y", "7"), ("z", "8")):
        proc = run_cli("run", str(MINIMAL), "--out", str(tmp_path / name), "--seed", seed, "--param", param)
        assert proc.returncode == 0, proc.stderr
        outs.append(tmp_path / name)
    for name in ("summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    assert (outs[0] / "summary.json").read_bytes() != (outs[2] / "summary.json").read_bytes()


def test_replication_i_does_not_depend_on_count():
    from ptce_flows.experiment import run_scenario
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(MINIMAL, overrides={"sites.town.supply.biowaste.variability": {"cv": 0.3}})
    two = run_scenario(loaded, replications=2)
    five = run_scenario(loaded, replications=5)
    assert two.runs[0].kpis == five.runs[0].kpis
    assert two.runs[1].kpis == five.runs[1].kpis


def test_rerun_replaces_folder_without_mixing(tmp_path):
    out = tmp_path / "res"
    assert run_cli("run", str(MINIMAL), "--out", str(out), "--quiet", "--days", "20").returncode == 0
    (out / "report.en.html").write_text("a report of the 20-day results")   # ours, now stale
    (out / "notes.txt").write_text("mine")                                  # not ours: kept
    proc = run_cli("run", str(MINIMAL), "--out", str(out), "--quiet")
    assert proc.returncode == 0 and proc.stdout == ""
    assert {p.name for p in out.iterdir()} == FILES | {"notes.txt"}
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "summary.json").read_text())["horizon_days"] == 365
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_default_out_dir_and_days(tmp_path):
    proc = run_cli("run", str(MINIMAL), "--days", "30", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    s = json.loads((tmp_path / "results" / "minimal_loop" / "summary.json").read_text())
    assert s["horizon_days"] == 30
    assert s["kpis"]["generated_t"] == pytest.approx(300.0)


def test_validate_ok_and_version():
    proc = run_cli("validate", str(MINIMAL))
    assert proc.returncode == 0 and proc.stdout.startswith("OK ")
    proc = run_cli("--version")
    assert proc.returncode == 0 and "ptce-flows" in proc.stdout


def test_the_quick_exit_runs_the_atexit_handlers_and_flushes_the_output(tmp_path):
    """``entry`` ends the process without tearing the interpreter down (0.1 s at 1,000
    sources), but after the atexit handlers and with every line printed, and with main's code."""
    import os
    import subprocess
    import sys

    mark = tmp_path / "atexit.txt"
    code = ("import atexit, sys; atexit.register(lambda m=sys.argv[1]: open(m, 'w').write('ran')); "
            "sys.argv = ['ptce-flows', 'run', sys.argv[2], '--out', sys.argv[3]]; "
            "from ptce_flows.cli import entry; sys.exit(entry())")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, str(mark), str(MINIMAL), str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mark.read_text() == "ran"
    assert "Results in" in done.stdout.splitlines()[-1]
    bad = subprocess.run([sys.executable, "-c", code, str(mark), str(tmp_path / "missing.yaml"), str(tmp_path / "o")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "missing.yaml" in bad.stderr
