"""Smoke test of the benchmark suite (issue 7): correctness only, no timing assertions.

The generated territory must validate, run, close its mass balance and behave like the
territory it describes; the road-graph generator must give a usable network; a benchmark case
must run in a fresh process and report a processed-event count that SimPy agrees with.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import ROOT
from ptce_flows.bench.roadgraph import road_graph, road_places
from ptce_flows.bench.territory import territory, territory_yaml
from ptce_flows.metrics.kpis import summarise
from ptce_flows.network import RoadNetwork
from ptce_flows.scenario import load_dict, load_scenario
from ptce_flows.sim.model import simulate
from ptce_flows.sim.world import build_world


@pytest.fixture(scope="module")
def small():
    loaded = load_dict(territory(30, n_treatment=3, n_farms=12, n_trucks=8, seed=4))
    return loaded, build_world(loaded)


def test_territory_shape_is_what_was_asked():
    data = territory(30, n_treatment=3, n_farms=12, n_trucks=8, seed=4, years=2)
    kinds = [s["kind"] for s in data["sites"].values()]
    assert kinds.count("source") == 30 and kinds.count("treatment") == 3
    assert kinds.count("farm") == 12 and kinds.count("disposal") == 1
    assert sum(f["vehicles"] for f in data["fleets"].values()) == 8
    assert data["horizon_days"] == 730
    assert territory(30, seed=4) == territory(30, seed=4)          # deterministic
    assert territory(30, seed=4) != territory(30, seed=5)


def test_yaml_text_validates_from_a_file(tmp_path):
    path = tmp_path / "t.yaml"
    text = territory_yaml(20, n_treatment=2, n_farms=5, n_trucks=4, seed=1)
    assert text.startswith("# Synthetic benchmark territory")
    path.write_text(text)
    loaded = load_scenario(path)
    assert len(loaded.spec.sites) == 20 + 2 + 5 + 1
    assert yaml.safe_load(text) == territory(20, n_treatment=2, n_farms=5, n_trucks=4, seed=1)


def test_generated_territory_runs_and_balances(small):
    loaded, world = small
    rec = simulate(world, np.random.SeedSequence(4).spawn(1)[0])
    k = summarise(world, rec).kpis               # raises if the mass balance does not close
    assert k["mass_balance_error_t"] <= 1e-6
    assert k["trips"] > 0 and rec.events > k["trips"]
    assert 0.5 < k["diversion_rate"] <= 1.0        # platforms are sized to take most of it
    assert k["delivered_t"] > 0                     # compost reaches farms in the windows
    assert k["residues_disposed_t"] > 0             # screening rejects go to the landfill
    expected = sum(s.population * sum(e.kg_per_capita_year for e in s.supply.values()) / 1000
                   for s in loaded.spec.sites.values() if s.kind == "source")
    assert k["generated_t"] == pytest.approx(expected, rel=0.05)   # a year of the mean rates


def test_same_seed_object_twice_gives_the_same_run(small):
    """A benchmark repeats a run with one SeedSequence; so may a comparison of layouts."""
    _, world = small
    seed = np.random.SeedSequence(9).spawn(1)[0]
    a, b = simulate(world, seed), simulate(world, seed)
    assert np.array_equal(a.levels, b.levels) and a.events == b.events
    for key in a.shipments:
        assert np.array_equal(a.shipments[key], b.shipments[key])


def test_road_graph_is_a_connected_grid_like_network():
    net = road_graph(400, seed=2)
    assert net.n_nodes == 400 and 1.5 < len(net.edge_km) / net.n_nodes < 2.2
    d = net.road_km(np.arange(5), np.arange(400))
    assert np.isfinite(d).mean() > 0.9 and (d[np.isfinite(d)] >= 0).all()
    places, roads = road_places(net)
    again = RoadNetwork.from_places(places, roads)
    assert np.array_equal(again.road_km(np.arange(5), np.arange(400)), d)


def test_case_runs_in_a_fresh_process_and_counts_events():
    spec = {"case": "model", "n_sources": 20, "n_treatment": 2, "n_farms": 5, "n_trucks": 4,
            "repeat": 2, "check_events": True}
    out = subprocess.run([sys.executable, "-m", "ptce_flows.bench.cases", json.dumps(spec)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["events_check"]["ok"], result["events_check"]
    assert result["events"] == result["events_check"]["counted_steps"] > 0
    assert result["peak_rss_mb"] >= result["rss_base_mb"] > 0
    assert len(result["simulate_s"]["all"]) == 2


def test_a_finished_model_is_freed_without_the_garbage_collector(small):
    """The collector is paused during runs; a run must not leave reference cycles behind, or
    back-to-back replications pile up their memory."""
    import gc
    import weakref

    from ptce_flows.sim.model import Model

    _, world = small
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        model = Model(world, np.random.SeedSequence(1))
        ref = weakref.ref(model)
        model.run()
        del model
        assert ref() is None
    finally:
        if was_enabled:
            gc.enable()
