"""Reference checks of the ``climate:`` and ``costs:`` blocks: every id they name exists, and
each site gets only the cost keys of its kind."""

from __future__ import annotations

from ptce_flows.errors import Problem
from ptce_flows.scenario.schema import DISPOSAL_COST_KEYS, TRANSFER_COST_KEYS, TREATMENT_COST_KEYS, ScenarioSpec


def check_accounting(spec: ScenarioSpec, at, unknown) -> list[Problem]:
    """Problems in ``climate:`` and ``costs:`` (``unknown(what, name, known)`` words them)."""
    problems: list[Problem] = []
    disposals = [s for s, v in spec.sites.items() if v.kind == "disposal"]
    products = sorted({m for p in spec.processes.values() for m in p.outputs})

    def need(path: tuple, what: str, name: str, known: list[str]) -> None:
        if name not in known:
            problems.append(at(path, *unknown(what, name, known)))

    for pid in spec.climate.processes:
        need(("climate", "processes", pid), "process", pid, list(spec.processes))
    for sid in spec.climate.disposals:
        need(("climate", "disposals", sid), "disposal site", sid, disposals)
    for m in spec.climate.products:
        need(("climate", "products", m), "product", m, products)
    for fid in spec.costs.fleets:
        need(("costs", "fleets", fid), "fleet", fid, list(spec.fleets))
    for m in spec.costs.products:
        need(("costs", "products", m), "product", m, products)
    kinds = {"treatment": TREATMENT_COST_KEYS, "disposal": DISPOSAL_COST_KEYS, "transfer": TRANSFER_COST_KEYS}
    costed = [s for s, v in spec.sites.items() if v.kind in kinds]
    for sid, costs in spec.costs.sites.items():
        if sid not in costed:
            need(("costs", "sites", sid), "treatment, disposal or transfer site", sid, costed)
            continue
        kind = spec.sites[sid].kind
        allowed = kinds[kind]
        for key in costs.model_fields_set - set(allowed):
            where = "transfer station" if kind == "transfer" else f"{kind} site"
            problems.append(at(("costs", "sites", sid, key), f"'{key}' does not apply to {where} '{sid}'",
                               f"keys of a {where}: {', '.join(allowed)}"))
    return problems
