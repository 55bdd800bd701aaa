"""Hostile scenario files and --param values (issue 10): files that validate but would run away,
numbers Python cannot convert, YAML 1.1 misreadings, alias bombs, variant bombs.

Each case ends in exit code 2 with a message naming the key, quickly and in little memory; the
files of tests/data/invalid/ hold most of them (cases.yaml), this module the cases that need a
generated file, a measurement or a command line.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import MINIMAL, ROOT, SCENARIOS
from ptce_flows.cli import main
from ptce_flows.errors import ScenarioError
from ptce_flows.scenario import budget, load_scenario, load_with_variants, parse_override
from ptce_flows.scenario.yamlio import parse_yaml

CORPUS = Path(__file__).parent / "data" / "invalid"
MINIMAL_TEXT = MINIMAL.read_text()

RUNAWAY = {  # each of these made a run take gigabytes or never finish (issue 10)
    "payload_1e-300.yaml": "fleets.collection.payload_t",
    "payload_1e-6.yaml": "fleets.collection.payload_t",
    "supply_1e9_t_per_day.yaml": "sites.town.supply.biowaste.t_per_day",
    "capacity_1e-8.yaml": "sites.platform.capacity_t_per_day",
    "speed_1e-9.yaml": "fleets.collection.speed_kmh",
    "too_many_trips.yaml": "fleets.collection.payload_t",
    "too_many_breakdowns.yaml": "disruptions.0.per_vehicle_per_year",
}


def _problems(file) -> list:
    with pytest.raises(ScenarioError) as info:
        load_with_variants(file)
    return info.value.problems


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_runaway_scenarios_exit_2_at_once(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started = time.perf_counter()
    assert main(["run", str(CORPUS / name), "--out", str(tmp_path / "out")]) == 2
    assert time.perf_counter() - started < 5  # refused before the run: well under a second here
    err = capsys.readouterr().err
    assert f": {RUNAWAY[name]}: " in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_budget_names_the_payload_and_the_limit(write_yaml):
    text = MINIMAL_TEXT.replace("payload_t: 10", "payload_t: 0.05").replace("t_per_day: 10}", "t_per_day: 1000}")
    problems = _problems(write_yaml(text))
    assert len(problems) == 1
    p = problems[0]
    assert p.path == "fleets.collection.payload_t" and p.line is not None
    assert "about 7,300,4" in p.message and "loads of 0.05 t" in p.message
    assert f"at most {budget.MAX_TRIPS:,} trips" in p.allowed


def test_budget_counts_the_horizon(write_yaml):
    """The same tonnage is fine for a year and refused for forty (trips scale with days)."""
    text = MINIMAL_TEXT.replace("payload_t: 10", "payload_t: 1").replace("t_per_day: 10}", "t_per_day: 500}")
    load_scenario(write_yaml(text))
    with pytest.raises(ScenarioError, match="truck trips"):
        load_scenario(write_yaml(text), overrides={"horizon_days": 40 * 365})


def test_budget_refuses_memory(write_yaml):
    """Daily series x days beyond the memory limit name horizon_days."""
    sources = "".join(f"  s{i}: {{kind: source, location: [43.6, 1.4], supply: {{biowaste: {{t_per_day: 0.1}}}}, "
                      f"collection: {{every_days: 365}}}}\n" for i in range(2000))
    text = MINIMAL_TEXT.replace("sites:\n", "sites:\n" + sources).replace("horizon_days: 365", "horizon_days: 36500")
    problems = _problems(write_yaml(text))
    hit = [p for p in problems if p.path == "horizon_days"]
    assert hit and "GB of memory" in hit[0].message and "2,000 daily series" not in hit[0].message


def test_shipped_scenarios_are_far_below_the_budget():
    for file in sorted(SCENARIOS.glob("*.yaml")):
        for loaded in load_with_variants(file):
            spec = loaded.spec
            trips = sum(load.amount for load in budget.trip_loads(spec))
            assert trips * (spec.horizon_days + spec.warmup_days) / 365 < budget.MAX_TRIPS / 20


def test_smallest_allowed_values_run_quickly(tmp_path):
    """The lower bounds themselves are safe: a 0.01 t/day site, 1 km/h trucks, 0.05 t loads."""
    text = (MINIMAL_TEXT.replace("capacity_t_per_day: 12 ", "capacity_t_per_day: 0.01 ")
            .replace("speed_kmh: 50", "speed_kmh: 1").replace("payload_t: 20", "payload_t: 0.05"))
    file = tmp_path / "small.yaml"
    file.write_text(text)
    started = time.perf_counter()
    assert main(["run", str(file), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert time.perf_counter() - started < 60


# --------------------------------------------------------------------------- YAML 1.2 scalars

def test_no_sexagesimal_octal_or_yes_no(write_yaml):
    text = (MINIMAL_TEXT.replace("vehicles: 2", "vehicles: 010")
            .replace("materials:\n", "materials:\n  no: {description: 2024-05-01}\n  on: {}\n"))
    loaded = load_with_variants(write_yaml(text))[0]
    assert loaded.spec.fleets["collection"].vehicles == 10
    assert loaded.spec.materials["no"].description == "2024-05-01"
    assert "on" in loaded.spec.materials


def test_core_schema_scalars():
    doc = parse_yaml("a: 1:10\nb: 010\nc: 0o10\nd: 0x1F\ne: 1e9\nf: yes\ng: true\nh: ~\ni: null\n"
                     "j: .inf\nk: 1_000\nl: False\nm: -.5\nn: 2024-05-01\n", "t")
    assert doc.data == {"a": "1:10", "b": 10, "c": 8, "d": 31, "e": 1e9, "f": "yes", "g": True, "h": None,
                        "i": None, "j": float("inf"), "k": 1000, "l": False, "m": -0.5, "n": "2024-05-01"}
    assert type(doc.data["e"]) is float


def test_every_shipped_file_reads_as_before():
    """No shipped or test file relies on a YAML 1.1 reading: the 1.2 loader gives the same data."""
    files = [*SCENARIOS.glob("*.yaml"), *(ROOT / "tests" / "data").glob("*.yaml"),
             *(ROOT / "tests" / "golden").rglob("*.yaml")]
    assert len(files) >= 4
    for file in files:
        text = file.read_text()
        assert parse_yaml(text, str(file)).data == yaml.safe_load(text), file


def test_merge_may_replace_a_single_value_only(write_yaml):
    text = MINIMAL_TEXT.replace("      compost: {t_per_year: 900, windows: [[60, 120], [240, 300]]}",
                                "      compost:\n        <<: {t_per_year: 500, windows: [[60, 120]]}\n"
                                "        t_per_year: 900")
    loaded = load_with_variants(write_yaml(text))[0]
    demand = loaded.spec.sites["farm"].demand["compost"]
    assert demand.t_per_year == 900 and demand.windows == [(60, 120)]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("        t_per_year: 900"))
    assert loaded.line_of(("sites", "farm", "demand", "compost", "t_per_year")) == line
    twice = text.replace("        t_per_year: 900", "        windows: [[1, 30]]")
    problems = _problems(write_yaml(twice))
    assert [p.path for p in problems] == ["sites.farm.demand.compost.windows"]
    assert "defined twice" in problems[0].message


# --------------------------------------------------------------------------- alias bombs

def test_alias_bomb_refused_in_little_memory():
    """A 3 KB bomb (10^11 nodes once expanded) is refused quickly, its peak memory measured
    with ``resource.getrusage`` in a fresh process."""
    file = CORPUS / "alias_bomb_3kb.yaml"
    assert file.stat().st_size < 4000
    code = ("import resource, sys\n"
            "from ptce_flows.errors import ScenarioError\n"
            "from ptce_flows.scenario import load_scenario\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"try:\n    load_scenario({str(file)!r})\nexcept ScenarioError as exc:\n    print(exc)\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "expands to more than" in proc.stdout, proc.stderr
    grown_mb = int(proc.stdout.split()[-1])
    assert grown_mb < 30, grown_mb  # peak growth while loading (about 400 MB before the fix)


# --------------------------------------------------------------------------- --param values

def test_param_with_5000_digits(tmp_path, capsys):
    assert main(["run", str(MINIMAL), "--out", str(tmp_path / "o"), "--param", "seed=" + "9" * 5000]) == 2
    err = capsys.readouterr().err
    assert "--param: seed: a number of 5,000 digits (at most 30 digits)" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["[" * 900 + "]" * 900, "{a: " * 500 + "1" + "}" * 500])
def test_param_nested_too_deep(value, tmp_path, capsys):
    assert main(["run", str(MINIMAL), "--out", str(tmp_path / "o"), "--param", f"seed={value}"]) == 2
    err = capsys.readouterr().err
    assert "nesting is too deep (at most 64 levels)" in err and "Traceback" not in err


def test_param_values_read_like_the_file():
    assert parse_override("processes.composting.residence_days=1:10") == (
        "processes.composting.residence_days", "1:10")
    assert parse_override("fleets.collection.vehicles=010") == ("fleets.collection.vehicles", 10)
    assert parse_override("name=[unclosed") == ("name", "[unclosed")
    with pytest.raises(ScenarioError, match="expands to more than"):
        parse_override("x=[&a0 [x, x, x, x, x, x, x, x, x, x], " + ", ".join(
            f"&a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)) + "]")


# --------------------------------------------------------------------------- variants

def _variants(n: int, chain: int) -> str:
    lines = ["variants:"]
    for i in range(n):
        parent = f", extends: v{i - 1}" if i % chain else ""
        lines.append(f"  v{i}: {{set: {{sites.platform.capacity_t_per_day: {10 + i % 7}}}{parent}}}")
    return MINIMAL_TEXT + "\n".join(lines) + "\n"


def test_thousand_variants_in_chains_of_hundred(write_yaml):
    file = write_yaml(_variants(1000, 100))
    started = time.perf_counter()
    loaded = load_with_variants(file)
    assert len(loaded) == 1001 and time.perf_counter() - started < 60
    assert loaded[-1].spec.sites["platform"].capacity_per_day == 10 + 999 % 7


@pytest.mark.parametrize("n,chain,words", [(20_000, 1, "20,000 variants, more than 1,000"),
                                           (3000, 3000, "3,000 variants, more than 1,000")])
def test_variant_bombs_refused(n, chain, words, write_yaml):
    file = write_yaml(_variants(n, chain))
    started = time.perf_counter()
    problems = _problems(file)
    assert time.perf_counter() - started < 30  # minutes before; most of this is reading the YAML
    assert [p.path for p in problems] == ["variants"] and words in problems[0].message


def test_cycle_reported_once_with_its_loop(write_yaml):
    text = MINIMAL_TEXT + "variants:\n  a: {extends: c}\n  b: {extends: a}\n  c: {extends: b}\n  d: {extends: c}\n"
    problems = _problems(write_yaml(text))
    cycles = [p for p in problems if "cycle" in p.message]
    assert len(cycles) == 1 and "a -> c -> b -> a" in cycles[0].message
    assert cycles[0].path == "variants.a.extends"


# --------------------------------------------------------------------------- warnings

def test_zero_demand_is_warned(write_yaml, capsys):
    file = write_yaml(MINIMAL_TEXT.replace("t_per_year: 900", "t_per_year: 0"))
    assert main(["validate", str(file)]) == 0
    err = capsys.readouterr().err
    assert f"{file}:" in err and "sites.farm.demand.compost.t_per_year: a demand of 0 t/year" in err
    assert "nobody else takes it" in err
    assert "sites.platform.process: nobody takes 'compost'" in err


def test_load_dict_keeps_text_that_looks_like_numbers(minimal_data):
    from ptce_flows.scenario import load_dict

    minimal_data["description"] = "0o10"
    minimal_data["materials"]["biowaste"]["description"] = "1e9"
    minimal_data["materials"]["no"] = {"description": "1:10"}
    spec = load_dict(minimal_data).spec
    assert spec.description == "0o10" and spec.materials["biowaste"].description == "1e9"
    assert spec.materials["no"].description == "1:10"
