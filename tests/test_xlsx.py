"""results.xlsx (issue 15, item 5): every run, comparison and sweep writes a workbook with labels,
units in the headers and numbers as numeric cells; no text cell is ever a formula."""

from __future__ import annotations

import csv
import json
import zipfile

import pytest

openpyxl = pytest.importorskip("openpyxl")

from conftest import MINIMAL, run_cli  # noqa: E402
from ptce_flows.reports.xlsx import Column, Sheet, sheet_name, write_workbook  # noqa: E402

HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")", "bell\x07here"]


def test_text_cells_are_never_formulas(tmp_path):
    path = write_workbook(tmp_path / "w.xlsx", [Sheet("T", [Column("=head"), Column("n", "0.0")],
                                                      [[text, 1.5] for text in HOSTILE])])
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "=head" and ws["A1"].data_type == "s"
    got = [row[0].value for row in ws.iter_rows(min_row=2)]
    assert got[:5] == HOSTILE[:5] and got[5] == "bellhere"   # control character dropped
    assert all(row[0].data_type == "s" for row in ws.iter_rows(min_row=2))
    assert all(row[1].data_type == "n" and row[1].value == 1.5 and row[1].number_format == "#,##0.0"
               for row in ws.iter_rows(min_row=2))


def test_numbers_stay_numbers_and_nan_is_empty(tmp_path):
    import numpy as np

    path = write_workbook(tmp_path / "w.xlsx", [Sheet("N", [Column("a", "int"), Column("b", "pct")],
                                                      [[np.int64(3), float("nan")], [7, 0.25]])])
    ws = openpyxl.load_workbook(path).active
    assert ws["A2"].value == 3 and ws["B2"].value is None
    assert ws["B3"].value == 0.25 and ws["B3"].number_format == "0.0%"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    assert sheet_name("a/b:c", taken) == "a b c"
    assert sheet_name("A B C", taken) == "A B C (2)"
    long = sheet_name("x" * 40, taken)
    assert len(long) == 31


@pytest.fixture(scope="module")
def french_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("xlsx") / "res"
    proc = run_cli("run", str(MINIMAL), "--out", str(out), "--days", "30", "--lang", "fr", "--replications", "2",
                   "--param", "sites.town.label={en: Town, fr: Ville}",
                   "--param", "sites.platform.label={en: Platform, fr: Plateforme}")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_run_writes_a_french_workbook_with_the_figures_of_the_csv(french_run):
    out, _proc = french_run
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert book.sheetnames == ["Chiffres clés", "Flux", "Emplois", "Flottes", "Séries journalières",
                               "Hypothèses", "Facteurs climat et coûts"]
    summary = json.loads((out / "summary.json").read_text())
    kpis = {row[0].value: row for row in book["Chiffres clés"].iter_rows(min_row=3)}
    # 10 t/day for 30 days, all of it composted: hand-computed, and equal to summary.json
    diverted = kpis["Valorisé (entré en traitement)"]
    assert diverted[1].value == "t" and diverted[2].value == pytest.approx(300.0)
    assert diverted[2].value == summary["kpis"]["diverted_t"] and diverted[2].data_type == "n"
    assert kpis["Taux de valorisation"][2].value == pytest.approx(100.0)
    assert kpis["Emplois"][1].value == "ETP"
    flows = list(book["Flux"].iter_rows(values_only=True))
    assert flows[0][:2] == ("Origine", "Type d'origine") and flows[0][6] == "Masse (t)"
    with open(out / "flows.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(r[6] for r in flows[1:]) == pytest.approx(sum(float(r["mass_t"]) for r in rows))
    # labels, not ids
    assert {r[0] for r in flows[1:]} <= {"Ville", "Plateforme"} and "town" not in {r[0] for r in flows[1:]}
    daily = list(book["Séries journalières"].iter_rows(values_only=True))
    assert len(daily) == 31 and daily[0][0] == "Jour de simulation (j)"
    intake = daily[0].index("Plateforme : apports, biowaste (t/j)".replace(" :", "\u202f:"))
    assert [row[intake] for row in daily[1:]] == pytest.approx([10.0] * 30)


def test_english_workbook_and_registered_as_ours(tmp_path):
    from ptce_flows.reports.files import is_ours

    assert is_ours("results.xlsx")
    out = tmp_path / "res"
    proc = run_cli("run", str(MINIMAL), "--out", str(out), "--days", "20", "--quiet")
    assert proc.returncode == 0, proc.stderr
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert book.sheetnames[:5] == ["Key figures", "Flows", "Jobs", "Fleets", "Daily series by site"]
    head = [c.value for c in book["Key figures"][2]]
    assert head == ["Indicator", "Unit", "Mean", "95 % interval, low", "95 % interval, high"]
    assumptions = list(book["Assumptions"].iter_rows(values_only=True))
    assert any(r[0] == "processes.composting.outputs" and "0.55" in r[2] for r in assumptions)


def test_sweep_writes_its_workbook(tmp_path):
    out = tmp_path / "sweep"
    proc = run_cli("sweep", str(MINIMAL), "--param", "sites.platform.capacity_t_per_day=8,12", "--days", "20",
                   "--out", str(out), "--quiet", "--lang", "fr")
    assert proc.returncode == 0, proc.stderr
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert book.sheetnames == ["Comparaison", "Gains", "Classement", "Coût d'abattement", "Réplications"]
    rows = list(book["Comparaison"].iter_rows(min_row=3, values_only=True))
    head = [c.value for c in book["Comparaison"][2]]
    assert head[:3] == ["Implantation", "sites.platform.capacity_t_per_day", "Indicateur"]
    diverted = {r[1]: r[head.index("Moyenne")] for r in rows if r[2] == "Valorisé (entré en traitement) (t)"}
    # 10 t/day into a 12 t/day site: all 200 t; into 8 t/day: what 20 days process, plus the one
    # 10 t load booked ahead on the processing ledger (reception_days 1)
    assert diverted[12] == pytest.approx(200.0) and 8 * 20 - 10 <= diverted[8] <= 8 * 20 + 10


def test_in_memory_and_streamed_workbooks_hold_the_same_cells(tmp_path, monkeypatch):
    """Lists of rows are assembled in memory, iterators and large sheets streamed to disk: the
    cells (values, types, formats) are the same either way."""
    from ptce_flows.reports import xlsx

    columns = [Column("name"), Column("t", "0.000"), Column("n", "int")]
    rows = [[text, 1.5 * i, i] for i, text in enumerate([*HOSTILE, "plain", "é à ç", "x" * 40])]
    assert not xlsx._streamed([Sheet("S", columns, rows)])
    assert xlsx._streamed([Sheet("S", columns, iter(rows))])
    monkeypatch.setattr(xlsx, "IN_MEMORY_CELLS", 10)
    assert xlsx._streamed([Sheet("S", columns, rows)])
    monkeypatch.undo()

    def cells(path):
        ws = openpyxl.load_workbook(path).active
        return [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]

    memory = write_workbook(tmp_path / "memory.xlsx", [Sheet("S", columns, rows)])
    streamed = write_workbook(tmp_path / "streamed.xlsx", [Sheet("S", columns, iter(rows))])
    assert cells(memory) == cells(streamed)
    assert cells(memory)[1][0] == ("=1+1", "s", "General")


def test_french_factor_sheet_speaks_french(tmp_path):
    """The climate and cost factors sheet in French: units, quantities and the origin's own
    words in French (the cited publication as written)."""
    from conftest import ROOT

    out = tmp_path / "fr"
    done = run_cli("run", str(ROOT / "tests" / "data" / "collection_chain.yaml"), "--lang", "fr", "--out", str(out),
                   "--quiet")
    assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(out / "results.xlsx", read_only=True)["Facteurs climat et coûts"]
    rows = [r for r in ws.iter_rows(values_only=True)][1:]
    units = {r[4] for r in rows}
    origins = " ".join(str(r[5]) for r in rows)
    assert not units & {"years", "EUR/year", "EUR/t transferred", "EUR/t input", "EUR/vehicle-h",
                        "EUR/h per crew member", "EUR per t/year of capacity"}, units
    for english in ("default (", "estimate (ptce_flows)", "default:", "give it in the scenario"):
        assert english not in origins, english
    assert "scenario" not in {r[5] for r in rows}
    station = {r[2]: (r[3], r[4], r[5]) for r in rows if r[1] == "transfer"}
    assert station["investissement (capex_eur)"][:2] == (217000, "EUR")
    assert station["coût d'exploitation par t (eur_per_t)"][1] == "EUR/t transféré"
    assert station["investissement (capex_eur)"][2].startswith("par défaut (sourcé) : ")
