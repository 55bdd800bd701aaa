"""Plausibility warnings: values the schema accepts but no real territory has.

Each check is a pure function of the validated ``ScenarioSpec`` returning ``Problem``s located
by key path (file, line, path, the value found and why it is implausible). They never stop a
run: ``validate`` and ``run`` print them as warnings; with ``--strict`` they are errors (exit
2). The two warnings about products that nobody takes (a demand of zero, an output with no
demand and no disposal) are reference checks, in ``scenario.checks``. docs/scenario-format.md,
*Plausibility warnings*, lists them all with their thresholds and sources.
"""

from __future__ import annotations

from collections.abc import Callable

from ptce_flows.errors import Problem
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.scenario.topology import topology

Locate = Callable[[tuple, str, str], Problem]

#: gross weight of the heaviest truck allowed on French roads (5 axles or more, articulated),
#: Code de la route art. R312-4: a payload above it cannot be one truck
MAX_PAYLOAD_T = 44.0
#: average door-to-door speeds of a truck, km/h. Below 15: slower than a collection round
#: (10-20 km/h, estimate) for a haul; above 110: trucks over 3.5 t are limited to 90 km/h on
#: motorways (Code de la route art. R413-8) and 80 km/h on two-lane roads (decree of 2018)
SPEED_KMH = (15.0, 110.0)
#: a site farther than this from every other site is likely mistyped (latitude and longitude
#: swapped, a sign lost): a territory's loops span tens of km (estimate)
ISOLATED_KM = 150.0
#: t/day from one source: 3.65 Mt/year, a tenth of the 38.9 Mt of household and similar waste
#: of all France (ADEME, enquête collecte 2019), the waste of about 6 million people
MAX_SOURCE_T_PER_DAY = 10_000.0
#: capacity / supply that can reach a treatment site: below, most of it cannot be treated
#: there; above, the site idles 90 % of the time (a t/year typed as t/day?) (estimate)
CAPACITY_RATIO = (0.1, 10.0)
EARTH_RADIUS_KM = 6371.0088


def plausibility_warnings(spec: ScenarioSpec, at: Locate) -> list[Problem]:
    """Every plausibility warning of ``spec``, in file order within each check."""
    return [*_fleets(spec, at), *_isolated_sites(spec, at), *_sources(spec, at), *_capacities(spec, at)]


def _fleets(spec: ScenarioSpec, at: Locate) -> list[Problem]:
    out = []
    low, high = SPEED_KMH
    for fid, fleet in spec.fleets.items():
        if fleet.payload_t > MAX_PAYLOAD_T:
            out.append(at(("fleets", fid, "payload_t"),
                          f"payload of {fleet.payload_t:g} t: more than the {MAX_PAYLOAD_T:g} t gross weight "
                          "of the heaviest truck allowed in France (Code de la route R312-4)",
                          "a 44 t articulated truck carries about 25-30 t"))
        if not low <= fleet.speed_kmh <= high:
            why = ("slower than a collection round" if fleet.speed_kmh < low else
                   "faster than trucks may drive (90 km/h on motorways, Code de la route R413-8)")
            out.append(at(("fleets", fid, "speed_kmh"),
                          f"average speed of {fleet.speed_kmh:g} km/h: {why}",
                          f"door-to-door averages are {low:g}-{high:g} km/h, typically 55-70 km/h"))
    return out


def _isolated_sites(spec: ScenarioSpec, at: Locate) -> list[Problem]:
    """Sites more than ``ISOLATED_KM`` from every other site, with the distance swapped."""
    ids = list(spec.sites)
    if len(ids) < 2:
        return []
    lat = [spec.sites[s].location[0] for s in ids]
    lon = [spec.sites[s].location[1] for s in ids]
    maybe = _maybe_isolated(lat, lon)
    if not maybe:
        return []
    nearest, which = _nearest_km([lat[i] for i in maybe], [lon[i] for i in maybe], lat, lon, exclude=maybe)
    out = []
    for k, i in enumerate(maybe):
        if nearest[k] <= ISOLATED_KM:
            continue
        sid = ids[i]
        hint = "check the location: [latitude, longitude], in degrees"
        if abs(lon[i]) <= 90.0:
            swapped, _ = _nearest_km([lon[i]], [lat[i]], lat, lon, skip=i)
            if swapped[0] <= ISOLATED_KM:
                hint = (f"latitude and longitude swapped? [{lon[i]:g}, {lat[i]:g}] is {swapped[0]:,.0f} km "
                        "from the nearest site")
        out.append(at(("sites", sid, "location"),
                      f"[{lat[i]:g}, {lon[i]:g}] is {nearest[k]:,.0f} km from the nearest other site "
                      f"('{ids[which[k]]}'), more than {ISOLATED_KM:g} km", hint))
    return out


#: km by which a site's neighbour must be nearer than ``ISOLATED_KM`` for :func:`_maybe_isolated`
#: to rule the site out without the great-circle formula (float error: under a micrometre)
_SURE_MARGIN_KM = 1.0
#: sites after each one in order of latitude that :func:`_maybe_isolated` compares it with
_SIEVE_NEIGHBOURS = 8


def _maybe_isolated(lat: list[float], lon: list[float]) -> list[int]:
    """Indices of the sites that may be more than ``ISOLATED_KM`` from every other site.

    A quick, conservative sieve before :func:`_nearest_km`: a site with another site surely
    within ``ISOLATED_KM - _SURE_MARGIN_KM`` is left out. Each site is compared with the
    ``_SIEVE_NEIGHBOURS`` sites after it in order of latitude (straight-line chord between
    points of the unit sphere: the great-circle distance grows with it), which in a territory
    always finds one; the sites it does not rule out (none in a real territory) are measured
    with the great-circle formula against every site, exactly as before.
    """
    import numpy as np

    phi, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    unit = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)
    chord = 2.0 * np.sin((ISOLATED_KM - _SURE_MARGIN_KM) / (2.0 * EARTH_RADIUS_KM))
    order = np.argsort(phi, kind="stable")
    ranked = unit[order]
    near = np.zeros(len(phi), dtype=bool)  # by rank in latitude
    for k in range(1, min(len(phi), _SIEVE_NEIGHBOURS + 1)):
        close = ((ranked[k:] - ranked[:-k]) ** 2).sum(axis=1) < chord * chord
        near[k:] |= close
        near[:-k] |= close
    return np.sort(order[~near]).tolist()


def _nearest_km(lat1, lon1, lat2, lon2, exclude=None, skip: int = -1):
    """Great-circle km from each point 1 to its nearest point 2 (and its index), in blocks;
    ``exclude[i]`` (if given) is the index of a point 2 not counted for point 1 ``i`` (itself),
    ``skip`` one not counted for any."""
    import numpy as np

    p1, l1 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lon1, float))
    p2, l2 = np.radians(np.asarray(lat2, float)), np.radians(np.asarray(lon2, float))
    best = np.full(len(p1), np.inf)
    which = np.zeros(len(p1), dtype=np.int64)
    block = 512
    for start in range(0, len(p1), block):
        a, b = p1[start:start + block, None], l1[start:start + block, None]
        h = np.sin((p2 - a) / 2) ** 2 + np.cos(a) * np.cos(p2) * np.sin((l2 - b) / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        rows = np.arange(km.shape[0])
        if exclude is not None:
            km[rows, np.asarray(exclude[start:start + block], dtype=np.int64)] = np.inf
        if skip >= 0:
            km[:, skip] = np.inf
        which[start:start + block] = km.argmin(axis=1)
        best[start:start + block] = km[rows, which[start:start + block]]
    return best, which


def _annual_t(site, supply) -> float:
    """t/year a supply entry states (the potential, before capture)."""
    if supply.t_per_day is not None:
        return supply.t_per_day * 365.0
    if supply.t_per_year is not None:
        return supply.t_per_year
    return supply.kg_per_capita_year * (site.population or 0) / 1000.0


def _only_to(spec: ScenarioSpec, targets: list[str] | None) -> bool:
    """A source's ``deliver_to`` limits where its waste is treated only when it lists treatment
    sites alone (a site of another kind, such as a transfer station, forwards it on)."""
    return bool(targets) and all(getattr(spec.sites.get(t), "kind", None) == "treatment" for t in targets)


def _t(tonnes: float) -> str:
    """Tonnes for a message: whole above 100, three significant digits below."""
    return f"{tonnes:,.0f}" if tonnes >= 100 else f"{tonnes:.3g}"


def _sources(spec: ScenarioSpec, at: Locate) -> list[Problem]:
    out = []
    for sid, site in spec.sites_of("source").items():
        for m, supply in site.supply.items():
            per_day = _annual_t(site, supply) / 365.0
            if per_day > MAX_SOURCE_T_PER_DAY:
                key = next(k for k in ("t_per_day", "t_per_year", "kg_per_capita_year") if getattr(supply, k) is not None)
                out.append(at(("sites", sid, "supply", m, key),
                              f"{per_day:,.0f} t/day of '{m}' from one source: more than "
                              f"{MAX_SOURCE_T_PER_DAY:,.0f} t/day (3.65 Mt/year, a tenth of all French household "
                              "and similar waste, 38.9 Mt in 2019, ADEME)",
                              "check the unit (t_per_day, t_per_year, kg_per_capita_year) and the population"))
    return out


def _capacities(spec: ScenarioSpec, at: Locate) -> list[Problem]:
    """Treatment capacity against the supply that can reach the site: the captured supply of
    every source of its inputs (only the sites a source's ``deliver_to`` names, if it names
    treatment sites only).
    Inputs that processes make (chains) are not counted: with such an input and no source
    supply, no bound is checked."""
    topo = topology(spec)
    low, high = CAPACITY_RATIO
    out = []
    # each source once: the treatment sites it is limited to (None: any), its captured t/day
    # of each material (summed below in the same order, so to the same float, for every site)
    sources = [(source.deliver_to if _only_to(spec, source.deliver_to) else None,
                {m: _annual_t(source, supply) * supply.capture_rate / 365.0
                 for m, supply in source.supply.items()})
               for source in spec.sites_of("source").values()]
    for sid, site in spec.sites_of("treatment").items():
        process = spec.processes.get(site.process)
        if process is None:
            continue
        reach = 0.0
        for only, captured in sources:
            if only is not None and sid not in only:
                continue
            for m in process.inputs:
                if m in captured:
                    reach += captured[m]
        chained = any(topo.makes.get(m) for m in process.inputs)
        capacity = site.capacity_per_day
        key = "capacity_t_per_day" if site.capacity_t_per_day is not None else "capacity_t_per_year"
        shown = (f"{_t(capacity)} t/day" if key.endswith("day") else
                 f"{_t(site.capacity_t_per_year)} t/year ({_t(capacity)} t/day)")
        if reach <= 0.0:
            if not chained:
                out.append(at(("sites", sid, key), f"capacity {shown}, but no source supplies "
                              f"{', '.join(process.inputs)}: the site receives nothing",
                              "add a source of its inputs, or remove the site"))
            continue
        ratio = capacity / reach
        if ratio < low or (ratio > high and not chained):
            what = ("under 10 %: most of it cannot be treated here" if ratio < low else
                    "more than 10 times: the site would idle 9 days in 10 (a t/year typed as t/day?)")
            times = f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.2f}"
            out.append(at(("sites", sid, key),
                          f"capacity {shown} is {times} x the {_t(reach)} t/day of "
                          f"{', '.join(process.inputs)} that sources can send it, {what}",
                          f"a capacity between {low:g} and {high:g} times the supply that can reach it"))
    return out
