"""Sources as arrays: daily generation for every (source, material) entry in one numpy step.

Per the design notes, sources are not SimPy processes: one daily tick updates all of them.
Day-to-day variability multiplies the seasonal mean by a factor of mean 1 and coefficient of
variation ``cv``, drawn from the replication's own supply stream in a fixed order (one
vectorised draw per distribution), so the same seed gives the same supply, bit for bit.
"""

from __future__ import annotations

import numpy as np

from ptce_flows.errors import SimulationError
from ptce_flows.sim.constants import EPS, MAX_LOADS_PER_DAY
from ptce_flows.sim.tables import World
from ptce_flows.units import MONTH_OF_DOY


class Supply:
    """Stocks waiting at sources, and what generates them."""

    def __init__(self, world: World, rng: np.random.Generator):
        self.world = world
        self.rng = rng
        sup = world.supply
        n = len(sup)
        self.stock = np.zeros(n)          # t waiting at the source (including committed)
        self.pending = np.zeros(n)        # t committed to a truck that has not loaded yet
        self.generated = np.zeros(n)      # cumulative t generated
        self.collected = np.zeros(n)      # cumulative t loaded onto trucks
        self.residual = np.zeros(n)       # cumulative residual t (potential not captured)
        self._res_entries = np.flatnonzero(sup.residual_rate > 0) if n else np.zeros(0, dtype=np.int64)
        self.payload = np.array([world.fleets[f].payload_t for f in sup.fleet]) if n else np.zeros(0)
        cv = sup.cv
        self._groups = []
        for code in (0, 1, 2):
            # below 1e-6 the noise is invisible (and 1/cv^2 would overflow): treat as constant
            idx = np.flatnonzero((sup.dist == code) & (cv > 1e-6))
            if len(idx):
                self._groups.append((code, idx, cv[idx]))
        self._phase = np.arange(n) % np.maximum(sup.every, 1) if n else np.zeros(0, dtype=np.int64)

    def generate(self, doy: int) -> np.ndarray | None:
        """Add one day of supply for day-of-year ``doy``; return the day's residual per
        entry (the potential not captured, with the same season and noise), or None."""
        sup = self.world.supply
        if not len(self.stock):
            return None
        season = sup.season[:, MONTH_OF_DOY[doy - 1]]
        amount = sup.rate * season
        residual = sup.residual_rate * season if len(self._res_entries) else None
        for code, idx, cv in self._groups:
            noise = _noise(self.rng, code, cv)
            amount[idx] *= noise
            if residual is not None:
                residual[idx] *= noise
        self.stock += amount
        self.generated += amount
        if residual is not None:
            self.residual += residual
        return residual

    def due_loads(self, day: int) -> list[tuple[int, float]]:
        """(entry, mass) of the loads to send today: every full load, plus a partial load
        where the collection interval has come round (unless full loads only)."""
        if not len(self.stock):
            return []
        free = self.stock - self.pending
        full = np.floor(free / self.payload + EPS)  # in float: a count too large to drive is refused
        if not (full <= MAX_LOADS_PER_DAY).all():
            self._too_many_loads(full)
        rest = free - full * self.payload
        due = ((day + self._phase) % self.world.supply.every == 0) & ~self.world.supply.full_only
        partial = due & (rest > EPS)
        loads: list[tuple[int, float]] = []
        idx = np.flatnonzero((full > 0) | partial)
        for e, p, n, part, r in zip(idx.tolist(), self.payload[idx].tolist(), full[idx].tolist(),
                                    partial[idx].tolist(), rest[idx].tolist(), strict=True):
            for _ in range(int(n)):
                loads.append((e, p))
            if part:
                loads.append((e, r))
        return loads

    def _too_many_loads(self, full: np.ndarray) -> None:
        w = self.world
        e = int(np.flatnonzero(~(full <= MAX_LOADS_PER_DAY))[0])
        raise SimulationError(
            f"source '{w.sites[int(w.supply.site[e])]}' would send {full[e]:.3g} loads of "
            f"{self.payload[e]:.3g} t of '{w.materials[int(w.supply.material[e])]}' in one day "
            f"(at most {MAX_LOADS_PER_DAY:,} can be simulated): the fleet's payload_t is too "
            "small for the tonnage")


def _noise(rng: np.random.Generator, code: int, cv: np.ndarray) -> np.ndarray:
    """Factors of mean 1 and coefficient of variation ``cv``."""
    if code == 0:  # gamma
        shape = 1.0 / cv**2
        return rng.gamma(shape, 1.0 / shape)
    if code == 1:  # lognormal
        sigma2 = np.log1p(cv**2)
        return rng.lognormal(-sigma2 / 2.0, np.sqrt(sigma2))
    return np.maximum(rng.normal(1.0, cv), 0.0)  # normal, truncated at 0
