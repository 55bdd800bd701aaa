"""Checks that need the whole scenario: references between sections and flows that cannot
happen. Each returns every problem found, located by key path; warnings do not stop a run.

``check_references`` runs one named check per section on a shared ``_Context`` that collects
problems and warnings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from ptce_flows.errors import Problem
from ptce_flows.scenario.accounting_checks import check_accounting
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.scenario.topology import Topology, fleet_for, moves, topology
from ptce_flows.scenario.variants import chain_problem, resolve_chains

Locate = Callable[[tuple, str, str], Problem]


def _unknown(what: str, name: str, known) -> tuple[str, str]:
    known = list(known)
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    message = f"unknown {what} '{name}'" + (f"; did you mean '{guess[0]}'?" if guess else "")
    plural = " or ".join(w + "s" for w in what.split(" or "))   # "treatment sites or transfer stations"
    allowed = f"known {plural}: {', '.join(known)}" if known else f"no {plural} are defined"
    return message, allowed


@dataclass
class _Context:
    spec: ScenarioSpec
    at: Locate
    topo: Topology
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, path: tuple, message: str, allowed: str = "") -> None:
        self.problems.append(self.at(path, message, allowed))

    def warn(self, path: tuple, message: str, allowed: str = "") -> None:
        self.warnings.append(self.at(path, message, allowed))

    def need_material(self, path: tuple, name: str) -> bool:
        if name not in self.spec.materials:
            self.error(path, *_unknown("material", name, self.spec.materials))
            return False
        return True

    def ids(self, *kinds: str) -> list[str]:
        return [sid for sid, site in self.spec.sites.items() if site.kind in kinds]

    def takers(self, material: str) -> list[str]:
        """Farms and outlets whose demand for ``material`` is not zero."""
        return [sid for sid in self.topo.wants.get(material, [])
                if self.spec.sites[sid].demand[material].annual_t != 0]


def check_references(spec: ScenarioSpec, at: Locate) -> tuple[list[Problem], list[Problem]]:
    """Return (problems, warnings) for references and impossible flows."""
    ctx = _Context(spec, at, topology(spec))
    _check_processes(ctx)
    for sid, site in spec.sites.items():
        if sid in spec.nodes:
            ctx.error(("nodes", sid), f"'{sid}' is both a site and a road node", "give road junctions their own ids")
        if site.kind == "source":
            _check_source(ctx, sid, site)
        elif site.kind == "treatment":
            _check_treatment(ctx, sid, site)
        elif site.kind in ("farm", "outlet"):
            _check_demand_site(ctx, sid, site)
        elif site.kind == "disposal":
            for i, m in enumerate(site.accepts):
                ctx.need_material(("sites", sid, "accepts", i), m)
            _check_disposal_overflow(ctx, sid, site)
        elif site.kind == "transfer":
            _check_transfer(ctx, sid, site)
    _check_cycles(ctx)
    _check_roads(ctx)
    _check_fleets(ctx, _check_moves(ctx))
    _check_disruptions(ctx)
    ctx.problems.extend(check_accounting(spec, at, _unknown))
    _check_variants(ctx)
    return ctx.problems, ctx.warnings


def _check_processes(ctx: _Context) -> None:
    for pid, process in ctx.spec.processes.items():
        for i, m in enumerate(process.inputs):
            ctx.need_material(("processes", pid, "inputs", i), m)
        for m in process.outputs:
            ctx.need_material(("processes", pid, "outputs", m), m)
        both = set(process.inputs) & set(process.outputs)
        if both:
            ctx.error(("processes", pid, "outputs"), f"'{sorted(both)[0]}' is both an input and an output",
                      "outputs must differ from inputs")


def _check_source(ctx: _Context, sid: str, site) -> None:
    base, topo = ("sites", sid), ctx.topo
    for m, supply in site.supply.items():
        if not ctx.need_material(base + ("supply", m), m):
            continue
        if supply.kg_per_capita_year is not None and site.population is None:
            ctx.error(base + ("supply", m, "kg_per_capita_year"), "kg_per_capita_year needs the site's population",
                      "add 'population' to the site, or give t_per_day/t_per_year")
        if not topo.treats.get(m) and not topo.disposes.get(m):
            ctx.error(base + ("supply", m), f"no treatment or disposal site accepts '{m}'",
                      "add a process taking it or a disposal site accepting it")
        _check_residual(ctx, base + ("supply", m), m, supply)
    for i, target in enumerate(site.deliver_to or []):
        target_site = ctx.spec.sites.get(target)
        if target_site is None or target_site.kind not in ("treatment", "transfer"):
            ctx.error(base + ("deliver_to", i), *_unknown("treatment site or transfer station", target,
                                                           ctx.ids("treatment", "transfer")))
            continue
        takes = _takes(ctx, target, target_site)
        if takes is not None and not set(takes) & set(site.supply):
            ctx.error(base + ("deliver_to", i), f"'{target}' takes none of this source's materials",
                      f"it takes {', '.join(takes) or 'nothing'}")


def _takes(ctx: _Context, sid: str, site) -> list[str] | None:
    """Materials a treatment site or transfer station receives (None if its process is unknown)."""
    if site.kind == "transfer":
        return [m for m, sites in ctx.topo.transfers.items() if sid in sites]
    process = ctx.spec.processes.get(site.process)
    return None if process is None else list(process.inputs)


def _check_residual(ctx: _Context, path: tuple, m: str, supply) -> None:
    """The residual (potential not captured) needs a disposal site accepting it."""
    if supply.residual_to is not None:
        target = ctx.spec.sites.get(supply.residual_to)
        if target is None or target.kind != "disposal":
            ctx.error(path + ("residual_to",), *_unknown("disposal site", supply.residual_to, ctx.ids("disposal")))
        elif m not in target.accepts:
            ctx.error(path + ("residual_to",), f"'{supply.residual_to}' does not accept '{m}'",
                      f"it accepts {', '.join(target.accepts)}")
    elif supply.capture_rate < 1.0 and not ctx.topo.disposes.get(m):
        ctx.error(path + ("capture_rate",),
                  f"the residual of '{m}' (1 - capture_rate of the potential) has nowhere to go",
                  f"add a disposal site accepting '{m}' (or residual_to), or set capture_rate: 1")


def _check_transfer(ctx: _Context, sid: str, site) -> None:
    base, spec = ("sites", sid), ctx.spec
    for i, target in enumerate(site.forward_to or []):
        t = spec.sites.get(target)
        if t is None or t.kind != "treatment":
            ctx.error(base + ("forward_to", i), *_unknown("treatment site", target, ctx.ids("treatment")))
    if not any(sid in sites for sites in ctx.topo.transfers.values()):
        ctx.error(base + ("forward_to",), f"transfer station '{sid}' has nothing to forward to",
                  "list treatment sites (with known processes) in forward_to")


def _check_disposal_overflow(ctx: _Context, sid: str, site) -> None:
    if site.overflow_to is None:
        return
    target = ctx.spec.sites.get(site.overflow_to)
    if target is None or target.kind != "disposal" or site.overflow_to == sid:
        ctx.error(("sites", sid, "overflow_to"),
                  *_unknown("other disposal site", site.overflow_to, [d for d in ctx.ids("disposal") if d != sid]))


def _check_cycles(ctx: _Context) -> None:
    """Chains of treatments (an output going on to another site) and disposal overflows
    must not loop: a cycle of sites would pass material round for ever."""
    spec, topo = ctx.spec, ctx.topo
    edges: dict[str, list[str]] = {}
    for sid, site in spec.sites.items():
        if site.kind == "treatment" and site.process in spec.processes:
            edges[sid] = [t for m in spec.processes[site.process].outputs for t in topo.chain_targets(sid, m)]
        elif site.kind == "disposal" and site.overflow_to in spec.sites:
            edges[sid] = [site.overflow_to]
    cycle = find_cycle(edges)
    if cycle:
        first = spec.sites[cycle[0]]
        key = "overflow_to" if first.kind == "disposal" else "process"
        ctx.error(("sites", cycle[0], key),
                  "sites form a cycle: " + " -> ".join(cycle + [cycle[0]]),
                  "a chain of treatments (an output that another site takes) or of disposal "
                  "overflows must end; remove one link")


def find_cycle(edges: dict[str, list[str]]) -> list[str]:
    """One cycle of the directed graph ``edges`` (as the list of its nodes), or []."""
    state: dict[str, int] = {}
    for root in edges:
        if state.get(root):
            continue
        stack, path = [(root, iter(edges.get(root, [])))], [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):]
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(edges.get(nxt, []))))
                path.append(nxt)
    return []


def _check_treatment(ctx: _Context, sid: str, site) -> None:
    base, spec = ("sites", sid), ctx.spec
    process = spec.processes.get(site.process)
    if process is None:
        ctx.error(base + ("process",), *_unknown("process", site.process, spec.processes))
        return
    if site.overflow_to is not None:
        target = spec.sites.get(site.overflow_to)
        if target is None or target.kind != "disposal":
            ctx.error(base + ("overflow_to",), *_unknown("disposal site", site.overflow_to, ctx.ids("disposal")))
        elif not set(target.accepts) & set(process.inputs):
            ctx.error(base + ("overflow_to",), f"'{site.overflow_to}' accepts none of {', '.join(process.inputs)}",
                      "an overflow site must accept the inputs it receives")
    for m in process.outputs:
        if (m in spec.materials and not ctx.takers(m) and not ctx.topo.disposes.get(m)
                and not ctx.topo.chain_targets(sid, m)):
            ctx.warn(base + ("process",),
                     f"nobody takes '{m}' made by process '{site.process}': it "
                     "stays in storage until storage_t is full, then the site refuses waste",
                     f"add a farm/outlet demand or a disposal accepting '{m}'")


def _check_demand_site(ctx: _Context, sid: str, site) -> None:
    base, topo = ("sites", sid), ctx.topo
    for m, demand in site.demand.items():
        if not ctx.need_material(base + ("demand", m), m):
            continue
        if not topo.makes.get(m):
            ctx.error(base + ("demand", m), f"no treatment site makes '{m}'",
                      "demand a process output: " + ", ".join(sorted(topo.makes)) if topo.makes
                      else "no process makes any product")
        elif demand.annual_t == 0:
            ctx.warn(base + ("demand", m, "t_per_year"),
                     f"a demand of 0 t/year takes no '{m}'"
                     + ("" if ctx.takers(m) else f"; nobody else takes it, so it stays in storage at "
                        f"{', '.join(topo.makes[m])} until storage_t is full, then the site refuses waste"),
                     "give the tonnes taken per year, leave t_per_year out to take everything, "
                     "or remove the demand")


def _check_roads(ctx: _Context) -> None:
    known_nodes = set(ctx.spec.sites) | set(ctx.spec.nodes)
    for i, (a, b, _km) in enumerate(ctx.spec.roads):
        for j, end in enumerate((a, b)):
            if end not in known_nodes:
                ctx.error(("roads", i, j), *_unknown("site or node", end, sorted(known_nodes)))
        if a == b:
            ctx.error(("roads", i), f"road from '{a}' to itself", "join two different places")


def _check_moves(ctx: _Context) -> set[str]:
    """Every movement has a fleet; returns the materials that have to move."""
    needed: set[str] = set()
    for move in moves(ctx.spec, ctx.topo):
        if move.material not in ctx.spec.materials:
            continue
        needed.add(move.material)
        if fleet_for(ctx.spec, move.origin, move.material) is None:
            path = (("sites", move.origin, "supply", move.material) if move.purpose in ("collection", "overflow")
                    else ("sites", move.origin) if move.purpose == "forward"
                    else ("sites", move.origin, "process"))
            ctx.error(path, f"no fleet carries '{move.material}' from '{move.origin}'",
                      f"add '{move.material}' to the 'carries' of a fleet serving '{move.origin}'")
    return needed


def _check_fleets(ctx: _Context, needed: set[str]) -> None:
    spec = ctx.spec
    known_nodes = set(spec.sites) | set(spec.nodes)
    for fid, fleet in spec.fleets.items():
        base = ("fleets", fid)
        for i, m in enumerate(fleet.carries):
            ctx.need_material(base + ("carries", i), m)
        if not set(fleet.carries) & needed:
            ctx.error(base + ("carries",),
                      f"fleet '{fid}' carries nothing that has to move ({', '.join(fleet.carries)})",
                      "materials that move: " + (", ".join(sorted(needed)) or "none"))
        if fleet.depot is not None and fleet.depot not in known_nodes:
            ctx.error(base + ("depot",), *_unknown("site or node", fleet.depot, sorted(known_nodes)))
        for i, sid in enumerate(fleet.serves or []):
            if sid not in spec.sites:
                ctx.error(base + ("serves", i), *_unknown("site", sid, spec.sites))


def _check_disruptions(ctx: _Context) -> None:
    spec = ctx.spec
    treatment_ids = ctx.ids("treatment")
    for i, d in enumerate(spec.disruptions):
        base = ("disruptions", i)
        if d.kind == "outage":
            if d.site not in treatment_ids:
                ctx.error(base + ("site",), *_unknown("treatment site", d.site, treatment_ids))
        elif d.fleet not in spec.fleets:
            ctx.error(base + ("fleet",), *_unknown("fleet", d.fleet, spec.fleets))
        if getattr(d, "start_day", 0) >= spec.horizon_days:
            ctx.warn(base + ("start_day",),
                     f"starts on day {d.start_day}, after the horizon ({spec.horizon_days} days)",
                     "start_day counts from 0, the first simulated day")


def _check_variants(ctx: _Context) -> None:
    """Unknown ``extends``, cycles and chains too long (one resolution for all variants)."""
    variants = ctx.spec.variants
    _chains, issues = resolve_chains({name: v.extends for name, v in variants.items()})
    ctx.problems += [chain_problem(issue, ctx.at, list(variants)) for issue in issues]
