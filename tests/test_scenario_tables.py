"""The results tables of scenarios/README.md equal what scenarios/tables.py prints from the goldens.

After a change of figures: ``.venv/bin/python tests/golden/regenerate.py``, then
``.venv/bin/python scenarios/tables.py`` and paste its tables into scenarios/README.md.
Fast: reads JSON and validates the two scenario files, simulates nothing.
"""

from __future__ import annotations

import importlib.util

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("scenario_tables", ROOT / "scenarios" / "tables.py")
tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tables)

README = ROOT / "scenarios" / "README.md"
#: the README's section of each scenario file
SECTIONS = {"organic_vallee": "## Organic'Vallée (`organic_vallee.yaml`)",
            "cluster_jura": "## Clus'Ter Jura (`cluster_jura.yaml`)"}


def _section(stem: str) -> list[str]:
    lines = README.read_text().splitlines()
    start = lines.index(SECTIONS[stem])
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def _readme_table(stem: str, header: tuple[str, ...]) -> list[str]:
    """The lines of the first table of the scenario's section that starts with this header."""
    lines = _section(stem)
    first = tables._row(list(header))
    assert first in lines, f"scenarios/README.md, section {SECTIONS[stem]}: no table with header {first}"
    start = lines.index(first)
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("stem", tables.STEMS)
@pytest.mark.parametrize("which", [0, 1], ids=["results", "terms"])
def test_readme_table_equals_script(stem, which):
    expected = tables.tables(stem)[which]
    header = (tables.RESULTS_HEADER, tables.TERMS_HEADER)[which]
    found = _readme_table(stem, header)
    hint = f"run {tables.COMMAND} {stem} and paste its tables into scenarios/README.md"
    assert len(found) == len(expected), f"{stem}: {len(found) - 2} rows in the README, {len(expected) - 2} layouts; {hint}"
    for got, want in zip(found, expected):
        assert got == want, f"{stem}:\nREADME: {got}\nscript: {want}\n{hint}"


@pytest.mark.parametrize("stem", tables.STEMS)
def test_readme_sensitivity_central_row(stem):
    central = [line for line in _section(stem) if line.startswith("| central | - |")]
    assert central == [tables.sensitivity_central(stem)], f"{stem}: run {tables.COMMAND} {stem}"


@pytest.mark.parametrize("stem", tables.STEMS)
def test_readme_seed_is_the_goldens(stem):
    seed = tables.load_golden(stem)["layouts"]["base"]["seed"]
    assert f"### Results (seed {seed})" in _section(stem)


@pytest.mark.parametrize("stem", tables.STEMS)
def test_omitted_layouts_are_the_base_layout(stem):
    """site_search is left out because ``run`` gives it the base layout's figures."""
    layouts = tables.load_golden(stem)["layouts"]
    for name in tables.OMITTED:
        if name in layouts:
            a, b = dict(layouts[name]), dict(layouts["base"])
            a.pop("variant"), b.pop("variant")
            assert a == b, f"{stem}:{name} differs from the base layout: show it in the README tables"


def test_hand_computed_row():
    """One layout by hand: 2 fleets, one carrying only a process output (a delivery)."""
    layout = {
        "kpis": {"generated_t": 1000.0, "diverted_t": 500.0, "diversion_rate": 0.4994, "residual_t": 500.0,
                 "collected_t": 400.0, "vehicle_km": 5000.0, "jobs_fte": 2.0, "insertion_fte": 0.5,
                 "co2_t": 12.4, "cost_eur_per_t": 150.0, "cost_eur_per_inhabitant_year": 3.25},
        "by_fleet": {"rounds": {"vehicle_km": 3000.0}, "deliveries": {"vehicle_km": 2000.0}},
        "ghg_t_co2e": {"transport": 12.4, "process": 100.0, "disposal": 50.0, "avoided": 20.0, "net": 142.4},
        "costs_eur": {"transport": 10_000.0, "capital": 20_000.0, "operating": 30_000.0, "disposal": 40_000.0,
                      "taxes": 5_000.0, "revenue": 1_500.0, "net": 103_500.0},
    }
    # collection 3000 km / 400 t = 7.5; all 5000 / 400 = 12.5; jobs 2 / 400 t x 10,000 = 50.0;
    # 142.4 t / 1000 t = 142 kg/t
    assert tables.results_row("x", layout, {"deliveries"}) == [
        "x", "1,000", "500", "49.9 %", "500", "7.5", "12.5", "2.0", "50.0", "0.5", "12", "142", "142",
        "104", "150"]
    assert tables.terms_row("x", layout) == [
        "x", "12", "100", "50", "20", "**142**", "10", "20", "30", "40", "5", "2", "**104**", "3.2"]
    layout["kpis"]["collected_t"] = 0.0
    assert tables.results_row("x", layout, set())[5:7] == ["-", "-"]


def test_delivery_fleets_of_the_shipped_files():
    """Product deliveries are the fleets carrying only process outputs (README: 'all vkm/t adds them')."""
    assert tables.delivery_fleets("organic_vallee")["base"] == {"compost_delivery"}
    # the hooklift also takes the sorting rejects (a process output) but carries waste: collection
    assert tables.delivery_fleets("cluster_jura")["base"] == {"bale_haulage", "compost_delivery"}


def test_cli_prints_both_files_and_refuses_unknown(capsys):
    assert tables.main([]) == 0
    out = capsys.readouterr().out
    assert out.count(tables._row(list(tables.RESULTS_HEADER))) == 2
    assert tables.main(["nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err
