"""Mass balance: every tonne generated is accounted for, site by site and material by material.

Each term comes from an independent record (cumulative counters kept by the components, the
shipment rows, the end-of-horizon state), so a bookkeeping error anywhere in the model shows
up here. A residual beyond the tolerance raises ``SimulationError`` naming the check, site and
material; the largest residual is reported as ``mass_balance_error_t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ptce_flows.errors import SimulationError
from ptce_flows.scenario.defaults import MASS_TOLERANCE_T
from ptce_flows.sim.records import COLLECTION, DELIVERY, OVERFLOW, RESIDUE, Records
from ptce_flows.sim.world import World


@dataclass(frozen=True)
class Residual:
    check: str
    site: str
    material: str
    error_t: float


def _by(keys: tuple[np.ndarray, ...], values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    if len(values):
        np.add.at(out, keys, values)
    return out


def residuals(world: World, rec: Records) -> list[Residual]:
    """Every balance check's residual (t), one per site and material."""
    e = rec.end
    sh = rec.shipments
    n_sites, n_mat = len(world.sites), len(world.materials)
    mats = world.materials
    out: list[Residual] = []

    def add(check, site_idx, mat_idx, value):
        out.append(Residual(check, world.sites[site_idx] if site_idx >= 0 else "*",
                            mats[mat_idx] if mat_idx >= 0 else "*", float(value)))

    # 1. at each source: generated = collected + stock left
    for k in range(len(world.sup_site)):
        add("source: generated = collected + stock", int(world.sup_site[k]), int(world.sup_mat[k]),
            e["sup_generated"][k] - e["sup_collected"][k] - e["sup_stock"][k])

    arrived = rec.arrived
    purpose = sh["purpose"]
    mass = sh["mass_t"]
    keys = (sh["origin"], sh["material"])
    dkeys = (sh["destination"], sh["material"])
    # 2. what left the sources on trucks = what the sources say was collected
    from_sources = _by(keys, np.where((purpose == COLLECTION) | (purpose == OVERFLOW), mass, 0.0), (n_sites, n_mat))
    collected = _by((world.sup_site, world.sup_mat), e["sup_collected"], (n_sites, n_mat))
    for s, m in zip(*np.nonzero(np.abs(from_sources - collected) > 0), strict=True):
        add("shipments from sources = collected", int(s), int(m), from_sources[s, m] - collected[s, m])

    # 3. treatment: received = arrivals; received = matured + in process; matured -> products + losses
    arrivals_treat = _by(dkeys, np.where(arrived & (purpose == COLLECTION), mass, 0.0), (n_sites, n_mat))
    shipped_out = _by(keys, np.where((purpose == DELIVERY) | (purpose == RESIDUE), mass, 0.0), (n_sites, n_mat))
    for t, info in enumerate(world.treatments):
        s = info.site
        for m in range(n_mat):
            add("treatment: intake = arrivals", s, m, e["treat_intake"][t, m] - arrivals_treat[s, m])
            add("treatment: intake = matured + in process", s, m,
                e["treat_intake"][t, m] - e["treat_matured_in"][t, m] - e["treat_in_process"][t, m])
            add("treatment: produced = shipped + in store", s, m,
                e["treat_produced"][t, m] - shipped_out[s, m] - e["treat_store"][t, m])
        matured = e["treat_matured_in"][t].sum()
        for m, coef in zip(info.out_mats.tolist(), info.out_coefs.tolist(), strict=True):
            add("treatment: product = matured input x coefficient", s, m,
                e["treat_produced"][t, m] - matured * coef)
        add("treatment: matured = products + losses", s, -1,
            matured - e["treat_produced"][t].sum() - e["treat_losses"][t])

    # 4. disposal and farms receive what arrived for them
    arr_over = _by(dkeys, np.where(arrived & (purpose == OVERFLOW), mass, 0.0), (n_sites, n_mat))
    arr_res = _by(dkeys, np.where(arrived & (purpose == RESIDUE), mass, 0.0), (n_sites, n_mat))
    arr_del = _by(dkeys, np.where(arrived & (purpose == DELIVERY), mass, 0.0), (n_sites, n_mat))
    for d, info in enumerate(world.disposals):
        for m in range(n_mat):
            add("disposal: waste received = arrivals", info.site, m, e["disp_waste"][d, m] - arr_over[info.site, m])
            add("disposal: residues received = arrivals", info.site, m, e["disp_residue"][d, m] - arr_res[info.site, m])
    delivered = _by((world.dem_site, world.dem_mat), e["dem_delivered"], (n_sites, n_mat))
    for s, m in zip(*np.nonzero(np.abs(delivered - arr_del) > 0), strict=True):
        add("farm/outlet: delivered = arrivals", int(s), int(m), delivered[s, m] - arr_del[s, m])

    # 5. the headline identities
    t = totals(world, rec)
    add("generated = diverted + disposed + stock at sources + waste in transit", -1, -1,
        t["generated_t"] - t["diverted_t"] - t["disposed_t"] - t["source_stock_t"] - t["waste_in_transit_t"])
    add("diverted = products + process losses + in process", -1, -1,
        t["diverted_t"] - t["produced_t"] - t["process_losses_t"] - t["in_process_t"])
    add("products = delivered + residues disposed + in store + in transit", -1, -1,
        t["produced_t"] - t["delivered_t"] - t["residues_disposed_t"] - t["stored_t"] - t["product_in_transit_t"])
    return out


def totals(world: World, rec: Records) -> dict[str, float]:
    """Headline tonnages of one replication (each from its own record)."""
    e = rec.end
    sh = rec.shipments
    in_transit = ~rec.arrived
    waste = (sh["purpose"] == COLLECTION) | (sh["purpose"] == OVERFLOW)
    return {
        "generated_t": float(e["sup_generated"].sum()),
        "collected_t": float(e["sup_collected"].sum()),
        "diverted_t": float(e["treat_intake"].sum()),
        "disposed_t": float(e["disp_waste"].sum()),
        "delivered_t": float(e["dem_delivered"].sum()),
        "produced_t": float(e["treat_produced"].sum()),
        "process_losses_t": float(e["treat_losses"].sum()),
        "residues_disposed_t": float(e["disp_residue"].sum()),
        "source_stock_t": float(e["sup_stock"].sum()),
        "in_process_t": float(e["treat_in_process"].sum()),
        "stored_t": float(e["treat_store"].sum()),
        "waste_in_transit_t": float(sh["mass_t"][in_transit & waste].sum()),
        "product_in_transit_t": float(sh["mass_t"][in_transit & ~waste].sum()),
    }


def check_balance(world: World, rec: Records, tolerance: float = MASS_TOLERANCE_T) -> float:
    """Largest absolute residual; raise ``SimulationError`` if it exceeds ``tolerance``."""
    res = residuals(world, rec)
    if not res:
        return 0.0
    bad = [r for r in res if not abs(r.error_t) <= tolerance]  # NaN counts as a failure
    if bad:
        lines = "; ".join(f"{r.check} at site '{r.site}', material '{r.material}': off by {r.error_t:.6g} t"
                          for r in bad[:5])
        raise SimulationError(f"mass balance does not close ({len(bad)} check(s) beyond "
                              f"{tolerance:g} t): {lines}")
    return max(abs(r.error_t) for r in res)
