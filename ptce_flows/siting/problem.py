"""The data of a facility-location problem, its solutions, and the cost of a layout."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LocationProblem:
    """The data of a facility-location problem (arrays indexed by client ``i`` and site ``j``).

    Attributes:
        assign_cost: (n, m) cost of serving all of client ``i`` from site ``j`` over the period
            (``inf`` where ``j`` cannot serve ``i``).
        demand: (n,) quantity of client ``i`` (tonnes), used by capacities.
        fixed_cost: (m,) cost of an open site over the period.
        existing: (m,) True for sites that are always open.
        capacity: (m,) capacity over the period (``inf``: uncapacitated); ``None``: all ``inf``.
        unserved_cost: (n,) cost of leaving client ``i`` unserved; ``None``: every client must
            be served.
        capex: (m,) capital cost counted against ``budget``; ``None``: zeros.
        overflow_only: a client is left unserved only as far as every open site that can serve
            it is full (as routing does: disposal takes what the sites refuse), even where
            leaving it unserved would cost less; ``False``: whichever is cheaper.
    """

    assign_cost: np.ndarray
    demand: np.ndarray
    fixed_cost: np.ndarray
    existing: np.ndarray
    capacity: np.ndarray | None = None
    unserved_cost: np.ndarray | None = None
    capex: np.ndarray | None = None
    overflow_only: bool = False

    def __post_init__(self) -> None:
        a = np.asarray(self.assign_cost, dtype=float)
        if a.ndim != 2:
            raise ValueError("assign_cost must be a 2-D array (clients x sites)")
        n, m = a.shape
        for name, arr, size in (("demand", self.demand, n), ("fixed_cost", self.fixed_cost, m),
                                ("existing", self.existing, m), ("capacity", self.capacity, m),
                                ("unserved_cost", self.unserved_cost, n), ("capex", self.capex, m)):
            if arr is not None and np.shape(arr) != (size,):
                raise ValueError(f"{name} must have shape ({size},), not {np.shape(arr)}")
        if np.isnan(a).any() or (a < 0).any():
            raise ValueError("assign_cost must be >= 0 (inf where a site cannot serve a client)")

    @property
    def n_clients(self) -> int:
        return int(np.shape(self.assign_cost)[0])

    @property
    def n_sites(self) -> int:
        return int(np.shape(self.assign_cost)[1])

    @property
    def capacitated(self) -> bool:
        return self.capacity is not None and bool(np.isfinite(self.capacity).any())


@dataclass(frozen=True)
class Layout:
    """One solution: the open sites and what the solver proved about it.

    Attributes:
        open: indices of every open site (existing and opened candidates), ascending.
        objective: its cost in the model.
        bound: the solver's lower bound on the optimum of the problem it solved (with the
            no-good cuts of the layouts ranked before it).
        gap: relative gap ``(objective - bound) / |objective|`` (0 when proven optimal).
        served_by: (n,) index of the site serving each client (uncapacitated: the cheapest
            open one; capacitated: the one serving most of it), -1 when unserved.
        seconds: solver time.
    """

    open: tuple[int, ...]
    objective: float
    bound: float
    gap: float
    served_by: np.ndarray = field(repr=False)
    seconds: float = 0.0


class InfeasibleLayout(ValueError):
    """No layout meets the constraints (or no further distinct layout exists)."""


def layout_cost(problem: LocationProblem, opened: np.ndarray) -> tuple[float, np.ndarray]:
    """Uncapacitated cost of a layout (fixed costs + each client at its cheapest open site or
    unserved, whichever is cheaper) and each client's serving site (-1: unserved)."""
    a = np.asarray(problem.assign_cost, dtype=float)
    n = a.shape[0]
    if opened.any():
        sub = a[:, opened]
        best_sub = sub.argmin(axis=1)
        cost = sub[np.arange(n), best_sub]
        best = np.flatnonzero(opened)[best_sub]
    else:
        cost, best = np.full(n, np.inf), np.full(n, -1)
    if problem.unserved_cost is not None:
        uc = np.asarray(problem.unserved_cost, dtype=float)
        take_u = uc < cost
        cost = np.where(take_u, uc, cost)
        best = np.where(take_u, -1, best)
    fixed = float(np.asarray(problem.fixed_cost, dtype=float)[opened].sum())
    return fixed + float(cost.sum()), best
