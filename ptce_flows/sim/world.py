"""Compile a validated scenario into the arrays the simulation runs on (the build phase).

``build_world`` runs one compile step per scenario section (``sim.compile``) and returns a
``World`` (``sim.tables``): plain data, built once per scenario, pickled to worker processes
and shared by every replication. Distances are looked up once, from one origin-destination
matrix; routing candidates are sorted by distance. A flow that the road network cannot carry
is a ``NetworkError`` naming the site and material.
"""

from __future__ import annotations

import numpy as np

from ptce_flows.network import RoadNetwork
from ptce_flows.scenario.loader import LoadedScenario
from ptce_flows.sim import compile as steps
from ptce_flows.sim.compile import DIST_CODES, season_factors, window_mask
from ptce_flows.sim.tables import (
    DemandTable,
    DisposalInfo,
    Disruptions,
    FleetInfo,
    SupplyTable,
    TreatmentInfo,
    World,
)


def build_world(loaded: LoadedScenario, network: RoadNetwork | None = None,
                horizon_days: int | None = None) -> World:
    """Compile ``loaded`` into a ``World``; raise ``NetworkError`` for unreachable flows."""
    spec = loaded.spec
    ix = steps.Index(loaded, network if network is not None else steps.road_network(spec))
    problems = steps.reachability_problems(ix)
    fleets, depot_km = steps.compile_fleets(ix, problems)
    steps.raise_problems(problems)
    treatments = steps.compile_treatments(ix)
    sites = ix.sites
    return World(
        name=spec.name,
        horizon_days=horizon_days if horizon_days is not None else spec.horizon_days,
        start_day_of_year=spec.start_day_of_year, warmup_days=spec.warmup_days,
        materials=ix.materials, sites=sites, site_kind=[spec.sites[s].kind for s in sites],
        site_labels=[spec.sites[s].label for s in sites],
        site_lat=np.array([spec.sites[s].location[0] for s in sites]),
        site_lon=np.array([spec.sites[s].location[1] for s in sites]),
        fleets=fleets, treatments=treatments, disposals=steps.compile_disposals(ix),
        supply=steps.compile_supply(ix, treatments), demand=steps.compile_demand(ix),
        residues=steps.compile_residues(ix), depot_km=depot_km, network=ix.network,
        disruptions=steps.compile_disruptions(ix), transfers=steps.compile_transfers(ix),
        chains=steps.compile_chains(ix), disposal_km=steps.compile_disposal_km(ix),
    )


__all__ = ["DIST_CODES", "DemandTable", "DisposalInfo", "Disruptions", "FleetInfo", "SupplyTable",
           "TreatmentInfo", "World", "build_world", "season_factors", "window_mask"]
