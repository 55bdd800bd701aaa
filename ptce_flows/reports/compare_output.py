"""The files of a comparison or a sweep, written together into one results folder (atomically).

| file | content |
|---|---|
| ``comparison.csv`` | one row per layout and KPI: mean, 95 % interval, paired difference to the baseline with its interval (net GHG, net cost and EUR/t included; the abatement cost with its Fieller interval and no difference of its own) |
| ``benefits.csv`` | one row per layout and benefit (avoided disposal, tonne-km, transport CO2, GHG of the whole balance, cost saving, net jobs): paired, positive is better |
| ``abatement.csv`` | one row per layout: mean extra cost, mean avoided GHG, abatement cost (EUR per t CO2e avoided) with Fieller's 95 % interval and its status |
| ``ranking.csv`` | layouts from best to worst on the ``--rank-by`` KPI, with the paired difference to the best |
| ``replications.csv`` | every KPI of every replication of every layout (the raw material of the above) |
| ``comparison.json`` | all of the above in one document, with the layouts' descriptions and any failed run |
| ``manifest.json`` | version, command line, files and their sha256, seeds, backend, runs computed and reused |
| ``figures/`` | ``comparison``, ``benefits`` (compare) or ``sweep`` figures, PNG and SVG |
"""

from __future__ import annotations

import datetime as _dt
import math
import platform
import sys
from pathlib import Path

from ptce_flows import __version__
from ptce_flows.experiment.plans import Comparison, format_value
from ptce_flows.metrics.abatement import ABATEMENT, METHOD
from ptce_flows.metrics.differences import BENEFITS, BETTER, COMPARE_KPIS, RANK_KPIS
from ptce_flows.reports.compare_workbook import layout_labels, write_comparison_workbook
from ptce_flows.reports.files import atomic_dir, write_csv, write_json

BETTER_TEXT = {1: "higher", -1: "lower", 0: ""}
_NO_DIFF = {"mean": None, "low": None, "high": None}


def _params(comp: Comparison, name: str) -> dict:
    layout = comp.plan.layout(name)
    return {path: format_value(value) for path, value in layout.params}


def comparison_rows(comp: Comparison) -> list[dict]:
    """comparison.csv: one row per layout and KPI."""
    rows = []
    for name, table in comp.table["layouts"].items():
        for kpi, stat in table.items():
            diff = stat["diff"]
            rows.append({
                **_params(comp, name),
                "layout": name, "kpi": kpi, "unit": RANK_KPIS[kpi], "better": BETTER_TEXT[BETTER.get(kpi, 0)],
                "n": stat["n"], "mean": stat["mean"], "std": stat["std"],
                "ci95_low": stat["low"], "ci95_high": stat["high"], "baseline": comp.plan.baseline,
                "diff_mean": diff["mean"], "diff_ci95_low": diff["low"], "diff_ci95_high": diff["high"],
                "diff_significant": diff["significant"],
            })
        stat = comp.table["abatement"].get(name)
        if stat is not None:   # already against the baseline: no difference of its own
            rows.append({**_params(comp, name), "layout": name, "kpi": ABATEMENT, "unit": RANK_KPIS[ABATEMENT],
                         "better": BETTER_TEXT[-1], "n": stat["n"], "mean": stat["mean"], "std": None,
                         "ci95_low": stat["low"], "ci95_high": stat["high"], "baseline": comp.plan.baseline,
                         "diff_mean": None, "diff_ci95_low": None, "diff_ci95_high": None,
                         "diff_significant": None})
    return rows


def benefit_rows(comp: Comparison) -> list[dict]:
    """benefits.csv: one row per layout and benefit, positive is better."""
    rows = []
    for name, gains in comp.table["benefits"].items():
        for benefit, stat in gains.items():
            kpi, _sign, unit = BENEFITS[benefit]
            rows.append({**_params(comp, name), "layout": name, "benefit": benefit, "unit": unit,
                         "from_kpi": kpi, "baseline": comp.plan.baseline, "n": stat["n"],
                         "mean": stat["mean"], "ci95_low": stat["low"], "ci95_high": stat["high"],
                         "significant": stat["significant"]})
    return rows


def ranking_rows(comp: Comparison) -> list[dict]:
    """ranking.csv: best first on the ranking KPI."""
    kpi = comp.plan.rank_by
    rows = []
    for row in comp.ranking:
        name = row["layout"]
        diff = comp.table["layouts"][name].get(kpi, {}).get("diff", _NO_DIFF)
        rows.append({
            "rank": row["rank"], **_params(comp, name), "layout": name, "kpi": kpi,
            "unit": RANK_KPIS[kpi], "better": BETTER_TEXT[BETTER.get(kpi, 0)], "n": row["n"],
            "mean": row["mean"], "ci95_low": row["low"], "ci95_high": row["high"],
            "vs_best_mean": row["vs_best"]["mean"], "vs_best_ci95_low": row["vs_best"]["low"],
            "vs_best_ci95_high": row["vs_best"]["high"], "tied_with_best": row["tied_with_best"],
            "vs_baseline_mean": diff["mean"], "vs_baseline_ci95_low": diff["low"],
            "vs_baseline_ci95_high": diff["high"],
        })
    return rows


def replication_rows(comp: Comparison) -> list[dict]:
    """replications.csv: the KPIs of every replication (seed = SeedSequence(seed).spawn(n)[replication])."""
    rows = []
    for name, reps in comp.runs.items():
        for i in sorted(reps):
            rows.append({**_params(comp, name), "layout": name, "seed": comp.plan.seed, "replication": i,
                         **{k: reps[i].get(k) for k in COMPARE_KPIS}})
    return rows


def abatement_rows(comp: Comparison) -> list[dict]:
    """abatement.csv: extra cost, avoided GHG and abatement cost of each layout."""
    rows = []
    for name, stat in comp.table["abatement"].items():
        rows.append({**_params(comp, name), "layout": name, "baseline": comp.plan.baseline, "n": stat["n"],
                     "extra_cost_eur": stat["extra_cost_eur"], "avoided_t_co2e": stat["avoided_t_co2e"],
                     "abatement_cost_eur_per_t_co2e": stat["mean"], "ci95_low": stat["low"],
                     "ci95_high": stat["high"], "status": stat["status"], "interval": METHOD})
    return rows


def comparison_doc(comp: Comparison) -> dict:
    """comparison.json."""
    plan = comp.plan
    layouts = []
    for layout in plan.layouts:
        loaded = layout.loaded
        layouts.append({
            "name": layout.name,
            "label": layout.label,
            "description": layout.description,
            "scenario": loaded.spec.name,
            "file": loaded.file,
            "variant": loaded.variant,
            "params": {path: value for path, value in layout.params},
            "replications": len(comp.runs[layout.name]),
            "kpis": comp.table["layouts"][layout.name],
            "abatement": comp.table["abatement"].get(layout.name),
            "benefits": comp.table["benefits"][layout.name],
            "map": map_data(loaded.spec) if plan.kind == "compare" else None,
        })
    first = plan.layouts[0].loaded.spec
    return {
        "kind": plan.kind,
        "scenario": first.name,
        "scenario_label": first.label,
        "files": plan.files,
        "seed": plan.seed,
        "replications": plan.replications,
        "baseline": plan.baseline,
        "rank_by": plan.rank_by,
        "params": plan.params,
        "units": dict(RANK_KPIS),
        "better": {k: BETTER_TEXT[BETTER.get(k, 0)] for k in RANK_KPIS},
        "abatement": {"kpi": ABATEMENT, "definition": "mean(cost_net_eur - baseline) / "
                      "mean(baseline ghg_net_t_co2e - layout); positive: EUR paid per t CO2e avoided, "
                      "negative: emissions avoided and money saved", "interval": METHOD,
                      "statuses": {"ok": "bounded interval", "no_interval": "one replication",
                                   "unbounded": "avoided GHG not distinguishable from zero: no figure",
                                   "emits_more": "the layout emits more than the baseline: no abatement",
                                   "undefined": "the same emissions as the baseline",
                                   "baseline": "the baseline itself"}},
        "benefits": {b: {"kpi": kpi, "unit": unit, "sign": sign} for b, (kpi, sign, unit) in BENEFITS.items()},
        "layouts": layouts,
        "ranking": comp.ranking,
        "failures": [{"layout": f.label, "replication": f.replication, "seed": f.seed, "error": f.error}
                     for f in comp.failures],
    }


def map_data(spec) -> dict:
    """What the comparison report draws a layout's map from: its sites (kind, label,
    location), roads and road nodes, materials (``report COMPARE_DIR``)."""
    return {
        "name": spec.name, "label": spec.label, "description": spec.description,
        "sites": {sid: {"kind": site.kind, "label": site.label, "location": list(site.location)}
                  for sid, site in spec.sites.items()},
        "roads": [list(road) for road in spec.roads],
        "nodes": {nid: list(loc) for nid, loc in spec.nodes.items()},
        "materials": {mid: {"label": m.label} for mid, m in spec.materials.items()},
    }


def manifest(comp: Comparison, command: list[str], cache_dir: Path | None) -> dict:
    plan, ex = comp.plan, comp.execution
    files = {}
    for layout in plan.layouts:
        files.setdefault(layout.loaded.file, layout.loaded.sha256)
    return {
        "package": "ptce-flows",
        "version": __version__,
        "kind": plan.kind,
        "files": [{"file": f, "sha256": h} for f, h in files.items()],
        "layouts": [{"name": lay.name, "variant": lay.loaded.variant,
                     "overrides": {k: v for k, v in lay.loaded.overrides}, "key": lay.key}
                    for lay in plan.layouts],
        "seed": plan.seed,
        "replications": plan.replications,
        "replication_seeds": f"numpy SeedSequence({plan.seed}).spawn({plan.replications}), the same for every layout",
        "baseline": plan.baseline,
        "rank_by": plan.rank_by,
        "runs": plan.runs,
        "runs_computed": ex.computed,
        "runs_reused": ex.reused,
        "runs_failed": len(ex.failures),
        "backend": ex.backend,
        "cache": str(cache_dir) if cache_dir is not None else None,
        "command_line": command,
        "wall_time_s": round(ex.wall_time_s, 4),
        "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def _columns(comp: Comparison, rows: list[dict]) -> list[str]:
    return list(rows[0]) if rows else list(comp.plan.params)


def write_comparison(comp: Comparison, out_dir: str | Path, command: list[str],
                     cache_dir: Path | None = None, lang: str = "en", figures: bool = True) -> Path:
    """Write every file of ``comp`` into ``out_dir`` (replacing it atomically)."""
    tables = {
        "comparison.csv": comparison_rows(comp),
        "benefits.csv": benefit_rows(comp),
        "ranking.csv": ranking_rows(comp),
        "replications.csv": replication_rows(comp),
        "abatement.csv": abatement_rows(comp),
    }
    with atomic_dir(out_dir) as tmp:
        for name, rows in tables.items():
            blank = [{k: "" if v is None else v for k, v in row.items()} for row in rows]
            write_csv(tmp / name, blank, _columns(comp, rows))
        write_json(tmp / "comparison.json", comparison_doc(comp))
        write_json(tmp / "manifest.json", manifest(comp, command, cache_dir))
        write_comparison_workbook(tmp / "results.xlsx", comp, lang)
        if figures:
            write_figures(comp, tmp / "figures", lang)
    return Path(out_dir)


def write_figures(comp: Comparison, folder: Path, lang: str = "en") -> list[Path]:
    """The comparison figures (PNG and SVG) of ``comp`` into ``folder``."""
    from ptce_flows.plotting.layouts import (
        benefits_figure,
        comparison_figure,
        save_figure,
        sweep_figure,
    )

    folder.mkdir(parents=True, exist_ok=True)
    names = layout_labels(comp, lang)   # layouts by their label, not their id
    rows = [{**r, "layout": names[r["layout"]]} for r in comparison_rows(comp)]
    baseline = names[comp.plan.baseline]
    written: list[Path] = []
    if comp.plan.kind == "sweep":
        # axes are the parameters that take several values (one value is a fixed change)
        varying = [path for path in comp.plan.params
                   if len({str(r.get(path)) for r in rows if path in r}) > 1]
        fig = sweep_figure(rows, varying, comp.plan.rank_by, lang=lang)
        if fig is not None:
            written += save_figure(fig, folder / "sweep")
        return written
    figures = {"comparison": comparison_figure(rows, baseline, lang=lang)}
    if len(comp.plan.layouts) > 1:
        benefits = [{**r, "layout": names[r["layout"]]} for r in benefit_rows(comp)]
        figures["benefits"] = benefits_figure(benefits, baseline, lang=lang)
    for name, fig in figures.items():
        if fig is not None:   # None: no finished run to draw
            written += save_figure(fig, folder / name)
    return written


# --------------------------------------------------------------------------- console

def _num(value, unit: str = "", sign: bool = False) -> str:
    if value is None:
        return "n/a"
    if unit == "-":
        text = f"{100 * value:{'+' if sign else ''}.1f} %"
        return text
    size = abs(value)
    if size >= 100 or unit in ("t.km", "km") or value == 0:
        digits = 0 if size >= 100 or value == 0 or unit in ("t.km", "km") else 2
    else:  # three significant digits: 25.7, 4.30, 0.0432
        digits = min(6, 2 - math.floor(math.log10(size)))
    return f"{value:{'+' if sign else ''},.{digits}f}"


def _interval(stat: dict, unit: str, sign: bool = False) -> str:
    """``mean ± half-width`` of the 95 % interval (Student intervals are symmetric)."""
    text = _num(stat["mean"], unit, sign)
    if stat.get("n", 0) > 1 and stat["low"] is not None and stat["low"] != stat["high"]:
        text += f" ± {_num((stat['high'] - stat['low']) / 2, unit)}"
    return text


def _ratio(stat: dict) -> str:
    """The abatement cost with its (asymmetric) Fieller interval, or why there is none."""
    if stat["mean"] is None:
        return {"unbounded": "unbounded", "emits_more": "emits more", "undefined": "undefined",
                "baseline": "(baseline)"}.get(stat["status"], "n/a")
    text = _num(stat["mean"], "EUR/t CO2e")
    if stat["low"] is not None and stat["low"] != stat["high"]:
        text += f" [{_num(stat['low'], 'EUR/t CO2e')}, {_num(stat['high'], 'EUR/t CO2e')}]"
    return text


def console_summary(comp: Comparison, lang: str = "en") -> str:
    """Ranking and benefits as plain-text tables for the terminal; in French, the key figures
    and benefits of the comparison report (layouts by their label)."""
    if lang != "en":
        from ptce_flows.reports.compare_report import text_summary

        return text_summary(comparison_doc(comp), lang)
    plan = comp.plan
    kpi = plan.rank_by
    unit = RANK_KPIS[kpi]
    direction = {1: "more is better", -1: "less is better", 0: "neither better"}[BETTER.get(kpi, 0)]
    lines = [f"{len(plan.layouts)} layouts x {plan.replications} replication(s), seed {plan.seed} "
             f"(the same seeds for every layout); baseline: {plan.baseline}",
             "", f"Ranking on {kpi} ({unit}, {direction}); mean ± half-width of the 95 % interval; "
             "'=' marks layouts not distinguishable from the best"]
    if plan.replications == 1:
        lines.insert(1, "one replication per layout: no interval can be estimated (unless the scenario "
                        "has no randomness); add --replications 10, the runs done are reused")
    table = [("rank", "layout", f"{kpi} ({unit})", "vs baseline", "")]
    for row in comp.ranking:
        name = row["layout"]
        tie = "=" if row["tied_with_best"] and row["rank"] != 1 else ""
        if kpi == ABATEMENT:   # already a comparison with the baseline
            table.append((str(row["rank"] or "-"), name, _ratio(comp.table["abatement"][name]), "", ""))
            continue
        stat = comp.table["layouts"][name][kpi]
        table.append((str(row["rank"] or "-"), name, _interval(stat, unit),
                      "(baseline)" if name == plan.baseline else _interval(stat["diff"], unit, sign=True), tie))
    lines += _align(table)
    if len(plan.layouts) > 1:
        lines += ["", f"Benefits against the baseline '{plan.baseline}' (paired; positive is better)"]
        heads = ("layout", "avoided disposal t", "avoided t.km", "avoided truck CO2 t", "avoided GHG t CO2e",
                 "cost saving EUR", "net jobs FTE", "of which insertion")
        keys = ("avoided_disposal_t", "avoided_tonne_km", "avoided_co2_t", "avoided_ghg_t_co2e",
                "cost_saving_eur", "net_jobs_fte", "net_insertion_fte")
        table = [heads]
        for name, gains in comp.table["benefits"].items():
            if name == plan.baseline:
                continue
            table.append((name, *(_interval(gains[k], BENEFITS[k][2], sign=True) if k in gains else "n/a"
                                  for k in keys)))
        lines += _align(table)
        lines += ["", "Abatement cost (EUR per t CO2e avoided = extra net cost / avoided net GHG; negative: "
                  "saves money and emissions), Fieller 95 % interval"]
        table = [("layout", "extra cost EUR", "avoided t CO2e", "EUR/t CO2e")]
        for row in abatement_rows(comp):
            if row["layout"] != plan.baseline:
                stat = comp.table["abatement"][row["layout"]]
                table.append((row["layout"], _num(row["extra_cost_eur"], "EUR", sign=True),
                              _num(row["avoided_t_co2e"], "t CO2e", sign=True), _ratio(stat)))
        lines += _align(table)
    return "\n".join(lines)


def _align(table: list[tuple]) -> list[str]:
    """Columns 0-1 left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    out = []
    for row in table:
        cells = [str(c).ljust(w) if i < 2 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
    return out
