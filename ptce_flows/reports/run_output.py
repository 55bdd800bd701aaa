"""The files of a run: summary.json, flows.csv, timeseries.csv, scenario.resolved.yaml and
manifest.json, written together into one results folder (atomically)."""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from pathlib import Path

import numpy as np
import simpy

from ptce_flows import __version__
from ptce_flows.experiment import RunResult, replication_seeds
from ptce_flows.metrics.aggregate import _rounded, flow_rows, summary_dict
from ptce_flows.metrics.series import TEXT_COLUMNS, SeriesTable, series_table
from ptce_flows.network.layers import map_layers
from ptce_flows.reports.files import (
    Coded,
    atomic_dir,
    is_ours,
    is_report_file,
    write_csv,
    write_csv_columns,
    write_json,
    write_yaml,
)
from ptce_flows.scenario.loader import resolved_dict

FLOW_FIELDS = ["scenario", "origin", "destination", "material", "fleet",
               "mass_t", "trips", "vehicle_km", "tonne_km", "co2_kg"]
SERIES_FIELDS = ["scenario", "time_d", "site", "kind", "material", "quantity", "unit",
                 "value", "low", "high"]


def default_out_dir(result_or_stem, variant: str | None = None) -> Path:
    stem = result_or_stem if isinstance(result_or_stem, str) else result_or_stem.loaded.stem
    return Path("results") / (stem if variant is None else f"{stem}-{variant}")


def manifest(result: RunResult, command: list[str], detail: bool = False) -> dict:
    loaded = result.loaded
    seeds = replication_seeds(result.seed, result.replications)
    return {
        "package": "ptce-flows",
        "version": __version__,
        "scenario_file": loaded.file,
        "scenario_sha256": loaded.sha256,
        "scenario_name": loaded.spec.name,
        "variant": loaded.variant,
        "overrides": {k: v for k, v in loaded.overrides},
        "data_files": [{"key": role, "file": name, "sha256": sha} for role, name, _p, sha in loaded.inputs],
        "road_graph_snaps_km": {s: {"node": n, "km": round(km, 4)}
                                for s, (n, km) in getattr(result.world.network, "snaps", {}).items()},
        "seed": result.seed,
        "replications": result.replications,
        "replication_seeds": [{"entropy": s.entropy, "spawn_key": list(s.spawn_key)} for s in seeds],
        "horizon_days": result.world.horizon_days,
        "warmup_days": result.world.warmup_days,
        "jobs": result.jobs,
        "timeseries": "detail" if detail else "aggregated",
        "command_line": command,
        "wall_time_s": round(result.wall_time_s, 4),
        "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "simpy": simpy.__version__,
    }


def _series_columns(table: SeriesTable, scenario: str) -> dict[str, object]:
    """timeseries.csv's columns for ``write_csv_columns``: the text columns coded by series."""
    columns: dict[str, object] = {"scenario": scenario, "time_d": table.time_d, "value": table.value,
                                  "low": table.low, "high": table.high}
    for i, name in enumerate(TEXT_COLUMNS):
        columns[name] = Coded(table.series, [head[i] for head in table.heads])
    return columns


#: the files whose content a report describes: when a rerun leaves them byte for byte the
#: same, the reports already in the folder (either language) still describe it and are kept
RESULT_FILES = ("summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml")


def _same_results(old: Path, new: Path) -> bool:
    for name in RESULT_FILES:
        a, b = old / name, new / name
        try:
            if a.is_symlink() or not a.is_file() or a.stat().st_size != b.stat().st_size:
                return False
            if a.read_bytes() != b.read_bytes():
                return False
        except OSError:
            return False
    return True


def write_run(result: RunResult, out_dir: str | Path, command: list[str],
              disruption: dict | None = None, lang: str = "en", detail: bool = False) -> Path:
    """Write every result file of ``result`` into ``out_dir`` (replacing it atomically).

    ``disruption`` (from ``faults.cost_of_disruptions``) adds a ``disruption`` section to the
    summary. ``detail`` writes every source's daily series in timeseries.csv; by default the
    sources' stocks are summed (see ``metrics.series``). The original scenario text is kept as
    ``scenario.yaml`` (its comments hold the sources of the figures). ``results.xlsx`` holds the
    same figures for a spreadsheet, with labels and headers in ``lang`` (``reports.workbook``).
    Files of ours already in ``out_dir`` are replaced; reports
    (``report.*``, ``figures/``) are kept only if the results are byte for byte the same,
    otherwise they would describe results that are gone. Files that are not ours are kept
    (see ``reports.files``).
    """
    loaded = result.loaded
    layers = map_layers(loaded, result.world.network)  # before anything is written: a bad file stops here
    summary = summary_dict(loaded.spec.name, result.world, result.seed, result.runs, loaded.variant,
                           spec=loaded.spec)
    if disruption is not None:
        summary["disruption"] = _rounded(disruption)
    flows = flow_rows(result.runs)
    series = _series_columns(series_table(result.world, result.runs, detail=detail), loaded.label)
    for row in flows:
        row["scenario"] = loaded.label
    header = (f"# Resolved scenario: every default filled in.\n# Source: {loaded.file}"
              f"{' variant ' + loaded.variant if loaded.variant else ''} (sha256 {loaded.sha256[:12]})\n")
    unchanged = [False]

    def stale(rel: str) -> bool:
        return is_ours(rel) and not (unchanged[0] and is_report_file(rel))

    with atomic_dir(out_dir, drop=stale) as tmp:
        write_json(tmp / "summary.json", summary)
        write_csv(tmp / "flows.csv", flows, FLOW_FIELDS)
        write_csv_columns(tmp / "timeseries.csv", SERIES_FIELDS, series)
        write_yaml(tmp / "scenario.resolved.yaml", resolved_dict(loaded), header)
        (tmp / "scenario.yaml").write_text(loaded.text, encoding="utf-8")
        write_json(tmp / "manifest.json", manifest(result, command, detail))
        if layers is not None:
            write_json(tmp / "map_layers.json", layers)
        _write_workbook(tmp / "results.xlsx", result, summary, flows, lang)
        unchanged[0] = _same_results(Path(out_dir), tmp)
    return Path(out_dir)


def _write_workbook(path: Path, result: RunResult, summary: dict, flows: list[dict], lang: str) -> None:
    from ptce_flows.reports.workbook import write_run_workbook
    from ptce_flows.results.resultset import ResultSet, Series

    loaded = result.loaded
    # the file as written was parsed by the loader: its key lines serve the assumptions sheet
    # (not with a variant, overrides or tables of sites, which move keys)
    plain = loaded.variant is None and not loaded.overrides and not loaded.origins
    results = ResultSet(summary=summary, flows=flows, series=Series(days=np.arange(0)),
                        scenario=resolved_dict(loaded), source_text=loaded.text, lang=lang,
                        source_lines=dict(loaded.lines) if plain else None)
    write_run_workbook(path, results, result.world, result.runs, lang)
