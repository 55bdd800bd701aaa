"""Vehicles out of service are out from their first day, even with work waiting (issue #10).

A busy fleet: 60 t/day to collect, 3 trucks of 10 t, a round trip of 5 h (100 km at 50 km/h each way, 0.5 h loading and unloading) in an 8 h shift, so
each truck makes exactly one trip a day and always has a job waiting. A truck that takes its
next job at the end of a day waits for the next shift; whether it is in service must be
checked when that shift starts, not when it took the job.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import MINIMAL
from ptce_flows.metrics.kpis import summarise
from ptce_flows.scenario import load_scenario
from ptce_flows.sim.model import Model
from ptce_flows.sim.world import build_world

DAYS, WARMUP = 10, 5


def _busy_fleet(disruptions, warmup=WARMUP):
    changes = {
        "horizon_days": DAYS, "warmup_days": warmup, "disruptions": disruptions,
        "sites.town.supply.biowaste.t_per_day": 60,
        "sites.platform.capacity_t_per_day": 1000, "sites.platform.storage_t": 1e6,
        "roads": [["town", "platform", 100], ["platform", "farm", 12], ["town", "landfill", 20]],
        "fleets.collection.vehicles": 3, "fleets.collection.payload_t": 10,
        "fleets.collection.speed_kmh": 50, "fleets.collection.loading_h": 0.5,
        "fleets.collection.unloading_h": 0.5, "fleets.collection.shift_h": 8,
    }
    return build_world(load_scenario(MINIMAL, overrides=changes))


def _collection_trips_per_day(rec, warmup):
    sh = rec.shipments
    keep = rec.in_window() & (sh["fleet"] == 0)
    days = np.floor(sh["depart_d"][keep] + 1e-9).astype(int) - warmup
    return np.bincount(days, minlength=DAYS)[:DAYS].tolist()


def test_without_disruption_each_truck_makes_one_trip_a_day():
    world = _busy_fleet([])
    rec = Model(world, np.random.SeedSequence(1)).run()
    assert _collection_trips_per_day(rec, WARMUP) == [3] * DAYS


@pytest.mark.parametrize("days", [1, 3])
@pytest.mark.parametrize("warmup", [0, WARMUP])
def test_three_trucks_cut_to_one_make_one_trip_a_day(days, warmup):
    world = _busy_fleet([{"kind": "fleet_unavailable", "fleet": "collection", "share": 0.6,
                          "start_day": 0, "days": days}], warmup)
    rec = Model(world, np.random.SeedSequence(1)).run()
    assert _collection_trips_per_day(rec, warmup) == [1] * days + [3] * (DAYS - days)
    k = summarise(world, rec).kpis
    assert k["collected_t"] == pytest.approx(10.0 * (days + 3 * (DAYS - days)))


def test_cut_in_the_middle_of_the_window():
    world = _busy_fleet([{"kind": "fleet_unavailable", "fleet": "collection", "share": 0.6,
                          "start_day": 4, "days": 2}])
    rec = Model(world, np.random.SeedSequence(1)).run()
    assert _collection_trips_per_day(rec, WARMUP) == [3, 3, 3, 3, 1, 1, 3, 3, 3, 3]


class _Draws:
    """Stands in for the faults stream: returns the given times to the next failure."""

    def __init__(self, values):
        self.values = list(values)

    def exponential(self, scale):
        return self.values.pop(0)


def test_a_breakdown_due_overnight_stops_the_truck_at_the_next_shift():
    # truck 0 fails at 5.5 (the night after day 5, while it waits for its shift with a job):
    # out of service from the start of day 6 for 2 days, back on day 8
    world = _busy_fleet([{"kind": "breakdowns", "fleet": "collection", "per_vehicle_per_year": 1,
                          "repair_days": 2}], warmup=0)
    model = Model(world, np.random.SeedSequence(1))
    model.faults.rng = _Draws([5.5, 1e9, 1e9, 1e9])
    rec = model.run()
    assert _collection_trips_per_day(rec, 0) == [3] * 6 + [2, 2] + [3, 3]
    assert model.faults.breakdowns == 1
    assert model.faults.downtime_d == 2.0
