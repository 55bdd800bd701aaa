"""Disruptions: run a disrupted scenario together with its undisrupted twin (same seeds) and
report what the disruptions cost (tonnes not diverted, extra tonne-km and CO2, days to recover
the backlog)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ptce_flows.experiment.run import RunResult, run_scenario
from ptce_flows.metrics.disruption import disruption_cost
from ptce_flows.scenario.loader import LoadedScenario


def without_disruptions(loaded: LoadedScenario) -> LoadedScenario:
    """The same scenario with its ``disruptions`` list emptied."""
    return replace(loaded, spec=loaded.spec.model_copy(update={"disruptions": []}))


def disruptions_end(loaded: LoadedScenario) -> int | None:
    """Last day of the dated disruptions (outages, fleet unavailability); None if only
    random breakdowns (which never end)."""
    ends = [d.start_day + d.days for d in loaded.spec.disruptions if d.kind != "breakdowns"]
    return max(ends) if ends else None


def cost_of_disruptions(result: RunResult, scheduler: str | None = None,
                        cache_dir: str | Path | None = None) -> dict | None:
    """Rerun ``result``'s scenario without disruptions, same seeds, and compare; None when the
    scenario declares no disruption. The twin runs through the same execution path (``jobs``
    of ``result``, or ``scheduler``) and, with ``cache_dir``, is stored and reused like any run."""
    loaded = result.loaded
    if not loaded.spec.disruptions:
        return None
    twin_loaded = without_disruptions(loaded)
    horizon = result.world.horizon_days
    same = horizon == twin_loaded.spec.horizon_days
    twin = run_scenario(twin_loaded, seed=result.seed, replications=result.replications,
                        jobs=result.jobs, horizon_days=None if same else horizon,
                        scheduler=scheduler, cache_dir=cache_dir)
    return disruption_cost(result.runs, twin.runs, disruptions_end(loaded))
