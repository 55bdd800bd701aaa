"""Plausibility warnings (issue 12, item 7): one test per warning, on the minimal scenario with
one value changed; each warning names the file, the line, the key path, the value and why it
is implausible. ``--strict`` turns them into errors (exit 2, nothing written) through the real
command line; shipped scenarios and the example files give none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINIMAL, ROOT, SCENARIOS, run_cli
from ptce_flows.cli import main
from ptce_flows.scenario import load_scenario, load_with_variants

MINIMAL_TEXT = MINIMAL.read_text()


def _warnings(write_yaml, old: str, new: str) -> list:
    assert old in MINIMAL_TEXT
    file = write_yaml(MINIMAL_TEXT.replace(old, new, 1))
    return [w for w in load_scenario(file).warnings]


def _one(warnings: list, path: str):
    found = [w for w in warnings if w.path == path]
    assert len(found) == 1, [w.format() for w in warnings]
    assert found[0].line is not None and found[0].file.endswith("scenario.yaml")
    return found[0]


def test_payload_above_44_t(write_yaml):
    w = _one(_warnings(write_yaml, "payload_t: 10", "payload_t: 45"), "fleets.collection.payload_t")
    assert "payload of 45 t" in w.message and "44 t" in w.message and "R312-4" in w.message
    assert not _warnings(write_yaml, "payload_t: 10", "payload_t: 44")


@pytest.mark.parametrize("speed, why", [(12, "slower than a collection round"), (120, "R413-8")])
def test_speed_outside_15_110(write_yaml, speed, why):
    w = _one(_warnings(write_yaml, "speed_kmh: 50", f"speed_kmh: {speed}"), "fleets.collection.speed_kmh")
    assert f"{speed} km/h" in w.message and why in w.message and "15-110" in w.allowed


@pytest.mark.parametrize("speed", [15, 110])
def test_speed_bounds_are_plausible(write_yaml, speed):
    assert not _warnings(write_yaml, "speed_kmh: 50", f"speed_kmh: {speed}")


def test_site_far_from_every_other_suggests_swapped_coordinates(write_yaml):
    w = _one(_warnings(write_yaml, "[43.4200, 1.9100]", "[1.9100, 43.4200]"), "sites.farm.location")
    # (1.91 N, 43.42 E) is in the Indian Ocean; swapped back it is 7 km from the platform
    assert "[1.91, 43.42]" in w.message and "km from the nearest other site" in w.message
    assert "swapped" in w.allowed and "[43.42, 1.91]" in w.allowed


def test_isolated_site_without_a_swap_says_check_the_location(write_yaml):
    w = _one(_warnings(write_yaml, "[43.4200, 1.9100]", "[48.8566, 2.3522]"), "sites.farm.location")
    # Paris to the landfill (43.65 N, 1.30 E): 5.2066 deg x 111.19 km north, 1.0522 deg x 111.19 x
    # cos(46.25 deg) = 80.8 km east: sqrt(578.9^2 + 80.8^2) = 584.5 km
    assert "is 585 km from the nearest other site ('landfill')" in w.message
    assert "swapped" not in w.allowed


def test_source_above_10000_t_per_day(write_yaml):
    warnings = _warnings(write_yaml, "biowaste: {t_per_day: 10}", "biowaste: {t_per_day: 10001}")
    w = _one(warnings, "sites.town.supply.biowaste.t_per_day")
    assert "10,001 t/day" in w.message and "10,000 t/day" in w.message
    # and the platform's 12 t/day is under 10 % of what can reach it
    assert "under 10 %" in _one(warnings, "sites.platform.capacity_t_per_day").message


@pytest.mark.parametrize("capacity, expected", [(0.99, "under 10 %"), (101, "more than 10 times")])
def test_capacity_against_the_supply_that_can_reach_it(write_yaml, capacity, expected):
    w = _one(_warnings(write_yaml, "capacity_t_per_day: 12", f"capacity_t_per_day: {capacity}"),
             "sites.platform.capacity_t_per_day")
    assert expected in w.message and "the 10 t/day of biowaste" in w.message


@pytest.mark.parametrize("capacity", [1, 100])
def test_capacity_bounds_are_plausible(write_yaml, capacity):
    assert not _warnings(write_yaml, "capacity_t_per_day: 12", f"capacity_t_per_day: {capacity}")


def test_capacity_per_year_is_compared_per_day(write_yaml):
    w = _one(_warnings(write_yaml, "capacity_t_per_day: 12", "capacity_t_per_year: 365000"),
             "sites.platform.capacity_t_per_year")
    assert "365,000 t/year (1,000 t/day) is 100 x" in w.message


def test_deliver_to_limits_the_supply_that_can_reach_a_site(write_yaml):
    text = MINIMAL_TEXT.replace("  farm:\n", "  platform2:\n    kind: treatment\n    location: [43.46, 1.84]\n"
                                "    process: composting\n    capacity_t_per_day: 12\n    storage_t: 100\n  farm:\n", 1)
    text = text.replace("      biowaste: {t_per_day: 10}", "      biowaste: {t_per_day: 10}\n    deliver_to: [platform]", 1)
    text = text.replace("  - [platform, farm, 12]", "  - [platform, farm, 12]\n  - [platform, platform2, 2]")
    w = _one(load_scenario(write_yaml(text)).warnings, "sites.platform2.capacity_t_per_day")
    assert "no source supplies biowaste" in w.message


def test_zero_demand_and_product_nobody_takes(write_yaml):
    warnings = _warnings(write_yaml, "t_per_year: 900", "t_per_year: 0")
    assert "a demand of 0 t/year" in _one(warnings, "sites.farm.demand.compost.t_per_year").message
    assert "nobody takes 'compost'" in _one(warnings, "sites.platform.process").message


# --------------------------------------------------------------------------- --strict, real CLI

@pytest.mark.slow  # two fresh processes (about 2 s each on a loaded machine)
def test_strict_makes_warnings_errors(write_yaml, tmp_path):
    file = write_yaml(MINIMAL_TEXT.replace("payload_t: 10", "payload_t: 45", 1))
    proc = run_cli("validate", "--strict", str(file))
    assert proc.returncode == 2 and "OK" not in proc.stdout and "Traceback" not in proc.stderr
    assert f"error: {file}:" in proc.stderr and "fleets.collection.payload_t: payload of 45 t" in proc.stderr
    out = tmp_path / "out"
    proc = run_cli("run", str(file), "--strict", "--out", str(out))
    assert proc.returncode == 2 and "payload of 45 t" in proc.stderr and "--strict" in proc.stderr
    assert not out.exists()


def test_without_strict_warnings_never_stop(write_yaml, tmp_path, capsys):
    file = write_yaml(MINIMAL_TEXT.replace("payload_t: 10", "payload_t: 45", 1))
    assert main(["validate", str(file)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK ")
    assert f"warning: {file}:" in captured.err and "fleets.collection.payload_t: payload of 45 t" in captured.err
    out = tmp_path / "out"
    assert main(["run", str(file), "--days", "20", "--out", str(out)]) == 0
    assert "warning:" in capsys.readouterr().err and (out / "summary.json").exists()


def test_strict_passes_clean_files(capsys):
    assert main(["validate", "--strict", str(MINIMAL), str(SCENARIOS / "cluster_jura.yaml")]) == 0
    assert capsys.readouterr().err == ""


def test_variant_warning_is_printed_once(write_yaml, capsys):
    text = MINIMAL_TEXT.replace("payload_t: 10", "payload_t: 45", 1)
    text += "variants:\n  a: {set: {seed: 2}}\n  b: {set: {seed: 3}}\n"
    assert main(["validate", str(write_yaml(text))]) == 0
    assert capsys.readouterr().err.count("payload of 45 t") == 1


EXAMPLES = sorted([*SCENARIOS.glob("*.yaml"), *(ROOT / "tests" / "data").glob("*.yaml")])


@pytest.mark.parametrize("file", EXAMPLES, ids=lambda f: f.name)
def test_shipped_and_example_files_give_no_warning(file: Path):
    for loaded in load_with_variants(file):
        assert loaded.warnings == (), [w.format() for w in loaded.warnings]


def test_strict_compare_and_sweep_refuse_before_running(write_yaml, tmp_path, capsys):
    text = MINIMAL_TEXT.replace("payload_t: 10", "payload_t: 45", 1) + "variants:\n  a: {set: {seed: 2}}\n"
    file = write_yaml(text)
    out = tmp_path / "cmp"
    assert main(["compare", str(file), "--strict", "--out", str(out), "--quiet"]) == 2
    assert main(["sweep", str(file), "--param", "seed=1,2", "--strict", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("error: ") == 4 and "payload of 45 t" in err
    assert not out.exists() and not (tmp_path / ".cmp.runs").exists()


def test_isolated_site_sieve_keeps_every_isolated_site():
    """``_maybe_isolated`` rules out only sites with a neighbour surely within ISOLATED_KM: on
    random sets (spread over the globe, clustered with a few outliers, on a grid about 150 km
    apart) every site the full great-circle search finds isolated is kept."""
    import random

    from ptce_flows.scenario import plausibility as p

    rnd = random.Random(12)
    for trial in range(150):
        n = rnd.choice([2, 3, 10, 80, 600])
        mode = trial % 3
        lat, lon = [], []
        for i in range(n):
            if mode == 0:
                a, b = rnd.uniform(-90, 90), rnd.uniform(-180, 180)
            elif mode == 1:
                a, b = rnd.uniform(43, 45), rnd.uniform(1, 3)
                if rnd.random() < 0.05:
                    a, b = b, a
            else:  # neighbours near the threshold
                a, b = 40 + (i % 4) * rnd.uniform(1.3, 1.4), (i // 4 % 5) * rnd.uniform(1.7, 1.9)
            lat.append(round(a, rnd.choice([1, 6])))
            lon.append(round(b, rnd.choice([1, 6])))
        nearest, _ = p._nearest_km(lat, lon, lat, lon, exclude=list(range(n)))
        maybe = set(p._maybe_isolated(lat, lon))
        assert {i for i in range(n) if nearest[i] > p.ISOLATED_KM} <= maybe
