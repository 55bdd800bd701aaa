"""Comparisons with the climate and cost balance (issue 13, item 4): paired differences of net
GHG and net cost, avoided GHG and cost saving, abatement cost with Fieller's interval."""

from __future__ import annotations

import copy
import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from conftest import run_cli
from ptce_flows.experiment import run_scenario
from ptce_flows.experiment.cache import RunCache
from ptce_flows.experiment.plans import PlanError, plan_compare, run_plan
from ptce_flows.experiment.records import COMPACT, RECORD_FORMAT, check_record
from ptce_flows.metrics.abatement import ABATEMENT, abatement, fieller
from ptce_flows.metrics.accounting import balance_factors, quantities, replication_balance
from ptce_flows.scenario.loader import load_dict

DATA = Path(__file__).resolve().parent / "data" / "climate_costs.yaml"
N = 4


def _two_layouts(tmp_path: Path) -> Path:
    """climate_costs.yaml over 150 days with noisy supply and a variant whose platform takes
    everything (10 t/day: nothing refused to the landfill)."""
    data = yaml.safe_load(DATA.read_text())
    data["horizon_days"] = 150
    data["sites"]["town"]["supply"]["biowaste"]["variability"] = {"cv": 0.3}
    data["variants"] = {"bigger": {"description": "platform of 12 t/day",
                                   "set": {"sites.platform.capacity_t_per_day": 12}}}
    file = tmp_path / "cc.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    return file


def _student(values) -> tuple[float, float, float]:
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def test_paired_ghg_and_cost_match_a_recomputation_per_replication(tmp_path):
    file = _two_layouts(tmp_path)
    comp = run_plan(plan_compare([str(file)], replications=N, rank_by="ghg_net_t_co2e"))
    assert not comp.failures
    # the same replications through the other path: whole summaries of `run`, balance per run
    per = {}
    for layout in comp.plan.layouts:
        run = run_scenario(layout.loaded, seed=comp.plan.seed, replications=N)
        f = balance_factors(layout.loaded.spec)
        per[layout.name] = [replication_balance(f, quantities(r, run.world.horizon_days)) for r in run.runs]
    ghg = {name: [b["ghg_t_co2e"]["net"] for b in rows] for name, rows in per.items()}
    cost = {name: [b["costs_eur"]["net"] for b in rows] for name, rows in per.items()}
    assert np.std(ghg["base"]) > 0            # noisy: the intervals are not trivial
    for kpi, series in (("ghg_net_t_co2e", ghg), ("cost_net_eur", cost)):
        diffs = np.array(series["bigger"]) - np.array(series["base"])
        mean, low, high = _student(diffs)
        got = comp.table["layouts"]["bigger"][kpi]["diff"]
        assert got["n"] == N
        assert got["mean"] == pytest.approx(mean, rel=1e-9, abs=1e-6)
        assert got["low"] == pytest.approx(low, rel=1e-9, abs=1e-6)
        assert got["high"] == pytest.approx(high, rel=1e-9, abs=1e-6)
        assert comp.table["layouts"]["bigger"][kpi]["mean"] == pytest.approx(np.mean(series["bigger"]), rel=1e-9)
    # benefits: positive when the layout emits less / costs less
    avoided = comp.table["benefits"]["bigger"]["avoided_ghg_t_co2e"]
    saving = comp.table["benefits"]["bigger"]["cost_saving_eur"]
    assert avoided["mean"] == pytest.approx(np.mean(np.array(ghg["base"]) - ghg["bigger"]), rel=1e-9)
    assert saving["mean"] == pytest.approx(np.mean(np.array(cost["base"]) - cost["bigger"]), rel=1e-9)
    # composting instead of landfilling 600 kg/t: the bigger platform emits less
    assert avoided["mean"] > 0 and avoided["significant"]
    # abatement = mean extra cost / mean avoided GHG
    ab = comp.table["abatement"]["bigger"]
    extra = np.mean(np.array(cost["bigger"]) - cost["base"])
    assert ab["mean"] == pytest.approx(extra / avoided["mean"], rel=1e-6)
    assert ab["status"] == "ok" and ab["low"] <= ab["mean"] <= ab["high"]
    assert comp.table["abatement"]["base"]["status"] == "baseline"
    assert comp.ranking[0]["layout"] == "bigger"     # lower net GHG ranks first


def test_record_of_the_old_format_is_recomputed_and_a_tampered_quantity_refused(tmp_path):
    loaded = load_dict(yaml.safe_load(DATA.read_text()) | {"horizon_days": 60}, str(DATA))
    from ptce_flows.sim.world import build_world

    world = build_world(loaded)
    record = COMPACT.compute(world, np.random.SeedSequence(1))
    assert record["format"] == RECORD_FORMAT == 4
    check_record(copy.deepcopy(record))
    old = copy.deepcopy(record)
    old["format"] = 2
    del old["quantities"]
    with pytest.raises(ValueError, match="version"):
        check_record(old)
    three = copy.deepcopy(record)   # format 3: no tonnes by transfer station
    three["format"] = 3
    del three["quantities"]["transferred_t"]
    with pytest.raises(ValueError, match="version"):
        check_record(three)
    bad = copy.deepcopy(record)
    site = next(iter(bad["quantities"]["disposed_t"]))
    bad["quantities"]["disposed_t"][site] += 5.0
    with pytest.raises(ValueError, match="disposed_t"):
        check_record(bad)
    bad = copy.deepcopy(record)
    bad["quantities"]["fleets"]["collection"]["co2_t"] *= 2
    with pytest.raises(ValueError, match="co2_t"):
        check_record(bad)
    # a stored record of format 2 is a miss: the cache recomputes it
    cache = RunCache(tmp_path)
    seed = np.random.SeedSequence(1)
    path = cache.put("k" * 64, seed, record)
    assert cache.get("k" * 64, seed) == record
    stored = json.loads(path.read_text())
    stored["record"] = old
    path.write_text(json.dumps(stored))
    assert cache.get("k" * 64, seed) is None


# --------------------------------------------------------------------------- abatement cost

def _ab(costs, costs_base, ghgs, ghgs_base, baseline=False):
    def d(v):
        return dict(enumerate(v))

    return abatement(d(costs), d(costs_base), d(ghgs), d(ghgs_base), baseline)


def test_abatement_sign_conventions():
    # pays 100 EUR more to emit 2 t less: 50 EUR per t avoided
    a = _ab([1100.0, 1100.0], [1000.0, 1000.0], [8.0, 8.0], [10.0, 10.0])
    assert (a["mean"], a["low"], a["high"], a["status"]) == (50.0, 50.0, 50.0, "ok")
    assert (a["extra_cost_eur"], a["avoided_t_co2e"]) == (100.0, 2.0)
    # saves 100 EUR and emits 2 t less: negative (a win on both counts)
    assert _ab([900.0, 900.0], [1000.0, 1000.0], [8.0, 8.0], [10.0, 10.0])["mean"] == -50.0
    # emits more: no abatement figure, whatever the cost (never a negative "win")
    for cost in (900.0, 1100.0):
        a = _ab([cost, cost], [1000.0, 1000.0], [12.0, 12.0], [10.0, 10.0])
        assert (a["mean"], a["status"]) == (None, "emits_more")
    # the same emissions: undefined; the baseline itself: none
    assert _ab([1100.0] * 3, [1000.0] * 3, [10.0] * 3, [10.0] * 3)["status"] == "undefined"
    assert _ab([1.0] * 2, [1.0] * 2, [1.0] * 2, [1.0] * 2, baseline=True)["status"] == "baseline"
    # one replication: the point estimate, no interval
    a = _ab([1100.0], [1000.0], [6.0], [10.0])
    assert (a["mean"], a["low"], a["status"]) == (25.0, None, "no_interval")


def test_abatement_with_an_avoided_ghg_near_zero_is_unbounded_not_a_silly_number():
    # avoided GHG of +0.01, -0.02, +0.02, 0.0 t: mean 0.0025 t, not distinguishable from 0
    a = _ab([1100.0, 1090.0, 1110.0, 1100.0], [1000.0] * 4, [9.99, 10.02, 9.98, 10.0], [10.0] * 4)
    assert a["status"] == "unbounded" and a["mean"] is None and a["low"] is None
    assert a["avoided_t_co2e"] == pytest.approx(0.0025)   # the parts are still given


def test_fieller_hand_case():
    # x = extra cost, y = avoided: means 10 and 2; var(x) = 4, var(y) = 1, cov = 2 (n = 3)
    x, y = np.array([8.0, 10.0, 12.0]), np.array([1.0, 2.0, 3.0])
    t2 = stats.t.ppf(0.975, 2) ** 2
    a, b, c = 4 - t2 / 3, 20 - t2 * 2 / 3, 100 - t2 * 4 / 3      # a R² - 2 b R + c = 0
    if a > 0:
        root = math.sqrt(b * b - a * c)
        assert fieller(x, y) == pytest.approx(((b - root) / a, (b + root) / a))
    else:
        assert fieller(x, y) is None
    # t(0.975, 2)^2 = 18.5 > 12 = 3 mean(y)^2 / var(y): here the set is unbounded
    assert fieller(x, y) is None
    assert fieller(np.r_[x, x, x], np.r_[y, y, y]) is not None     # n = 9: bounded


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(0.5, 50.0)), min_size=3, max_size=12))
def test_fieller_ends_are_where_the_paired_t_test_of_x_minus_r_y_just_rejects(pairs):
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    if np.std(x - y * (x.mean() / y.mean())) < 1e-9 * (1 + np.abs(x).max()):
        return   # degenerate: x proportional to y
    got = fieller(x, y)
    if got is None:
        return
    low, high = got
    n, t = len(x), stats.t.ppf(0.975, len(x) - 1)
    assert low <= x.mean() / y.mean() <= high
    for r in (low, high):
        d = x - r * y
        sd = d.std(ddof=1)
        assert abs(d.mean()) == pytest.approx(t * sd / math.sqrt(n), rel=1e-6, abs=1e-6 * (1 + np.abs(x).max()))


# --------------------------------------------------------------------------- command line

def test_cli_compare_ranks_by_abatement_and_writes_the_balance_columns(tmp_path):
    file = _two_layouts(tmp_path)
    out = tmp_path / "out"
    proc = run_cli("compare", str(file), "--replications", "3", "--out", str(out),
                   "--rank-by", ABATEMENT, "--lang", "fr", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader((out / "abatement.csv").open()))
    assert [r["layout"] for r in rows] == ["base", "bigger"]
    assert rows[0]["status"] == "baseline" and rows[1]["status"] == "ok"
    assert float(rows[1]["ci95_low"]) <= float(rows[1]["abatement_cost_eur_per_t_co2e"]) <= float(rows[1]["ci95_high"])
    ranking = list(csv.DictReader((out / "ranking.csv").open()))
    assert ranking[0]["layout"] == "bigger" and ranking[0]["kpi"] == ABATEMENT and ranking[1]["rank"] == ""
    kpis = {r["kpi"] for r in csv.DictReader((out / "comparison.csv").open())}
    assert {"ghg_net_t_co2e", "cost_net_eur", "cost_eur_per_t", ABATEMENT} <= kpis
    svg = (out / "figures" / "benefits.svg").read_text()
    assert "GES évités, bilan net" in svg and "coûte moins)" in svg
    # the terminal summary in French names the abatement cost with its interval
    assert "Coût d'abattement" in proc.stdout and "Fieller" in proc.stdout
    english = run_cli("compare", str(file), "--replications", "3", "--out", str(tmp_path / "en"),
                      "--rank-by", ABATEMENT, cwd=tmp_path)
    assert "Abatement cost" in english.stdout and "Ranking on abatement_cost_eur_per_t_co2e" in english.stdout


def test_rank_by_unknown_kpi_names_the_balance_ones():
    with pytest.raises(PlanError, match="abatement_cost_eur_per_t_co2e"):
        plan_compare([str(DATA)], rank_by="ghg")
