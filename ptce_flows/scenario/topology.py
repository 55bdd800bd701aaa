"""Who can send what to whom: the flow topology implied by a validated scenario.

Shared by the reference checks (to say what is missing) and by the simulation build (to
route material), so both agree on one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ptce_flows.scenario.schema import ScenarioSpec


@dataclass(frozen=True)
class Topology:
    """Maps from material id to the sites that accept, make, want or dispose of it."""

    treats: dict[str, list[str]]      # material -> treatment sites whose process takes it
    makes: dict[str, list[str]]       # material -> treatment sites whose process outputs it
    wants: dict[str, list[str]]       # material -> farms/outlets with a demand for it
    disposes: dict[str, list[str]]    # material -> disposal sites accepting it
    supplies: dict[str, list[str]]    # material -> sources supplying it
    #: material -> transfer stations receiving it (what their forward_to sites take)
    transfers: dict[str, list[str]] = field(default_factory=dict)

    def is_residue(self, material: str) -> bool:
        """A process output nobody demands, no other treatment takes, and a disposal site
        accepts (rejects)."""
        return (not self.wants.get(material) and not self.treats.get(material)
                and bool(self.disposes.get(material)))

    def chain_targets(self, origin: str, material: str) -> list[str]:
        """Treatment sites (other than ``origin``) whose process takes ``material``, an output
        of ``origin``: the next link of a chain (digestate -> composting)."""
        return [t for t in self.treats.get(material, []) if t != origin]


def topology(spec: ScenarioSpec) -> Topology:
    treats: dict[str, list[str]] = {}
    makes: dict[str, list[str]] = {}
    wants: dict[str, list[str]] = {}
    disposes: dict[str, list[str]] = {}
    supplies: dict[str, list[str]] = {}
    for sid, site in spec.sites.items():
        if site.kind == "treatment":
            process = spec.processes.get(site.process)
            if process is None:
                continue
            for m in process.inputs:
                treats.setdefault(m, []).append(sid)
            for m in process.outputs:
                makes.setdefault(m, []).append(sid)
        elif site.kind in ("farm", "outlet"):
            for m in site.demand:
                wants.setdefault(m, []).append(sid)
        elif site.kind == "disposal":
            for m in site.accepts:
                disposes.setdefault(m, []).append(sid)
        elif site.kind == "source":
            for m in site.supply:
                supplies.setdefault(m, []).append(sid)
    transfers: dict[str, list[str]] = {}
    for sid, site in spec.sites.items():
        if site.kind == "transfer":
            for m in transfer_materials(spec, site, treats):
                transfers.setdefault(m, []).append(sid)
    return Topology(treats, makes, wants, disposes, supplies, transfers)


def transfer_materials(spec: ScenarioSpec, site, treats: dict[str, list[str]]) -> list[str]:
    """What a transfer station receives: the inputs of the treatment sites it forwards to
    (``forward_to``, or every treatment site)."""
    targets = set(site.forward_to) if site.forward_to else None
    return [m for m, sites in treats.items() if targets is None or targets & set(sites)]


def fleet_for(spec: ScenarioSpec, origin: str, material: str) -> str | None:
    """The fleet that carries ``material`` from ``origin``: the first in file order that
    carries it and serves that origin (a fleet without ``serves`` serves everywhere)."""
    for fid, fleet in spec.fleets.items():
        if material in fleet.carries and (fleet.serves is None or origin in fleet.serves):
            return fid
    return None


@dataclass(frozen=True)
class Move:
    """A movement the scenario may need: ``material`` from ``origin`` to one of
    ``destinations`` (in the order they are tried is decided later, by distance)."""

    origin: str
    material: str
    destinations: tuple[str, ...]
    purpose: str  # "collection", "overflow", "delivery", "residue", "forward", "chain"


def moves(spec: ScenarioSpec, topo: Topology | None = None) -> list[Move]:
    """Every (origin, material) movement the scenario may need, with candidate destinations."""
    topo = topo or topology(spec)
    out: list[Move] = []
    for sid, site in spec.sites.items():
        if site.kind == "source":
            for m in site.supply:
                treat = tuple(site.deliver_to or topo.treats.get(m, []) + topo.transfers.get(m, []))
                if treat:
                    out.append(Move(sid, m, treat, "collection"))
                if topo.disposes.get(m):
                    out.append(Move(sid, m, tuple(topo.disposes[m]), "overflow"))
        elif site.kind == "treatment":
            process = spec.processes.get(site.process)
            if process is None:
                continue
            for m in process.outputs:
                if topo.wants.get(m):
                    out.append(Move(sid, m, tuple(topo.wants[m]), "delivery"))
                if topo.chain_targets(sid, m):
                    out.append(Move(sid, m, tuple(topo.chain_targets(sid, m)), "chain"))
                elif not topo.wants.get(m) and topo.disposes.get(m):
                    out.append(Move(sid, m, tuple(topo.disposes[m]), "residue"))
        elif site.kind == "transfer":
            for m, targets in forward_targets(spec, sid, topo).items():
                out.append(Move(sid, m, tuple(targets), "forward"))
    return out


def forward_targets(spec: ScenarioSpec, sid: str, topo: Topology) -> dict[str, list[str]]:
    """material -> treatment sites a transfer station forwards it to (``forward_to`` order,
    or every treatment site taking it)."""
    site = spec.sites[sid]
    out: dict[str, list[str]] = {}
    for m in transfer_materials(spec, site, topo.treats):
        sites = topo.treats.get(m, [])
        out[m] = [t for t in site.forward_to if t in sites] if site.forward_to else list(sites)
    return out
