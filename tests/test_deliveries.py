"""Planned deliveries (issue 12, item 5): the transport plan, a hand-computed case of two
sites and two farms, and the Jura case of decentralised composting against a nearest-site
allocation of the same tonnes.

"A nearest-site allocation of the same tonnes" is computed here, independently of the
simulation, as the transportation problem over the run's own totals: each farm receives the
tonnes it received in the run, each site sends the tonnes it sent in the run, and the
tonnes go by the fewest tonne-km (great-circle km x the scenario's circuity, recomputed from
the coordinates). It is the best any allocation of those same tonnes can do, ignoring when
the compost is ready; a rule that sends compost 36 km past a platform 2 km away is far from it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from conftest import ROOT, SCENARIOS
from ptce_flows.experiment import run_scenario
from ptce_flows.metrics.aggregate import flow_rows
from ptce_flows.scenario import load_scenario
from ptce_flows.sim.allocation import days_left_in_window, transport_plan
from ptce_flows.sim.model import simulate
from ptce_flows.sim.records import DELIVERY
from ptce_flows.sim.world import build_world
from ptce_flows.units import day_of_year

HAND = ROOT / "tests" / "data" / "two_sites_two_farms.yaml"
JURA = SCENARIOS / "cluster_jura.yaml"


def _deliveries(loaded, material: str) -> list[dict]:
    result = run_scenario(loaded)
    kinds = dict(zip(result.world.sites, result.world.site_kind, strict=True))
    return [r for r in flow_rows(result.runs)
            if r["material"] == material and kinds[r["destination"]] in ("farm", "outlet")]


# --------------------------------------------------------------------------- the plan itself

def test_transport_plan_two_by_two_by_hand():
    # P1-F1 5, P1-F2 10, P2-F1 20, P2-F2 35; 10.5 t at each site, 10 t for each farm.
    # Cost 550 - 15 x(P1,F1) - 25 x(P1,F2) with x(P1,F1) + x(P1,F2) <= 10.5: x(P1,F2) = 10,
    # x(P1,F1) = 0.5, x(P2,F1) = 9.5: 292.5 t.km (greedy nearest-first: 10 x 5 + 10 x 35 = 400)
    km = np.array([[5.0, 10.0], [20.0, 35.0]])
    plan = transport_plan(km, np.array([10.5, 10.5]), np.array([10.0, 10.0]))
    assert plan == pytest.approx(np.array([[0.5, 10.0], [9.5, 0.0]]), abs=1e-9)
    assert float((plan * km).sum()) == pytest.approx(292.5)


def test_transport_plan_meets_demand_before_saving_km():
    # the far site must serve: a plan moving fewer tonnes to save km is not allowed
    km = np.array([[1.0, np.inf], [100.0, 2.0]])
    plan = transport_plan(km, np.array([0.0, 10.0]), np.array([10.0, 10.0]))
    assert plan.sum() == pytest.approx(10.0)
    # one site: nearest entries first, exactly
    plan = transport_plan(np.array([[7.0, 3.0, 5.0]]), np.array([15.0]), np.array([10.0, 10.0, 10.0]))
    assert plan == pytest.approx(np.array([[0.0, 10.0, 5.0]]))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_transport_plan_is_the_cheapest_maximal_flow(n_sites, n_entries, data):
    numbers = st.floats(0.0, 50.0, allow_nan=False)
    km = np.array(data.draw(st.lists(st.floats(0.5, 100.0), min_size=n_sites * n_entries,
                                     max_size=n_sites * n_entries))).reshape(n_sites, n_entries)
    km[np.array(data.draw(st.lists(st.booleans(), min_size=km.size, max_size=km.size))).reshape(km.shape)] = np.inf
    supply = np.array(data.draw(st.lists(numbers, min_size=n_sites, max_size=n_sites)))
    demand = np.array(data.draw(st.lists(numbers, min_size=n_entries, max_size=n_entries)))
    plan = transport_plan(km, supply, demand)
    assert (plan >= 0).all() and not plan[~np.isfinite(km)].any()
    assert (plan.sum(axis=1) <= supply + 1e-6).all() and (plan.sum(axis=0) <= demand + 1e-6).all()
    # reference, two phases: the largest flow, then the fewest tonne-km at that flow
    ok = np.isfinite(km).ravel()
    if not ok.any():
        assert plan.sum() == 0
        return
    a = np.vstack([np.kron(np.eye(n_sites), np.ones(n_entries)), np.kron(np.ones(n_sites), np.eye(n_entries))])[:, ok]
    b = np.concatenate([supply, demand])
    most = -linprog(-np.ones(ok.sum()), A_ub=a, b_ub=b, method="highs").fun
    best = linprog(km.ravel()[ok], A_ub=a, b_ub=b, A_eq=np.ones((1, ok.sum())), b_eq=[most], method="highs").fun
    assert plan.sum() == pytest.approx(most, abs=1e-6)
    assert float((np.where(np.isfinite(km), km, 0) * plan).sum()) == pytest.approx(best, rel=1e-6, abs=1e-6)


def test_days_left_in_window_counts_to_the_window_end_and_wraps():
    window = np.zeros((2, 365), dtype=bool)
    window[0, 59:62] = True                     # days 60-62
    window[1, 363:] = window[1, :2] = True      # days 364-2, over New Year
    left = days_left_in_window(window)
    assert left[0, 59:62].tolist() == [2, 1, 0] and left[0, 58] == 0 and left[0, 100] == 0
    assert left[1, 363] == 3 and left[1, 364] == 2 and left[1, 0] == 1 and left[1, 1] == 0
    everywhere = days_left_in_window(np.ones((1, 365), dtype=bool))
    assert (everywhere == 365).all()            # a window all year: capped at a year


# --------------------------------------------------------------------------- hand case

@pytest.mark.parametrize("rule, expected", [
    ("planned", {("P2", "F1"): 10.0, ("P1", "F2"): 10.0}),       # 10 x 20 + 10 x 10 = 300 t.km
    ("first_come", {("P1", "F1"): 10.0, ("P2", "F2"): 10.0}),    # 10 x 5 + 10 x 35 = 400 t.km
])
def test_two_sites_two_farms_by_hand(rule, expected):
    rows = _deliveries(load_scenario(HAND, overrides={"deliveries.rule": rule}), "compost")
    assert {(r["origin"], r["destination"]): r["mass_t"] for r in rows} == pytest.approx(expected)
    tonne_km = sum(r["tonne_km"] for r in rows)
    assert tonne_km == pytest.approx(300.0 if rule == "planned" else 400.0)


def test_planned_is_the_default():
    assert load_scenario(HAND).spec.deliveries.rule == "planned"
    assert build_world(load_scenario(HAND)).delivery_rule == "planned"


# --------------------------------------------------------------------------- the Jura case

def _nearest_allocation_tkm(loaded, rows: list[dict]) -> float:
    """Fewest tonne-km moving the same tonnes: site totals out, farm totals in."""
    spec = loaded.spec
    origins = sorted({r["origin"] for r in rows})
    farms = sorted({r["destination"] for r in rows})
    supply = [sum(r["mass_t"] for r in rows if r["origin"] == o) for o in origins]
    demand = [sum(r["mass_t"] for r in rows if r["destination"] == f) for f in farms]
    km = np.array([[_road_km(spec, o, f) for f in farms] for o in origins])
    for r in rows:  # the recomputed distances are the ones the run used
        assert r["tonne_km"] / r["mass_t"] == pytest.approx(km[origins.index(r["origin"]), farms.index(r["destination"])])
    n, k = len(origins), len(farms)
    a_eq = np.vstack([np.kron(np.eye(n), np.ones(k)), np.kron(np.ones(n), np.eye(k))])
    result = linprog(km.ravel(), A_eq=a_eq, b_eq=supply + demand, method="highs")
    assert result.status == 0
    return float(result.fun)


def _road_km(spec, a: str, b: str) -> float:
    """Great-circle km x circuity (cluster_jura has no road between these sites)."""
    (lat1, lon1), (lat2, lon2) = spec.sites[a].location, spec.sites[b].location
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6371.0088 * np.arcsin(np.sqrt(h)) * spec.network.circuity)


@pytest.mark.slow  # two runs of 730 days (about 2-3 s each)
def test_jura_decentralised_compost_near_the_nearest_site_allocation():
    results = {}
    for rule in ("planned", "first_come"):
        loaded = load_scenario(JURA, variant="decentralised_composting", overrides={"deliveries.rule": rule})
        rows = _deliveries(loaded, "compost")
        actual = sum(r["tonne_km"] for r in rows)
        results[rule] = (actual, _nearest_allocation_tkm(loaded, rows), sum(r["mass_t"] for r in rows))
    actual, nearest, delivered = results["planned"]
    assert actual <= 1.15 * nearest          # the requirement (measured: 1.00)
    assert actual <= 1.02 * nearest
    old_actual, old_nearest, old_delivered = results["first_come"]
    assert old_actual > 1.10 * old_nearest   # the first-come rule sends compost past near sites
    assert delivered == pytest.approx(old_delivered, rel=0.01)   # as many tonnes delivered
    assert actual < 0.75 * old_actual


def test_planned_deliveries_arrive_in_their_windows():
    loaded = load_scenario(JURA, variant="decentralised_composting", overrides={"warmup_days": 0})
    world = build_world(loaded)
    records = simulate(world, np.random.SeedSequence(7))
    ship = records.shipments
    delivery = ship["purpose"] == DELIVERY
    assert delivery.sum() > 50
    entry = {(int(s), int(m)): e for e, (s, m) in enumerate(zip(world.demand.site, world.demand.material, strict=True))}
    for site, mat, arrive in zip(ship["destination"][delivery], ship["material"][delivery],
                                 ship["arrive_d"][delivery], strict=True):
        doy = int(day_of_year(int(arrive), world.start_day_of_year))
        assert world.demand.window[entry[(int(site), int(mat))], doy - 1]
