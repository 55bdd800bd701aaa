"""Bad scenario files: exit code 2, every problem as FILE:LINE: key.path: message, no
traceback, nothing written (issue #2's list)."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import MINIMAL, run_cli
from ptce_flows.errors import ScenarioError
from ptce_flows.scenario import load_scenario, load_with_variants

MINIMAL_TEXT = MINIMAL.read_text()


def _mutate(fn):
    data = yaml.safe_load(MINIMAL_TEXT)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False)


def _set(path, value):
    def fn(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return fn


def _delete(path):
    def fn(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
    return fn


CASES = [
    # (id, file text, expected key path (or ""), expected words in the message)
    ("not_yaml", "name: [unclosed\nmaterials: {", "", "not valid YAML"),
    ("not_a_mapping", "- just\n- a list\n", "", "a scenario is a YAML mapping"),
    ("empty", "", "", "empty"),
    ("tabs", "name: x\nmaterials:\n\tbiowaste: {}\n", "", "tabs"),
    ("duplicate_key", MINIMAL_TEXT.replace("seed: 1", "seed: 1\nseed: 2"), "seed", "duplicate key"),
    ("unknown_key", MINIMAL_TEXT.replace("storage_t: 2000", "storage_t: 2000\n    storage_tt: 5"),
     "sites.platform.storage_tt", "did you mean 'storage_t'"),
    ("missing_required", _mutate(_delete(["sites", "platform", "storage_t"])), "sites.platform.storage_t",
     "missing required key"),
    ("missing_name", _mutate(_delete(["name"])), "name", "missing required key"),
    ("wrong_type", _mutate(_set(["fleets", "collection", "vehicles"], "two")), "fleets.collection.vehicles",
     "expected a whole number"),
    ("negative_capacity", _mutate(_set(["sites", "platform", "capacity_t_per_day"], -12)),
     "sites.platform.capacity_t_per_day", "must be at least 0.01"),
    ("zero_capacity", _mutate(_set(["sites", "platform", "capacity_t_per_day"], 0)),
     "sites.platform.capacity_t_per_day", "must be at least 0.01"),
    ("coefficients_above_one", _mutate(_set(["processes", "composting", "outputs"], {"compost": 0.7, "biowaste2": 0.5})),
     "processes.composting.outputs", "cannot create mass"),
    ("unknown_site_in_road", _mutate(lambda d: d["roads"].append(["town", "platfrom", 3])), "roads.3.1",
     "unknown site or node 'platfrom'; did you mean 'platform'"),
    ("unknown_material", _mutate(_set(["sites", "town", "supply"], {"biowast": {"t_per_day": 10}})),
     "sites.town.supply.biowast", "unknown material 'biowast'"),
    ("unknown_process", _mutate(_set(["sites", "platform", "process"], "compsting")),
     "sites.platform.process", "unknown process 'compsting'"),
    ("fleet_carries_nothing_needed", _mutate(lambda d: d["fleets"].update(
        {"extra": {"carries": ["biowaste2"], "vehicles": 1, "payload_t": 5, "speed_kmh": 40, "co2_kg_per_km": 1}})
        or d["materials"].update({"biowaste2": {}})), "fleets.extra.carries", "carries nothing that has to move"),
    ("no_fleet_for_material", _mutate(_set(["fleets", "collection", "carries"], ["compost"])),
     "sites.town.supply.biowaste", "no fleet carries 'biowaste'"),
    ("unreachable_site", _mutate(lambda d: d.update({"network": {"fallback": "none"}}) or d["roads"].pop(1)),
     "sites.platform", "cannot reach"),
    ("horizon_zero", _mutate(_set(["horizon_days"], 0)), "horizon_days", "must be at least 1"),
    ("nan", MINIMAL_TEXT.replace("payload_t: 10", "payload_t: .nan"), "fleets.collection.payload_t", "finite"),
    ("window_outside_year", _mutate(_set(["sites", "farm", "demand", "compost", "windows"], [[60, 400]])),
     "sites.farm.demand.compost.windows.0.1", "must be at most 365"),
    ("unknown_kind", _mutate(_set(["sites", "farm", "kind"], "frm")), "sites.farm.kind", "unknown kind 'frm'"),
]

LINE_RE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+)?:? ?(?P<rest>.*)$")


@pytest.mark.parametrize("case_id,text,path,words", CASES, ids=[c[0] for c in CASES])
def test_loader_reports_problem(case_id, text, path, words, tmp_path):
    file = tmp_path / f"{case_id}.yaml"
    file.write_text(text)
    with pytest.raises(ScenarioError) as info:
        for loaded in load_with_variants(file):
            from ptce_flows.sim.world import build_world
            build_world(loaded)
    messages = [p.format() for p in info.value.problems]
    joined = "\n".join(messages)
    assert words in joined, joined
    if path:
        assert any(p.path == path for p in info.value.problems), joined
        hit = next(p for p in info.value.problems if p.path == path)
        assert hit.line is not None and hit.line >= 1
        assert hit.format().startswith(f"{file}:{hit.line}: {path}: ")


@pytest.mark.parametrize("case_id,text,path,words", CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_cli_exit_2_no_traceback_nothing_written(case_id, text, path, words, tmp_path):
    file = tmp_path / f"{case_id}.yaml"
    file.write_text(text)
    out = tmp_path / "results"
    for command in (["validate", str(file)], ["run", str(file), "--out", str(out)]):
        proc = run_cli(*command, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert words in proc.stderr
        assert str(file) in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [file.name]


def test_all_problems_listed_at_once(tmp_path):
    text = _mutate(lambda d: (
        d["sites"]["platform"].update({"capacity_t_per_day": -1, "storage_t": "big"}),
        d["fleets"]["collection"].update({"payload_tt": 3}),
    ))
    file = tmp_path / "many.yaml"
    file.write_text(text)
    proc = run_cli("validate", str(file))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.startswith(str(file))]
    assert len(lines) == 3, proc.stderr
    # listed in file order
    numbers = [int(line.split(":")[1]) for line in lines]
    assert numbers == sorted(numbers)


def test_debug_shows_traceback(tmp_path):
    file = tmp_path / "bad.yaml"
    file.write_text("name: x\n")
    proc = run_cli("--debug", "validate", str(file))
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


def test_missing_file_and_directory(tmp_path):
    proc = run_cli("run", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    proc = run_cli("validate", str(tmp_path))
    assert proc.returncode == 2 and "is a directory" in proc.stderr


def test_bad_option_values(tmp_path):
    for args in (["--days", "0"], ["--replications", "-1"], ["--jobs", "x"], ["--seed", "-3"]):
        proc = run_cli("run", str(MINIMAL), "--out", str(tmp_path / "o"), *args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_unknown_variant_and_bad_param(tmp_path):
    proc = run_cli("run", str(MINIMAL), "--variant", "nope", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "no variant named 'nope'" in proc.stderr
    proc = run_cli("run", str(MINIMAL), "--param", "sites.platform.storage_t=-5", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "sites.platform.storage_t" in proc.stderr
    proc = run_cli("run", str(MINIMAL), "--param", "novalue", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "PATH=VALUE" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_minimal_is_valid():
    loaded = load_scenario(MINIMAL)
    assert loaded.spec.name == "minimal-loop"
    assert loaded.warnings == ()


def test_labels_per_language(tmp_path):
    from ptce_flows.i18n import label_text
    from ptce_flows.scenario import load_dict

    data = yaml.safe_load(MINIMAL_TEXT)
    data["materials"]["compost"]["label"] = {"en": "compost", "fr": "compost mûr"}
    data["sites"]["farm"]["label"] = {"fr": "Exploitation"}
    spec = load_dict(data).spec
    assert label_text(spec.materials["compost"].label, "fr") == "compost mûr"
    assert label_text(spec.sites["farm"].label, "en") == "Exploitation"  # falls back to any language
    data["sites"]["farm"]["label"] = {"de": "Hof"}
    with pytest.raises(ScenarioError, match="unknown language 'de'"):
        load_dict(data)
