"""The files of a sensitivity run, written together into one results folder (atomically).

| file | content |
|---|---|
| ``sensitivity.csv`` | one row per input and KPI: the input's low, central and high values, the KPI's mean and 95 % interval at the low, central and high value, the paired differences to the central runs with their intervals, and the swing (high - low) |
| ``sensitivity.json`` | the same, with the plan (file, variant, seed, replications, KPIs and units) |
| ``manifest.json`` | version, command line, file and its sha256, seeds, backend, runs computed and reused |
| ``figures/tornado_<kpi>.png``, ``.svg`` | one tornado per KPI (``plotting.sensitivity``) |
"""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from pathlib import Path

from ptce_flows import __version__
from ptce_flows.experiment.sensitivity import Sensitivity, swing
from ptce_flows.metrics.differences import COMPARE_KPIS
from ptce_flows.reports.files import atomic_dir, write_csv, write_json

COLUMNS = ("parameter", "source", "unit", "low_value", "central_value", "high_value", "simulated", "kpi",
           "kpi_unit", "replications", "at_low", "at_low_ci95_low", "at_low_ci95_high", "central",
           "central_ci95_low", "central_ci95_high", "at_high", "at_high_ci95_low", "at_high_ci95_high",
           "low_minus_central", "low_minus_central_ci95_low", "low_minus_central_ci95_high",
           "high_minus_central", "high_minus_central_ci95_low", "high_minus_central_ci95_high", "swing")


def sensitivity_rows(sens: Sensitivity) -> list[dict]:
    """sensitivity.csv: inputs in the plan's order, largest swing first within each KPI."""
    rows = []
    for kpi in sens.plan.kpis:
        c = sens.central[kpi]
        for result in sorted(sens.results, key=lambda r: -swing(r, kpi)):
            p = result["parameter"]
            low, high = result["kpis"][kpi]["low"], result["kpis"][kpi]["high"]
            rows.append({
                "parameter": p.path, "source": p.source, "unit": p.unit, "low_value": p.low,
                "central_value": p.central, "high_value": p.high, "simulated": not p.factor_only, "kpi": kpi,
                "kpi_unit": COMPARE_KPIS[kpi], "replications": c["n"],
                "at_low": low["mean"], "at_low_ci95_low": low["low"], "at_low_ci95_high": low["high"],
                "central": c["mean"], "central_ci95_low": c["low"], "central_ci95_high": c["high"],
                "at_high": high["mean"], "at_high_ci95_low": high["low"], "at_high_ci95_high": high["high"],
                "low_minus_central": low["diff"]["mean"], "low_minus_central_ci95_low": low["diff"]["low"],
                "low_minus_central_ci95_high": low["diff"]["high"],
                "high_minus_central": high["diff"]["mean"], "high_minus_central_ci95_low": high["diff"]["low"],
                "high_minus_central_ci95_high": high["diff"]["high"],
                "swing": round(swing(result, kpi), 6),
            })
    return rows


def sensitivity_doc(sens: Sensitivity, rows: list[dict]) -> dict:
    plan = sens.plan
    return {
        "kind": "sensitivity",
        "method": "one at a time: each input at its low then its high value, every other input central; "
                  "common random numbers (replication i of every run on the same seed)",
        "file": plan.file, "variant": plan.variant, "seed": plan.seed, "replications": plan.replications,
        "overrides": plan.overrides,
        "kpis": {k: COMPARE_KPIS[k] for k in plan.kpis},
        "central": sens.central,
        "parameters": [{"path": r["parameter"].path, "source": r["parameter"].source, "unit": r["parameter"].unit,
                        "low": r["parameter"].low, "central": r["parameter"].central, "high": r["parameter"].high,
                        "simulated": not r["parameter"].factor_only, "kpis": r["kpis"]} for r in sens.results],
        "rows": rows,
        "failures": [{"layout": f.label, "replication": f.replication, "seed": f.seed, "error": f.error}
                     for f in sens.execution.failures],
    }


def manifest(sens: Sensitivity, command: list[str]) -> dict:
    plan, ex = sens.plan, sens.execution
    return {
        "package": "ptce-flows", "version": __version__, "kind": "sensitivity",
        "files": [{"file": plan.central.file, "sha256": plan.central.sha256}],
        "variant": plan.variant, "seed": plan.seed, "replications": plan.replications,
        "replication_seeds": f"numpy SeedSequence({plan.seed}).spawn({plan.replications}), the same for every run",
        "inputs": len(plan.parameters), "runs_computed": ex.computed, "runs_reused": ex.reused,
        "runs_failed": len(ex.failures), "backend": ex.backend, "command_line": command,
        "wall_time_s": round(ex.wall_time_s, 4),
        "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0], "platform": platform.platform(),
    }


def write_sensitivity(sens: Sensitivity, out_dir: str | Path, command: list[str], lang: str = "en",
                      figures: bool = True) -> Path:
    """Write every file of ``sens`` into ``out_dir`` (replacing it atomically)."""
    rows = sensitivity_rows(sens)
    with atomic_dir(out_dir) as tmp:
        blank = [{k: "" if v is None else v for k, v in row.items()} for row in rows]
        write_csv(tmp / "sensitivity.csv", blank, list(COLUMNS))
        write_json(tmp / "sensitivity.json", sensitivity_doc(sens, rows))
        write_json(tmp / "manifest.json", manifest(sens, command))
        if figures:
            from ptce_flows.plotting.layouts import save_figure
            from ptce_flows.plotting.sensitivity import tornado_figure

            (tmp / "figures").mkdir()
            for kpi in sens.plan.kpis:
                fig = tornado_figure([r for r in rows if r["kpi"] == kpi], kpi, sens.plan.replications, lang=lang)
                if fig is not None:
                    save_figure(fig, tmp / "figures" / f"tornado_{kpi}")
    return Path(out_dir)


def console_summary(sens: Sensitivity, top: int = 5) -> str:
    """For each KPI, its central value and the inputs with the largest swings."""
    lines = [f"{len(sens.plan.parameters)} inputs one at a time x {sens.plan.replications} replication(s), "
             f"seed {sens.plan.seed}"]
    rows = sensitivity_rows(sens)
    for kpi in sens.plan.kpis:
        mine = [r for r in rows if r["kpi"] == kpi]
        unit = COMPARE_KPIS[kpi]
        central = sens.central[kpi]["mean"]
        lines += ["", f"{kpi} ({unit}): central {central:,.6g}; largest swings:"]
        for r in mine[:top]:
            lines.append(f"  {r['parameter']} {r['low_value']:g} -> {r['high_value']:g}: "
                         f"{r['at_low']:,.6g} .. {r['at_high']:,.6g} (swing {r['swing']:,.4g})")
    return "\n".join(lines)
