"""The files of a run: summary.json, flows.csv, timeseries.csv, scenario.resolved.yaml,
results.xlsx and manifest.json, written together into one results folder (atomically).

Two cores at work (``reports.background``): what depends only on the loaded scenario (the text
of scenario.resolved.yaml, the assumptions sheet of results.xlsx) is computed by a child
process while the simulation runs (:func:`prepare_run_files`, started by ``ptce-flows run``);
the same child, its XlsxWriter imported by then, is sent the simulation's results and builds
results.xlsx while this process writes the CSV and JSON files (without prepared files, a child
forked then builds it). Every
file is written by this process, inside one ``atomic_dir``; the files are the same, byte for
byte (results.xlsx cell for cell), with or without the children (``PTCE_FLOWS_NO_FORK=1``).
"""

from __future__ import annotations

import datetime as _dt
import io
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simpy

from ptce_flows import __version__
from ptce_flows.experiment import RunResult, replication_seeds
from ptce_flows.metrics.aggregate import _rounded, flow_rows, summary_dict
from ptce_flows.metrics.series import TEXT_COLUMNS, SeriesTable, series_table
from ptce_flows.network.layers import map_layers
from ptce_flows.reports.background import Background, background
from ptce_flows.reports.files import (
    Coded,
    atomic_dir,
    is_ours,
    is_report_file,
    write_csv,
    write_csv_columns,
    write_json,
    yaml_text,
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


@dataclass(frozen=True)
class RunFiles:
    """What the files of a run take from the loaded scenario alone."""

    resolved_yaml: str        #: the text of scenario.resolved.yaml
    assumptions: list[list]   #: the rows of results.xlsx's assumptions sheet


def run_files(loaded, lang: str = "en") -> RunFiles:
    """The parts of a run's files that depend only on ``loaded`` (and the language)."""
    from ptce_flows.reports.workbook import assumption_rows

    resolved = resolved_dict(loaded)
    header = (f"# Resolved scenario: every default filled in.\n# Source: {loaded.file}"
              f"{' variant ' + loaded.variant if loaded.variant else ''} (sha256 {loaded.sha256[:12]})\n")
    return RunFiles(yaml_text(resolved, header),
                    assumption_rows(resolved, loaded.text, _source_lines(loaded), lang))


def _source_lines(loaded) -> dict | None:
    """The key lines the loader parsed, for the assumptions sheet: the file as written was
    parsed by the loader (not with a variant, overrides or tables of sites, which move keys)."""
    plain = loaded.variant is None and not loaded.overrides and not loaded.origins
    return dict(loaded.lines) if plain else None


def _ready_run_files(loaded, lang: str = "en") -> RunFiles:
    """:func:`run_files`, and the workbook's modules imported (in the child, while it waits)."""
    files = run_files(loaded, lang)
    import xlsxwriter  # noqa: F401

    import ptce_flows.results.resultset  # noqa: F401
    return files


def _workbook_of(files: RunFiles, given: tuple, world, runs, summary: dict, flows: list[dict]) -> bytes:
    """results.xlsx for :class:`PreparedRun`'s child: ``given`` are its (loaded, lang)."""
    loaded, lang = given
    return _workbook_bytes(loaded, world, runs, summary, flows, lang, files.assumptions)


class PreparedRun:
    """:func:`run_files` of a loaded scenario, computed in a child process (see
    ``reports.background``) from the moment it is made, and then results.xlsx: give it to
    :func:`write_run`."""

    def __init__(self, loaded, lang: str = "en") -> None:
        self.loaded, self.lang = loaded, lang
        self._job: Background = background(_ready_run_files, loaded, lang, follow_up=True)

    def workbook(self, world, runs, summary: dict, flows: list[dict]) -> None:
        """Send the simulation's results: the child builds results.xlsx from them."""
        self._job.send(_workbook_of, world, runs, summary, flows)

    def files(self) -> tuple[RunFiles, bytes | None]:
        """The run's files and results.xlsx (None if :meth:`workbook` was not called)."""
        return self._job.result()

    def cancel(self) -> None:
        self._job.cancel()


def prepare_run_files(loaded, lang: str = "en") -> PreparedRun:
    """Start computing what the run's files take from ``loaded`` alone (scenario.resolved.yaml,
    the assumptions sheet), on the other core while the simulation runs; pass the result as
    ``write_run(..., prepared=...)``."""
    return PreparedRun(loaded, lang)


def write_run(result: RunResult, out_dir: str | Path, command: list[str],
              disruption: dict | None = None, lang: str = "en", detail: bool = False,
              prepared: PreparedRun | None = None) -> Path:
    """Write every result file of ``result`` into ``out_dir`` (replacing it atomically).

    ``disruption`` (from ``faults.cost_of_disruptions``) adds a ``disruption`` section to the
    summary. ``detail`` writes every source's daily series in timeseries.csv; by default the
    sources' stocks are summed (see ``metrics.series``). The original scenario text is kept as
    ``scenario.yaml`` (its comments hold the sources of the figures). ``results.xlsx`` holds the
    same figures for a spreadsheet, with labels and headers in ``lang`` (``reports.workbook``).
    ``prepared`` (from :func:`prepare_run_files` of the same loaded scenario and language)
    saves computing what depends on the scenario alone; without it, it is computed here.
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
    for row in flows:
        row["scenario"] = loaded.label
    if prepared is not None and (prepared.loaded is not loaded or prepared.lang != lang):
        prepared.cancel()   # made for another scenario or language
        prepared = None
    # results.xlsx on the other core while the other files are written here: by the prepared
    # child (sent the results), or by a child forked now
    if prepared is not None:
        prepared.workbook(result.world, result.runs, summary, flows)
        book = None
    else:
        book = background(_workbook_bytes, loaded, result.world, result.runs, summary, flows, lang, None)
    try:
        series = _series_columns(series_table(result.world, result.runs, detail=detail), loaded.label)
        unchanged = [False]

        def stale(rel: str) -> bool:
            return is_ours(rel) and not (unchanged[0] and is_report_file(rel))

        with atomic_dir(out_dir, drop=stale) as tmp:
            write_json(tmp / "summary.json", summary)
            write_csv(tmp / "flows.csv", flows, FLOW_FIELDS)
            write_csv_columns(tmp / "timeseries.csv", SERIES_FIELDS, series)
            (tmp / "scenario.yaml").write_text(loaded.text, encoding="utf-8")
            write_json(tmp / "manifest.json", manifest(result, command, detail))
            if layers is not None:
                write_json(tmp / "map_layers.json", layers)
            # last, what the children computed meanwhile
            if prepared is not None:
                files, xlsx = prepared.files()
            else:
                files, xlsx = run_files(loaded, lang), book.result()
            (tmp / "scenario.resolved.yaml").write_text(files.resolved_yaml, encoding="utf-8")
            (tmp / "results.xlsx").write_bytes(xlsx)
            unchanged[0] = _same_results(Path(out_dir), tmp)
    finally:
        if book is not None:
            book.cancel()
        if prepared is not None:
            prepared.cancel()
    return Path(out_dir)


def _workbook_bytes(loaded, world, runs, summary: dict, flows: list[dict], lang: str,
                    assumptions: list[list] | None) -> bytes:
    """results.xlsx (``reports.workbook``) as bytes."""
    from ptce_flows.reports.workbook import write_run_workbook
    from ptce_flows.results.resultset import ResultSet, Series

    source_lines = _source_lines(loaded)
    results = ResultSet(summary=summary, flows=flows, series=Series(days=np.arange(0)),
                        scenario=resolved_dict(loaded), source_text=loaded.text, lang=lang,
                        source_lines=source_lines)
    buffer = io.BytesIO()
    write_run_workbook(buffer, results, world, runs, lang, assumptions)
    return buffer.getvalue()
