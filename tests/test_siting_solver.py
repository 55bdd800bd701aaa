"""The exact location solver: OR-Library pmed1, hand cases, and brute force on small instances."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from ptce_flows.siting import solver as solver_mod
from ptce_flows.siting.lagrange import presolve
from ptce_flows.siting.problem import InfeasibleLayout, LocationProblem, layout_cost
from ptce_flows.siting.solver import solve

ORLIB = Path(__file__).parent / "data" / "orlib"


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """Shortest-path distances of an OR-Library p-median file (the last cost of an edge counts)."""
    lines = path.read_text().split("\n")
    n, m, p = map(int, lines[0].split())
    cost = {}
    for line in lines[1:1 + m]:
        i, j, c = map(int, line.split())
        cost[(min(i, j), max(i, j))] = c
    rows = [k[0] - 1 for k in cost]
    cols = [k[1] - 1 for k in cost]
    graph = csr_matrix((list(cost.values()), (rows, cols)), shape=(n, n))
    return shortest_path(graph, directed=False), p


def p_median(dist: np.ndarray) -> LocationProblem:
    n = dist.shape[0]
    return LocationProblem(dist, np.ones(n), np.zeros(n), np.zeros(n, bool))


def test_pmed1_known_optimum():
    dist, p = read_pmed(ORLIB / "pmed1.txt")
    (best,) = solve(p_median(dist), sites=p)
    assert best.objective == 5819
    assert len(best.open) == 5
    assert best.gap == pytest.approx(0, abs=1e-9)
    # every client is served by its nearest open site
    assert (dist[np.arange(100), list(best.served_by)] == dist[:, list(best.open)].min(axis=1)).all()


def test_pmed1_top_layouts_distinct_and_sorted():
    dist, p = read_pmed(ORLIB / "pmed1.txt")
    layouts = solve(p_median(dist), sites=p, top=4)
    assert [lay.objective for lay in layouts] == sorted(lay.objective for lay in layouts)
    assert len({lay.open for lay in layouts}) == 4
    assert layouts[0].objective == 5819
    for lay in layouts:   # the objective is the layout's true cost
        assert layout_cost(p_median(dist), np.isin(np.arange(100), lay.open))[0] == lay.objective


def test_presolve_never_cuts_the_optimum(monkeypatch):
    dist, p = read_pmed(ORLIB / "pmed1.txt")
    monkeypatch.setattr(solver_mod, "PRESOLVE_ABOVE", 10**9)
    plain = solve(p_median(dist), sites=p, top=3)
    monkeypatch.setattr(solver_mod, "PRESOLVE_ABOVE", 0)
    pre = solve(p_median(dist), sites=p, top=3)
    assert [x.objective for x in plain] == [x.objective for x in pre]
    fixed = presolve(p_median(dist), sites=p, max_new=None, top=1)
    assert fixed.lower_bound <= 5819 + 1e-6
    assert not fixed.closed[list(plain[0].open)].any()


def test_hand_case_fixed_costs_and_disposal():
    # two towns 10 t each; site A next to town 1 (2 km), B next to town 2 (2 km), 20 km apart;
    # cost per t-km 1; fixed costs 100 (A) and 15 (B); disposal costs 50 per town.
    a = np.array([[2.0, 22.0], [22.0, 2.0]]) * 10
    prob = LocationProblem(a, np.array([10.0, 10.0]), np.array([100.0, 15.0]), np.zeros(2, bool),
                           unserved_cost=np.array([50.0, 50.0]))
    # by hand: none 100; A 100+20+50=170 (town 2 to disposal); B 15+50+20=85; both 155
    (best,) = solve(prob)
    assert best.open == (1,) and best.objective == pytest.approx(85)
    assert list(best.served_by) == [-1, 1]
    (one,) = solve(prob, sites=2)
    assert one.objective == pytest.approx(155)
    (cheap,) = solve(prob, max_new=0)
    assert cheap.open == () and cheap.objective == pytest.approx(100)


def test_budget_and_existing_site():
    a = np.array([[1.0, 9.0, 5.0], [9.0, 1.0, 5.0]])
    prob = LocationProblem(a, np.ones(2), np.zeros(3), np.array([False, False, True]),
                           capex=np.array([10.0, 10.0, 0.0]))
    (free,) = solve(prob)
    assert free.open == (0, 1, 2) and free.objective == pytest.approx(2)
    (one,) = solve(prob, budget=10)
    assert len(one.open) == 2 and 2 in one.open and one.objective == pytest.approx(6)
    (none,) = solve(prob, budget=5)
    assert none.open == (2,) and none.objective == pytest.approx(10)
    with pytest.raises(InfeasibleLayout):
        solve(prob, sites=0)


def test_capacity_splits_a_client():
    # one client of 30 t, two sites of 20 t each: both must open and share it
    prob = LocationProblem(np.array([[30.0, 60.0]]), np.array([30.0]), np.array([5.0, 5.0]),
                           np.zeros(2, bool), capacity=np.array([20.0, 20.0]))
    (best,) = solve(prob)
    assert best.open == (0, 1)
    assert best.objective == pytest.approx(10 + 30 * 20 / 30 + 60 * 10 / 30)


def _brute(prob: LocationProblem, sites=None, max_new=None, budget=None):
    """Every subset of candidates; capacitated ones by an LP per subset."""
    m = prob.n_sites
    cand = [j for j in range(m) if not prob.existing[j]]
    capex = np.zeros(m) if prob.capex is None else prob.capex
    out = []
    for k in range(len(cand) + 1):
        for sub in itertools.combinations(cand, k):
            opened = np.asarray(prob.existing, bool).copy()
            opened[list(sub)] = True
            if sites is not None and opened.sum() != sites:
                continue
            if max_new is not None and k > max_new:
                continue
            if budget is not None and capex[list(sub)].sum() > budget + 1e-9:
                continue
            if prob.capacitated:
                val = _lp_cost(prob, opened)
            else:
                val = layout_cost(prob, opened)[0]
            if np.isfinite(val):
                out.append((val, tuple(np.flatnonzero(opened))))
    return sorted(out)


def _lp_cost(prob, opened):
    n, m = prob.n_clients, prob.n_sites
    a = np.where(opened[None, :], prob.assign_cost, np.inf)
    ii, jj = np.nonzero(np.isfinite(a))
    has_u = prob.unserved_cost is not None
    c = np.concatenate([a[ii, jj], prob.unserved_cost if has_u else []])
    nv = c.size
    a_eq = np.zeros((n, nv))
    a_eq[ii, np.arange(ii.size)] = 1
    if has_u:
        a_eq[np.arange(n), ii.size + np.arange(n)] = 1
    a_ub = np.zeros((m, nv))
    a_ub[jj, np.arange(ii.size)] = prob.demand[ii]
    res = linprog(c, A_ub=a_ub, b_ub=prob.capacity, A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1))
    return res.fun + prob.fixed_cost[opened].sum() if res.status == 0 else np.inf


@pytest.mark.parametrize("with_presolve", [False, True])
@pytest.mark.parametrize("seed", range(16))
def test_brute_force_small_instances(seed, with_presolve, monkeypatch):
    monkeypatch.setattr(solver_mod, "PRESOLVE_ABOVE", 0 if with_presolve else 10**9)
    rng = np.random.default_rng(seed)
    n, m = rng.integers(3, 9), rng.integers(2, 7)
    demand = rng.uniform(1, 10, n)
    a = rng.uniform(1, 20, (n, m)) * demand[:, None]
    a[rng.random((n, m)) < 0.1] = np.inf
    existing = rng.random(m) < 0.25
    capacitated = seed % 3 == 0
    prob = LocationProblem(
        a, demand, rng.uniform(0, 40, m), existing,
        capacity=rng.uniform(5, 40, m) if capacitated else None,
        unserved_cost=rng.uniform(20, 200, n) if seed % 2 == 0 else None,
        capex=rng.uniform(1, 10, m))
    kw = [{}, {"max_new": 1}, {"budget": 8.0}, {"sites": int(existing.sum()) + 1}][seed % 4]
    truth = _brute(prob, **kw)
    if not truth:
        with pytest.raises(InfeasibleLayout):
            solve(prob, **kw)
        return
    got = solve(prob, top=3, **kw)
    want = [v for v, _ in truth[:3]]
    assert [g.objective for g in got] == pytest.approx(want[: len(got)], rel=1e-6, abs=1e-6)
    assert len(got) == min(3, len(truth))


def test_the_gap_of_an_objective_near_zero_is_not_the_solver_tolerance():
    """A proven optimum whose own objective is 0 (net GHG terms that cancel) reported a gap of
    136 % from a dual bound of -1.4e-12; the gap is relative to max(|objective|, 1)."""
    from ptce_flows.siting.solver import _Base

    assert _Base._gap(0.0, -1.3642420526593924e-12) < 1e-9
    assert _Base._gap(-6826.76, -6826.76) == 0.0
    assert abs(_Base._gap(200.0, 150.0) - 0.25) < 1e-12
    assert _Base._gap(0.5, 0.0) == 0.5   # below 1, absolute
