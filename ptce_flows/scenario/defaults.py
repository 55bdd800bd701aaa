"""Every default of the scenario format, in one place, with its unit and its basis.

A scenario that leaves a key out gets the value below. Values marked ``estimate`` are
assumptions (stated with their reasoning); replace them with local data when you have it.
``docs/scenario-format.md`` lists the same table for users; ``tests/test_docs.py`` checks
that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Default:
    value: object
    unit: str
    basis: str


DEFAULTS: dict[str, Default] = {
    "horizon_days": Default(365, "day", "one calendar year"),
    "warmup_days": Default(
        0, "day", "no warm-up: the run starts empty (stocks, batches and storage at zero)"
    ),
    "seed": Default(0, "-", "any fixed seed; change it or use --seed"),
    "start_day_of_year": Default(1, "day of year", "runs start on 1 January"),
    "network.circuity": Default(
        1.3,
        "road km per great-circle km",
        "1.3 on motorway networks (Wang, Bette, Schreckenberg, Guhr, 2024, arXiv:2406.06490); "
        "1.343 for radial routes in 300 European cities (Environment and Planning B, 2023, "
        "doi:10.1177/23998083231168870); 1.20 Toulouse-Villefranche-de-Lauragais "
        "(38 km road / 31.7 km straight, derived)",
    ),
    "network.fallback": Default(
        "great_circle", "-", "pairs with no road path use great-circle x circuity"
    ),
    "fleets.*.loading_h": Default(
        0.25, "h per trip",
        "estimate: 15 min to load a container or a bulk truck with a loader; a collection round "
        "is better modelled by raising it",
    ),
    "fleets.*.unloading_h": Default(
        0.25, "h per trip", "estimate: 15 min to weigh in and tip at a platform"
    ),
    "fleets.*.shift_h": Default(
        8.0, "h per vehicle per day",
        "estimate: one shift; 7 h daily work (35 h/week, Code du travail L3121-27) plus margin",
    ),
    "fleets.*.crew": Default(1, "persons per vehicle", "a driver alone; collection trucks "
                             "with loaders (ripeurs) use 2 or 3"),
    "fleets.*.insertion_share": Default(0.0, "fraction of crew FTE", "no insertion posts unless stated"),
    "fleets.*.co2_kg_per_km_empty": Default(
        None, "kg CO2e per vehicle-km", "same as co2_kg_per_km when not given"
    ),
    "sites.*.reception_days": Default(
        1, "day",
        "estimate: a load may wait one day on the reception pad before processing starts; "
        "0 means it must start on its arrival day",
    ),
    "sites.*.collection.every_days": Default(1, "day", "daily collection"),
    "sites.*.collection.full_loads_only": Default(False, "-", "a round clears the stock"),
    "sites.*.supply.*.capture_rate": Default(
        1.0, "fraction",
        "the whole potential is collected separately; below 1 the rest (the residual) goes to "
        "residual_to, by default the nearest disposal site accepting the material"),
    "sites.*.collection.round_km": Default(
        None, "km per load",
        "no round (the load is picked up at the source's point); with stops and area_km2, the "
        "Beardwood-Halton-Hammersley estimate 0.7124 x sqrt(stops x area_km2) x network.circuity "
        "per pass (Beardwood, Halton, Hammersley 1959, doi:10.1017/S0305004100034095; constant "
        "0.7124, Percus and Martin 1996, doi:10.1103/PhysRevLett.76.1188, give 0.7120)"),
    "sites.*.collection.round_h": Default(
        None, "h per load", "the fleet's loading_h (no round)"),
    "sites.*.max_wait_days": Default(
        3, "day",
        "estimate: a transfer station forwards a partial load when its oldest tonne has waited "
        "3 days (biowaste starts to ferment and smell within a few days; a weekly round "
        "would otherwise wait for its bulk load)"),
    "sites.*.supply.*.variability.distribution": Default(
        "gamma", "-", "gamma keeps daily amounts positive with mean 1"
    ),
    "processes.*.jobs.fixed_fte": Default(0.0, "FTE", "no fixed staff unless stated"),
    "processes.*.jobs.fte_per_kt": Default(0.0, "FTE per kt/year of intake", "none unless stated"),
    "processes.*.jobs.insertion_share": Default(0.0, "fraction of FTE", "none unless stated"),
    "sites.*.demand.*.every_years": Default(
        1.0, "year", "a dose given by area applies every year unless stated"
    ),
}


def default(key: str) -> object:
    """The default value for ``key`` (a dotted path with ``*`` for ids)."""
    return DEFAULTS[key].value
