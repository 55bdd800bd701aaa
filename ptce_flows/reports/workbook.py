"""The sheets of a run's ``results.xlsx``: key figures, flows, jobs, fleets, daily series by
site, assumptions with their sources (and the climate and cost factors when the run has them).

Labels, not ids (sites, materials, fleets as the scenario names them, in the language asked),
units in the headers, numbers as numeric cells. The same figures as summary.json, flows.csv
and timeseries.csv: the daily sheet has one row per day and one column per series of every
site that is not a source (intake, processing, stocks, deliveries, disposal) plus the sum over
all sources of what waits there, so that a territory of a thousand communes still fits a sheet.
"""

from __future__ import annotations

import numpy as np

from ptce_flows.i18n import activity_label, colon, has_label, tr, unit_label
from ptce_flows.reports.assumptions import assumptions_of, localized_comment, localized_reference, references
from ptce_flows.reports.xlsx import Column, Sheet, write_workbook
from ptce_flows.results.resultset import ResultSet
from ptce_flows.units import day_of_year

#: decimals of a unit in the workbook
_UNIT_FORMAT = {"t": "0.0", "km": "0", "t.km": "0", "t CO2e": "0.0", "FTE": "0.00", "h": "0", "EUR": "0",
                "EUR/t": "0.00", "EUR/inhabitant/year": "0.00", "-": "int"}


#: farm and outlet series shown one by one up to this many; beyond, summed per material
MAX_SITE_COLUMNS = 60


def _with_unit(text: str, unit: str, lang: str) -> str:
    shown = unit_label(unit, lang)
    return f"{text} ({shown})" if shown else text


def kpi_sheet(results: ResultSet, lang: str) -> Sheet:
    summary = results.summary
    unc = summary.get("uncertainty", {})
    rows = []
    for key, mean in summary.get("kpis", {}).items():
        unit = summary.get("units", {}).get(key, "")
        low, high = unc[key]["ci95"] if key in unc else (None, None)
        if key == "diversion_rate":
            rows.append([tr(f"kpi.{key}", lang), "%", mean, low, high])
            continue
        shown = unit_label(unit, lang) if unit != "-" else ""
        rows.append([tr(f"kpi.{key}", lang), shown, mean, low, high])
    for material, mass in summary.get("products_t", {}).items():
        rows.append([f"{tr('products', lang)}{colon(lang)}{results.material_label(material)}", "t", mass, None, None])
    cols = [Column(tr("col.indicator", lang), width=44), Column(tr("col.unit", lang), width=12),
            Column(tr("col.mean", lang), "0.00", 16), Column(tr("col.low", lang), "0.00", 16),
            Column(tr("col.high", lang), "0.00", 16)]
    sheet = Sheet(tr("xlsx.kpis", lang), cols, rows, notes=[_title(results, lang)])
    # the rate is a fraction: shown as a percentage
    sheet.rows = [[r[0], r[1], *(_pct(v) if r[1] == "%" else v for v in r[2:])] for r in rows]
    return sheet


def _pct(value):
    return None if value is None else 100.0 * value


def _title(results: ResultSet, lang: str) -> str:
    days = tr("report.days", lang, n=results.horizon_days)
    return f"{results.title} — {tr('report.horizon', lang)}{colon(lang)}{days}"


def flow_sheet(results: ResultSet, lang: str) -> Sheet:
    cols = [Column(tr("col.origin", lang), width=28), Column(tr("col.origin_kind", lang), width=18),
            Column(tr("col.destination", lang), width=28), Column(tr("col.destination_kind", lang), width=18),
            Column(tr("col.material", lang), width=18), Column(tr("col.fleet", lang), width=22),
            Column(tr("col.mass_t", lang), "0.000"), Column(tr("col.trips", lang), "int"),
            Column(tr("col.vehicle_km", lang), "0.0"), Column(tr("col.tonne_km", lang), "0.0"),
            Column(tr("col.co2_kg", lang), "0.0")]

    def kind(site: str) -> str:
        k = results.kind(site)
        return tr(f"kind.{k}", lang) if k else ""

    rows = [[results.site_label(r["origin"]), kind(r["origin"]), results.site_label(r["destination"]),
             kind(r["destination"]), results.material_label(r["material"]), results.fleet_label(r["fleet"]),
             r["mass_t"], r["trips"], r["vehicle_km"], r["tonne_km"], r["co2_kg"]] for r in results.flows]
    return Sheet(tr("xlsx.flows", lang), cols, rows)


def jobs_sheet(results: ResultSet, lang: str) -> Sheet:
    jobs = results.summary.get("jobs", {})
    names = {"by_site": results.site_label, "by_fleet": results.fleet_label,
             "by_activity": lambda a: activity_label(a, lang)}
    rows = []
    for part, label in names.items():
        for key, value in (jobs.get(part) or {}).items():
            rows.append([tr(f"by.{part[3:]}", lang), label(key), value.get("fte"), value.get("insertion_fte")])
    cols = [Column(tr("col.breakdown", lang), width=16), Column(tr("col.where", lang), width=32),
            Column(tr("col.jobs_fte", lang), "0.00", 14), Column(tr("col.insertion_fte", lang), "0.00", 22)]
    return Sheet(tr("xlsx.jobs", lang), cols, rows)


def fleet_sheet(results: ResultSet, lang: str) -> Sheet:
    fleets = results.scenario.get("fleets") or {}
    rows = []
    for fid, stats in results.summary.get("by_fleet", {}).items():
        spec = fleets.get(fid) or {}
        rows.append([results.fleet_label(fid), spec.get("vehicles"), spec.get("payload_t"), stats.get("trips"),
                     stats.get("vehicle_km"), stats.get("tonne_km"), stats.get("co2_t"),
                     stats.get("driver_hours"), stats.get("jobs_fte")])
    cols = [Column(tr("col.fleet", lang), width=28), Column(tr("col.vehicles", lang), "int"),
            Column(tr("col.payload_t", lang), "0.0"), Column(tr("col.trips", lang), "int"),
            Column(tr("col.vehicle_km", lang), "0.0"), Column(tr("col.tonne_km", lang), "0.0"),
            Column(tr("col.co2_t", lang), "0.000"), Column(tr("col.driver_hours", lang), "0.0"),
            Column(tr("col.jobs_fte", lang), "0.00")]
    return Sheet(tr("xlsx.fleets", lang), cols, rows)


def daily_sheet(results: ResultSet, world, runs, lang: str) -> Sheet:
    """One row per day; one column per series of a site that is not a source, and per
    material the sum over every source of what waits there (means over replications). With
    more than :data:`MAX_SITE_COLUMNS` farm and outlet series, deliveries are summed too."""
    meta = runs[0].series
    mean = np.mean(np.stack([run.levels for run in runs]), axis=0) if len(runs) > 1 else runs[0].levels
    site_idx = np.asarray(meta.site)
    kinds = np.array(world.site_kind)[site_idx] if len(site_idx) else np.array([], dtype=str)
    columns: list[tuple[str, str, np.ndarray]] = []   # (label, unit, values)
    order = sorted(range(len(site_idx)), key=lambda j: (world.sites[site_idx[j]], meta.material[j], meta.quantity[j]))
    # farms and outlets one by one while they are few; beyond, summed like the sources
    grouped = {"source"} | ({"farm", "outlet"} if np.isin(kinds, ["farm", "outlet"]).sum() > MAX_SITE_COLUMNS
                            else set())
    for j in order:
        if kinds[j] in grouped:
            continue
        site = world.sites[site_idx[j]]
        label = f"{results.site_label(site)}{colon(lang)}{tr('qty.' + meta.quantity[j], lang)}"
        if meta.material[j] >= 0:
            label += f", {results.material_label(world.materials[meta.material[j]]).lower()}"
        columns.append((label, "t/day" if meta.flow[j] else "t", mean[:, j]))
    for kind, quantity, unit in (("source", "source_stock", "t"), ("farm", "delivered", "t/day"),
                                 ("outlet", "delivered", "t/day")):
        if kind not in grouped:
            continue
        for m, material in enumerate(world.materials):
            chosen = [j for j in range(len(site_idx)) if kinds[j] == kind and meta.material[j] == m
                      and meta.quantity[j] == quantity]
            if chosen:
                label = (f"{tr('kinds.' + kind, lang)}{colon(lang)}{tr('qty.' + quantity, lang)}, "
                         f"{results.material_label(material).lower()}")
                columns.append((label, unit, mean[:, chosen].sum(axis=1)))
    days = mean.shape[0]
    doys = np.asarray(day_of_year(np.arange(days), results.start_day_of_year)).tolist()
    cols = [Column(tr("col.day", lang), "int", 12), Column(tr("col.day_of_year", lang), "int", 10)]
    cols += [Column(_with_unit(label, unit, lang), "0.000", 18) for label, unit, _v in columns]
    values = np.column_stack([v for _l, _u, v in columns]).round(6).tolist() if columns else [[]] * days
    rows = [[d, doys[d], *values[d]] for d in range(days)]  # a list: the workbook is built in memory
    return Sheet(tr("xlsx.daily", lang), cols, rows)


def assumption_rows(scenario: dict, source_text: str | None, source_lines: dict | None, lang: str) -> list[list]:
    """The rows of the assumptions sheet: every parameter with its value and its source, then
    the references. They depend on the scenario only (``reports.run_output`` computes them
    while the simulation runs)."""
    _from_comments, _notes, items = assumptions_of(source_text, scenario, source_lines)
    refs = references(scenario)
    by_id = {ref.id: ref for ref in refs}
    rows = [[a.path, a.value, localized_comment(a, lang, by_id)] for a in items]
    for ref in (localized_reference(r, lang) for r in refs):
        text = ". ".join(p for p in (ref.publisher, ref.title, str(ref.year or ""), ref.url, ref.note) if p)
        rows.append([f"{tr('references', lang)}{colon(lang)}{ref.id}", "", text])
    return rows


def assumption_sheets(results: ResultSet, lang: str, rows: list[list] | None = None) -> list[Sheet]:
    """The assumptions sheet (``rows``: from :func:`assumption_rows`, computed if None) and the
    sheet of climate and cost factors if the run has them."""
    if rows is None:
        rows = assumption_rows(results.scenario, results.source_text, results.source_lines, lang)
    cols = [Column(tr("col.parameter", lang), width=48), Column(tr("col.value", lang), width=24),
            Column(tr("col.source", lang), width=100)]
    sheets = [Sheet(tr("xlsx.assumptions", lang), cols, rows)]
    factors = results.summary.get("balance_factors")
    if factors:
        cols = [Column(tr("col.term", lang), width=18), Column(tr("col.item", lang), width=24),
                Column(tr("col.quantity", lang), width=28), Column(tr("col.value", lang), "general"),
                Column(tr("col.unit", lang), width=18), Column(tr("col.source", lang), width=80)]
        rows = [[_term(f["term"], lang), _item(results, f["item"], lang), _quantity(f["quantity"], lang), f["value"],
                 unit_label(f["unit"], lang), _origin(f["origin"], lang)] for f in factors]
        sheets.append(Sheet(tr("xlsx.factors", lang), cols, rows))
    return sheets


#: how a factor's origin starts (``metrics.climate.pick``), in French; the cited source follows as written
_ORIGINS_FR = (("default (sourced): ", "par défaut (sourcé) : "), ("default (derived): ", "par défaut (dérivé) : "),
               ("default (estimate): ", "par défaut (estimation) : "),
               ("default: included in EUR/t", "par défaut : compris dans les EUR/t"),
               ("no default for this type: give it in the scenario",
                "pas de valeur par défaut pour ce type : à donner dans le scénario"),
               ("none for this type", "aucune pour ce type"), ("estimate (ptce_flows)", "estimation (ptce_flows)"))


def _origin(origin: str, lang: str) -> str:
    """Where a factor comes from, its wording in ``lang`` (the cited publication as written)."""
    if lang != "fr":
        return origin
    if origin == "scenario":
        return "scénario"
    for en, fr in _ORIGINS_FR:
        origin = origin.replace(en, fr)
    return origin


def _quantity(key: str, lang: str) -> str:
    """A factor's quantity: its label and its key in the scenario (``capex_eur``)."""
    return f"{tr('factor.' + key, lang)} ({key})" if has_label(f"factor.{key}") else key


def _term(term: str, lang: str) -> str:
    return tr(f"term.{term}", lang) if has_label(f"term.{term}") else term


def _item(results: ResultSet, item: str, lang: str) -> str:
    """A factor's item (a site, a material, a fleet or ``all``) by its label."""
    if item in results.sites:
        return results.site_label(item)
    if item in results.fleets:
        return results.fleet_label(item)
    if item in results.materials:
        return results.material_label(item)
    return tr("term.all", lang) if item == "all" else item


def run_sheets(results: ResultSet, world, runs, lang: str = "en", assumptions: list[list] | None = None
               ) -> list[Sheet]:
    """Every sheet of a run's workbook (``runs``: the replications, for the daily series;
    ``assumptions``: the rows of :func:`assumption_rows` if already computed)."""
    return [kpi_sheet(results, lang), flow_sheet(results, lang), jobs_sheet(results, lang),
            fleet_sheet(results, lang), daily_sheet(results, world, runs, lang),
            *assumption_sheets(results, lang, assumptions)]


def write_run_workbook(path, results: ResultSet, world, runs, lang: str = "en",
                       assumptions: list[list] | None = None):
    """Write the run's workbook into ``path`` (or a binary file object: see ``xlsx.write_workbook``)."""
    return write_workbook(path, run_sheets(results, world, runs, lang, assumptions))
