"""The one execution path: the run cache (reuse, hostile records), ``run`` through it, bad
``--scheduler`` addresses, failed comparisons, bounds on what the command line asks for."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import MINIMAL, run_cli
from ptce_flows.experiment import replication_seeds, run_scenario
from ptce_flows.experiment.cache import RunCache, scenario_key
from ptce_flows.experiment.plans import plan_compare, run_plan
from ptce_flows.experiment.records import COMPACT, SUMMARY, check_record
from ptce_flows.scenario import load_scenario

NOISY = {"sites.town.supply.biowaste.variability": {"cv": 0.3}}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- run through the cache

def test_run_reuses_its_stored_replications_bit_for_bit(tmp_path):
    out = tmp_path / "res"
    cache = tmp_path / "runs"
    first = run_cli("run", str(MINIMAL), "--out", str(out), "--replications", "3", "--quiet",
                    "--cache", str(cache))
    assert first.returncode == 0, first.stderr
    before = {name: (out / name).read_bytes() for name in ("summary.json", "flows.csv", "timeseries.csv")}
    key_dirs = [p for p in cache.iterdir() if p.is_dir()]
    assert len(key_dirs) == 1 and len(list(key_dirs[0].glob("*.summary.json"))) == 3
    # without --cache, run keeps nothing beside its results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res", "runs"]
    again = run_cli("run", str(MINIMAL), "--out", str(out), "--replications", "3", "--quiet",
                    "--cache", str(cache))
    assert again.returncode == 0, again.stderr
    assert {name: (out / name).read_bytes() for name in before} == before


def test_run_scenario_from_the_cache_equals_a_fresh_run(tmp_path):
    loaded = load_scenario(MINIMAL, overrides=NOISY)
    fresh = run_scenario(loaded, replications=2)
    stored = run_scenario(loaded, replications=2, cache_dir=tmp_path / "c")
    reused = run_scenario(loaded, replications=2, cache_dir=tmp_path / "c")
    assert stored.execution.computed == 2 and reused.execution.reused == 2 and reused.execution.computed == 0
    for a, b in zip(fresh.runs, reused.runs, strict=True):
        assert a.kpis == b.kpis and a.extra == b.extra and a.jobs == b.jobs and a.events == b.events
        assert a.levels.dtype == b.levels.dtype and np.array_equal(a.levels, b.levels)
        assert a.flows.keys() == b.flows.keys()
        assert all(np.array_equal(a.flows[k], b.flows[k]) for k in a.flows)
        assert a.series == b.series


# --------------------------------------------------------------------------- hostile cache records

def _compact_setup(tmp_path):
    plan = plan_compare([str(MINIMAL)], replications=2, overrides=NOISY)
    fresh = run_plan(plan, cache_dir=tmp_path / "c")
    cache = RunCache(tmp_path / "c")
    path = cache.path(plan.layouts[0].key, replication_seeds(plan.seed, 2)[1])
    return plan, fresh, path


def _edit_kpis(change):
    def edit(path: Path) -> None:
        data = json.loads(path.read_text())
        change(data["record"]["kpis"])
        path.write_text(json.dumps(data))
    return edit


def _write(text: str):
    def edit(path: Path) -> None:
        path.write_text(text)
    return edit


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _nan(path: Path) -> None:
    data = json.loads(path.read_text())
    data["record"]["kpis"]["co2_t"] = float("nan")
    path.write_text(json.dumps(data))  # Python writes NaN, which json.loads accepts


def _huge(path: Path) -> None:
    with open(path, "a") as handle:
        handle.write(" " * (COMPACT.max_bytes + 10))


POISON = {
    "diverted more than generated": _edit_kpis(lambda k: k.update(diverted_t=k["generated_t"] * 2)),
    "balance error 1234": _edit_kpis(lambda k: k.update(mass_balance_error_t=1234.0)),
    "collected more than generated": _edit_kpis(lambda k: k.update(collected_t=k["generated_t"] + 50)),
    "tonnages that do not close": _edit_kpis(lambda k: k.update(disposed_t=k["disposed_t"] + 7)),
    "wrong type": _edit_kpis(lambda k: k.update(trips="many")),
    "boolean for a number": _edit_kpis(lambda k: k.update(trips=True)),
    "missing KPI": _edit_kpis(lambda k: k.pop("co2_t")),
    "NaN": _nan,
    "deep JSON": _write("[" * 200_000 + "]" * 200_000),
    "not JSON": _write("{not json"),
    "a list": _write("[1, 2, 3]"),
    "FIFO": _fifo,
    "/dev/zero": _dev_zero,
    "larger than a record": _huge,
}


@pytest.mark.parametrize("poison", list(POISON), ids=list(POISON))
def test_a_poisoned_record_is_recomputed(poison, tmp_path):
    plan, fresh, path = _compact_setup(tmp_path)
    POISON[poison](path)
    again = run_plan(plan, cache_dir=tmp_path / "c")
    assert again.execution.reused == 1 and again.execution.computed == 1
    assert again.runs == fresh.runs and again.table == fresh.table
    assert check_record(json.loads(path.read_text())["record"])  # replaced by a good record


def test_record_checks_name_what_is_wrong(tmp_path):
    plan, _, path = _compact_setup(tmp_path)
    record = json.loads(path.read_text())["record"]
    assert check_record(record) is record
    bad = json.loads(json.dumps(record))
    bad["kpis"]["diverted_t"] = bad["kpis"]["generated_t"] * 3
    with pytest.raises(ValueError, match="diverted_t"):
        check_record(bad)
    bad = json.loads(json.dumps(record))
    bad["kpis"]["mass_balance_error_t"] = 1234.0
    with pytest.raises(ValueError, match="mass_balance_error_t"):
        check_record(bad)


def test_a_poisoned_run_summary_is_recomputed(tmp_path):
    loaded = load_scenario(MINIMAL, overrides=NOISY)
    first = run_scenario(loaded, cache_dir=tmp_path / "c")
    path = RunCache(tmp_path / "c").path(scenario_key(loaded), replication_seeds(loaded.spec.seed, 1)[0], SUMMARY)
    text = path.read_text()
    generated = first.runs[0].kpis["generated_t"]
    path.write_text(text.replace(json.dumps(first.runs[0].kpis["diverted_t"]), json.dumps(generated * 2), 1))
    assert path.read_text() != text
    again = run_scenario(loaded, cache_dir=tmp_path / "c")
    assert again.execution.computed == 1 and again.runs[0].kpis == first.runs[0].kpis
    data = json.loads(path.read_text())
    data["record"]["summary"]["v"]["levels"]["dtype"] = "|O"   # objects are never rebuilt
    path.write_text(json.dumps(data))
    assert run_scenario(loaded, cache_dir=tmp_path / "c").execution.computed == 1


# --------------------------------------------------------------------------- --scheduler

def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("address", ["localhost", "tcp://127.0.0.1", "tcp://127.0.0.1:0", "tcp://127.0.0.1:65536",
                                     "tcp://127.0.0.1:99999999999999999999", "http://127.0.0.1:8786",
                                     "tcp://127.0.0.1:8786/path", "tcp://:8786", "tcp://127.0.0.1:87 86"])
def test_malformed_scheduler_addresses_exit_2(address, tmp_path):
    proc = run_cli("compare", str(MINIMAL), "--scheduler", address, "--out", str(tmp_path / "o"), "--quiet")
    assert proc.returncode == 2 and "not a scheduler address" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_unreachable_scheduler_exits_2(tmp_path):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_unused_port()}"
    proc = run_cli("run", str(MINIMAL), "--scheduler", address, "--out", str(tmp_path / "o"), "--quiet", timeout=120)
    assert proc.returncode == 2 and "cannot reach a Dask scheduler" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("reply", [b"\xff" * 64, b"\x01\x00\x00\x00\x00\x00\x00\x30" * 8, b"HTTP/1.1 200 OK\r\n\r\n"])
def test_something_that_is_not_dask_exits_2(reply, tmp_path):
    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(60)

    def answer():
        try:
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.sendall(reply)
                    conn.settimeout(2)
                    try:
                        conn.recv(65536)
                    except OSError:
                        pass
        except OSError:
            return

    threading.Thread(target=answer, daemon=True).start()
    try:
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        proc = run_cli("compare", str(MINIMAL), "--scheduler", address, "--out", str(tmp_path / "o"),
                       "--quiet", timeout=120)
    finally:
        server.close()
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr and "MemoryError" not in proc.stderr
    assert str(tmp_path / "o") not in proc.stderr or "left" in proc.stderr
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- failed comparisons

def _fail_replication_two(world, seed):
    if seed.spawn_key == (2,):
        raise RuntimeError("worker lost")
    return COMPACT.compute(world, seed)


def test_a_failed_compare_leaves_previous_results_unchanged(tmp_path, monkeypatch, capsys):
    import ptce_flows.experiment.plans as plans
    from ptce_flows.cli import main

    out = tmp_path / "out"
    args = ["compare", str(MINIMAL), "--param", "sites.town.supply.biowaste.variability={cv: 0.3}",
            "--out", str(out), "--quiet"]
    assert main([*args, "--replications", "2"]) == 0
    before = _digest(out)
    assert "comparison.json" in before
    monkeypatch.setattr(plans, "COMPACT", replace(COMPACT, compute=_fail_replication_two))
    code = main([*args, "--replications", "3"])
    err = capsys.readouterr().err
    assert code == 1
    assert "runs failed" in err and "left as they were" in err and "worker lost" in err
    assert _digest(out) == before
    # the failed run is retried, the finished ones reused
    monkeypatch.setattr(plans, "COMPACT", COMPACT)
    assert main([*args, "--replications", "3"]) == 0
    assert _digest(out) != before


# --------------------------------------------------------------------------- bounds

@pytest.mark.parametrize("extra,message", [
    (["--replications", "1000000000"], "--replications must be at most 10,000"),
    (["--replications", "1e9"], "--replications must be a whole number"),
    (["--jobs", "100000"], "--jobs must be at most 1,024"),
    (["--seed", "9" * 5000], "--seed must be a whole number"),
    (["--param", "seed=" + "9" * 5000], "a number of 5,000 digits (at most 30 digits)"),
    (["--param", "sites.platform.capacity_t_per_day=" + "[" * 2000 + "]" * 2000], "expected a number"),
    (["--param", "sites.platform.capacity_t_per_day=" + "- " * 3000 + "x"], "expected a number"),
    (["--param", "description=" + "x" * 20_000], "characters, more than"),
])
def test_what_the_command_line_asks_for_is_bounded(extra, message, tmp_path):
    out = tmp_path / "o"
    proc = run_cli("run", str(MINIMAL), "--out", str(out), "--quiet", *extra)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr) < 2000
    assert not out.exists()


@pytest.mark.parametrize("param,message", [
    ("sites.platform.capacity_t_per_day=" + ",".join(["[" * 3000 + "]" * 3000] * 2), "characters, more than"),
    ("sites.platform.capacity_t_per_day=" + ",".join(["[" * 900 + "]" * 900] * 2), "nesting is too deep"),
    ("seed=1," + "7" * 5000, "a number of 5,000 digits"),
])
def test_sweep_grid_values_are_bounded(param, message, tmp_path):
    proc = run_cli("sweep", str(MINIMAL), "--param", param, "--out", str(tmp_path / "o"), "--quiet")
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_bounds_are_module_constants():
    from ptce_flows import cli_options

    assert cli_options.MAX_REPLICATIONS == 10_000 and cli_options.MAX_JOBS >= (os.cpu_count() or 1)
    assert cli_options.MAX_PARAM_CHARS == 10_000


@pytest.mark.parametrize("overrides", [
    {"warmup_days": 90, **NOISY},
    {"disruptions": [{"kind": "outage", "site": "platform", "start_day": 100, "days": 30},
                     {"kind": "breakdowns", "fleet": "collection", "per_vehicle_per_year": 6, "repair_days": 2}]},
], ids=["warm-up", "disruptions"])
def test_genuine_records_pass_their_checks(overrides):
    """The checks never refuse a real run (start stocks with a warm-up, disposal in outages)."""
    from ptce_flows.experiment.records import (
        decode_summary,
        encode_summary,
        run_record,
        run_replication,
    )
    from ptce_flows.sim.world import build_world

    loaded = load_scenario(MINIMAL, overrides=overrides)
    world = build_world(loaded)
    for seed in replication_seeds(5, 2):
        assert check_record(json.loads(json.dumps(run_record(world, seed))))
        summary = run_replication(world, seed)
        again = decode_summary(json.loads(json.dumps(encode_summary(summary))))
        assert again.kpis == summary.kpis and np.array_equal(again.levels, summary.levels)
