"""Run scenarios: seeds, replications and parallel execution.

Replication ``i`` of a run with seed ``s`` always uses ``SeedSequence(s).spawn(n)[i]``, whatever
``n`` is, so adding replications never changes the earlier ones, and variants of a scenario
run with the same seeds (common random numbers). Each replication is a pure function of the
compiled ``World`` and its seed, run in worker processes when ``jobs > 1``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from ptce_flows.metrics.kpis import ReplicationSummary, summarise
from ptce_flows.scenario.loader import LoadedScenario
from ptce_flows.sim.model import simulate
from ptce_flows.sim.world import World, build_world


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


def run_replication(world: World, seed: np.random.SeedSequence) -> ReplicationSummary:
    """Simulate one replication and summarise it (checks the mass balance)."""
    return summarise(world, simulate(world, seed))


_WORLD: World | None = None


def _init_worker(world: World) -> None:
    global _WORLD
    _WORLD = world


def _worker(seed: np.random.SeedSequence) -> ReplicationSummary:
    assert _WORLD is not None
    return run_replication(_WORLD, seed)


def _context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


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
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_context(),
                                 initializer=_init_worker, initargs=(world,)) as pool:
            runs = list(pool.map(_worker, seeds))
    return RunResult(loaded, world, seed, runs, time.perf_counter() - started, jobs)
