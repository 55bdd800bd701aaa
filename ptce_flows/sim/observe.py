"""What the recorder notes about the live components: the daily level series and the state
snapshots (``records.State``)."""

from __future__ import annotations

import numpy as np

from ptce_flows.sim.demand import Demand
from ptce_flows.sim.disposal import Disposal
from ptce_flows.sim.fleet import Faults
from ptce_flows.sim.records import SeriesMeta, State
from ptce_flows.sim.supply import Supply
from ptce_flows.sim.tables import World
from ptce_flows.sim.transfer import TransferStation
from ptce_flows.sim.treatment import TreatmentSite


def series_meta(world: World) -> SeriesMeta:
    """The columns of the daily level matrix, in the order ``levels`` fills them."""
    meta = SeriesMeta()
    sup = world.supply
    for e in range(len(sup)):
        meta.add(int(sup.site[e]), int(sup.material[e]), "source_stock", False)
    for info in world.treatments:
        for m in info.inputs.tolist():
            meta.add(info.site, m, "intake", True)
        meta.add(info.site, -1, "processed", False)
        meta.add(info.site, -1, "in_process", False)
        for m in info.out_mats.tolist():
            meta.add(info.site, m, "stored", False)
    dem = world.demand
    for e in range(len(dem)):
        meta.add(int(dem.site[e]), int(dem.material[e]), "delivered", True)
    for info in world.disposals:
        for m in info.accepts.tolist():
            meta.add(info.site, m, "disposed", True)
    for info in world.transfers:
        for m in info.accepts.tolist():
            meta.add(info.site, m, "intake", True)
        for m in info.accepts.tolist():
            meta.add(info.site, m, "transfer_stock", False)
    return meta


def levels(day: int, supply: Supply, sites: list[TreatmentSite], demand: Demand,
           disposal: Disposal, transfers: list[TransferStation] = ()) -> np.ndarray:
    """End-of-day values of every series for simulated day ``day``."""
    values: list[float] = []
    for site in sites:
        values += site.levels(day)
    moved: list[float] = []
    for station in transfers:
        accepts = station.info.accepts.tolist()
        moved += [station.intake[m] for m in accepts] + [station.store[m] for m in accepts]
    return np.concatenate([supply.stock, np.array(values, dtype=float), demand.delivered, *disposal.levels(),
                           np.array(moved, dtype=float)])


def snapshot(supply: Supply, sites: list[TreatmentSite], demand: Demand, disposal: Disposal,
             faults: Faults, transfers: list[TransferStation] = ()) -> State:
    """Every cumulative counter and stock, copied."""
    return State(
        sup_generated=supply.generated.copy(),
        sup_collected=supply.collected.copy(),
        sup_stock=supply.stock.copy(),
        treat_intake=_stack([x.intake for x in sites]),
        treat_matured_in=_stack([x.matured_in for x in sites]),
        treat_in_process=_stack([x.in_process for x in sites]),
        treat_produced=_stack([x.produced for x in sites]),
        treat_store=_stack([x.store for x in sites]),
        treat_losses=np.array([x.losses for x in sites]),
        disp_waste=disposal.waste.copy(),
        disp_residue=disposal.residue.copy(),
        dem_delivered=demand.delivered.copy(),
        dem_unmet=demand.unmet.copy(),
        dem_open=demand.open.copy(),
        dem_accrued=demand.accrued.copy(),
        breakdowns=np.array([faults.breakdowns]),
        downtime_d=np.array([faults.downtime_d]),
        sup_residual=supply.residual.copy(),
        disp_residual=disposal.residual.copy(),
        disp_refused=disposal.refused.copy(),
        disp_over=disposal.over.copy(),
        treat_chain_in=_stack([x.chain_in for x in sites]),
        tr_intake=_stack([x.intake for x in transfers]),
        tr_store=_stack([x.store for x in transfers]),
    )


def _stack(rows: list) -> np.ndarray:
    return np.array(rows) if rows else np.zeros((0, 0))
