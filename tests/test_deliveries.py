"""Planned deliveries (issue 12, item 5): the transport plan, a hand-computed case of two
sites and two farms, and the Jura case of decentralised composting against a nearest-site
allocation of the same tonnes.

"A nearest-site allocation of the same tonnes" is computed here, independently of the
simulation, as a transportation problem over the run's own tonnes, with distances recomputed
from the coordinates (great-circle km x the scenario's circuity): strictly, each site sends
and each farm receives what it did in the run; per window, each site sends what it did in each
spreading window and farms take any amount up to the demand that accrued in that window. Both
are the best any allocation of those tonnes can do, ignoring when the compost is ready; a rule
that sends compost 36 km past a platform 2 km away is far from them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from conftest import ROOT, SCENARIOS
from ptce_flows.experiment import run_scenario
from ptce_flows.experiment.run import replication_seeds
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
    # HiGHS's own feasibility tolerance is 1e-7 t: the reference may drop a few 1e-8 t that the
    # plan moves, so tonne-km are compared to 1e-7 t x the longest distance
    assert plan.sum() == pytest.approx(most, abs=1e-6)
    tol = 1e-7 * float(np.max(np.where(np.isfinite(km), km, 0))) + 1e-9
    assert float((np.where(np.isfinite(km), km, 0) * plan).sum()) == pytest.approx(best, rel=1e-6, abs=tol)


def test_transport_plan_is_what_scipy_linprog_gave_bit_for_bit():
    """highspy replaced ``scipy.optimize.linprog(method="highs")`` (the same HiGHS 1.12, to save
    importing scipy.optimize): the plans are the same to the last bit, ties in km included."""
    import highspy
    from scipy.optimize._highspy import _core as scipy_highs
    from scipy.sparse import coo_matrix

    ours = highspy.Highs()
    if (ours.versionMajor(), ours.versionMinor()) != (scipy_highs.HIGHS_VERSION_MAJOR, scipy_highs.HIGHS_VERSION_MINOR):
        pytest.skip("scipy bundles another HiGHS release than highspy's: ties may be broken otherwise")

    def with_linprog(km, supply, demand):
        ii, jj = np.nonzero(np.isfinite(km))
        cost = km[ii, jj]
        bonus = (km.shape[0] + km.shape[1] + 1) * (float(cost.max()) + 1.0)
        n = len(ii)
        a = coo_matrix((np.ones(2 * n), (np.concatenate([ii, km.shape[0] + jj]), np.tile(np.arange(n), 2))),
                       shape=(sum(km.shape), n)).tocsr()
        result = linprog(cost - bonus, A_ub=a, b_ub=np.concatenate([supply, demand]), bounds=(0, None),
                         method="highs")
        plan = np.zeros(km.shape)
        plan[ii, jj] = np.maximum(result.x, 0.0)
        return plan

    rng = np.random.default_rng(7)
    for case in range(60):
        m, n = int(rng.integers(2, 7)), int(rng.integers(2, 40))
        km = rng.uniform(1.0, 80.0, (m, n))
        if case % 2:
            km = np.round(km / 5.0) * 5.0  # many ties
        km[rng.random((m, n)) < 0.3] = np.inf
        km[0, 0] = 3.0
        supply, demand = rng.uniform(0.0, 300.0, m), rng.uniform(0.0, 50.0, n)
        assert np.array_equal(transport_plan(km, supply, demand), with_linprog(km, supply, demand))


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

def _cheapest(km: np.ndarray, supply, demand, exact_farms: bool) -> float:
    """Fewest tonne-km moving sum(supply) t out of the sites (each exactly its supply) to the
    farms: each exactly its ``demand`` (``exact_farms``), or at most it."""
    n, k = km.shape
    by_site, by_farm = np.kron(np.eye(n), np.ones(k)), np.kron(np.ones(n), np.eye(k))
    if exact_farms:
        result = linprog(km.ravel(), A_eq=np.vstack([by_site, by_farm]), b_eq=[*supply, *demand], method="highs")
    else:
        result = linprog(km.ravel(), A_eq=by_site, b_eq=supply, A_ub=by_farm, b_ub=demand, method="highs")
    assert result.status == 0
    return float(result.fun)


def _cheapest_by_period(km: np.ndarray, sent: np.ndarray, windows: np.ndarray, period: np.ndarray,
                        rate: np.ndarray) -> float:
    """Fewest tonne-km if each site sends exactly what it sent in each period (``sent``: periods
    x sites x farms) to farms whose window is open then, each farm taking at most the demand
    that accrues over each of its own windows (what a farm cannot spread in a window lapses)."""
    n_p, n, k = sent.shape
    open_in = np.array([[windows[j, period == w].any() for j in range(k)] for w in range(n_p)])
    var = [(w, i, j) for w in range(n_p) for i in range(n) for j in range(k) if open_in[w, j]]
    cost = np.array([km[i, j] for _, i, j in var])
    eq = np.array([[1.0 if (w, i) == (w2, i2) else 0.0 for w, i, _ in var]
                   for w2 in range(n_p) for i2 in range(n)])
    b_eq = sent.sum(axis=2).ravel()
    rows, b_ub = [], []
    for j in range(k):
        opens = np.flatnonzero(windows[j] & ~np.roll(windows[j], 1))
        runs = np.cumsum(windows[j] & ~np.roll(windows[j], 1)) - 1
        runs[runs < 0] = len(opens) - 1                       # a window running over the new year
        for r in range(len(opens)):
            days = windows[j] & (runs == r)
            periods = set(period[days].tolist())
            rows.append([1.0 if (jj == j and w in periods) else 0.0 for w, _, jj in var])
            b_ub.append(rate[j] * days.sum())
    result = linprog(cost, A_eq=eq, b_eq=b_eq, A_ub=np.array(rows), b_ub=b_ub, method="highs")
    assert result.status == 0, result.message
    return float(result.fun)


def _road_km(spec, a: str, b: str) -> float:
    """Great-circle km x circuity (cluster_jura has no road between these sites)."""
    (lat1, lon1), (lat2, lon2) = spec.sites[a].location, spec.sites[b].location
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6371.0088 * np.arcsin(np.sqrt(h)) * spec.network.circuity)


def _jura_compost(rule: str) -> dict:
    """One seeded run of the variant: compost tonne-km and two nearest-site allocations of the
    same tonnes (see the module docstring and the test)."""
    loaded = load_scenario(JURA, variant="decentralised_composting", overrides={"deliveries.rule": rule})
    world = build_world(loaded)
    records = simulate(world, replication_seeds(loaded.spec.seed, 1)[0])
    ship = records.shipments
    keep = (ship["purpose"] == DELIVERY) & records.in_window() & (ship["material"] == world.material_index["compost"])
    origins = sorted({world.sites[o] for o in ship["origin"][keep]})
    farms = [world.sites[world.demand.site[e]] for e in range(len(world.demand))
             if world.demand.material[e] == world.material_index["compost"]]
    km = np.array([[_road_km(loaded.spec, o, f) for f in farms] for o in origins])
    entry = {f: e for e in range(len(world.demand)) for f in [world.sites[world.demand.site[e]]] if f in farms}
    windows = world.demand.window[[entry[f] for f in farms]]      # (farms, 365) open days
    # periods between consecutive openings or closings of any farm's window (the farms' own
    # windows when they share them): within one, each farm's demand accrues over its open days
    change = (windows != np.roll(windows, 1, axis=1)).any(axis=0)
    first = np.flatnonzero(change) if change.any() else np.array([0])
    period = np.searchsorted(first, np.arange(365), side="right") - 1   # -1: before the first change
    period[period < 0] = len(first) - 1                                  # the year wraps round
    sent = np.zeros((len(first), len(origins), len(farms)))
    tonne_km = 0.0
    for o, d, mass, arrive, loaded_km in zip(ship["origin"][keep], ship["destination"][keep], ship["mass_t"][keep],
                                             ship["arrive_d"][keep], ship["loaded_km"][keep], strict=True):
        i, j = origins.index(world.sites[o]), farms.index(world.sites[d])
        assert loaded_km == pytest.approx(km[i, j])   # the recomputed distances are the run's
        doy = int(day_of_year(int(arrive) - world.warmup_days, world.start_day_of_year)) - 1
        assert windows[j, doy]                         # delivered inside its window
        sent[period[doy], i, j] += mass
        tonne_km += mass * loaded_km
    total = sent.sum(axis=0)
    strict = _cheapest(km, total.sum(axis=1), total.sum(axis=0), exact_farms=True)
    rate = world.demand.rate[[entry[f] for f in farms]]
    per_window = _cheapest_by_period(km, sent, windows, period, rate)
    return {"tonne_km": tonne_km, "strict": strict, "per_window": per_window, "delivered": float(total.sum())}


@pytest.mark.slow  # two runs of 730 days (about 2-3 s each)
def test_jura_decentralised_compost_near_the_nearest_site_allocation():
    """The issue's check: compost tonne-km within 15 % of a nearest-site allocation of the same
    tonnes. Two readings of "the same tonnes", both lower bounds that ignore when compost is
    ready: (strict) every site sends and every farm receives what it did in the run; (per
    window) every site sends what it did in each spreading window, and farms take any amount
    up to the demand that accrued in that window (what a farm cannot spread in a window lapses,
    so moving tonnes between windows or beyond a farm's window demand would be no plan).
    The four farm groups have their own windows (autumn and spring crops, grassland): periods
    run between any two openings or closings. Measured (seed of the file, 2026 data): planned
    1.05 and 1.00, first come 1.19 and 2.14."""
    planned, first_come = _jura_compost("planned"), _jura_compost("first_come")
    assert planned["tonne_km"] <= 1.15 * planned["strict"]
    assert planned["tonne_km"] <= 1.15 * planned["per_window"]
    assert planned["tonne_km"] <= 1.02 * planned["per_window"]   # the cheapest plan that keeps the windows
    assert first_come["tonne_km"] > 1.4 * first_come["per_window"]   # compost sent past near sites
    assert planned["delivered"] == pytest.approx(first_come["delivered"], rel=0.01)
    assert planned["tonne_km"] < 0.75 * first_come["tonne_km"]
