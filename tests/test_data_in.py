"""Data in: sites from tables (CSV, XLSX, GeoJSON), distances from an OD table, a GraphML road
graph. The minimal loop written each way gives the same figures as the YAML, bit for bit.

Fixtures: tests/data/minimal_sites.{csv,xlsx,geojson}, minimal_od.csv, minimal_roads.graphml
(written by tests/data/make_minimal_tables.py from the figures of scenarios/minimal_loop.yaml).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import MINIMAL, run_cli
from ptce_flows.errors import ScenarioError
from ptce_flows.experiment import run_scenario
from ptce_flows.metrics.aggregate import summary_dict
from ptce_flows.scenario import load_scenario
from ptce_flows.sim.world import build_world

DATA = Path(__file__).resolve().parent / "data"


def _summary(path: Path) -> str:
    loaded = load_scenario(path)
    result = run_scenario(loaded, seed=3, replications=1)
    return json.dumps(summary_dict(loaded.spec.name, result.world, result.seed, result.runs, None,
                                   spec=loaded.spec), sort_keys=True)


def _write(tmp_path: Path, data: dict, name: str = "scenario.yaml", files=()) -> Path:
    for f in files:
        shutil.copy(DATA / f, tmp_path / f)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reference() -> str:
    return _summary(MINIMAL)


@pytest.fixture
def base() -> dict:
    return copy.deepcopy(yaml.safe_load(MINIMAL.read_text()))


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "geojson"])
def test_sites_from_a_table_give_the_same_figures(tmp_path, base, reference, suffix):
    sites = base.pop("sites")
    base["include"] = [f"minimal_sites.{suffix}"]
    path = _write(tmp_path, base, files=[f"minimal_sites.{suffix}"])
    loaded = load_scenario(path)
    assert loaded.spec.sites == load_scenario(MINIMAL).spec.sites
    assert list(loaded.spec.sites) == list(sites)
    assert _summary(path) == reference


def test_distances_from_an_od_table_give_the_same_figures(tmp_path, base, reference):
    del base["roads"]
    base["network"] = {"distances": "minimal_od.csv", "fallback": "none"}
    assert _summary(_write(tmp_path, base, files=["minimal_od.csv"])) == reference


def test_a_graphml_road_graph_gives_the_same_figures(tmp_path, base, reference):
    del base["roads"]
    base["network"] = {"graphml": "minimal_roads.graphml", "fallback": "none"}
    path = _write(tmp_path, base, files=["minimal_roads.graphml"])
    assert _summary(path) == reference
    net = build_world(load_scenario(path)).network
    assert net.snaps == {"town": ("1000", 0.0), "platform": ("1001", 0.0), "farm": ("1002", 0.0),
                         "landfill": ("1003", 0.0)}
    assert net.notes == []


def test_everything_from_files_at_once(tmp_path, base, reference):
    """Sites from the XLSX, the distances from the OD table, no roads: the same figures."""
    del base["roads"], base["sites"]
    base["include"] = ["minimal_sites.xlsx"]
    base["network"] = {"distances": "minimal_od.csv", "fallback": "none"}
    assert _summary(_write(tmp_path, base, files=["minimal_sites.xlsx", "minimal_od.csv"])) == reference


# --- tables of sites: rows, columns, merging ------------------------------------------------

HEADER = "id,kind,lat,lon,supply.biowaste.t_per_day,collection.every_days"


def _with_table(tmp_path, base, text: str, name: str = "towns.csv", extra: dict | None = None) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    base["include"] = [name]
    base["sites"].pop("town")
    base["roads"] = [r for r in base["roads"] if "town" not in r[:2]]
    if extra:
        base["sites"].update(extra)
    return _write(tmp_path, base)


def test_yaml_site_extends_its_row(tmp_path, base):
    path = _with_table(tmp_path, base, HEADER + ",population,label.fr\ntown,source,43.6,1.44,10,2,5000,Ville\n",
                       extra={"town": {"collection": {"full_loads_only": True}, "population": 7000}})
    site = load_scenario(path).spec.sites["town"]
    assert site.collection.every_days == 2 and site.collection.full_loads_only is True
    assert site.population == 7000 and site.label == {"fr": "Ville"}
    assert list(load_scenario(path).spec.sites)[0] == "town"  # rows come first


def test_bad_row_names_file_row_and_column_and_exits_2(tmp_path, base):
    path = _with_table(tmp_path, base, HEADER + "\ntown,source,43.6,1.44,10,2\n"
                                                "village,source,43.7,1.5,-4,400\n")
    out = run_cli("validate", str(path))
    assert out.returncode == 2, out.stderr
    assert "towns.csv:3: supply.biowaste.t_per_day: must be at least 0, found -4" in out.stderr
    assert "towns.csv:3: collection.every_days: must be at most 365, found 400" in out.stderr
    assert "Traceback" not in out.stderr


def test_yaml_key_over_a_row_is_reported_at_its_yaml_line(tmp_path, base):
    path = _with_table(tmp_path, base, HEADER + "\ntown,source,43.6,1.44,10,2\n",
                       extra={"town": {"collection": {"every_days": 0}}})
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert problem.file == str(path) and problem.path == "sites.town.collection.every_days"


def test_unknown_column_with_suggestion(tmp_path, base):
    path = _with_table(tmp_path, base, "id,kind,lat,lon,suply.biowaste.t_per_day\ntown,source,43.6,1.44,10\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "towns.csv:1: suply.biowaste.t_per_day: unknown column" in text and "did you mean 'supply'" in text


def test_duplicate_id_across_files(tmp_path, base):
    (tmp_path / "more.csv").write_text(HEADER + "\nhamlet,source,43.5,1.4,1,1\ntown,source,43.5,1.4,1,1\n")
    path = _with_table(tmp_path, base, HEADER + "\ntown,source,43.6,1.44,10,2\n")
    base["include"].append("more.csv")
    path.write_text(yaml.safe_dump(base, sort_keys=False))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert problem.format() == (f"{tmp_path}/more.csv:3: id: site 'town' is already given at "
                                f"{tmp_path}/towns.csv:2 (each site once; to change a row, give the site in the YAML)")


def test_all_problems_of_all_files_at_once(tmp_path, base):
    path = _with_table(tmp_path, base, "id,kind,lat,lon,supply.biowaste.t_per_day\n"
                                       "town,source,43.6,,10\n,source,43.6,1.4,1\n")
    base["include"].append("missing.csv")
    path.write_text(yaml.safe_dump(base, sort_keys=False))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "towns.csv:2: lon: missing" in text
    assert "towns.csv:3: id: missing site id" in text
    assert "include.1: 'missing.csv': no such file" in text


def test_french_excel_csv(tmp_path, base):
    """';' between cells, a byte-order mark, decimal commas, lists as YAML flow values."""
    text = "\ufeffid;kind;lat;lon;supply.biowaste.t_per_day;supply.biowaste.seasonality\r\n" \
           "town;source;43,6045;1,4442;10,5;[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]\r\n"
    site = load_scenario(_with_table(tmp_path, base, text)).spec.sites["town"]
    assert site.location == (43.6045, 1.4442)
    assert site.supply["biowaste"].t_per_day == 10.5 and site.supply["biowaste"].seasonality[-1] == 2


def test_cells_read_as_yaml_core_scalars(tmp_path, base):
    """``010`` is ten as in the scenario file; ids and labels stay text."""
    path = _with_table(tmp_path, base, HEADER + ",label\ntown,source,43.6,1.44,010,7,Nord: zone 2\n")
    site = load_scenario(path).spec.sites["town"]
    assert site.supply["biowaste"].t_per_day == 10 and site.label == "Nord: zone 2"


def test_device_and_fifo_are_refused_without_blocking(tmp_path, base):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    path = _with_table(tmp_path, base, HEADER + "\n")
    base["include"] = ["pipe.csv", "/dev/zero"]
    path.write_text(yaml.safe_dump(base, sort_keys=False))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert [p.message.split(": ", 1)[1] for p in err.value.problems] == [
        "is not a regular file (a folder, device or pipe)"] * 2


# --- distances: OD pairs, direction -------------------------------------------------------

def _network(tmp_path, base, od: str, directed: bool = False):
    (tmp_path / "od.csv").write_text(od)
    base["network"] = {"distances": "od.csv", "directed": directed}
    return build_world(load_scenario(_write(tmp_path, base))).network


def _km(net, a, b) -> float:
    return float(net.distances_km([net.index[a]], [net.index[b]])[0, 0])


def test_od_pair_overrides_roads_and_great_circle(tmp_path, base):
    net = _network(tmp_path, base, "origin,destination,km,duration_min\ntown,platform,50,41\n"
                                   "farm,landfill,3.5,9\n")
    assert _km(net, "town", "platform") == 50.0 and _km(net, "platform", "town") == 50.0
    assert _km(net, "farm", "landfill") == 3.5                 # roads give 67 km
    assert _km(net, "platform", "farm") == 12.0                # not in the table: roads
    assert net.route("town", "platform") == ["town", "platform"]
    d = net.distances_km([net.index["town"], net.index["town"]], [net.index["platform"]] * 2)
    assert (d == 50.0).all()                                   # repeated indices all get the pair


def test_od_directed_holds_one_way(tmp_path, base):
    net = _network(tmp_path, base, "origin;destination;km\ntown;platform;50\nplatform;town;41,5\n",
                   directed=True)
    assert _km(net, "town", "platform") == 50.0 and _km(net, "platform", "town") == 41.5
    assert _km(net, "town", "landfill") == 20.0


def test_od_both_ways_must_agree_unless_directed(tmp_path, base):
    with pytest.raises(ScenarioError) as err:
        _network(tmp_path, base, "origin,destination,km\ntown,platform,50\nplatform,town,41\n"
                                 "town,farm,x\ntown,platfrm,3\n")
    text = str(err.value)
    assert "od.csv:3: km: town -> platform is 50 km on row 2, platform -> town 41 km here" in text
    assert "od.csv:4: km: expected a distance in km, found 'x'" in text
    assert "od.csv:5: destination: unknown site 'platfrm'; did you mean 'platform'?" in text


def test_od_file_changes_the_cache_key(tmp_path, base):
    from ptce_flows.experiment.cache import scenario_key

    (tmp_path / "od.csv").write_text("origin,destination,km\ntown,platform,50\n")
    base["network"] = {"distances": "od.csv"}
    path = _write(tmp_path, base)
    before = scenario_key(load_scenario(path))
    (tmp_path / "od.csv").write_text("origin,destination,km\ntown,platform,51\n")
    assert scenario_key(load_scenario(path)) != before


# --- GraphML -----------------------------------------------------------------------------

def test_snap_warning_above_2_km(tmp_path, base):
    del base["roads"]
    base["sites"]["farm"]["location"] = [43.45, 1.91]   # 3.3 km north of its node (43.42, 1.91)
    base["network"] = {"graphml": "minimal_roads.graphml"}
    path = _write(tmp_path, base, files=["minimal_roads.graphml"])
    net = build_world(load_scenario(path)).network
    assert net.snaps["farm"][0] == "1002" and net.snaps["farm"][1] == pytest.approx(3.336, abs=0.01)
    # the farm's trips start with the 3.3 km line: platform -> farm is 12 + 3.3 km
    assert _km(net, "platform", "farm") == pytest.approx(12 + net.snaps["farm"][1], abs=1e-9)
    out = run_cli("validate", str(path))
    assert out.returncode == 0, out.stderr
    assert "'farm' is 3.3 km from the nearest node of the road graph" in out.stderr
    assert "farthest 'farm' at 3.34 km" in out.stdout


def test_graphml_one_way_edges_are_kept(tmp_path, base):
    import networkx as nx

    g = nx.read_graphml(DATA / "minimal_roads.graphml")
    g.remove_edge("1001", "1000")   # platform -> town closed: one way
    nx.write_graphml(g, tmp_path / "oneway.graphml")
    del base["roads"]
    base["network"] = {"graphml": "oneway.graphml"}
    net = build_world(load_scenario(_write(tmp_path, base))).network
    assert _km(net, "town", "platform") == 35.0
    assert _km(net, "platform", "town") > 35.0  # great circle x circuity, no road back
    assert not np.isinf(_km(net, "platform", "town"))


def test_graphml_with_entities_is_refused(tmp_path, base):
    text = (DATA / "minimal_roads.graphml").read_text()
    bomb = text.replace("<graphml", '<!DOCTYPE g [<!ENTITY a "aaaa">]>\n<graphml', 1)
    (tmp_path / "bomb.graphml").write_text(bomb)
    base["network"] = {"graphml": "bomb.graphml"}
    out = run_cli("validate", str(_write(tmp_path, base)))
    assert out.returncode == 2 and "declares a DOCTYPE or XML entities" in out.stderr, out.stderr


# --- map background ----------------------------------------------------------------------

def _map_run(tmp_path, base, background="minimal_background.geojson"):
    del base["roads"]
    base["network"] = {"graphml": "minimal_roads.graphml"}
    base["map"] = {"background": [background]}
    path = _write(tmp_path, base, files=["minimal_roads.graphml", "minimal_background.geojson"])
    return path, run_cli("run", str(path), "--out", str(tmp_path / "res"), "--quiet")


def test_map_draws_the_background_and_the_road_graph(tmp_path, base):
    from ptce_flows.plotting.map import plot_map
    from ptce_flows.reports.load import load_results

    _path, out = _map_run(tmp_path, base)
    assert out.returncode == 0, out.stderr
    results = load_results(tmp_path / "res")
    (layer,) = results.map_layers["background"]
    assert (layer["name"], len(layer["polygons"]), len(layer["lines"])) == ("minimal_background", 2, 1)
    assert len(results.map_layers["roads"]) == 3          # the graph's 3 roads, each once
    manifest = json.loads((tmp_path / "res" / "manifest.json").read_text())
    assert manifest["road_graph_snaps_km"]["town"] == {"node": "1000", "km": 0.0}
    ax = plot_map(results)
    ax.figure.savefig(tmp_path / "map.svg")
    svg = (tmp_path / "map.svg").read_text()
    assert svg.count('id="background"') == 2 and 'id="background-roads"' in svg
    # drawn under the flows and the sites
    zorders = [c.get_zorder() for c in ax.collections if (c.get_gid() or "").startswith("background")]
    assert max(zorders) < min(line.get_zorder() for line in ax.lines if line.get_gid() is None)


def test_bad_background_exits_2_and_writes_nothing(tmp_path, base):
    (tmp_path / "bad.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                                          '"geometry": {"type": "LineString", "coordinates": [[1, 2], ["x", 3]]}}]}')
    path, out = _map_run(tmp_path, base, "bad.geojson")
    assert out.returncode == 2 and "bad.geojson:1: geometry: not a GeoJSON geometry" in out.stderr, out.stderr
    assert not (tmp_path / "res").exists()
    assert run_cli("validate", str(path)).returncode == 2


def test_tampered_map_layers_are_refused(tmp_path, base):
    from ptce_flows.errors import UsageError
    from ptce_flows.reports.load import load_results

    _path, out = _map_run(tmp_path, base)
    assert out.returncode == 0, out.stderr
    (tmp_path / "res" / "map_layers.json").write_text('{"roads": [[1, 2, 3, 1e400]]}')
    with pytest.raises(UsageError, match="map_layers.json: roads"):
        load_results(tmp_path / "res")
