"""timeseries.csv aggregated by default and complete with ``run --detail`` (issue 15, item 9).

A small generated territory (12 sources, one in five with green waste as well, 2 platforms,
4 farms) run through the real command line, twice with the same seed: the sources' summed
stock equals the sum of the detailed per-source series day by day; every other series, the
summary and the flows are the same; the report readers see the same Sankey diagram and map.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import run_cli
from ptce_flows.bench.territory import territory
from ptce_flows.metrics.series import ALL_SOURCES, DIGITS

DAYS = 40
REPS = 2


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("detail")
    data = territory(12, n_treatment=2, n_farms=4, n_trucks=4, seed=3)
    scenario = tmp / "territory.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    out = {}
    for name, extra in (("default", []), ("detail", ["--detail"])):
        folder = tmp / name
        done = run_cli("run", str(scenario), "--out", str(folder), "--days", str(DAYS), "--replications",
                       str(REPS), "--seed", "5", "--quiet", *extra)
        assert done.returncode == 0, done.stderr
        out[name] = folder
    out["scenario"] = scenario
    out["tmp"] = tmp
    return out


def _rows(folder: Path) -> list[dict]:
    with (folder / "timeseries.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_aggregated_total_equals_sum_of_detailed_sources(runs):
    detail, default = _rows(runs["detail"]), _rows(runs["default"])
    sums: dict[tuple[str, int], float] = defaultdict(float)
    n_sources = set()
    for r in detail:
        if r["kind"] == "source":
            sums[(r["material"], int(r["time_d"]))] += float(r["value"])
            n_sources.add(r["site"])
    assert len(n_sources) == 12
    totals = {(r["material"], int(r["time_d"])): float(r["value"]) for r in default if r["site"] == ALL_SOURCES}
    assert set(totals) == set(sums)                      # every day of every material
    assert {m for m, _ in totals} == {"food_waste", "green_waste"}
    assert len(totals) == 2 * DAYS
    assert max(sums.values()) > 1.0                       # the stocks are not all nothing
    for key, total in totals.items():
        # each published figure is rounded to 1e-6: the sum of 12 differs by at most 12 roundings
        assert total == pytest.approx(sums[key], abs=13 * 10 ** -DIGITS), key


def test_band_of_the_total_is_the_percentile_of_the_totals(runs):
    """With replications, low/high of the total are percentiles of each replication's total
    (recomputed here through the API with the same seeds), not sums of the sources' bands."""
    from ptce_flows.experiment import run_scenario
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(runs["scenario"], overrides={"horizon_days": DAYS})
    result = run_scenario(loaded, seed=5, replications=REPS)
    meta = result.runs[0].series
    food = [j for j in range(len(meta)) if meta.quantity[j] == "source_stock"
            and result.world.materials[meta.material[j]] == "food_waste"]
    per_rep = np.stack([run.levels[:, food].sum(axis=1) for run in result.runs])   # (R, days)
    low, high = np.percentile(per_rep, [2.5, 97.5], axis=0)
    got = {int(r["time_d"]): r for r in _rows(runs["default"])
           if r["site"] == ALL_SOURCES and r["material"] == "food_waste"}
    assert np.any(per_rep[0] != per_rep[1])               # the two replications differ
    for day in range(DAYS):
        assert float(got[day]["low"]) == round(float(low[day]), DIGITS)
        assert float(got[day]["high"]) == round(float(high[day]), DIGITS)
        assert float(got[day]["value"]) == round(float(per_rep[:, day].mean()), DIGITS)


def test_sources_keep_their_last_day_and_other_series_are_unchanged(runs):
    detail, default = _rows(runs["detail"]), _rows(runs["default"])
    per_source = [r for r in default if r["kind"] == "source" and r["site"] != ALL_SOURCES]
    assert per_source and {int(r["time_d"]) for r in per_source} == {DAYS - 1}
    last = {(r["site"], r["material"]): r for r in detail if r["kind"] == "source" and int(r["time_d"]) == DAYS - 1}
    assert {(r["site"], r["material"]): r for r in per_source} == last
    others = [r for r in detail if r["kind"] != "source"]
    assert others and [r for r in default if r["kind"] != "source"] == others
    assert len(default) == len(others) + len(per_source) + 2 * DAYS


def test_summary_flows_and_balance_do_not_depend_on_detail(runs):
    for name in ("summary.json", "flows.csv", "scenario.resolved.yaml"):
        assert (runs["default"] / name).read_bytes() == (runs["detail"] / name).read_bytes(), name
    summary = json.loads((runs["default"] / "summary.json").read_text())
    assert summary["kpis"]["mass_balance_error_t"] <= 1e-6
    manifests = [json.loads((runs[n] / "manifest.json").read_text()) for n in ("default", "detail")]
    assert [m["timeseries"] for m in manifests] == ["aggregated", "detail"]


def test_report_readers_see_the_same_figures(runs):
    from ptce_flows.reports.load import load_results
    from ptce_flows.results.derive import sankey_graph

    a, b = load_results(runs["default"]), load_results(runs["detail"])
    ga, gb = sankey_graph(a), sankey_graph(b)
    assert [(n.id, n.label, n.column) for n in ga.nodes.values()] == [(n.id, n.label, n.column) for n in gb.nodes.values()]
    assert [(link.source, link.target, link.value, link.material) for link in ga.links] == \
        [(link.source, link.target, link.value, link.material) for link in gb.links]
    assert any(link.target == "_not_collected" for link in ga.links)
    for site in a.sites_of("source"):
        assert a.series.last(site, "source_stock") == b.series.last(site, "source_stock")
    for site in a.sites_of("treatment"):
        for quantity in ("intake", "processed", "in_process", "stored"):
            va, vb = a.series.get(site, quantity), b.series.get(site, quantity)
            assert all(np.array_equal(x, y) for x, y in zip(va, vb, strict=True)), (site, quantity)


def test_detail_file_is_the_complete_table_of_the_api(runs):
    """``--detail`` writes exactly the rows of ``metrics.aggregate.timeseries_rows`` (the table
    every run wrote before the aggregated default), through the row-by-row writer."""
    from ptce_flows.experiment import run_scenario
    from ptce_flows.metrics.aggregate import timeseries_rows
    from ptce_flows.reports.files import write_csv
    from ptce_flows.reports.run_output import SERIES_FIELDS
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(runs["scenario"], overrides={"horizon_days": DAYS})
    result = run_scenario(loaded, seed=5, replications=REPS)
    rows = timeseries_rows(result.world, result.runs)
    for row in rows:
        row["scenario"] = loaded.label
    expected = runs["tmp"] / "expected.csv"
    write_csv(expected, rows, SERIES_FIELDS)
    assert (runs["detail"] / "timeseries.csv").read_bytes() == expected.read_bytes()


def test_cached_replications_are_written_either_way(runs, tmp_path):
    cache = tmp_path / "cache"
    args = ["run", str(runs["scenario"]), "--days", str(DAYS), "--replications", str(REPS), "--seed", "5",
            "--quiet", "--cache", str(cache)]
    assert run_cli(*args, "--out", str(tmp_path / "a")).returncode == 0
    done = run_cli(*args, "--out", str(tmp_path / "b"), "--detail")     # every replication from the cache
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a" / "timeseries.csv").read_bytes() == (runs["default"] / "timeseries.csv").read_bytes()
    assert (tmp_path / "b" / "timeseries.csv").read_bytes() == (runs["detail"] / "timeseries.csv").read_bytes()
