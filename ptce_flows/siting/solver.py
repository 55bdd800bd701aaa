"""Exact facility location on annual flows, solved with HiGHS (``scipy.optimize.milp``).

The problem: clients (sources) with an annual demand of service, sites that are either
existing (always open) or candidates (open or not), a cost of serving each client from each
site, a fixed cost per open site, optionally a capacity per site and a cost of leaving a client
unserved (its waste goes to disposal). Constraints: exactly ``sites`` sites open in total, or at
most ``max_new`` candidates opened, and a budget on the candidates' capital cost.

Two formulations, chosen by the data:

* **Uncapacitated** (no finite capacity): each client is served by its cheapest open site, so
  the "closest assignment" formulation applies (Cornuéjols, Nemhauser & Wolsey 1980; Elloumi
  2010, "A tighter formulation of a p-median problem", J. Comb. Optim. 19:69-83). For client
  ``i`` with distinct costs ``D1 < D2 < ... < DK``, ``cost_i = D1 + sum_k (Dk - Dk-1) z_ik``
  where ``z_ik >= 1 - sum_{j: a_ij < Dk} y_j``. Written as a chain,
  ``z_ik >= z_ik-1 - sum_{j: a_ij = Dk-1} y_j``, the matrix has about ``n (K + m)`` non-zeros
  instead of the ``n m`` binaries and ``n m`` linking rows of the textbook model. Levels beyond
  an always-open option (an existing site, or disposal when it is allowed) are cut off.
  Above ``PRESOLVE_ABOVE`` candidates and without a budget, a Lagrangian presolve
  (``siting.lagrange``) first proves which candidates cannot belong to the K best layouts and
  leaves them out, so that HiGHS works on a model of the remaining sites only.
* **Capacitated**: flows ``x_ij`` (the share of client ``i`` served by ``j``), the strong
  linking rows ``x_ij <= y_j`` and capacity rows ``sum_i d_i x_ij <= cap_j y_j``; demand may
  be split between sites, as annual flows are. With ``overflow_only`` (also used without
  capacities), a binary ``f_j`` says site ``j`` is full (``sum_i d_i x_ij >= cap_j f_j``) and
  the unserved share ``u_i`` of a client obeys ``u_i + y_j - f_j <= 1`` for every site ``j``
  that can serve it: disposal takes only what the open sites have no room for.

The K best distinct layouts are found by adding, after each solution, a "no-good" cut that
excludes exactly that set of open candidates, and solving again.

Why ``scipy.optimize.milp``: it is HiGHS (an exact branch-and-cut solver), it reports the dual
bound and the gap, and it comes with SciPy, which the project already needs; ``highspy`` would
add warm starts, which the no-good loop could use, at the price of one more dependency.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from ptce_flows.siting.lagrange import presolve
from ptce_flows.siting.problem import InfeasibleLayout, Layout, LocationProblem, layout_cost


def solve(problem: LocationProblem, *, sites: int | None = None, max_new: int | None = None,
          budget: float | None = None, top: int = 1, time_limit: float | None = None,
          mip_rel_gap: float = 0.0) -> list[Layout]:
    """The ``top`` best distinct layouts, best first (fewer when fewer exist).

    Args:
        problem: the data.
        sites: exactly this many sites open in total (existing ones included).
        max_new: at most this many candidates opened.
        budget: the candidates opened have a total ``capex`` of at most this.
        top: how many distinct layouts to return.
        time_limit: seconds per solve (the gap then says how far from proven the layout is).
        mip_rel_gap: relative gap at which HiGHS may stop (0: proven optimum).

    Raises:
        InfeasibleLayout: when not even one layout meets the constraints.
    """
    if top < 1:
        raise ValueError("top must be >= 1")
    existing = np.asarray(problem.existing, dtype=bool)
    if sites is not None and not existing.sum() <= sites <= problem.n_sites:
        raise InfeasibleLayout(
            f"{sites} sites open in total is impossible: {int(existing.sum())} exist already "
            f"and there are {problem.n_sites} sites in all")
    if problem.capacitated or (problem.overflow_only and problem.unserved_cost is not None):
        solver: _Base = _Capacitated(problem)
    elif budget is None and int((~existing).sum()) > PRESOLVE_ABOVE:
        pre = presolve(problem, sites=sites, max_new=max_new, top=top)
        solver = _ClosestAssignment(problem, closed=pre.closed, forced=pre.forced)
    else:
        solver = _ClosestAssignment(problem)
    layouts: list[Layout] = []
    cuts: list[np.ndarray] = []
    for _ in range(top):
        found = solver.solve(sites=sites, max_new=max_new, budget=budget, cuts=cuts,
                             time_limit=time_limit, mip_rel_gap=mip_rel_gap)
        if found is None:
            if not layouts:
                raise InfeasibleLayout("no layout meets the constraints (sites, max-new, budget)")
            break
        layouts.append(found)
        opened = np.zeros(problem.n_sites, dtype=bool)
        opened[list(found.open)] = True
        cuts.append(opened)
    return layouts


#: above this many candidates, the Lagrangian presolve first closes or keeps open the sites it can
PRESOLVE_ABOVE = 40


class _Base:
    """What both formulations share: the site variables and their constraints."""

    def __init__(self, problem: LocationProblem):
        self.p = problem
        self.n, self.m = problem.n_clients, problem.n_sites
        self.a = np.asarray(problem.assign_cost, dtype=float)
        self.existing = np.asarray(problem.existing, dtype=bool)
        self.fixed = np.asarray(problem.fixed_cost, dtype=float)
        self.capex = (np.zeros(self.m) if problem.capex is None
                      else np.asarray(problem.capex, dtype=float))

    def _site_rows(self, n_vars: int, sites, max_new, budget, cuts) -> list[LinearConstraint]:
        """Rows on the site variables, which are the first ``m`` variables."""
        m = self.m
        cand = ~self.existing

        def row(coef: np.ndarray) -> csr_matrix:
            return csr_matrix((coef[coef != 0], (np.zeros(int((coef != 0).sum()), int),
                                                 np.flatnonzero(coef))), shape=(1, n_vars))

        out = []
        if sites is not None:
            out.append(LinearConstraint(row(np.ones(m)), sites, sites))
        if max_new is not None:
            out.append(LinearConstraint(row(cand.astype(float)), -np.inf, max_new))
        if budget is not None:
            out.append(LinearConstraint(row(np.where(cand, self.capex, 0.0)), -np.inf, budget))
        for opened in cuts:
            # sum_{j open, candidate} (1 - y_j) + sum_{j closed, candidate} y_j >= 1
            coef = np.where(cand, np.where(opened, -1.0, 1.0), 0.0)
            out.append(LinearConstraint(row(coef), 1 - float((opened & cand).sum()), np.inf))
        return out

    def _site_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.where(self.existing, 1.0, 0.0)
        return lo, np.ones(self.m)

    @staticmethod
    def _options(time_limit, mip_rel_gap) -> dict:
        opts = {"mip_rel_gap": mip_rel_gap, "disp": False}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts

    @staticmethod
    def _gap(objective: float, bound: float | None) -> float:
        """(objective - bound) / max(|objective|, 1): relative, but not for an objective near
        zero, where the solver's tolerance alone (1e-12) made a gap of 136 % (net GHG of a
        layout whose terms cancel in the problem's own objective)."""
        if bound is None or not np.isfinite(bound) or not np.isfinite(objective):
            return float("nan")
        return max(0.0, (objective - bound) / max(abs(objective), 1.0))


class _ClosestAssignment(_Base):
    """The sparse closest-assignment formulation (module docstring).

    ``closed`` sites are left out (proved useless by the Lagrangian presolve) and ``forced``
    sites are open in every layout sought, like existing ones.
    """

    def __init__(self, problem: LocationProblem, closed: np.ndarray | None = None,
                 forced: np.ndarray | None = None):
        super().__init__(problem)
        a = self.a
        self.closed = np.zeros(self.m, bool) if closed is None else closed.copy()
        always = self.existing | (np.zeros(self.m, bool) if forced is None else forced)
        self.always = always
        floor = np.full(self.n, np.inf)
        if problem.unserved_cost is not None:
            floor = np.asarray(problem.unserved_cost, dtype=float).copy()
        if always.any():
            floor = np.minimum(floor, a[:, always].min(axis=1))
        self.floor = floor
        cand = np.flatnonzero(~always & ~self.closed)
        # per client: candidate indices and costs below the floor, sorted by cost; the
        # distinct costs are the levels, the floor appended when finite
        self.order: list[np.ndarray] = []
        self.costs: list[np.ndarray] = []
        self.levels: list[np.ndarray] = []
        for i in range(self.n):
            c = a[i, cand]
            keep = np.isfinite(c) & (c < floor[i])
            js, cs = cand[keep], c[keep]
            srt = np.argsort(cs, kind="stable")
            js, cs = js[srt], cs[srt]
            lv = np.unique(cs)
            if np.isfinite(floor[i]):
                lv = np.append(lv, floor[i])
            if lv.size == 0:
                raise InfeasibleLayout(f"client {i} can be served by no site")
            self.order.append(js)
            self.costs.append(cs)
            self.levels.append(lv)

    def true_cost(self, opened: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective of a layout and each client's serving site (-1: unserved)."""
        return layout_cost(self.p, opened)

    def _build(self):
        m = self.m
        c_parts = [self.fixed.copy()]
        const = 0.0
        rows, cols, vals, lo = [], [], [], []
        nvar = m
        r = 0
        for i in range(self.n):
            lv = self.levels[i]
            const += lv[0]
            if lv.size < 2:
                if not np.isfinite(self.floor[i]):   # the sites of the only level: one is open
                    only = self.order[i]
                    rows.append(np.full(only.size, r))
                    cols.append(only)
                    vals.append(np.ones(only.size))
                    lo.append(np.ones(1))
                    r += 1
                continue
            inc = np.diff(lv)                      # cost increments of levels 2..K
            z0 = nvar                              # z_i^2 .. z_i^K are variables z0 .. z0+K-2
            nvar += inc.size
            c_parts.append(inc)
            js, cs = self.order[i], self.costs[i]
            # the sites at level k-1 are those whose opening keeps the client below level k
            pos = np.searchsorted(cs, lv[:-1], side="left")
            end = np.searchsorted(cs, lv[:-1], side="right")
            cnt = end - pos
            k = np.arange(inc.size)
            # z_i^{k+2} (+ -z_i^{k+1} for k > 0) + sum of y_j at level k+1 >= 1 (k = 0) or 0
            rows.append(r + k)
            cols.append(z0 + k)
            vals.append(np.ones(inc.size))
            rows.append(r + k[1:])
            cols.append(z0 + k[1:] - 1)
            vals.append(-np.ones(inc.size - 1))
            rows.append(np.repeat(r + k, cnt))
            cols.append(js[np.concatenate([np.arange(p, e) for p, e in zip(pos, end, strict=True)])]
                        if cnt.sum() else np.zeros(0, int))
            vals.append(np.ones(int(cnt.sum())))
            lo.append(np.r_[1.0, np.zeros(inc.size - 1)])
            r += inc.size
            if not np.isfinite(self.floor[i]):
                # no always-open option: one of the sites that can serve the client is open
                # (the sites of the last level; the earlier ones are counted through z)
                last = js[cs == lv[-1]]
                rows.append(np.full(last.size + 1, r))
                cols.append(np.r_[z0 + inc.size - 1, last])
                vals.append(np.r_[-1.0, np.ones(last.size)])
                lo.append(np.zeros(1))
                r += 1
        c = np.concatenate(c_parts)
        a_mat = coo_matrix((_cat(vals, float), (_cat(rows, int), _cat(cols, int))),
                           shape=(r, nvar)).tocsr()
        return c, const, a_mat, _cat(lo, float), nvar

    def solve(self, *, sites, max_new, budget, cuts, time_limit, mip_rel_gap) -> Layout | None:
        t0 = time.perf_counter()
        c, const, a_mat, lo, nvar = self._build()
        cons = self._site_rows(nvar, sites, max_new, budget, cuts)
        if a_mat.shape[0]:
            cons.append(LinearConstraint(a_mat, lo, np.inf))
        slo = np.where(self.always, 1.0, 0.0)
        shi = np.where(self.closed & ~self.existing, 0.0, 1.0)
        lb = np.concatenate([slo, np.zeros(nvar - self.m)])
        ub = np.concatenate([shi, np.ones(nvar - self.m)])
        integrality = np.concatenate([np.ones(self.m), np.zeros(nvar - self.m)])
        res = milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=cons,
                   options=self._options(time_limit, mip_rel_gap))
        if res.x is None:
            return None
        opened = res.x[: self.m] > 0.5
        total, served_by = self.true_cost(opened)
        bound = getattr(res, "mip_dual_bound", None)
        bound = None if bound is None else float(bound) + const
        return Layout(tuple(int(j) for j in np.flatnonzero(opened)), total,
                      bound if bound is not None else float("nan"),
                      self._gap(total, bound), served_by, time.perf_counter() - t0)


class _Capacitated(_Base):
    """Split flows with strong linking and capacity rows."""

    def solve(self, *, sites, max_new, budget, cuts, time_limit, mip_rel_gap) -> Layout | None:
        t0 = time.perf_counter()
        n, m, a = self.n, self.m, self.a
        d = np.asarray(self.p.demand, dtype=float)
        cap = np.full(m, np.inf) if self.p.capacity is None else np.asarray(self.p.capacity, dtype=float)
        ii, jj = np.nonzero(np.isfinite(a))
        k = ii.size
        has_u = self.p.unserved_cost is not None
        fin = np.flatnonzero(np.isfinite(cap))
        over = has_u and self.p.overflow_only
        nvar = m + k + (n if has_u else 0) + (fin.size if over else 0)
        c = np.concatenate([self.fixed, a[ii, jj], np.asarray(self.p.unserved_cost, float) if has_u else [],
                            np.zeros(fin.size if over else 0)])
        x = m + np.arange(k)
        cons = self._site_rows(nvar, sites, max_new, budget, cuts)
        # every client served (or left unserved)
        r_rows = [ii]
        r_cols = [x]
        if has_u:
            r_rows.append(np.arange(n))
            r_cols.append(m + k + np.arange(n))
        rr, cc = np.concatenate(r_rows), np.concatenate(r_cols)
        cons.append(LinearConstraint(csr_matrix((np.ones(rr.size), (rr, cc)), shape=(n, nvar)), 1, 1))
        # strong linking for candidates: x_ij - y_j <= 0
        link = ~self.existing[jj]
        li = np.flatnonzero(link)
        if li.size:
            rows = np.concatenate([np.arange(li.size), np.arange(li.size)])
            cols = np.concatenate([x[li], jj[li]])
            vals = np.concatenate([np.ones(li.size), -np.ones(li.size)])
            cons.append(LinearConstraint(csr_matrix((vals, (rows, cols)), shape=(li.size, nvar)),
                                         -np.inf, 0))
        # capacity: sum_i d_i x_ij - cap_j y_j <= 0 (existing: <= cap_j)
        if fin.size:
            row_of = -np.ones(m, dtype=int)
            row_of[fin] = np.arange(fin.size)
            sel = row_of[jj] >= 0
            rows = np.concatenate([row_of[jj[sel]], np.arange(fin.size)])
            cols = np.concatenate([x[sel], fin])
            vals = np.concatenate([d[ii[sel]], -cap[fin]])
            cons.append(LinearConstraint(csr_matrix((vals, (rows, cols)), shape=(fin.size, nvar)),
                                         -np.inf, 0))
        full = self._overflow_rows(cons, nvar, ii, jj, x, d, cap, fin) if over else None
        slo, shi = self._site_bounds()
        lb = np.concatenate([slo, np.zeros(nvar - m)])
        ub = np.concatenate([shi, np.ones(nvar - m)])
        integrality = np.concatenate([np.ones(m), np.zeros(nvar - m)])
        if full is not None:
            integrality[full] = 1
        res = milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=cons,
                   options=self._options(time_limit, mip_rel_gap))
        if res.x is None:
            return None
        opened = res.x[:m] > 0.5
        share = np.zeros((n, m))
        share[ii, jj] = res.x[x]
        served_by = np.where(share.max(axis=1) > 1e-9, share.argmax(axis=1), -1)
        bound = getattr(res, "mip_dual_bound", None)
        obj = float(res.fun)
        return Layout(tuple(int(j) for j in np.flatnonzero(opened)), obj,
                      float(bound) if bound is not None else float("nan"),
                      self._gap(obj, bound), served_by, time.perf_counter() - t0)


    def _overflow_rows(self, cons: list, total: int, ii, jj, x, d, cap, fin) -> np.ndarray:
        """Rows keeping disposal for what the open sites refuse (``overflow_only``): the
        binaries ``f_j`` (site ``j`` full, the last variables) of the finite-capacity sites
        ``fin``, with ``sum_i d_i x_ij - cap_j f_j >= 0`` and ``u_i + y_j - f_j <= 1`` for every
        pair; the indices of the ``f_j``."""
        m, k = self.m, ii.size
        full = total - fin.size + np.arange(fin.size)
        f_of = -np.ones(m, dtype=int)
        f_of[fin] = full
        u = m + k + ii
        has_f = f_of[jj] >= 0
        r = np.arange(k)
        rows = np.concatenate([r, r, r[has_f]])
        cols = np.concatenate([u, jj, f_of[jj][has_f]])
        vals = np.concatenate([np.ones(k), np.ones(k), -np.ones(int(has_f.sum()))])
        cons.append(LinearConstraint(csr_matrix((vals, (rows, cols)), shape=(k, total)), -np.inf, 1))
        if fin.size:
            row_of = -np.ones(m, dtype=int)
            row_of[fin] = np.arange(fin.size)
            sel = row_of[jj] >= 0
            rows = np.concatenate([row_of[jj[sel]], np.arange(fin.size)])
            cols = np.concatenate([x[sel], full])
            vals = np.concatenate([d[ii[sel]], -cap[fin]])
            cons.append(LinearConstraint(csr_matrix((vals, (rows, cols)), shape=(fin.size, total)), 0, np.inf))
        return full


def _cat(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


__all__ = ["InfeasibleLayout", "Layout", "LocationProblem", "layout_cost", "solve"]
