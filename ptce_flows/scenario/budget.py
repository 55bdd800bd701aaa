"""What a run of a valid scenario would cost, estimated before it starts, and refused when too big.

Each key has sane bounds (the schema), but their combination can still ask for more than a
machine has: 100,000 t/day carried in 0.05 t loads is two million trips a day. Before a run the
loader estimates, from the validated scenario alone:

- **trips**: for every supply, its tonnes over the run divided by the payload of the fleet
  that collects it, plus one partial round every ``every_days``; for every treatment site, the
  products and residues it can make (its capacity times the output coefficients, at most what
  its inputs supply) divided by the payload of the fleet that carries them. It is an upper
  estimate: refusals and demand limits only lower the real count;
- **breakdowns**: vehicles x breakdowns per vehicle per year x years;
- **memory**: the end-of-day series (days x series) and the distance tables (origins x
  destinations), 8 bytes a number and a factor for the copies made when tables are written.

A run (one replication, warm-up included) above ``MAX_TRIPS`` trips, ``MAX_EVENTS`` breakdowns
or ``MAX_MEMORY_BYTES`` is refused with a message naming the key that weighs most. For scale,
the largest shipped scenario (``organic_vallee.yaml``, a warm-up year and a reported year)
estimates to about 21,500 trips.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ptce_flows.errors import Problem
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.scenario.topology import fleet_for

#: Most truck trips in one run (one replication, warm-up included). Measured: 365,000 trips
#: took 12 s and 200 MB on one core, so the limit is about a minute and 1 GB a run.
MAX_TRIPS = 2_000_000
#: Most random breakdowns in one run.
MAX_EVENTS = 2_000_000
#: Most memory the estimated tables of one run may take.
MAX_MEMORY_BYTES = 2 * 1024**3
#: Bytes per number in the estimated tables, copies included (records, frames, CSV text).
_BYTES_PER_NUMBER = 8 * 4

Locate = Callable[[tuple, str, str], Problem]


@dataclass(frozen=True)
class Load:
    """One contribution to the estimate: ``amount`` (trips, events or bytes) and the key
    path that drives it, with a few words on where it comes from."""

    amount: float
    path: tuple
    why: str


def annual_supply_t(site, supply) -> float:
    """Tonnes per year collected from one ``supply`` entry of a source ``site``."""
    if supply.t_per_day is not None:
        rate = supply.t_per_day * 365.0
    elif supply.t_per_year is not None:
        rate = supply.t_per_year
    else:
        rate = (site.population or 0) * supply.kg_per_capita_year / 1000.0
    return rate * supply.capture_rate


def trip_loads(spec: ScenarioSpec) -> list[Load]:
    """Trips per year, one ``Load`` per supply and per product of each treatment site."""
    out: list[Load] = []
    supplied: dict[str, float] = {}
    for sid, site in spec.sites_of("source").items():
        for m, supply in site.supply.items():
            tonnes = annual_supply_t(site, supply)
            supplied[m] = supplied.get(m, 0.0) + tonnes
            fid = fleet_for(spec, sid, m)
            if fid is None:
                continue
            payload = spec.fleets[fid].payload_t
            rounds = 365.0 / site.collection.every_days
            out.append(Load(tonnes / payload + rounds, ("fleets", fid, "payload_t"),
                            f"{tonnes:,.0f} t/year of '{m}' from '{sid}' in loads of {payload:g} t"))
    for sid, site in spec.sites_of("treatment").items():
        process = spec.processes.get(site.process)
        if process is None:
            continue
        intake = min(site.capacity_per_day * 365.0, sum(supplied.get(m, 0.0) for m in process.inputs))
        for m, coefficient in process.outputs.items():
            fid = fleet_for(spec, sid, m)
            if fid is None or coefficient <= 0:
                continue
            tonnes = intake * coefficient
            payload = spec.fleets[fid].payload_t
            out.append(Load(tonnes / payload, ("fleets", fid, "payload_t"),
                            f"{tonnes:,.0f} t/year of '{m}' from '{sid}' in loads of {payload:g} t"))
    return out


def memory_loads(spec: ScenarioSpec, days: int) -> list[Load]:
    """Bytes of the end-of-day series and of the distance tables."""
    series = sum(len(s.supply) for s in spec.sites_of("source").values())
    series += sum(len(s.demand) for s in spec.sites_of("farm", "outlet").values())
    series += sum(len(s.accepts) for s in spec.sites_of("disposal").values())
    for site in spec.sites_of("treatment").values():
        process = spec.processes.get(site.process)
        series += 2 + (len(process.inputs) + len(process.outputs) if process else 0)
    origins = len(spec.sites_of("source", "treatment"))
    destinations = len(spec.sites_of("treatment", "farm", "outlet", "disposal"))
    return [
        Load(days * series * _BYTES_PER_NUMBER, ("horizon_days",),
             f"{days:,} days x {series:,} daily series"),
        Load(origins * destinations * 3 * _BYTES_PER_NUMBER, ("sites",),
             f"distance tables of {origins:,} origins x {destinations:,} destinations"),
    ]


def check_budget(spec: ScenarioSpec, at: Locate) -> list[Problem]:
    """Problems for a run of ``spec`` that would exceed the trips, events or memory limits."""
    days = spec.horizon_days + spec.warmup_days
    years = days / 365.0
    problems: list[Problem] = []
    trips = trip_loads(spec)
    total = sum(load.amount for load in trips) * years
    if total > MAX_TRIPS:
        worst = max(trips, key=lambda load: load.amount)
        problems.append(at(worst.path, f"the run would make about {total:,.0f} truck trips "
                           f"({worst.why}, over {days:,} days)",
                           f"at most {MAX_TRIPS:,} trips a run: larger payloads, less tonnage "
                           "or a shorter horizon"))
    for i, d in enumerate(spec.disruptions):
        if d.kind != "breakdowns" or d.fleet not in spec.fleets:
            continue
        events = spec.fleets[d.fleet].vehicles * d.per_vehicle_per_year * years
        if events > MAX_EVENTS:
            problems.append(at(("disruptions", i, "per_vehicle_per_year"),
                               f"about {events:,.0f} breakdowns in the run "
                               f"({spec.fleets[d.fleet].vehicles:,} vehicles over {days:,} days)",
                               f"at most {MAX_EVENTS:,} breakdowns a run"))
    memory = memory_loads(spec, days)
    used = sum(load.amount for load in memory)
    if used > MAX_MEMORY_BYTES:
        worst = max(memory, key=lambda load: load.amount)
        problems.append(at(worst.path, f"the run would need about {used / 1024**3:,.1f} GB of "
                           f"memory ({worst.why})",
                           f"at most {MAX_MEMORY_BYTES / 1024**3:.0f} GB: fewer sites or days"))
    return problems
