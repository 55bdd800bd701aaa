"""Layouts of a scenario with candidate sites: which treatment sites and transfer stations are built.

A treatment site or transfer station marked ``candidate: true`` could be built but is not in
the base layout.
``built_layout(spec, open_ids)`` is the scenario as it runs with the candidates ``open_ids``
built and the others left out: they disappear from the sites (their location stays as a road
node, so roads through them still join), from the sources' ``deliver_to`` lists, the fleets'
``serves`` lists, the disruptions and the ``costs.sites`` entries, so that the run
neither sends anything to them nor counts their costs; a transfer station's ``forward_to``
loses them too. A source whose ``deliver_to`` names only sites that are not built delivers,
like one without the key, to the nearest built site (a station whose ``forward_to`` names
only such sites forwards, likewise, to the nearest built treatment site).

The loader checks the scenario as written (every candidate included) and then keeps the base
layout (``LoadedScenario.spec``) and the scenario with every candidate built
(``LoadedScenario.design``, what the site search reads).
"""

from __future__ import annotations

from collections.abc import Iterable

from ptce_flows.scenario.schema import ScenarioSpec


def candidate_ids(spec: ScenarioSpec) -> list[str]:
    """Treatment sites and transfer stations marked ``candidate: true``, in file order."""
    return [sid for sid, s in spec.sites.items() if s.kind in ("treatment", "transfer") and s.candidate]



def built_layout(spec: ScenarioSpec, open_ids: Iterable[str] = ()) -> ScenarioSpec:
    """``spec`` with the candidates ``open_ids`` built and the other candidates left out."""
    cands = candidate_ids(spec)
    if not cands:
        return spec
    opened = set(open_ids)
    unknown = opened - set(cands)
    if unknown:
        raise ValueError(f"not candidate sites: {', '.join(sorted(unknown))}")
    closed = {c for c in cands if c not in opened}
    sites = {}
    for sid, site in spec.sites.items():
        if sid in closed:
            continue
        if sid in opened:
            site = site.model_copy(update={"candidate": False})
        elif site.kind == "source" and site.deliver_to:
            site = site.model_copy(update={"deliver_to": [t for t in site.deliver_to if t not in closed]})
        elif site.kind == "transfer" and site.forward_to:
            kept = [t for t in site.forward_to if t not in closed]
            site = site.model_copy(update={"forward_to": kept or None})
        sites[sid] = site
    nodes = dict(spec.nodes)
    nodes.update({sid: spec.sites[sid].location for sid in cands if sid in closed})  # file order, not set order
    fleets = {fid: f if not f.serves else f.model_copy(update={"serves": [s for s in f.serves if s not in closed]})
              for fid, f in spec.fleets.items()}
    disruptions = [d for d in spec.disruptions if getattr(d, "site", None) not in closed]
    costs = spec.costs.model_copy(update={"sites": {s: c for s, c in spec.costs.sites.items() if s not in closed}})
    return spec.model_copy(update={"sites": sites, "nodes": nodes, "fleets": fleets,
                                   "disruptions": disruptions, "costs": costs})


def design(spec: ScenarioSpec) -> ScenarioSpec:
    """``spec`` with every candidate built (the search space of ``optimise``)."""
    return built_layout(spec, candidate_ids(spec))
