"""Run scenarios: seeds, replications and parallel execution.

Replication ``i`` of a run with seed ``s`` always uses ``SeedSequence(s).spawn(n)[i]``, whatever
``n`` is, so adding replications never changes the earlier ones, and variants of a scenario
run with the same seeds (common random numbers). Each replication is a pure function of the
compiled ``World`` and its seed (``run_replication``, or ``run_record`` for the compact form
that comparisons store), run in worker processes when ``jobs > 1``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from ptce_flows.execution import process_pool
from ptce_flows.metrics.kpis import ReplicationSummary, summarise
from ptce_flows.scenario.loader import LoadedScenario
from ptce_flows.sim.model import simulate
from ptce_flows.sim.world import World, build_world

#: version of the record returned by ``run_record``; stored runs of another version are recomputed
RECORD_FORMAT = 1


@dataclass
class RunResult:
    """A finished run: the scenario, its compiled world and one summary per replication."""

    loaded: LoadedScenario
    world: World
    seed: int
    runs: list[ReplicationSummary]
    wall_time_s: float
    jobs: int = 1

    @property
    def replications(self) -> int:
        return len(self.runs)


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """The seeds of replications 0..n-1 of a run with ``seed``."""
    return np.random.SeedSequence(seed).spawn(replications)


def fresh_seed(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """An unspent copy of ``seed``.

    ``SeedSequence.spawn`` is stateful: a second ``spawn`` on the same object gives other
    children. Copying makes a run a pure function of the seed's identity (entropy, spawn key)
    even when one seed object serves several layouts in one process (common random numbers).
    """
    return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)


def run_replication(world: World, seed: np.random.SeedSequence) -> ReplicationSummary:
    """Simulate one replication and summarise it (checks the mass balance)."""
    return summarise(world, simulate(world, fresh_seed(seed)))


def run_record(world: World, seed: np.random.SeedSequence) -> dict:
    """One replication reduced to what a comparison keeps: a small, JSON-ready dict.

    ``kpis`` are every KPI of ``summarise`` (floats); ``jobs_by_activity`` and ``products_t``
    the breakdowns; ``events`` and ``wall_time_s`` describe the computation.
    """
    started = time.perf_counter()
    summary = run_replication(world, seed)
    return {
        "format": RECORD_FORMAT,
        "kpis": {k: float(v) for k, v in summary.kpis.items()},
        "products_t": {k: float(v) for k, v in summary.products_t.items()},
        "jobs_by_activity": {k: {kk: float(vv) for kk, vv in row.items()}
                             for k, row in summary.jobs.get("by_activity", {}).items()},
        "events": int(summary.events),
        "wall_time_s": time.perf_counter() - started,
    }


_WORLD: World | None = None


def _init_worker(world: World) -> None:
    global _WORLD
    _WORLD = world


def _worker(seed: np.random.SeedSequence) -> ReplicationSummary:
    assert _WORLD is not None
    return run_replication(_WORLD, seed)


def run_scenario(
    loaded: LoadedScenario,
    seed: int | None = None,
    replications: int = 1,
    jobs: int = 1,
    horizon_days: int | None = None,
    world: World | None = None,
) -> RunResult:
    """Run ``replications`` of ``loaded`` (seed defaults to the scenario's own)."""
    started = time.perf_counter()
    seed = loaded.spec.seed if seed is None else seed
    world = world or build_world(loaded, horizon_days=horizon_days)
    seeds = replication_seeds(seed, replications)
    jobs = max(1, min(jobs, replications, os.cpu_count() or 1))
    if jobs == 1:
        runs = [run_replication(world, s) for s in seeds]
    else:
        with process_pool(jobs, _init_worker, (world,)) as pool:
            runs = list(pool.map(_worker, seeds))
    return RunResult(loaded, world, seed, runs, time.perf_counter() - started, jobs)
