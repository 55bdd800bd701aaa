"""The climate and cost balance of tests/data/climate_costs.yaml checked against a hand
computation (issue 13), and the sourced defaults behind a scenario without factors.

Hand tonnages (the scenario's comments): 10 t/day for 365 days = 3,650 t, one 10 t load a day;
the platform processes 8 t/day (2,920 t/year) and the rest is landfilled (730 t). The
processing ledger books whole 10 t loads, so the run can take one load more than 2,920 t:
received is within one load of the hand figure. Compost = 0.45 x what has matured (input of
the first 365 - 70 = 295 days: 295 x 8 = 2,360 t -> 1,062 t). The farm takes 900 t/year,
450 t in each 61-day window: in the first (days 60-120) only what was made from day 71 on
(50 days x 3.6 t = 180 t), in the second all 450 t: 630 t delivered.

The expected balance is then computed from the run's own tonnages with the factors written in
the scenario, and every term must hold to 0.5 %.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ptce_flows.errors import ScenarioError
from ptce_flows.experiment import run_scenario
from ptce_flows.metrics import factors as fx
from ptce_flows.metrics.aggregate import summary_dict
from ptce_flows.metrics.costs import annuity_factor
from ptce_flows.scenario import load_scenario
from ptce_flows.scenario.loader import load_dict

DATA = Path(__file__).resolve().parent / "data" / "climate_costs.yaml"
REL = 0.005


def _summary(loaded, replications=1):
    run = run_scenario(loaded, replications=replications)
    return summary_dict(loaded.spec.name, run.world, run.seed, run.runs, spec=loaded.spec)


@pytest.fixture(scope="module")
def summary():
    return _summary(load_scenario(DATA))


def test_tonnages_match_the_hand_figures(summary):
    k = summary["kpis"]
    assert k["generated_t"] == pytest.approx(3650.0)
    received = k["diverted_t"]
    assert 2920.0 <= received <= 2920.0 + 10.0            # 8 t/day, plus at most one 10 t load
    assert k["disposed_t"] == pytest.approx(3650.0 - received)
    assert summary["products_t"]["compost"] == pytest.approx(0.45 * 295 * 8)    # 1,062 t
    assert k["delivered_t"] == pytest.approx(180.0 + 450.0)                     # 630 t
    collection = summary["by_fleet"]["collection"]
    loads_to_landfill = k["disposed_t"] / 10.0
    loads_to_platform = received / 10.0
    assert collection["vehicle_km"] == pytest.approx(70 * loads_to_platform + 40 * loads_to_landfill)
    # hours: 0.25 h loading + 0.25 h unloading + the return trip at 50 km/h
    assert collection["driver_hours"] == pytest.approx(1.9 * loads_to_platform + 1.3 * loads_to_landfill)


def test_annuity_of_the_platform():
    assert 1_500_000 * annuity_factor(0.04, 15) == pytest.approx(134_912, abs=1)


def test_ghg_terms_by_hand(summary):
    k, fleets = summary["kpis"], summary["by_fleet"]
    received, landfilled, delivered = k["diverted_t"], k["disposed_t"], k["delivered_t"]
    transport = (1.1 * fleets["collection"]["vehicle_km"] + 1.3 * fleets["spreading"]["vehicle_km"]) / 1000
    expected = {
        "transport": transport,
        "process": 190 * received / 1000,       # 556.7 t with 2,930 t received
        "disposal": 600 * landfilled / 1000,    # 432 t with 720 t landfilled
        "avoided": 35 * delivered / 1000,       # 22.05 t
    }
    expected["net"] = expected["transport"] + expected["process"] + expected["disposal"] - expected["avoided"]
    for term, value in expected.items():
        assert summary["ghg_t_co2e"][term] == pytest.approx(value, rel=REL), term
    assert k["ghg_net_t_co2e"] == pytest.approx(expected["net"], rel=REL)
    assert summary["units"]["ghg_net_t_co2e"] == "t CO2e"


def test_cost_terms_by_hand(summary):
    k, fleets = summary["kpis"], summary["by_fleet"]
    received, landfilled, delivered = k["diverted_t"], k["disposed_t"], k["delivered_t"]
    c, s = fleets["collection"], fleets["spreading"]
    expected = {
        "transport": 1.2 * c["vehicle_km"] + 45 * c["driver_hours"] + 1.0 * s["vehicle_km"] + 40 * s["driver_hours"],
        "capital": 134_912.0,                   # 1.5 M EUR over 15 years at 4 %, 365 of 365 days
        "operating": 120_000 + 25 * received,
        "disposal": 80 * landfilled,
        "taxes": 65 * landfilled,
        "revenue": 10 * delivered,
    }
    expected["net"] = sum(v for t, v in expected.items() if t != "revenue") - expected["revenue"]
    for term, value in expected.items():
        assert summary["costs_eur"][term] == pytest.approx(value, rel=REL), term
    assert k["cost_net_eur"] == pytest.approx(expected["net"], rel=REL)
    assert k["cost_eur_per_t"] == pytest.approx(expected["net"] / 3650.0, rel=REL)
    assert "cost_eur_per_inhabitant_year" not in k          # no population in the scenario


def _data() -> dict:
    return yaml.safe_load(DATA.read_text())


def test_per_inhabitant_and_pro_rata(summary):
    data = _data()
    data["sites"]["town"]["population"] = 50_000
    data["horizon_days"] = 200
    s = _summary(load_dict(data, str(DATA)))
    net = s["costs_eur"]["net"]
    assert s["kpis"]["cost_eur_per_inhabitant_year"] == pytest.approx(net * 365 / 200 / 50_000)
    assert s["costs_eur"]["capital"] == pytest.approx(134_912 * 200 / 365, rel=1e-5)
    assert s["population"] == 50_000


def test_a_range_runs_its_central_value(summary):
    data = _data()
    data["climate"]["processes"]["composting"]["kg_co2e_per_t_input"] = [100, 190, 300]
    data["costs"]["discount_rate"] = [0.02, 0.04, 0.06]
    s = _summary(load_dict(data, str(DATA)))
    assert s["ghg_t_co2e"] == summary["ghg_t_co2e"]
    assert s["costs_eur"] == summary["costs_eur"]


def test_replications_give_intervals():
    data = _data()
    data["sites"]["town"]["supply"]["biowaste"]["variability"] = {"cv": 0.3}
    s = _summary(load_dict(data, str(DATA)), replications=3)
    for key in ("ghg_net_t_co2e", "cost_net_eur", "cost_eur_per_t"):
        low, high = s["uncertainty"][key]["ci95"]
        assert low < s["kpis"][key] < high


def test_defaults_by_type(minimal_data):
    """Without climate: and costs: blocks a typed scenario runs on the sourced defaults."""
    minimal_data["processes"]["composting"]["type"] = "composting"
    minimal_data["sites"]["landfill"]["type"] = "landfill"
    minimal_data["sites"]["platform"]["capacity_t_per_day"] = 8
    s = _summary(load_dict(minimal_data, "minimal.yaml"))
    k = s["kpis"]
    assert s["ghg_t_co2e"]["process"] == pytest.approx(k["diverted_t"] * 0.190)
    assert s["ghg_t_co2e"]["disposal"] == pytest.approx(k["disposed_t"] * 0.600)
    credit = fx.PRODUCT_AVOIDED["composting"].value
    assert s["ghg_t_co2e"]["avoided"] == pytest.approx(k["delivered_t"] * credit / 1000, rel=1e-5)
    assert s["costs_eur"]["taxes"] == pytest.approx(k["disposed_t"] * 65)     # TGAP 2025, landfill
    capex = 200 * 8 * 365 * annuity_factor(0.045, 15)
    assert s["costs_eur"]["capital"] == pytest.approx(capex, rel=1e-5)
    origins = {(r["term"], r["item"]): r["origin"] for r in s["balance_factors"]}
    assert origins[("ghg.process", "platform")].startswith("default (derived): IPCC 2006")


def test_untyped_scenario_still_runs(minimal_data):
    """The original minimal loop (no types) runs: only transport is counted in the GHG balance."""
    minimal_data["processes"]["composting"].pop("type")
    minimal_data["sites"]["landfill"].pop("type")
    s = _summary(load_dict(minimal_data, "minimal.yaml"))
    assert s["ghg_t_co2e"]["process"] == 0.0
    assert s["ghg_t_co2e"]["net"] == pytest.approx(s["ghg_t_co2e"]["transport"])
    assert s["costs_eur"]["transport"] > 0


def test_factor_table_is_complete_and_sourced():
    from typing import get_args

    from ptce_flows.scenario.schema import DisposalType, ProcessType

    for ptype in get_args(ProcessType):
        for table in (fx.PROCESS_GHG, fx.PRODUCT_AVOIDED, fx.PROCESS_COSTS, fx.PRODUCT_PRICE):
            assert ptype in table, ptype
    for dtype in get_args(DisposalType):
        assert dtype in fx.DISPOSAL_GHG and dtype in fx.GATE_FEE and dtype in fx.TGAP_EUR_PER_T
    every = [*fx.PROCESS_GHG.values(), *fx.PRODUCT_AVOIDED.values(), *fx.DISPOSAL_GHG.values(),
             *fx.PRODUCT_PRICE.values(), *fx.GATE_FEE.values(), *fx.ENERGY_KWH_PER_T.values(),
             fx.AVOIDED_KG_PER_KWH, fx.ENERGY_EUR_PER_KWH, fx.FLEET_EUR_PER_KM, fx.FLEET_EUR_PER_H,
             fx.DISCOUNT_RATE, *fx.EQUIVALENCE.values(), *fx.FERTILISER_KG_PER_KG.values(),
             *(f for t in fx.PROCESS_COSTS.values() for f in t.values()), *fx.TRANSFER_COSTS.values(),
             *(f for t in fx.NUTRIENTS_KG_PER_T.values() for f in t.values())]
    for f in every:
        assert f.low <= f.value <= f.high, f
        assert f.unit and f.source and f.status in ("sourced", "derived", "estimate"), f
        if f.status == "sourced":
            assert f.url or f.year, f
        else:
            assert f.note, f"an estimate or a derived figure needs its reasoning: {f}"


def test_tgap_by_year():
    assert fx.tgap("landfill", 2021).value == 54
    assert fx.tgap("landfill", 2025).value == 65
    assert fx.tgap("incineration", 2025).range == (15, 25, 25)
    assert fx.tgap("landfill", 2040).value == fx.tgap("landfill", 2030).value == 85


@pytest.mark.parametrize("change, words", [
    (lambda d: d["climate"]["processes"].update(compostin={"kg_co2e_per_t_input": 1}),
     "unknown process 'compostin'"),
    (lambda d: d["costs"]["sites"]["landfill"].update(capex_eur=5), "does not apply to disposal site"),
    (lambda d: d["costs"]["fleets"]["collection"].update(eur_per_km=-1), "out of bounds"),
    (lambda d: d["climate"]["disposals"].update(platform={"kg_co2e_per_t": 1}), "unknown disposal site"),
    (lambda d: d["costs"].update(discount_rate=[0.05, 0.04, 0.06]), "low <= central <= high"),
    (lambda d: d["sites"]["landfill"].update(type="dump"), "landfill"),
])
def test_bad_blocks_are_reported(change, words):
    data = copy.deepcopy(_data())
    change(data)
    with pytest.raises(ScenarioError, match=words):
        load_dict(data, str(DATA))


def test_waterfall_and_cost_bars_follow_the_summary():
    """The waterfall's steps end at the net balance; the cost bar stacks to the total cost."""
    import matplotlib
    matplotlib.use("Agg")
    from types import SimpleNamespace

    from ptce_flows.plotting.climate import has_balances, plot_cost_bars, plot_ghg_waterfall

    summary = {"ghg_t_co2e": {"transport": 30.0, "process": 500.0, "disposal": 100.0, "avoided": 800.0,
                              "net": -170.0},
               "costs_eur": {"transport": 1e5, "capital": 2e5, "operating": 3e5, "disposal": 5e4,
                             "taxes": 4e4, "revenue": 9e4, "net": 6e5},
               "kpis": {"cost_eur_per_t": 120.0, "cost_eur_per_inhabitant_year": 12.5}}
    results = SimpleNamespace(summary=summary)
    assert has_balances(results) and not has_balances(SimpleNamespace(summary={"kpis": {}}))
    ax = plot_ghg_waterfall(results, lang="en")
    bars = ax.patches
    assert [round(b.get_height(), 6) for b in bars] == [30.0, 500.0, 100.0, 800.0, 170.0]
    assert bars[3].get_y() == pytest.approx(-170.0)          # avoided ends at the net balance
    assert bars[4].get_y() == pytest.approx(-170.0)          # net bar from -170 to 0
    ax = plot_cost_bars(results, lang="fr")
    ends = max(b.get_x() + b.get_width() for b in ax.patches if b.get_y() > 0.5)
    assert ends == pytest.approx(690.0)                       # thousand EUR of costs
    assert "12,5 EUR par habitant et par an" in ax.get_title(loc="left")


def test_transfer_station_costs_by_hand():
    """tests/data/collection_chain.yaml: 10 t/day (3,650 t over the year) go through the
    transfer station. At the defaults: capital 217,000 EUR x 0.045 / (1 - 1.045^-20) =
    16,682.12 EUR a year; running 3 EUR/t x 3,650 t = 10,950 EUR. Given costs replace them, and
    a treatment site's key that does not apply to a station is refused."""
    path = Path(__file__).resolve().parent / "data" / "collection_chain.yaml"
    data = yaml.safe_load(path.read_text())
    s = _summary(load_dict(copy.deepcopy(data), str(path)))
    through = s["kpis"]["transferred_t"]
    assert through == pytest.approx(3650.0, rel=1e-9)
    # the platform's process has no type: no default capex, no EUR/t; the station's alone
    assert s["costs_eur"]["capital"] == pytest.approx(217_000 * 0.045 / (1 - 1.045 ** -20), rel=1e-9)
    assert s["costs_eur"]["capital"] == pytest.approx(16_682.12, abs=0.01)
    assert s["costs_eur"]["operating"] == pytest.approx(3.0 * through, rel=1e-9)
    rows = {(r["quantity"], r["origin"]) for r in s["balance_factors"] if r["item"] == "transfer"}
    assert any(q == "capex_eur" and "Hautes-Alpes" in o for q, o in rows), rows
    assert any(q == "eur_per_t" and "Hautes-Alpes" in o for q, o in rows), rows
    data["costs"] = {"sites": {"transfer": {"capex_eur": 100_000, "life_years": 10, "eur_per_t": 2,
                                            "fixed_eur_per_year": 5_000}}}
    s = _summary(load_dict(copy.deepcopy(data), str(path)))
    assert s["costs_eur"]["capital"] == pytest.approx(100_000 * annuity_factor(0.045, 10), rel=1e-9)
    assert s["costs_eur"]["operating"] == pytest.approx(5_000 + 2.0 * through, rel=1e-9)
    data["costs"] = {"sites": {"transfer": {"gate_fee_eur_per_t": 10}}}
    with pytest.raises(ScenarioError, match="does not apply to transfer station 'transfer'"):
        load_dict(copy.deepcopy(data), str(path))


def test_a_scaled_default_is_in_the_unit_of_its_value(summary):
    """A site's default capex is EUR per t/year of capacity x its capacity: the factor rows give
    it in EUR (they gave the per-capacity unit beside the scaled value)."""
    rows = [r for r in summary["balance_factors"] if r["quantity"] == "capex_eur"]
    assert rows and all(r["unit"] == "EUR" for r in rows), rows
