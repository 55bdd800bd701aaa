"""Checks that need the whole scenario: references between sections and flows that cannot
happen. Each returns every problem found, located by key path; warnings do not stop a run.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from ptce_flows.errors import Problem
from ptce_flows.scenario.accounting_checks import check_accounting
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.scenario.topology import fleet_for, moves, topology

Locate = Callable[[tuple, str, str], Problem]


def _unknown(what: str, name: str, known) -> tuple[str, str]:
    known = list(known)
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    message = f"unknown {what} '{name}'" + (f"; did you mean '{guess[0]}'?" if guess else "")
    allowed = f"known {what}s: {', '.join(known)}" if known else f"no {what}s are defined"
    return message, allowed


def check_references(spec: ScenarioSpec, at: Locate) -> tuple[list[Problem], list[Problem]]:
    """Return (problems, warnings) for references and impossible flows."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    materials = spec.materials

    def need_material(path: tuple, name: str) -> bool:
        if name not in materials:
            problems.append(at(path, *_unknown("material", name, materials)))
            return False
        return True

    for pid, process in spec.processes.items():
        for i, m in enumerate(process.inputs):
            need_material(("processes", pid, "inputs", i), m)
        for m in process.outputs:
            need_material(("processes", pid, "outputs", m), m)
        both = set(process.inputs) & set(process.outputs)
        if both:
            problems.append(at(("processes", pid, "outputs"),
                               f"'{sorted(both)[0]}' is both an input and an output",
                               "outputs must differ from inputs"))

    topo = topology(spec)
    disposal_ids = [s for s, v in spec.sites.items() if v.kind == "disposal"]
    for sid, site in spec.sites.items():
        base = ("sites", sid)
        if sid in spec.nodes:
            problems.append(at(("nodes", sid), f"'{sid}' is both a site and a road node",
                               "give road junctions their own ids"))
        if site.kind == "source":
            for m, supply in site.supply.items():
                if not need_material(base + ("supply", m), m):
                    continue
                if supply.kg_per_capita_year is not None and site.population is None:
                    problems.append(at(base + ("supply", m, "kg_per_capita_year"),
                                       "kg_per_capita_year needs the site's population",
                                       "add 'population' to the site, or give t_per_day/t_per_year"))
                if not topo.treats.get(m) and not topo.disposes.get(m):
                    problems.append(at(base + ("supply", m),
                                       f"no treatment or disposal site accepts '{m}'",
                                       "add a process taking it or a disposal site accepting it"))
            for i, target in enumerate(site.deliver_to or []):
                target_site = spec.sites.get(target)
                if target_site is None or target_site.kind != "treatment":
                    problems.append(at(base + ("deliver_to", i), *_unknown(
                        "treatment site", target, [s for s, v in spec.sites.items() if v.kind == "treatment"])))
                    continue
                process = spec.processes.get(target_site.process)
                if process and not set(process.inputs) & set(site.supply):
                    problems.append(at(base + ("deliver_to", i),
                                       f"'{target}' takes none of this source's materials",
                                       f"it takes {', '.join(process.inputs)}"))
        elif site.kind == "treatment":
            process = spec.processes.get(site.process)
            if process is None:
                problems.append(at(base + ("process",), *_unknown("process", site.process, spec.processes)))
                continue
            if site.overflow_to is not None:
                target = spec.sites.get(site.overflow_to)
                if target is None or target.kind != "disposal":
                    problems.append(at(base + ("overflow_to",),
                                       *_unknown("disposal site", site.overflow_to, disposal_ids)))
                elif not set(target.accepts) & set(process.inputs):
                    problems.append(at(base + ("overflow_to",),
                                       f"'{site.overflow_to}' accepts none of {', '.join(process.inputs)}",
                                       "an overflow site must accept the inputs it receives"))
            for m in process.outputs:
                if m in materials and not topo.wants.get(m) and not topo.disposes.get(m):
                    warnings.append(at(base + ("process",),
                                       f"nobody takes '{m}' made by process '{site.process}': it "
                                       "stays in storage until storage_t is full, then the site refuses waste",
                                       f"add a farm/outlet demand or a disposal accepting '{m}'"))
        elif site.kind in ("farm", "outlet"):
            for m in site.demand:
                if need_material(base + ("demand", m), m) and not topo.makes.get(m):
                    problems.append(at(base + ("demand", m),
                                       f"no treatment site makes '{m}'",
                                       "demand a process output: " + ", ".join(sorted(topo.makes)) if topo.makes
                                       else "no process makes any product"))
        elif site.kind == "disposal":
            for i, m in enumerate(site.accepts):
                need_material(base + ("accepts", i), m)

    known_nodes = set(spec.sites) | set(spec.nodes)
    for i, (a, b, _km) in enumerate(spec.roads):
        for j, end in enumerate((a, b)):
            if end not in known_nodes:
                problems.append(at(("roads", i, j), *_unknown("site or node", end, sorted(known_nodes))))
        if a == b:
            problems.append(at(("roads", i), f"road from '{a}' to itself", "join two different places"))

    needed: set[str] = set()
    for move in moves(spec, topo):
        if move.material not in materials:
            continue
        needed.add(move.material)
        if fleet_for(spec, move.origin, move.material) is None:
            path = (("sites", move.origin, "supply", move.material) if move.purpose in ("collection", "overflow")
                    else ("sites", move.origin, "process"))
            problems.append(at(path, f"no fleet carries '{move.material}' from '{move.origin}'",
                               f"add '{move.material}' to the 'carries' of a fleet serving '{move.origin}'"))
    for fid, fleet in spec.fleets.items():
        base = ("fleets", fid)
        for i, m in enumerate(fleet.carries):
            need_material(base + ("carries", i), m)
        if not set(fleet.carries) & needed:
            problems.append(at(base + ("carries",),
                               f"fleet '{fid}' carries nothing that has to move "
                               f"({', '.join(fleet.carries)})",
                               "materials that move: " + (", ".join(sorted(needed)) or "none")))
        if fleet.depot is not None and fleet.depot not in known_nodes:
            problems.append(at(base + ("depot",), *_unknown("site or node", fleet.depot, sorted(known_nodes))))
        for i, sid in enumerate(fleet.serves or []):
            if sid not in spec.sites:
                problems.append(at(base + ("serves", i), *_unknown("site", sid, spec.sites)))

    treatment_ids = [s for s, v in spec.sites.items() if v.kind == "treatment"]
    for i, d in enumerate(spec.disruptions):
        base = ("disruptions", i)
        if d.kind == "outage":
            if d.site not in treatment_ids:
                problems.append(at(base + ("site",), *_unknown("treatment site", d.site, treatment_ids)))
        elif d.fleet not in spec.fleets:
            problems.append(at(base + ("fleet",), *_unknown("fleet", d.fleet, spec.fleets)))
        if getattr(d, "start_day", 0) >= spec.horizon_days:
            warnings.append(at(base + ("start_day",),
                               f"starts on day {d.start_day}, after the horizon ({spec.horizon_days} days)",
                               "start_day counts from 0, the first simulated day"))

    problems.extend(check_accounting(spec, at, _unknown))
    for vid, variant in spec.variants.items():
        if variant.extends is not None and variant.extends not in spec.variants:
            problems.append(at(("variants", vid, "extends"), *_unknown("variant", variant.extends, spec.variants)))
    cycle = _variant_cycle(spec)
    if cycle:
        problems.append(at(("variants", cycle[0], "extends"),
                           "variants extend each other in a cycle: " + " -> ".join(cycle),
                           "a variant may extend another, without loops"))
    return problems, warnings


def _variant_cycle(spec: ScenarioSpec) -> list[str]:
    for start in spec.variants:
        chain = [start]
        current = spec.variants[start].extends
        while current is not None and current in spec.variants:
            if current in chain:
                return chain[chain.index(current):] + [current]
            chain.append(current)
            current = spec.variants[current].extends
    return []
