"""Mass balance: every tonne generated is accounted for, site by site and material by material.

Each term comes from an independent record (cumulative counters kept by the components, the
shipment rows, the end-of-horizon state), so a bookkeeping error anywhere in the model shows
up here. A residual beyond the tolerance raises ``SimulationError`` naming the check, site and
material; the largest residual is reported as ``mass_balance_error_t``.

**Tolerance.** The counters are float sums of one term per event (a load, a batch, a day), so
their rounding error grows with the tonnage they hold and with the number of additions: a
fixed tolerance gives false failures on long horizons (a 20-year run of Organic'Vallée, 1.3 Mt,
is off by 1.5e-6 t). The tolerance is therefore relative (``tolerance_t``)::

    max(MASS_TOLERANCE_T, ROUNDING_PER_OPERATION x operations x throughput_t)

with ``throughput_t`` the tonnes generated over the whole run (warm-up included: every
counter and stock is at most that, the run starting empty), ``operations`` the shipments of
the run plus its simulated days, and ``ROUNDING_PER_OPERATION`` four machine epsilons
(8.9e-16): the classic bound of a running sum, (n - 1) x u x the sum, with a margin for the
few counters each check combines. It never fails on rounding alone; a 1 kg leak is still caught
in any run below about 1 Mt x 1 million operations (in 1 year of a 10 kt territory, below 1 ug).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ptce_flows.errors import SimulationError
from ptce_flows.sim.constants import MASS_TOLERANCE_T
from ptce_flows.sim.records import (
    CHAIN,
    COLLECTION,
    DELIVERY,
    FORWARD,
    OVERFLOW,
    RESIDUE,
    WASTE_PURPOSES,
    Records,
    State,
)
from ptce_flows.sim.tables import World

#: rounding allowed per float operation and tonne of throughput (4 x machine epsilon)
ROUNDING_PER_OPERATION = 4 * float(np.finfo(float).eps)


def tolerance_t(throughput_t: float, operations: int) -> float:
    """The balance tolerance (t) of a run that moved ``throughput_t`` tonnes in ``operations``
    additions (NaN stays NaN, so that it fails every check)."""
    if throughput_t != throughput_t:
        return float("nan")
    return max(MASS_TOLERANCE_T, ROUNDING_PER_OPERATION * operations * throughput_t)


def run_tolerance(world: World, rec: Records) -> float:
    """``tolerance_t`` for one replication: everything generated since the run started, and
    its shipments plus simulated days."""
    return tolerance_t(float(np.sum(rec.end.sup_generated) + np.sum(rec.end.sup_residual)),
                       len(rec.arrived) + world.total_days)


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
    """Every balance check's residual (t), one per site and material, over the reported window
    (the whole run without warm-up): flows in the window = change of the stocks."""
    sh = rec.shipments
    n_sites, n_mat = len(world.sites), len(world.materials)
    mats = world.materials
    out: list[Residual] = []

    def add(check, site_idx, mat_idx, value):
        out.append(Residual(check, world.sites[site_idx] if site_idx >= 0 else "*",
                            mats[mat_idx] if mat_idx >= 0 else "*", float(value)))

    win = rec.window()
    sup = world.supply
    collected_d = win.sup_collected
    # 1. at each source: generated = collected + change of the stock waiting there
    generated_d = win.sup_generated
    stock_d = win.sup_stock
    for k in range(len(sup)):
        add("source: generated = collected + stock", int(sup.site[k]), int(sup.material[k]),
            generated_d[k] - collected_d[k] - stock_d[k])

    window = rec.in_window()
    arrived = rec.arrived_in_window()
    purpose = sh["purpose"]
    mass = sh["mass_t"]
    keys = (sh["origin"], sh["material"])
    dkeys = (sh["destination"], sh["material"])
    waste = np.isin(purpose, WASTE_PURPOSES)
    is_source = np.array([k == "source" for k in world.site_kind], dtype=bool)
    # 2. what left the sources on trucks = what the sources say was collected
    from_sources = _by(keys, np.where(window & waste & is_source[sh["origin"]], mass, 0.0), (n_sites, n_mat))
    collected = _by((sup.site, sup.material), collected_d, (n_sites, n_mat))
    for s, m in zip(*np.nonzero(np.abs(from_sources - collected) > 0), strict=True):
        add("shipments from sources = collected", int(s), int(m), from_sources[s, m] - collected[s, m])
    # the residual stream: what the sources left uncaptured = what disposal sites received of it
    residual = np.bincount(sup.material, weights=win.sup_residual, minlength=n_mat) if len(sup) else np.zeros(n_mat)
    for m in range(n_mat):
        add("residual generated = residual disposed", -1, m, residual[m] - win.disp_residual[:, m].sum())
    _transfer_checks(world, rec, win, add)

    # 3. treatment: received = arrivals; received = matured + in process; matured -> products + losses
    into_treat = (purpose == COLLECTION) | (purpose == FORWARD) | (purpose == CHAIN)
    arrivals_treat = _by(dkeys, np.where(arrived & into_treat, mass, 0.0), (n_sites, n_mat))
    chained_in = _by(dkeys, np.where(arrived & (purpose == CHAIN), mass, 0.0), (n_sites, n_mat))
    shipped_out = _by(keys, np.where(window & ~waste, mass, 0.0), (n_sites, n_mat))
    intake, matured_in = win.treat_intake, win.treat_matured_in
    in_process, produced = win.treat_in_process, win.treat_produced
    store, losses = win.treat_store, win.treat_losses
    for t, info in enumerate(world.treatments):
        s = info.site
        for m in range(n_mat):
            add("treatment: intake = arrivals", s, m, intake[t, m] - arrivals_treat[s, m])
            add("treatment: chain intake = chain arrivals", s, m, win.treat_chain_in[t, m] - chained_in[s, m])
            add("treatment: intake = matured + in process", s, m,
                intake[t, m] - matured_in[t, m] - in_process[t, m])
            add("treatment: produced = shipped + in store", s, m,
                produced[t, m] - shipped_out[s, m] - store[t, m])
        matured = matured_in[t].sum()
        for m, coef in zip(info.out_mats.tolist(), info.out_coefs.tolist(), strict=True):
            add("treatment: product = matured input x coefficient", s, m, produced[t, m] - matured * coef)
        add("treatment: matured = products + losses", s, -1, matured - produced[t].sum() - losses[t])

    # 4. disposal and farms receive what arrived for them
    arr_over = _by(dkeys, np.where(arrived & (purpose == OVERFLOW), mass, 0.0), (n_sites, n_mat))
    arr_res = _by(dkeys, np.where(arrived & (purpose == RESIDUE), mass, 0.0), (n_sites, n_mat))
    arr_del = _by(dkeys, np.where(arrived & (purpose == DELIVERY), mass, 0.0), (n_sites, n_mat))
    waste_d, residue_d = win.disp_waste, win.disp_residue
    for d, info in enumerate(world.disposals):
        for m in range(n_mat):
            add("disposal: waste received = arrivals", info.site, m, waste_d[d, m] - arr_over[info.site, m])
            add("disposal: residues received = arrivals", info.site, m, residue_d[d, m] - arr_res[info.site, m])
    delivered = _by((world.demand.site, world.demand.material), win.dem_delivered, (n_sites, n_mat))
    for s, m in zip(*np.nonzero(np.abs(delivered - arr_del) > 0), strict=True):
        add("farm/outlet: delivered = arrivals", int(s), int(m), delivered[s, m] - arr_del[s, m])

    # 5. the headline identities
    for check, value in headline(totals(world, rec, win)):
        add(check, -1, -1, value)
    return out


def _transfer_checks(world: World, rec: Records, win: State, add) -> None:
    """At each transfer station: received = arrivals; received = forwarded + change of stock."""
    sh, n_mat = rec.shipments, len(world.materials)
    n_sites = len(world.sites)
    arrived = rec.arrived_in_window()
    mass = np.asarray(sh["mass_t"])
    arrivals = _by((sh["destination"], sh["material"]), np.where(arrived, mass, 0.0), (n_sites, n_mat))
    left = _by((sh["origin"], sh["material"]), np.where(rec.in_window(), mass, 0.0), (n_sites, n_mat))
    for k, info in enumerate(world.transfers):
        s = info.site
        for m in range(n_mat):
            add("transfer: intake = arrivals", s, m, win.tr_intake[k, m] - arrivals[s, m])
            add("transfer: intake = forwarded + stock", s, m, win.tr_intake[k, m] - left[s, m] - win.tr_store[k, m])


def headline(t: dict[str, float]) -> list[tuple[str, float]]:
    """The residuals of the headline identities, from ``totals``."""
    return [
        ("generated = diverted + disposed + stock at sources and transfers + waste in transit",
         t["generated_t"] - t["diverted_t"] - t["disposed_t"]
         - (t["source_stock_t"] - t["start_source_stock_t"])
         - (t["transfer_stock_t"] - t["start_transfer_stock_t"])
         - (t["waste_in_transit_t"] - t["start_waste_in_transit_t"])),
        ("diverted + chained = products + process losses + in process",
         t["diverted_t"] + t["chained_t"] - t["produced_t"] - t["process_losses_t"]
         - (t["in_process_t"] - t["start_in_process_t"])),
        ("products = delivered + chained + residues disposed + in store + in transit",
         t["produced_t"] - t["delivered_t"] - t["chained_t"] - t["residues_disposed_t"]
         - (t["stored_t"] - t["start_stored_t"])
         - (t["product_in_transit_t"] - t["start_product_in_transit_t"])),
    ]


#: the stocks of ``totals``, at the end and (prefixed ``start_``) when the window opened
STOCKS = ("source_stock_t", "transfer_stock_t", "waste_in_transit_t", "in_process_t", "stored_t",
          "product_in_transit_t")


def totals(world: World, rec: Records, win: State | None = None) -> dict[str, float]:
    """Headline tonnages of the reported window (each from its own record), with the stocks
    at its end and at its start (all zero at the start without warm-up). ``win`` is
    ``rec.window()``, if the caller has it already."""
    win = rec.window() if win is None else win
    start = rec.start
    sh = rec.shipments
    waste = np.isin(sh["purpose"], WASTE_PURPOSES)
    transit_end = ~rec.arrived
    before = rec.arrived_before if rec.arrived_before is not None else np.zeros_like(rec.arrived)
    transit_start = ~rec.in_window() & ~before
    chained = float(win.treat_chain_in.sum())
    residual = float(win.sup_residual.sum())
    out = {
        "generated_t": float(win.sup_generated.sum()) + residual,
        "residual_t": residual,
        "collected_t": float(win.sup_collected.sum()),
        "diverted_t": float(win.treat_intake.sum()) - chained,
        "chained_t": chained,
        "disposed_t": float(win.disp_waste.sum()) + float(win.disp_residual.sum()),
        "delivered_t": float(win.dem_delivered.sum()),
        "produced_t": float(win.treat_produced.sum()),
        "process_losses_t": float(win.treat_losses.sum()),
        "residues_disposed_t": float(win.disp_residue.sum()),
        "source_stock_t": float(rec.end.sup_stock.sum()),
        "transfer_stock_t": float(np.sum(rec.end.tr_store)),
        "start_transfer_stock_t": float(np.sum(start.tr_store)) if start else 0.0,
        "in_process_t": float(rec.end.treat_in_process.sum()),
        "stored_t": float(rec.end.treat_store.sum()),
        "waste_in_transit_t": float(sh["mass_t"][transit_end & waste].sum()),
        "product_in_transit_t": float(sh["mass_t"][transit_end & ~waste].sum()),
        "start_source_stock_t": float(np.sum(start.sup_stock)) if start else 0.0,
        "start_in_process_t": float(np.sum(start.treat_in_process)) if start else 0.0,
        "start_stored_t": float(np.sum(start.treat_store)) if start else 0.0,
        "start_waste_in_transit_t": float(sh["mass_t"][transit_start & waste].sum()),
        "start_product_in_transit_t": float(sh["mass_t"][transit_start & ~waste].sum()),
    }
    return out


def check_balance(world: World, rec: Records, tolerance: float | None = None) -> float:
    """Largest absolute residual; raise ``SimulationError`` if it exceeds ``tolerance``
    (by default the run's ``run_tolerance``)."""
    res = residuals(world, rec)
    if not res:
        return 0.0
    if tolerance is None:
        tolerance = run_tolerance(world, rec)
    bad = [r for r in res if not abs(r.error_t) <= tolerance]  # NaN counts as a failure
    if bad:
        lines = "; ".join(f"{r.check} at site '{r.site}', material '{r.material}': off by {r.error_t:.6g} t"
                          for r in bad[:5])
        raise SimulationError(f"mass balance does not close ({len(bad)} check(s) beyond "
                              f"{tolerance:g} t): {lines}")
    return max(abs(r.error_t) for r in res)
