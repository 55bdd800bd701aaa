"""Lagrangian presolve of the uncapacitated location problem: bounds that shrink the exact model.

For large instances (hundreds of candidates), the exact model is made small before HiGHS sees
it. Relaxing "each client is served once" with multipliers ``lambda_i`` (Beasley 1993,
"Lagrangean heuristics for location problems", EJOR 65:383-399) leaves a problem solved by
sorting: site ``j`` is worth ``v_j = f_j + sum_i min(0, a_ij - lambda_i)`` and the relaxation
opens the best ones allowed by the cardinality rule; its value is a lower bound on every layout.
Subgradient steps raise it; a local search (add, drop and swap moves evaluated for all sites at
once) finds good layouts, whose costs are upper bounds.

With the best multipliers, the bound of the problem in which a candidate is forced open (or
closed) is read off the same sorted values. A candidate whose forced bound exceeds the cost of
the K-th best layout found cannot be in any of the K best layouts: it is closed (or kept open)
in the exact model. Nothing here decides the answer: the exact model does, on fewer sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ptce_flows.siting.problem import LocationProblem, layout_cost


@dataclass(frozen=True)
class Presolve:
    """What the presolve proved: candidates closed or open in every layout among the K best."""

    closed: np.ndarray
    forced: np.ndarray
    lower_bound: float
    threshold: float
    iterations: int


def presolve(problem: LocationProblem, *, sites: int | None, max_new: int | None, top: int,
             iterations: int = 400) -> Presolve:
    """Lagrangian bounds, local search and variable fixing (module docstring)."""
    a = np.asarray(problem.assign_cost, dtype=float)
    n, m = a.shape
    existing = np.asarray(problem.existing, dtype=bool)
    fixed = np.asarray(problem.fixed_cost, dtype=float)
    uc = (np.full(n, np.inf) if problem.unserved_cost is None
          else np.asarray(problem.unserved_cost, dtype=float))
    rule = _Rule(existing, sites, max_new)
    search = _LocalSearch(problem, a, fixed, existing, uc, rule)
    pool: dict[tuple[int, ...], float] = {}
    start = search.greedy()
    search.improve(start, pool)

    lam = np.minimum(np.where(np.isfinite(a), a, np.inf).min(axis=1), uc)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    best_lb, best_v, best_base = -np.inf, None, 0.0
    mu, stall = 2.0, 0
    finite_a = np.isfinite(a)
    it = 0
    for it in range(1, iterations + 1):
        red = np.where(finite_a, np.minimum(a - lam[:, None], 0.0), 0.0)
        v = fixed + red.sum(axis=0)
        base = float(lam.sum() + np.minimum(uc - lam, 0.0)[np.isfinite(uc)].sum()
                     + v[existing].sum())
        chosen = rule.choose(v)
        lb = base + float(v[chosen].sum())
        if lb > best_lb + 1e-12 * max(1.0, abs(lb)):
            best_lb, best_v, best_base, stall = lb, v, base, 0
        else:
            stall += 1
            if stall >= 20:
                mu, stall = mu / 2, 0
        ub = _kth(pool, top)
        if np.isfinite(ub) and best_lb >= ub - 1e-9 * max(1.0, abs(ub)) or mu < 1e-4:
            break
        if it % 40 == 0:
            search.improve(chosen | existing, pool)
        opened = chosen | existing
        covered = (finite_a[:, opened] & (a[:, opened] < lam[:, None])).sum(axis=1)
        g = 1.0 - covered - (uc < lam)
        norm = float(g @ g)
        if norm == 0:
            break
        target = _kth(pool, 1)
        step = mu * (target - lb) / norm if np.isfinite(target) else mu / np.sqrt(norm)
        lam = np.maximum(lam + step * g, 0.0)
    threshold = _kth(pool, top)
    closed, forced = rule.fixings(best_v, best_lb, best_base, threshold)
    return Presolve(closed, forced, float(best_lb), float(threshold), it)


def _kth(pool: dict, k: int) -> float:
    if len(pool) < k:
        return float("inf")
    return float(sorted(pool.values())[k - 1])


class _Rule:
    """The cardinality rule on candidates: exactly ``k``, at most ``k``, or free."""

    def __init__(self, existing: np.ndarray, sites: int | None, max_new: int | None):
        self.cand = ~existing
        self.exact = None if sites is None else sites - int(existing.sum())
        self.cap = max_new

    def choose(self, v: np.ndarray) -> np.ndarray:
        vc = np.where(self.cand, v, np.inf)
        out = np.zeros(v.size, bool)
        if self.exact is not None:
            if self.exact > 0:
                out[np.argpartition(vc, self.exact - 1)[: self.exact]] = True
            return out
        neg = vc < 0
        if self.cap is not None and neg.sum() > self.cap:
            idx = np.argpartition(vc, self.cap - 1)[: self.cap] if self.cap > 0 else []
            out[idx] = True
            return out
        return neg

    def fixings(self, v, lb, base, threshold) -> tuple[np.ndarray, np.ndarray]:
        m = v.size
        closed, forced = np.zeros(m, bool), np.zeros(m, bool)
        if v is None or not np.isfinite(threshold):
            return closed, forced
        chosen = self.choose(v)
        tol = 1e-9 * max(1.0, abs(threshold))
        cand = self.cand
        vin, vout = v[chosen], v[cand & ~chosen]
        worst_in = vin.max() if vin.size else None
        best_out = vout.min() if vout.size else None
        full = (self.exact is not None) or (self.cap is not None and chosen.sum() >= self.cap)
        for j in np.flatnonzero(cand):
            if chosen[j]:
                if self.exact is not None:
                    repl = best_out
                elif self.cap is not None:
                    repl = min(0.0, best_out) if best_out is not None else 0.0
                else:
                    repl = 0.0
                forced[j] = repl is None or lb - v[j] + repl > threshold + tol
            else:
                if full:
                    add = None if worst_in is None else v[j] - worst_in
                else:
                    add = v[j]
                closed[j] = add is None or lb + add > threshold + tol
        return closed, forced


class _LocalSearch:
    """Add, drop and swap moves, each evaluated for every site at once (fast interchange)."""

    def __init__(self, problem, a, fixed, existing, uc, rule: _Rule):
        self.problem, self.a, self.fixed, self.existing, self.uc, self.rule = (
            problem, a, fixed, existing, uc, rule)
        self.n, self.m = a.shape

    def _nearest(self, opened):
        a = np.where(opened[None, :], self.a, np.inf)
        a = np.concatenate([a, self.uc[:, None]], axis=1)   # the last column: unserved
        two = np.argpartition(a, 1, axis=1)[:, :2] if a.shape[1] > 1 else np.zeros((self.n, 2), int)
        r = np.arange(self.n)
        d_a, d_b = a[r, two[:, 0]], a[r, two[:, 1]]
        swap = d_b < d_a
        n1 = np.where(swap, two[:, 1], two[:, 0])
        d1, d2 = np.minimum(d_a, d_b), np.maximum(d_a, d_b)
        return n1, d1, d2, swap

    def _gains(self, d1: np.ndarray) -> np.ndarray:
        """Per site, the change of the clients' costs if it opened (<= 0; -inf covers a client
        that nothing serves yet)."""
        with np.errstate(invalid="ignore"):
            diff = self.a - d1[:, None]
        return np.where(np.isfinite(self.a), np.minimum(diff, 0.0), 0.0).sum(axis=0)

    def greedy(self) -> np.ndarray:
        opened = self.existing.copy()
        rule = self.rule
        want = rule.exact if rule.exact is not None else (rule.cap if rule.cap is not None else self.m)
        for _ in range(max(0, want)):
            _, d1, _, _ = self._nearest(opened)
            gain = self.fixed + self._gains(d1)
            gain = np.where(rule.cand & ~opened, gain, np.inf)
            j = int(np.argmin(gain))
            if not np.isfinite(gain[j]) or (rule.exact is None and gain[j] >= 0):
                break
            opened[j] = True
        return opened

    def improve(self, opened: np.ndarray, pool: dict) -> np.ndarray:
        opened = opened.copy()
        rule = self.rule
        cost, _ = layout_cost(self.problem, opened)
        pool[tuple(np.flatnonzero(opened))] = cost
        for _ in range(10 * self.m):
            n1, d1, d2, _ = self._nearest(opened)
            add = self.fixed + self._gains(d1)
            add = np.where(rule.cand & ~opened, add, np.inf)
            movable = np.flatnonzero(rule.cand & opened)
            n_new = movable.size
            best, move = -1e-9 * max(1.0, abs(cost)), None
            if rule.exact is None and (rule.cap is None or n_new < rule.cap):
                j = int(np.argmin(add))
                if add[j] < best:
                    best, move = add[j], (j, None)
            for r in movable:
                mine = n1 == r
                loss = float((d2[mine] - d1[mine]).sum())
                if rule.exact is None and -self.fixed[r] + loss < best:
                    best, move = -self.fixed[r] + loss, (None, r)
                ai = self.a[mine]
                with np.errstate(invalid="ignore"):
                    extra = np.nan_to_num(np.minimum(ai, d2[mine, None]) - np.minimum(ai, d1[mine, None]),
                                          nan=np.inf, posinf=np.inf).sum(axis=0)
                swap = add - self.fixed[r] + extra
                j = int(np.argmin(swap))
                if swap[j] < best:
                    best, move = swap[j], (j, r)
            if move is None:
                break
            j, r = move
            if j is not None:
                opened[j] = True
            if r is not None:
                opened[r] = False
            cost, _ = layout_cost(self.problem, opened)
            pool[tuple(np.flatnonzero(opened))] = cost
        return opened
