"""Test helpers for the site search: OR-Library p-median instances written as scenarios."""

from __future__ import annotations

from pathlib import Path

ORLIB = Path(__file__).parent / "data" / "orlib"


def pmed_edges(path: Path) -> tuple[int, int, dict[tuple[int, int], int]]:
    """Nodes, p and the undirected edges of an OR-Library file (the last cost listed counts)."""
    lines = path.read_text().split("\n")
    n, m, p = map(int, lines[0].split())
    cost: dict[tuple[int, int], int] = {}
    for line in lines[1:1 + m]:
        i, j, c = map(int, line.split())
        cost[(min(i, j), max(i, j))] = c
    return n, p, cost


def pmed_scenario(path: Path) -> dict:
    """The instance as a scenario: node i is a source ``s<i>`` of 1 t/year and a candidate
    treatment site ``t<i>`` on the same plot (a 0 km road), the edges are roads between the
    sources; the sites are never full and the process makes nothing to carry on, so the
    tonne-km of a layout are the p-median cost of its sites."""
    n, _, cost = pmed_edges(path)
    sites: dict = {}
    for i in range(1, n + 1):
        loc = [45.0 + (i // 10) * 0.01, 2.0 + (i % 10) * 0.01]   # roads give every distance
        sites[f"s{i}"] = {"kind": "source", "location": loc, "supply": {"waste": {"t_per_year": 1}},
                          "collection": {"every_days": 365}}
        sites[f"t{i}"] = {"kind": "treatment", "candidate": True, "location": loc, "process": "drop",
                          "capacity_t_per_day": 1, "storage_t": 10}
    roads = [[f"s{i}", f"t{i}", 0] for i in range(1, n + 1)]
    roads += [[f"s{i}", f"s{j}", c] for (i, j), c in cost.items()]
    return {
        "name": f"or-library {path.stem}",
        "horizon_days": 365,
        "materials": {"waste": {}},
        "processes": {"drop": {"inputs": ["waste"], "residence_days": 0}},
        "sites": sites,
        "roads": roads,
        "network": {"fallback": "none"},
        "fleets": {"trucks": {"carries": ["waste"], "vehicles": 5, "payload_t": 10, "speed_kmh": 50,
                              "co2_kg_per_km": 1.0}},
    }
