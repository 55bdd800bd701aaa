"""Planned deliveries: which site serves which farm, decided as a planner would.

The rule (``deliveries.rule: planned``, the default; docs/architecture.md, *Inside sim/*):

1. **Plan.** For each product, when the set of farms in a spreading window changes (a window
   opens or closes) and at least every ``PLAN_EVERY_DAYS`` days in between, solve a
   transportation problem: the *supply* of each site making the product is what it holds
   and has not promised (``available``) plus the products expected from its batches in
   process within the horizon (``projected`` x the product's share x min(1, horizon /
   residence days), assuming batch ages spread evenly); the *demand* of each limited entry in
   its window is what it has open plus what will accrue until its window closes. The plan
   moves as many tonnes as possible (meeting demand comes first), and among those plans the
   one with the fewest tonne-km (road km from the site to the farm). Only pairs a fleet
   serves are allowed. The tonnes of each pair are the entry's *quota* at that site.
2. **Reservation.** A site's stock is reserved for the entries holding a quota there, up to
   their quotas; others may take only what is left over (``available`` minus the quotas of
   the others). Unlimited outlets get no quota: they take unreserved stock only.
3. **Dispatch** (daily, as before: full loads, largest need first, a partial load on a
   window's last day): an entry takes its load from the site where it holds the largest
   remaining quota (the nearest on a tie) among those holding the load; otherwise from the
   nearest site whose unreserved stock holds it; on a window's last day, from the site
   offering most. Each promised load uses up quota. (Largest quota first, not nearest: a
   plan may give an entry a few leftover tonnes at a near site that another entry's quota
   needs; its main share is where the plan sends it.)

``deliveries.rule: first_come`` keeps the former rule: the nearest site holding a full load,
whatever others expect from it.
"""

from __future__ import annotations

import highspy
import numpy as np

from ptce_flows.sim.constants import EPS, PLAN_EVERY_DAYS
from ptce_flows.sim.demand import Demand
from ptce_flows.sim.tables import World
from ptce_flows.sim.treatment import TreatmentSite
from ptce_flows.units import DAYS_PER_YEAR


def days_left_in_window(window: np.ndarray) -> np.ndarray:
    """(E, 365) -> (E, 365): window days still to come after each day of the current window
    (0 on a window's last day and outside windows); windows wrap over New Year."""
    n, days = window.shape
    left = np.zeros((n, days), dtype=np.int64)
    nxt = np.zeros(n, dtype=np.int64)
    for col in range(2 * days - 1, -1, -1):  # two passes so that wrapped windows are counted
        d = col % days
        nxt_in = window[:, (d + 1) % days]
        left[:, d] = np.where(nxt_in, np.minimum(nxt + 1, days), 0)
        nxt = left[:, d]
    left[~window] = 0
    return left


def transport_plan(km: np.ndarray, supply: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Tonnes per (site, entry) moving the most tonnes, then the fewest tonne-km.

    ``km[i, j]`` is inf where site ``i`` cannot serve entry ``j``. Each tonne moved earns a
    bonus larger than any difference of path costs, so that no plan moves fewer tonnes to
    save kilometres (an augmenting path has fewer edges than there are sites and entries).
    """
    ii, jj = np.nonzero(np.isfinite(km))
    plan = np.zeros(km.shape)
    if not len(ii):
        return plan
    if min(km.shape) == 1:
        return _one_side(km, supply, demand, plan)
    cost = km[ii, jj]
    bonus = (km.shape[0] + km.shape[1] + 1) * (float(cost.max()) + 1.0)
    x = _solve_lp(cost - bonus, ii, km.shape[0] + jj, np.concatenate([supply, demand]))
    if x is not None:
        plan[ii, jj] = np.maximum(x, 0.0)
    return plan


def _solve_lp(cost: np.ndarray, row_a: np.ndarray, row_b: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
    """min ``cost @ x`` subject to ``x >= 0`` and, for each row ``r``, the sum of the ``x[k]``
    with ``row_a[k] == r`` or ``row_b[k] == r`` at most ``upper[r]`` (each variable is in two
    rows: its site's and its entry's). Solved by HiGHS (dual simplex, presolve on: the settings
    of ``scipy.optimize.linprog(method="highs")``, which it replaces here because importing
    scipy.optimize takes 0.4 s and highspy 0.01 s); None unless optimal."""
    n = len(cost)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(upper)
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_ = np.full(len(upper), -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(upper, dtype=float)
    matrix = lp.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kColwise
    matrix.start_ = np.arange(0, 2 * n + 1, 2, dtype=np.int32)
    matrix.index_ = np.column_stack([row_a, row_b]).ravel().astype(np.int32)  # row_a < row_b
    matrix.value_ = np.ones(2 * n)
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("simplex_strategy", 1)  # dual simplex, as linprog's "highs"
    solver.passModel(lp)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(solver.getSolution().col_value)


def _one_side(km: np.ndarray, supply: np.ndarray, demand: np.ndarray, plan: np.ndarray) -> np.ndarray:
    """The same plan when there is one site or one entry: fill the nearest pairs first
    (exact then: every tonne goes through the single site or entry, so the tonnes moved are
    the smaller total, and the cheapest pairs are filled first)."""
    supply, demand = supply.astype(float).copy(), demand.astype(float).copy()
    ii, jj = np.nonzero(np.isfinite(km))
    for k in np.lexsort((jj, ii, km[ii, jj])):
        i, j = ii[k], jj[k]
        move = min(supply[i], demand[j])
        if move > 0:
            plan[i, j] = move
            supply[i] -= move
            demand[j] -= move
    return plan


class DeliveryPlan:
    """The quotas of one replication: per product, per (site, demand entry)."""

    def __init__(self, world: World, sites: list[TreatmentSite], demand: Demand,
                 makers: dict[int, list[int]]):
        self.world = world
        self.sites = sites
        self.demand = demand
        dem = world.demand
        self._left = days_left_in_window(dem.window) if len(dem) else np.zeros((0, DAYS_PER_YEAR), dtype=np.int64)
        self._limited = ~dem.unlimited
        #: per product: makers, and km[maker, entry] over its limited entries (inf: not served)
        self._entries: dict[int, np.ndarray] = {}
        self._makers: dict[int, list[int]] = {}
        self._km: dict[int, np.ndarray] = {}
        for m, idx in demand.by_material.items():
            limited = idx[self._limited[idx]]
            ts = makers.get(m, [])
            if not len(limited) or not ts:
                continue
            km = np.full((len(ts), len(limited)), np.inf)
            pos = {t: i for i, t in enumerate(ts)}
            for j, e in enumerate(limited.tolist()):
                for t, d in dem.candidates[e]:
                    if t in pos and t in dem.fleet[e]:
                        km[pos[t], j] = d
            self._entries[m], self._makers[m], self._km[m] = limited, ts, km
        #: entry -> {treatment: tonnes still planned}; (treatment, product) -> their sum
        self.quota: dict[int, dict[int, float]] = {}
        self.reserved: dict[tuple[int, int], float] = {}
        self._planned: dict[int, tuple[int, bytes]] = {}  # product -> (day, in-window entries)
        #: per entry, the (site, km) a fleet serves, nearest first
        self._served = [[(t, km) for t, km in cands if t in fleets]
                        for cands, fleets in zip(dem.candidates, dem.fleet, strict=True)]

    def update(self, m: int, day: int, doy: int, inwin: np.ndarray) -> None:
        """Plan product ``m`` again if a window opened or closed or the plan is old."""
        entries = self._entries.get(m)
        if entries is None:
            return
        active = inwin[entries]
        key = active.tobytes()
        last = self._planned.get(m)
        if last is not None and last[1] == key and day - last[0] < PLAN_EVERY_DAYS:
            return
        self._planned[m] = (day, key)
        self._plan(m, entries, active, doy)

    def _plan(self, m: int, entries: np.ndarray, active: np.ndarray, doy: int) -> None:
        makers = self._makers[m]
        for e in entries.tolist():
            self.quota.pop(e, None)
        for t in makers:
            self.reserved.pop((t, m), None)
        if not active.any():
            return
        chosen = entries[active]
        left = self._left[chosen, doy - 1]
        want = self.demand.open[chosen] + self.world.demand.rate[chosen] * left
        horizon = float(left.max()) + 1.0
        stock = np.array([self._expected(t, m, horizon) for t in makers])
        plan = transport_plan(self._km[m][:, active], stock, want)
        for i, j in zip(*np.nonzero(plan > EPS), strict=True):
            t, e, tonnes = makers[i], int(chosen[j]), float(plan[i, j])
            self.quota.setdefault(e, {})[t] = tonnes
            self.reserved[(t, m)] = self.reserved.get((t, m), 0.0) + tonnes

    def _expected(self, t: int, m: int, horizon: float) -> float:
        """Product ``m`` that site ``t`` can offer within ``horizon`` days: what it holds
        unpromised and the share of its batches in process expected to mature by then."""
        site = self.sites[t]
        info = site.info
        coef = float(info.out_coefs[info.out_mats == m].sum())
        share = coef / site.yield_total if site.yield_total > 0 else 0.0
        ripe = 1.0 if info.residence_days <= 0 else min(1.0, horizon / info.residence_days)
        return max(0.0, site.available(m)) + site.projected * share * ripe

    def usable(self, t: int, e: int, m: int) -> float:
        """What entry ``e`` may take of ``m`` at site ``t``: all of it where ``e`` holds a
        quota, otherwise what the others' quotas leave over."""
        avail = self.sites[t].available(m)
        mine = self.quota.get(e, {}).get(t, 0.0)
        if mine > EPS:
            return avail
        return avail - self.reserved.get((t, m), 0.0)

    def choose(self, e: int, m: int, want: float, last: bool, unlimited: bool) -> tuple[int, float] | None:
        """The site serving ``want`` t of ``m`` to entry ``e`` (see the module's rule)."""
        mine = self.quota.get(e, {})
        served = self._served[e]
        planned = sorted((-mine[t], i) for i, (t, _km) in enumerate(served) if mine.get(t, 0.0) > EPS)
        for _q, i in planned:
            t, km = served[i]
            if self.sites[t].available(m) >= want - EPS:
                return t, km
        for t, km in served:
            if mine.get(t, 0.0) <= EPS and self.usable(t, e, m) >= want - EPS:
                return t, km
        if last and not unlimited:
            options = [(self.usable(t, e, m), -i, t, km) for i, (t, km) in enumerate(served)]
            best = max(options, default=None)
            if best is not None and best[0] > EPS:
                return best[2], best[3]
        return None

    def promised(self, t: int, e: int, m: int, mass: float) -> None:
        """A load of ``mass`` leaves ``t`` for ``e``: it uses up ``e``'s quota there."""
        mine = self.quota.get(e)
        if not mine or t not in mine:
            return
        used = min(mine[t], mass)
        mine[t] -= used
        self.reserved[(t, m)] = max(0.0, self.reserved.get((t, m), 0.0) - used)
