"""An exact trace of a tiny deterministic run, SimPy style: every shipment's times and sizes."""

from __future__ import annotations

import numpy as np
import pytest

from ptce_flows.scenario import load_dict
from ptce_flows.sim import build_world
from ptce_flows.sim.model import Model
from ptce_flows.sim.records import COLLECTION, DELIVERY, OVERFLOW, RESIDUE


def scenario():
    return {
        "name": "trace",
        "horizon_days": 4,
        "materials": {"waste": {}, "good": {}, "rejects": {}},
        "processes": {"sort": {"inputs": ["waste"], "outputs": {"good": 0.5, "rejects": 0.25},
                               "residence_days": 1}},
        "sites": {
            "town": {"kind": "source", "location": [0, 0], "supply": {"waste": {"t_per_day": 12}}},
            "plant": {"kind": "treatment", "location": [0, 0.1], "process": "sort",
                      "capacity_t_per_day": 10, "storage_t": 100, "reception_days": 0},
            "mill": {"kind": "outlet", "location": [0, 0.2], "demand": {"good": {}}},
            "dump": {"kind": "disposal", "location": [0, -0.1], "accepts": ["waste", "rejects"]},
        },
        "roads": [["town", "plant", 20], ["plant", "mill", 30], ["town", "dump", 10], ["plant", "dump", 40]],
        "fleets": {
            "truck": {"carries": ["waste"], "vehicles": 1, "payload_t": 10, "speed_kmh": 40,
                      "co2_kg_per_km": 1, "loading_h": 0, "unloading_h": 0, "shift_h": 24},
            "bulk": {"carries": ["good", "rejects"], "vehicles": 1, "payload_t": 5, "speed_kmh": 60,
                     "co2_kg_per_km": 1, "loading_h": 0, "unloading_h": 0, "shift_h": 24},
        },
    }


def test_trace():
    world = build_world(load_dict(scenario()))
    rec = Model(world, np.random.SeedSequence(0)).run()
    sh = rec.shipments
    rows = [(int(p), world.sites[o], world.sites[d], round(float(m), 9), round(float(t0), 9), round(float(t1), 9))
            for p, o, d, m, t0, t1 in zip(sh["purpose"], sh["origin"], sh["destination"], sh["mass_t"],
                                         sh["depart_d"], sh["arrive_d"], strict=True)]
    h = 1 / 24
    expected = [
        # day 0: 12 t made: a full 10 t load to the plant (20 km at 40 km/h = 0.5 h)
        (COLLECTION, "town", "plant", 10.0, 0.0, 0.5 * h),
        # the 2 t partial: the plant's day is full (10 t/day, no reception buffer): to the dump
        (OVERFLOW, "town", "dump", 2.0, 1.0 * h, 1.25 * h),
        # day 1: 12 t again, same pattern; the day-0 batch (10 t) matured at 1 + 0.5 h:
        (COLLECTION, "town", "plant", 10.0, 1.0, 1 + 0.5 * h),
        (OVERFLOW, "town", "dump", 2.0, 1 + 1.0 * h, 1 + 1.25 * h),
        # products checked at day 2's tick: 5 t good (one full load) and 2.5 t rejects (partial,
        # cleared on days divisible by 7 only -> stays)
        (DELIVERY, "plant", "mill", 5.0, 2.0, 2 + 0.5 * h),
        (COLLECTION, "town", "plant", 10.0, 2.0, 2 + 0.5 * h),
        (OVERFLOW, "town", "dump", 2.0, 2 + 1.0 * h, 2 + 1.25 * h),
        (DELIVERY, "plant", "mill", 5.0, 3.0, 3 + 0.5 * h),
        # rejects: 2 x 2.5 t = one full 5 t load; shortest road plant-town-dump is 30 km, not 40
        (RESIDUE, "plant", "dump", 5.0, 3 + 1.0 * h, 3 + 1.0 * h + 30 / 60 * h),
        (COLLECTION, "town", "plant", 10.0, 3.0, 3 + 0.5 * h),
        (OVERFLOW, "town", "dump", 2.0, 3 + 1.0 * h, 3 + 1.25 * h),
    ]
    expected = [(p, o, d, round(m, 9), round(t0, 9), round(t1, 9)) for p, o, d, m, t0, t1 in expected]
    assert sorted(rows, key=lambda r: (r[4], r[0])) == sorted(expected, key=lambda r: (r[4], r[0]))
    # the balance at the end: 48 t made; 40 t treated; 8 t dumped; 10 t good delivered
    e = rec.end
    assert e.sup_generated.sum() == pytest.approx(48.0)
    assert e.treat_intake.sum() == pytest.approx(40.0)
    assert e.disp_waste.sum() == pytest.approx(8.0)
    assert e.dem_delivered.sum() == pytest.approx(10.0)
