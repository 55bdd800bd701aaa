"""Invariants on random small scenarios (hypothesis): the mass balance closes, no stock goes
negative, no capacity is exceeded, deliveries never exceed demand, and a run is a pure
function of its seed."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptce_flows.metrics.kpis import summarise
from ptce_flows.scenario import load_dict
from ptce_flows.sim import build_world
from ptce_flows.sim.model import Model

TOL = 1e-6


@st.composite
def scenarios(draw):
    n_sources = draw(st.integers(1, 4))
    n_treat = draw(st.integers(1, 3))
    n_farms = draw(st.integers(0, 3))
    coef = draw(st.floats(0.0, 0.6))
    reject = draw(st.floats(0.0, 0.4))
    lat = lambda: draw(st.floats(43.0, 44.0))  # noqa: E731
    lon = lambda: draw(st.floats(1.0, 2.0))  # noqa: E731
    sites = {}
    for i in range(n_sources):
        supply = {"t_per_day": draw(st.floats(0.0, 40.0))}
        if draw(st.booleans()):
            supply["variability"] = {"cv": draw(st.floats(0.0, 1.0)),
                                     "distribution": draw(st.sampled_from(["gamma", "lognormal", "normal"]))}
        if draw(st.booleans()):
            supply["seasonality"] = draw(st.lists(st.floats(0.0, 3.0), min_size=12, max_size=12)
                                         .filter(lambda f: sum(f) > 0.1))
        sites[f"s{i}"] = {"kind": "source", "location": [lat(), lon()], "supply": {"waste": supply},
                          "collection": {"every_days": draw(st.integers(1, 5)),
                                         "full_loads_only": draw(st.booleans())}}
    for i in range(n_treat):
        sites[f"t{i}"] = {"kind": "treatment", "location": [lat(), lon()], "process": "proc",
                          "capacity_t_per_day": draw(st.floats(0.5, 60.0)),
                          "storage_t": draw(st.floats(1.0, 3000.0)),
                          "reception_days": draw(st.integers(0, 3))}
    for i in range(n_farms):
        demand = {"t_per_year": draw(st.floats(0.0, 5000.0))} if draw(st.booleans()) else {}
        if draw(st.booleans()):
            a, b = draw(st.integers(1, 365)), draw(st.integers(1, 365))
            demand["windows"] = [[a, b]]
        sites[f"f{i}"] = {"kind": draw(st.sampled_from(["farm", "outlet"])), "location": [lat(), lon()],
                          "demand": {"product": demand}}
    sites["dump"] = {"kind": "disposal", "location": [lat(), lon()], "accepts": ["waste", "rejects"]}
    fleets = {
        "trucks": {"carries": ["waste"], "vehicles": draw(st.integers(1, 3)),
                   "payload_t": draw(st.floats(1.0, 30.0)), "speed_kmh": draw(st.floats(10.0, 80.0)),
                   "co2_kg_per_km": 1.0, "shift_h": draw(st.floats(1.0, 24.0))},
        "bulk": {"carries": ["product", "rejects"], "vehicles": draw(st.integers(1, 2)),
                 "payload_t": draw(st.floats(1.0, 30.0)), "speed_kmh": 40.0, "co2_kg_per_km": 1.2},
    }
    outputs = {"product": coef, "rejects": reject}
    if n_farms == 0:
        outputs = {"rejects": reject}
        fleets["bulk"]["carries"] = ["rejects"]
    if reject == 0.0 and n_farms == 0:
        del fleets["bulk"]
        outputs = {}
    return {
        "name": "random",
        "horizon_days": draw(st.integers(5, 150)),
        "warmup_days": draw(st.sampled_from([0, 0, 3, 40, 120])),
        "start_day_of_year": draw(st.integers(1, 365)),
        "seed": draw(st.integers(0, 2**32)),
        "materials": {"waste": {}, "product": {}, "rejects": {}},
        "processes": {"proc": {"inputs": ["waste"], "outputs": outputs,
                               "residence_days": draw(st.floats(0.0, 40.0))}},
        "sites": sites,
        "fleets": fleets,
    }


def _run(data):
    loaded = load_dict(data)
    world = build_world(loaded)
    model = Model(world, np.random.SeedSequence(data["seed"]))
    records = model.run()
    return world, model, records


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants(data):
    world, model, rec = _run(data)
    summary = summarise(world, rec)  # raises SimulationError if the balance does not close
    k = summary.kpis
    assert k["mass_balance_error_t"] <= TOL
    assert k["generated_t"] >= -TOL
    series = rec.series
    levels = rec.levels
    for j, quantity in enumerate(series.quantity):
        assert levels[:, j].min() >= -TOL, f"{quantity} went negative"
    # processing ledger never above capacity; store never above storage
    for site in model.sites:
        assert (site.booked <= site.capacity + TOL).all()
        assert site.store.sum() <= site.info.storage_t + TOL
        assert (site.store >= -TOL).all() and (site.in_process >= -TOL).all()
        j = [i for i, (s, q) in enumerate(zip(series.site, series.quantity, strict=True))
             if s == site.info.site and q == "processed"][0]
        assert levels[:, j].max() <= site.capacity + TOL
        stored = [i for i, (s, q) in enumerate(zip(series.site, series.quantity, strict=True))
                  if s == site.info.site and q == "stored"]
        if stored:
            assert levels[:, stored].sum(axis=1).max() <= site.info.storage_t + TOL
    assert (model.supply.stock >= -TOL).all()
    assert (model.supply.pending >= -TOL).all()
    # deliveries never exceed the demand that accrued (limited entries)
    limited = ~world.demand.unlimited
    assert (model.demand.delivered[limited] <= model.demand.accrued[limited] + TOL).all()
    assert (model.demand.open >= -TOL).all()
    # nothing is delivered to a farm outside its windows (day of year of each reported day)
    from ptce_flows.units import day_of_year

    doy = np.asarray(day_of_year(np.arange(world.horizon_days), world.start_day_of_year))
    for j, (site, mat, quantity) in enumerate(zip(series.site, series.material, series.quantity, strict=True)):
        if quantity != "delivered":
            continue
        entry = [e for e in range(len(world.demand))
                 if world.demand.site[e] == site and world.demand.material[e] == mat][0]
        days = np.flatnonzero(levels[:, j] > TOL)
        assert world.demand.window[entry, doy[days] - 1].all(), "delivered outside a window"


@settings(max_examples=15, deadline=None)
@given(scenarios())
def test_same_seed_same_records(data):
    _, _, a = _run(data)
    _, _, b = _run(data)
    for key in a.shipments:
        assert np.array_equal(a.shipments[key], b.shipments[key])
    assert np.array_equal(a.levels, b.levels)
