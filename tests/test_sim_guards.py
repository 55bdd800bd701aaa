"""The simulation never overflows silently (issue #10): a payload too small for the tonnage
stops the run with a clear ``SimulationError`` instead of wrong numbers or a run that never ends.
The scenario schema refuses such payloads before a run; these tests build the ``World`` directly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import MINIMAL
from ptce_flows.errors import SimulationError
from ptce_flows.metrics.kpis import summarise
from ptce_flows.scenario import load_scenario
from ptce_flows.sim.model import simulate
from ptce_flows.sim.world import build_world


def _world_with_payload(fleet: str, payload: float, horizon: int = 30):
    world = build_world(load_scenario(MINIMAL), horizon_days=horizon)
    world.fleets = [dataclasses.replace(f, payload_t=payload) if f.id == fleet else f for f in world.fleets]
    return world


def _run(world):
    return simulate(world, np.random.SeedSequence(1))


@pytest.mark.parametrize("payload", [1e-300, 0.0, -5.0, float("nan"), float("inf")])
def test_an_absurd_payload_is_refused_before_the_run(payload):
    with pytest.raises(SimulationError, match=r"fleet 'collection': payload_t .* cannot be simulated"):
        _run(_world_with_payload("collection", payload))


def test_too_many_loads_a_day_stop_the_run_with_a_message():
    # 10 t/day in 1e-6 t loads: ten million loads on day 0 (it would take gigabytes and hours)
    with pytest.raises(SimulationError) as info:
        _run(_world_with_payload("collection", 1e-6))
    text = str(info.value)
    assert "source 'town'" in text and "'biowaste'" in text and "1e+07 loads" in text
    assert "payload_t is too small" in text


def test_too_many_residue_loads_stop_the_run(minimal_data):
    from ptce_flows.scenario import load_dict

    d = minimal_data
    d["materials"]["rejects"] = {"description": "screening rejects"}
    d["processes"]["composting"]["outputs"] = {"compost": 0.45, "rejects": 0.05}
    d["sites"]["landfill"]["accepts"] = ["biowaste", "rejects"]
    d["fleets"]["skips"] = {"carries": ["rejects"], "vehicles": 1, "payload_t": 10, "speed_kmh": 50,
                            "co2_kg_per_km": 1.0}
    d["roads"].append(["platform", "landfill", 30])
    world = build_world(load_dict(d), horizon_days=120)
    assert world.residues  # the rejects go to the landfill with the skips fleet
    world.fleets = [dataclasses.replace(f, payload_t=1e-8) if f.id == "skips" else f for f in world.fleets]
    with pytest.raises(SimulationError, match=r"site 'platform' would send .* loads .* fleet 'skips'"):
        _run(world)


def test_a_small_but_sane_payload_still_runs_exactly():
    world = _world_with_payload("collection", 0.5, horizon=10)
    k = summarise(world, _run(world)).kpis
    # the fleet is the limit: a round trip is 0.25 + 2 x 35 km / 50 km/h + 0.25 = 1.9 h, four
    # fit in an 8 h shift, so 2 trucks make 8 loads a day
    assert k["trips"] == 80
    assert k["collected_t"] == 0.5 * k["trips"]
