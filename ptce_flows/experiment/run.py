"""Run one scenario: seeds, replications, through the one execution path.

Replication ``i`` of a run with seed ``s`` always uses ``SeedSequence(s).spawn(n)[i]``, whatever
``n`` is, so adding replications never changes the earlier ones, and variants of a scenario
run with the same seeds (common random numbers). Each replication is a pure function of the
compiled ``World`` and its seed (``records.run_replication``); ``run_scenario`` hands them to
``execution.execute`` (local processes, or Dask with ``scheduler``), which reuses the runs a
``cache_dir`` already holds, exactly as ``compare`` and ``sweep`` do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ptce_flows.experiment.cache import RunCache, scenario_key
from ptce_flows.experiment.execution import Execution, Progress, Task, execute
from ptce_flows.experiment.records import SUMMARY
from ptce_flows.metrics.kpis import ReplicationSummary
from ptce_flows.scenario.loader import LoadedScenario
from ptce_flows.sim.model import child_seeds
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
    execution: Execution | None = None

    @property
    def replications(self) -> int:
        return len(self.runs)


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """The seeds of replications 0..n-1 of a run with ``seed`` (``SeedSequence(seed).spawn(n)``)."""
    return child_seeds(np.random.SeedSequence(seed), replications)


def run_scenario(
    loaded: LoadedScenario,
    seed: int | None = None,
    replications: int = 1,
    jobs: int = 1,
    horizon_days: int | None = None,
    world: World | None = None,
    *,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> RunResult:
    """Run ``replications`` of ``loaded`` (seed defaults to the scenario's own).

    A run whose replications fail raises the first failure's error (a ``SimulationError`` for
    a broken invariant), after the others have finished and been stored in the cache.
    Runs are cached only for a world built here from ``loaded`` (not for ``horizon_days`` or a
    ``world`` given by the caller, which the scenario key does not describe).
    """
    started = time.perf_counter()
    seed = loaded.spec.seed if seed is None else seed
    if world is None:
        world = build_world(loaded, horizon_days=horizon_days)
    else:
        cache_dir = None
    if horizon_days is not None:
        cache_dir = None
    # the content key names the runs in the cache; without one, any name will do (hashing the
    # resolved scenario takes 25 ms for 1,000 sources)
    key = scenario_key(loaded) if cache_dir is not None else f"run:{loaded.label}"
    tasks = [Task(key, loaded.label, i, s) for i, s in enumerate(replication_seeds(seed, replications))]
    cache = RunCache(cache_dir) if cache_dir is not None else None
    if cache is not None:
        cache.describe(key, layout_info(loaded))
    done = execute(tasks, SUMMARY, {key: lambda: world}, jobs=jobs, scheduler=scheduler,
                   cache=cache, progress=progress)
    if done.failures:
        first = done.failures[0]
        if first.exception is not None:
            raise first.exception
        raise RuntimeError(first.format())
    runs = [done.results[(key, i)] for i in range(replications)]
    used = done.slots if scheduler else max(1, min(jobs, replications, os.cpu_count() or 1))
    return RunResult(loaded, world, seed, runs, time.perf_counter() - started, used, done)


def layout_info(loaded: LoadedScenario) -> dict:
    """What a cache key stands for, written beside its runs for people browsing the cache."""
    return {"name": loaded.spec.name, "file": loaded.file, "variant": loaded.variant,
            "overrides": dict(loaded.overrides), "scenario_sha256": loaded.sha256}
