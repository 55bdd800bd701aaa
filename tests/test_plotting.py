"""Figures: every figure for the minimal, the rich test and the shipped scenarios, in English and
French (Agg and SVG canvases), with their labels checked in the SVG text, no overlapping
labels, the Sankey balance, the number formats and the colours."""

from __future__ import annotations

import itertools
import re
import struct

import numpy as np
import pytest
from report_support import RICH, result_set, shipped

from conftest import MINIMAL
from ptce_flows.i18n import NBSP, NNBSP, check_lang, fmt_number, fmt_pct, fmt_qty, tr
from ptce_flows.plotting import figures as F
from ptce_flows.plotting.labels import spread_1d
from ptce_flows.plotting.style import OKABE_ITO, figure, material_colors, render
from ptce_flows.results.derive import kpi_rows, sankey_graph, window_spans

SCENARIOS = [(MINIMAL, 1), (RICH, 3)] + [(p, 1) for p in shipped()]
IDS = [p.stem for p, _ in SCENARIOS]

#: a label of each figure, per language, that must be in the SVG text
EXPECTED = {
    "map": {"en": "Treatment sites", "fr": "Sites de traitement"},
    "sankey": {"en": "Products and residues", "fr": "Produits et résidus"},
    "timeseries": {"en": "Capacity", "fr": "Capacité"},
    "jobs": {"en": "Jobs (FTE per year)", "fr": "Emplois (ETP par an)"},
    "transport": {"en": "Tonne-km (t·km)", "fr": "Tonnes-kilomètres (t·km)"},
    "kpis": {"en": "Diversion rate", "fr": "Taux de valorisation"},
    "climate": {"en": "Net balance", "fr": "Bilan net"},
    "costs": {"en": "Capital (annualised)", "fr": "Investissement (annualisé)"},
}


# --- numbers and words ----------------------------------------------------------------------

def test_french_and_english_number_formats():
    assert fmt_qty(12345.6, "t", "fr", 1) == f"12{NNBSP}345,6{NBSP}t"
    assert fmt_qty(12345.6, "t", "en", 1) == f"12,345.6{NBSP}t"
    assert fmt_number(1234567, "fr", 0) == f"1{NNBSP}234{NNBSP}567"
    assert fmt_number(-0.5, "fr", 1) == "\u22120,5"
    assert fmt_number(-0.0001, "en", 1) == "0.0"          # no "-0.0"
    assert fmt_pct(0.8304, "fr") == f"83,0{NNBSP}%"
    assert fmt_pct(0.8304, "en") == "83.0%"
    assert fmt_qty(3.5, "t/day", "fr", 1) == f"3,5{NBSP}t/j"
    assert fmt_qty(7.93, "FTE", "fr", 1) == f"7,9{NBSP}ETP"
    assert fmt_number(float("nan")) == "–"


def test_labels_exist_in_both_languages_and_fall_back():
    assert tr("kpi.diverted_t", "fr") != tr("kpi.diverted_t", "en")
    assert tr("legend.band", "fr", n=5) == "Plage à 95 % sur 5 réplications"
    assert tr("activity.some_new_process", "fr") == "some new process"
    with pytest.raises(ValueError, match="allowed: en, fr"):
        check_lang("de")


def test_material_colours_are_stable_distinct_and_colour_blind_safe():
    mats = ["biowaste", "green_waste", "compost", "cardboard", "plastics", "metals", "rejects", "xyz"]
    a, b = material_colors(mats), material_colors(list(mats))
    assert a == b
    assert len(set(a.values())) == len(mats)
    assert a["compost"] == OKABE_ITO["bluish_green"] and a["rejects"] == "#999999"


def test_spread_1d_never_overlaps_and_keeps_order():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 12))
        centres = rng.uniform(0, 1, n)
        heights = rng.uniform(0.02, 0.08, n)
        got = spread_1d(centres, heights, 0.0, 1.0)
        order = np.argsort(centres, kind="stable")
        for i, j in itertools.pairwise(order):
            assert got[j] - got[i] >= (heights[i] + heights[j]) / 2 - 1e-9
        if heights.sum() <= 1.0:
            assert got.min() - heights[np.argmin(got)] / 2 >= -1e-9
            assert got.max() + heights[np.argmax(got)] / 2 <= 1.0 + 1e-9


# --- derived tables -------------------------------------------------------------------------

def test_sankey_balances_minimal_loop():
    res = result_set(MINIMAL)
    g = sankey_graph(res, "en")
    kpis = res.summary["kpis"]
    out_of = lambda nid: sum(lk.value for lk in g.links if lk.source == nid)  # noqa: E731
    into = lambda nid: sum(lk.value for lk in g.links if lk.target == nid)  # noqa: E731
    assert out_of("town") == pytest.approx(kpis["generated_t"], rel=1e-6)
    assert into("platform") == pytest.approx(out_of("platform"), rel=1e-6)
    assert into("_losses") == pytest.approx(kpis["process_losses_t"], rel=1e-6)
    assert into("_mat_compost") == pytest.approx(kpis["produced_t"], rel=1e-6)
    assert into("farm") == pytest.approx(kpis["delivered_t"], rel=1e-6)
    assert into("_in_process") + into("_stored") == pytest.approx(
        res.summary["end_stock_t"]["in_process_t"] + res.summary["end_stock_t"]["stored_t"], rel=1e-6)


@pytest.mark.parametrize("scenario,reps", SCENARIOS, ids=IDS)
def test_sankey_every_treatment_site_balances(scenario, reps):
    res = result_set(scenario, reps)
    g = sankey_graph(res, "en", max_per_column=99, min_share=0.0)
    for t in res.sites_of("treatment"):
        inflow = sum(lk.value for lk in g.links if lk.target == t)
        outflow = sum(lk.value for lk in g.links if lk.source == t)
        assert outflow == pytest.approx(inflow, rel=1e-6, abs=1e-6), t
    sources = sum(lk.value for lk in g.links if g.nodes[lk.source].kind == "source")
    waiting_at_start = sum(v for site in (res.summary.get("start_stock_by_site_t") or {}).get("source_stock", {}).values()
                           for v in site.values())
    # the Sankey draws the separately collected stream: the residual (no truck) is left out
    collected_stream = res.summary["kpis"]["generated_t"] - res.summary["kpis"].get("residual_t", 0.0)
    assert sources == pytest.approx(collected_stream + waiting_at_start, rel=1e-6)
    for m in {lk.target for lk in g.links if lk.target.startswith("_mat_")}:
        inflow = sum(lk.value for lk in g.links if lk.target == m)
        outflow = sum(lk.value for lk in g.links if lk.source == m)
        assert outflow == pytest.approx(inflow, rel=1e-6, abs=1e-3), m


def test_kpi_rows_have_intervals_only_with_replications():
    single = kpi_rows(result_set(MINIMAL), "fr")
    assert all(r.interval == "" for r in single)
    rich = kpi_rows(result_set(RICH, 3), "fr")
    assert any(r.interval for r in rich)
    rate = next(r for r in rich if r.key == "diversion_rate")
    assert rate.value.endswith(f"{NNBSP}%") and "," in rate.value


def test_spreading_windows_follow_the_farms_and_the_start_day():
    res = result_set(MINIMAL)
    spans = window_spans(res, "platform")
    assert spans == [(59, 120), (239, 300)]  # windows [60, 120] and [240, 300], day 0 = 1 January


# --- figures -------------------------------------------------------------------------------

def _svg_text(svg: bytes) -> str:
    text = svg.decode("utf-8")
    return re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), text)


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def _overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts of the same axes (or legends) whose boxes overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    fig.set_dpi(300)  # as the PNG files
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    bad = []
    for ax in fig.axes:
        texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
        for ticks in (ax.get_xticklabels(), ax.get_yticklabels()):
            texts += [t for t in ticks if t.get_visible() and t.get_text().strip()]
        boxes = [(t.get_text(), Text.get_window_extent(t, renderer)) for t in texts]  # text only, no leader
        for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            if w > 0.5 and h > 0.5:
                bad.append((ta, tb))
    return bad


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("scenario,reps", SCENARIOS, ids=IDS)
def test_every_figure_renders_with_its_labels(scenario, reps, lang):
    res = result_set(scenario, reps)
    for name in F.FIGURES:
        if not F.available(name, res):
            continue
        fig = F.make_figure(name, res, lang)
        svg = _svg_text(render(fig, "svg"))
        assert len(svg) > 5000, name
        assert "<text" in svg, f"{name}: text must stay text in SVG (svg.fonttype none)"
        assert EXPECTED[name][lang] in svg, f"{name} ({lang}) lacks '{EXPECTED[name][lang]}'"
        other = "fr" if lang == "en" else "en"
        assert EXPECTED[name][other] not in svg, f"{name} ({lang}) mixes languages"
        assert _overlapping_texts(fig) == [], f"{name} ({lang}): overlapping labels"
    if lang == "fr":
        assert NNBSP in svg or "," in svg  # French numbers in the last figure


def test_png_is_300_dpi_at_the_figure_size():
    res = result_set(MINIMAL)
    fig = F.make_figure("jobs", res, "en")
    png = render(fig, "png", dpi=300)
    w, h = _png_size(png)
    fw, fh = fig.get_size_inches()
    assert (w, h) == (round(fw * 300), round(fh * 300))
    assert len(png) > 50_000


def test_french_kpi_figure_uses_french_numbers():
    svg = _svg_text(render(F.make_figure("kpis", result_set(MINIMAL), "fr"), "svg"))
    assert f"3{NNBSP}650{NBSP}t" in svg           # generated: 3,650 t
    assert f"100,0{NNBSP}%" in svg                # diversion rate
    svg_en = _svg_text(render(F.make_figure("kpis", result_set(MINIMAL), "en"), "svg"))
    assert f"3,650{NBSP}t" in svg_en and "100.0%" in svg_en


def test_replication_bands_drawn_only_with_replications():
    from matplotlib.collections import PolyCollection

    from ptce_flows.plotting.timeseries import plot_site_intake

    def bands(res):
        fig, ax = figure()
        plot_site_intake(res, "platform", ax)
        return [c for c in ax.collections if isinstance(c, PolyCollection)
                and "95" in str(c.get_label())]

    assert bands(result_set(MINIMAL)) == []
    assert len(bands(result_set(RICH, 3))) == 1


@pytest.mark.parametrize("name", ["plot_map", "plot_sankey", "plot_site_intake", "plot_site_stocks",
                                  "plot_jobs_by_site", "plot_jobs_by_activity", "plot_transport",
                                  "plot_kpi_table"])
def test_plot_functions_take_an_axes_and_return_it(name):
    import importlib

    module = {"plot_map": "map", "plot_sankey": "sankey", "plot_site_intake": "timeseries",
              "plot_site_stocks": "timeseries", "plot_jobs_by_site": "jobs", "plot_jobs_by_activity": "jobs",
              "plot_transport": "jobs", "plot_kpi_table": "tables"}[name]
    fn = getattr(importlib.import_module(f"ptce_flows.plotting.{module}"), name)
    res = result_set(MINIMAL)
    args = (res, "platform") if name in ("plot_site_intake", "plot_site_stocks") else (res,)
    _fig, ax = figure()
    assert fn(*args, ax=ax) is ax
    own = fn(*args)
    assert own is not ax and own.figure is not None


def test_map_leaves_far_sites_off_the_frame_and_enlarges_a_hub():
    jura = [p for p in shipped() if p.stem == "cluster_jura"]
    if not jura:
        pytest.skip("scenarios/cluster_jura.yaml is not in this checkout")
    from ptce_flows.plotting.maplayout import map_layout

    layout = map_layout(result_set(jura[0]), 1.0, 350.0)
    assert "paper_mill" in layout.far                 # ~180 km away: an arrow, not a dot
    assert "sorting_centre" in layout.hub and layout.inset_rect is not None


def test_importing_the_package_does_not_import_matplotlib():
    import subprocess
    import sys

    code = ("import sys, ptce_flows, ptce_flows.i18n, ptce_flows.plotting, ptce_flows.reports; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tick_labels_keep_the_decimals_the_ticks_need():
    from ptce_flows.plotting.style import number_formatter

    fr = number_formatter("fr")
    assert fr.format_ticks([0, 1.25, 1.5, 1.75]) == ["0,00", "1,25", "1,50", "1,75"]
    assert fr.format_ticks([0, 5000, 10000]) == ["0", "5\u202f000", "10\u202f000"]
    assert number_formatter("en").format_ticks([0.5, 1.0, 1.5]) == ["0.5", "1.0", "1.5"]
