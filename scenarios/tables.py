"""The results tables of scenarios/README.md, printed as Markdown from the golden summaries.

    .venv/bin/python scenarios/tables.py                   # organic_vallee and cluster_jura
    .venv/bin/python scenarios/tables.py cluster_jura      # only these stems

Reads ``tests/golden/<stem>.json`` (one seeded replication per layout, written by
``tests/golden/regenerate.py``) and prints, per scenario file, the tables of the README: the
results table, the climate and cost terms table and the central row of the sensitivity table.
Nothing is simulated here: after a change of figures, run ``tests/golden/regenerate.py`` and
then this script, and paste its output into the README (``tests/test_scenario_tables.py`` fails
until the README's rows equal this output). Columns (the README's "How the figures below are read"):

- generated t, diverted t, residual t: ``kpis.generated_t``, ``kpis.diverted_t``,
  ``kpis.residual_t``; diversion: ``kpis.diversion_rate`` (diverted / (generated + waste waiting
  when the period opened), docs/outputs.md).
- collection vkm/t: vehicle-km of the fleets that carry waste (``by_fleet``), per tonne collected
  (``kpis.collected_t``); all vkm/t: every fleet (``kpis.vehicle_km``) per tonne collected. The
  golden summary does not say what a fleet carries: a fleet is a *product delivery* fleet, left
  out of the collection figure, when every material it carries (``fleets.ID.carries`` in the
  scenario file, with the layout's variant applied) is an output of a process; any other fleet
  (rounds, hauls, transfer, bulk trailers, skips that also take sorting rejects) carries waste.
- jobs FTE: ``kpis.jobs_fte``; per 10 kt: jobs per 10,000 t collected; insertion:
  ``kpis.insertion_fte``.
- transport CO2 t: ``kpis.co2_t``; net GHG: ``ghg_t_co2e.net``; kg CO2e/t: net GHG per tonne
  generated; net cost: ``costs_eur.net`` in k EUR; EUR/t: ``kpis.cost_eur_per_t``.
- terms table: ``ghg_t_co2e`` (t CO2e) and ``costs_eur`` (k EUR) term by term, and
  ``kpis.cost_eur_per_inhabitant_year``.
- the ``central`` row of the sensitivity table (the base layout's KPIs, one decimal); its low and
  high rows come from ``ptce-flows sensitivity`` and are not recomputed here.

Layouts come in the golden file's order, except those of ``OMITTED`` (see there).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
COMMAND = ".venv/bin/python scenarios/tables.py"
#: the scenario files whose tables the README shows
STEMS = ("organic_vallee", "cluster_jura")
#: layouts left out of the tables: ``site_search`` only adds closed candidate sites for
#: ``ptce-flows optimise``; ``run`` leaves candidates closed, so its figures are the base layout's
#: (tests/test_scenario_tables.py checks that they are)
OMITTED = ("site_search",)

RESULTS_HEADER = ("layout", "generated t", "diverted t", "diversion", "residual t", "collection vkm/t",
                  "all vkm/t", "jobs FTE", "per 10 kt", "insertion", "transport CO2 t",
                  "net GHG t CO2e", "kg CO2e/t", "net cost k EUR", "EUR/t")
TERMS_HEADER = ("layout", "transport", "process", "disposal", "avoided", "**net** t CO2e", "transport",
                "capital", "operating", "disposal", "taxes", "revenue", "**net** k EUR", "EUR/inh/yr")
#: the KPIs of the sensitivity tables' central row (the seeded base layout, one replication)
SENSITIVITY_KPIS = ("diverted_t", "delivered_t", "unmet_demand_t", "co2_t", "ghg_net_t_co2e", "cost_eur_per_t",
                    "jobs_fte")
GHG_TERMS = ("transport", "process", "disposal", "avoided")
COST_TERMS = ("transport", "capital", "operating", "disposal", "taxes", "revenue")

if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))


def load_golden(stem: str) -> dict:
    return json.loads((GOLDEN / f"{stem}.json").read_text())


def delivery_fleets(stem: str) -> dict[str, set[str]]:
    """Per layout name, the fleets that carry only process outputs (product deliveries)."""
    from ptce_flows.scenario import load_with_variants

    out = {}
    for loaded in load_with_variants(ROOT / "scenarios" / f"{stem}.yaml"):
        spec = loaded.spec
        products = {m for process in spec.processes.values() for m in process.outputs}
        out[loaded.variant or "base"] = {fid for fid, fleet in spec.fleets.items() if set(fleet.carries) <= products}
    return out


def _int(x: float) -> str:
    return f"{x:,.0f}"


def _one(x: float) -> str:
    return f"{x:,.1f}"


def _per(num: float, den: float, scale: float = 1.0, fmt=_one) -> str:
    return fmt(num / den * scale) if den > 0 else "-"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    align = "|---|" + "---:|" * (len(header) - 1)
    return [_row(list(header)), align] + [_row(r) for r in rows]


def results_row(name: str, layout: dict, deliveries: set[str]) -> list[str]:
    k = layout["kpis"]
    collected = k["collected_t"]
    collection_km = sum(f["vehicle_km"] for fid, f in layout["by_fleet"].items() if fid not in deliveries)
    return [name, _int(k["generated_t"]), _int(k["diverted_t"]), f"{100 * k['diversion_rate']:.1f} %",
            _int(k["residual_t"]), _per(collection_km, collected), _per(k["vehicle_km"], collected),
            _one(k["jobs_fte"]), _per(k["jobs_fte"], collected, 10_000), _one(k["insertion_fte"]),
            _int(k["co2_t"]), _int(layout["ghg_t_co2e"]["net"]),
            _per(layout["ghg_t_co2e"]["net"], k["generated_t"], 1000, _int),
            _int(layout["costs_eur"]["net"] / 1000), _int(k["cost_eur_per_t"])]


def terms_row(name: str, layout: dict) -> list[str]:
    ghg, cost = layout["ghg_t_co2e"], layout["costs_eur"]
    return ([name] + [_int(ghg[t]) for t in GHG_TERMS] + [f"**{_int(ghg['net'])}**"]
            + [_int(cost[t] / 1000) for t in COST_TERMS] + [f"**{_int(cost['net'] / 1000)}**"]
            + [_one(layout["kpis"]["cost_eur_per_inhabitant_year"])])


def sensitivity_central(stem: str) -> str:
    """The ``central`` row of the README's sensitivity table: the base layout's golden KPIs.
    (The low and high rows are differences from ``ptce-flows sensitivity`` runs, not printed here.)"""
    k = load_golden(stem)["layouts"]["base"]["kpis"]
    return _row(["central", "-"] + [_one(k[name]) for name in SENSITIVITY_KPIS])


def layouts(stem: str) -> dict[str, dict]:
    """The golden layouts the README shows, in file order."""
    return {n: lay for n, lay in load_golden(stem)["layouts"].items() if n not in OMITTED}


def tables(stem: str) -> tuple[list[str], list[str]]:
    """The results table and the terms table of one scenario file, as Markdown lines."""
    shown = layouts(stem)
    deliveries = delivery_fleets(stem)
    results = _table(RESULTS_HEADER, [results_row(n, lay, deliveries[n]) for n, lay in shown.items()])
    terms = _table(TERMS_HEADER, [terms_row(n, lay) for n, lay in shown.items()])
    return results, terms


def render(stem: str) -> str:
    results, terms = tables(stem)
    seed = load_golden(stem)["layouts"]["base"]["seed"]
    return "\n".join([f"#### scenarios/{stem}.yaml: results (seed {seed})", "", *results, "",
                      f"#### scenarios/{stem}.yaml: climate (t CO2e) and cost (k EUR) terms", "", *terms, "",
                      f"#### scenarios/{stem}.yaml: central row of the sensitivity table", "",
                      sensitivity_central(stem), ""])


def main(argv: list[str]) -> int:
    unknown = sorted(set(argv) - set(STEMS))
    if unknown:
        print(f"no README tables for {', '.join(unknown)}: choose among {', '.join(STEMS)}", file=sys.stderr)
        return 2
    print("\n".join(render(stem) for stem in (argv or STEMS)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
