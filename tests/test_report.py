"""Reports: files written (figures, PDF, HTML) atomically, PDF pages, assumptions with their
sources read from the scenario's comments, bad results folders, and the CLI end to end."""

from __future__ import annotations

import json
import os
import re
import shutil
import zlib
from pathlib import Path

import pytest
from report_support import RICH, copy_results, result_set, results_dir

from conftest import MINIMAL, run_cli
from ptce_flows.errors import UsageError
from ptce_flows.i18n import NBSP, NNBSP
from ptce_flows.reports.assumptions import extract_assumptions, split_comment
from ptce_flows.reports.load import load_results
from ptce_flows.reports.report import write_report

FIGURE_NAMES = ["kpis", "map", "sankey", "timeseries", "jobs", "transport"]


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF: ``/Type /Page`` objects (not ``/Pages``), in plain or Flate streams."""
    assert data.startswith(b"%PDF-")
    pattern = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
    count = len(pattern.findall(data))
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            count += len(pattern.findall(zlib.decompress(match.group(1))))
        except zlib.error:
            pass
    return count


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def minimal_report(tmp_path_factory):
    folder = copy_results(MINIMAL, tmp_path_factory.mktemp("minimal"))
    written = {lang: write_report(folder, lang, dpi=60) for lang in ("en", "fr")}
    return folder, written


def test_every_file_is_written(minimal_report):
    folder, written = minimal_report
    for lang in ("en", "fr"):
        for name in FIGURE_NAMES:
            for ext in ("png", "svg"):
                path = folder / "figures" / lang / f"{name}.{ext}"
                assert path.is_file() and path.stat().st_size > 3000, path
        assert (folder / f"report.{lang}.pdf").stat().st_size > 30_000
        assert (folder / f"report.{lang}.html").stat().st_size > 50_000
        assert set(written[lang]) >= {folder / f"report.{lang}.pdf", folder / f"report.{lang}.html"}
    # the run's own files are untouched, and no temporary folder is left behind
    for name in ("summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml", "manifest.json"):
        assert (folder / name).read_bytes() == (results_dir(MINIMAL) / name).read_bytes()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".") and not p.name.endswith(".runs")]


def test_pdf_page_count(minimal_report):
    folder, _ = minimal_report
    en = pdf_pages((folder / "report.en.pdf").read_bytes())
    fr = pdf_pages((folder / "report.fr.pdf").read_bytes())
    # key figures; map and Sankey; time series, jobs and transport; climate and costs;
    # assumptions and sources
    assert en == fr == 5


def test_pdf_page_count_grows_with_the_scenario(tmp_path):
    folder = copy_results(RICH, tmp_path, replications=3)
    write_report(folder, "en", formats=["pdf"])
    assert pdf_pages((folder / "report.en.pdf").read_bytes()) >= 5
    assert not (folder / "figures").exists()  # only what was asked for


def test_french_html_has_french_words_and_numbers(minimal_report):
    folder, _ = minimal_report
    html = (folder / "report.fr.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    assert "Chiffres clés" in html and "Hypothèses et sources" in html
    assert f"3{NNBSP}650{NBSP}t" in html                    # generated, French format
    assert html.count('src="data:image/svg+xml;base64,') == 7  # every figure but the KPI table
    assert not re.search(r'(src|href)="(https?:)?//', html.split("<ol class=\"refs\">")[0])  # nothing fetched
    en = (folder / "report.en.html").read_text(encoding="utf-8")
    assert "Key figures" in en and f"3,650{NBSP}t" in en


def test_assumptions_come_from_the_scenario_comments(minimal_report):
    folder, _ = minimal_report
    html = (folder / "report.en.html").read_text(encoding="utf-8")
    assert "sites.platform.capacity_t_per_day" in html and "intake limit" in html
    assert "Minimal loop: one town" in html  # the file's header notes
    assert (folder / "scenario.yaml").read_text() == MINIMAL.read_text()


def test_rerun_replaces_the_figures_of_one_language_only(minimal_report):
    folder, _ = minimal_report
    before = (folder / "figures" / "en" / "map.png").stat().st_mtime_ns
    write_report(folder, "fr", formats=["png"], dpi=40)
    assert (folder / "figures" / "en" / "map.png").stat().st_mtime_ns == before
    assert (folder / "figures" / "fr" / "map.svg").exists()     # other formats kept


# --- assumptions ---------------------------------------------------------------------------

def test_split_comment_respects_quotes_and_urls():
    assert split_comment("a: 1   # source: INSEE") == ("a: 1", "source: INSEE", 7)
    assert split_comment("url: http://x.org/#frag") == ("url: http://x.org/#frag", None, -1)
    assert split_comment("t: 'it''s # not'  # yes")[1] == "yes"
    assert split_comment('t: "a \\" # b"  # c')[1] == "c"
    assert split_comment("# full line")[0] == ""


def test_extract_assumptions_rules():
    text = """# Header notes
# on two lines

name: x   # the name
sites:
  # --------------------
  # source: INSEE 2021, populations
  town:
    population: 1000    # source: INSEE 2021,
                        # https://insee.fr/x
    supply: {biowaste: {t_per_day: 3}}   # estimate: 3 t/day from tonnages
  other:
    population: 5
roads:
  - [town, other, 12]   # measured on the map
"""
    notes, items = extract_assumptions(text)
    assert notes == ["Header notes", "on two lines"]
    got = {a.path: (a.value, a.comment) for a in items}
    assert got["name"] == ("x", "the name")
    assert got["sites.town"] == ("", "source: INSEE 2021, populations")
    assert got["sites.town.population"] == ("1000", "source: INSEE 2021, https://insee.fr/x")
    assert got["sites.town.supply"] == ("{biowaste: {t_per_day: 3}}", "estimate: 3 t/day from tonnages")
    assert got["roads.0"] == ("[town, other, 12]", "measured on the map")
    assert "sites.other.population" not in got   # no comment, not listed


def test_sources_are_used_only_if_the_file_is_unchanged(tmp_path):
    folder = copy_results(MINIMAL, tmp_path)
    (folder / "scenario.yaml").unlink()
    scenario = tmp_path / "scenario_copy.yaml"
    scenario.write_text(MINIMAL.read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scenario_file"] = str(scenario)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert load_results(folder).source_text == MINIMAL.read_text()     # found through the manifest
    scenario.write_text(MINIMAL.read_text() + "\n# edited since the run\n")
    res = load_results(folder)
    assert res.source_text is None                                      # hash differs: not used
    write_report(folder, "en", formats=["html"])
    html = (folder / "report.en.html").read_text(encoding="utf-8")
    assert "original scenario file was not found" in html
    assert "sites.platform.capacity_t_per_day" in html                  # values still listed


# --- bad input and atomicity ---------------------------------------------------------------

@pytest.mark.parametrize("damage,message", [
    (lambda f: shutil.rmtree(f), "no such results folder"),
    (lambda f: (f / "summary.json").unlink(), "missing summary.json"),
    (lambda f: (f / "summary.json").write_text("{not json"), "summary.json:1: not valid JSON"),
    (lambda f: (f / "flows.csv").write_text("origin,destination\n"), "flows.csv: missing column"),
    (lambda f: (f / "timeseries.csv").write_text(
        (f / "timeseries.csv").read_text().replace(",0,0,0\n", ",0,zero,0\n", 1)), "is not a number"),
    (lambda f: (f / "scenario.resolved.yaml").write_text("- a list\n"), "expected a scenario"),
])
def test_bad_results_folder_is_an_input_error_and_writes_nothing(tmp_path, damage, message):
    folder = copy_results(MINIMAL, tmp_path)
    damage(folder)
    before = snapshot(folder) if folder.exists() else None
    with pytest.raises(UsageError, match=re.escape(message)):
        write_report(folder, "en", dpi=40)
    assert (snapshot(folder) if folder.exists() else None) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and not p.name.endswith(".runs")]


def test_a_failure_while_rendering_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    folder = copy_results(MINIMAL, tmp_path)
    before = snapshot(folder)
    import ptce_flows.reports.pdf as pdf

    def broken(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pdf, "pdf_report", broken)
    with pytest.raises(RuntimeError):
        write_report(folder, "en", dpi=40)
    assert snapshot(folder) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and not p.name.endswith(".runs")]


def test_unknown_language_or_format_is_refused():
    folder = results_dir(MINIMAL)
    with pytest.raises(UsageError, match="--lang"):
        write_report(folder, "de")
    with pytest.raises(UsageError, match="unknown format 'gif'"):
        write_report(folder, "en", formats=["png,gif"])


# --- command line ---------------------------------------------------------------------------

def test_cli_run_with_report_in_french(tmp_path):
    out = tmp_path / "res"
    proc = run_cli("run", str(MINIMAL), "--out", str(out), "--report", "--lang", "fr")
    assert proc.returncode == 0, proc.stderr
    assert "Rapport :" in proc.stdout and "figures dans" in proc.stdout and "report.fr.pdf" in proc.stdout
    assert (out / "report.fr.pdf").is_file() and (out / "report.fr.html").is_file()
    assert len(list((out / "figures" / "fr").glob("*.png"))) == 8
    assert (out / "summary.json").is_file()
    assert pdf_pages((out / "report.fr.pdf").read_bytes()) == 5


def test_cli_report_command(tmp_path):
    folder = copy_results(MINIMAL, tmp_path)
    proc = run_cli("report", str(folder), "--formats", "pdf", "svg", "--dpi", "50")
    assert proc.returncode == 0, proc.stderr
    assert (folder / "report.en.pdf").is_file() and not (folder / "report.en.html").exists()
    assert (folder / "figures" / "en" / "map.svg").is_file()
    assert not (folder / "figures" / "en" / "map.png").exists()


@pytest.mark.parametrize("args,message", [
    (["report", "{tmp}/nope"], "no such results folder"),
    (["report", "{tmp}"], "not a results folder: missing summary.json"),
    (["report", "{results}", "--formats", "gif"], "unknown format 'gif'"),
    (["report", "{results}", "--lang", "de"], "invalid choice: 'de'"),
    # run --lang fr alone is allowed: it sets results.xlsx and the summary printed
    (["run", str(MINIMAL), "--out", "{tmp}/r", "--lang", "de"], "invalid choice: 'de'"),
])
def test_cli_bad_report_input_exits_2(tmp_path, args, message):
    folder = copy_results(MINIMAL, tmp_path / "copy")
    before = snapshot(folder)
    args = [a.format(tmp=tmp_path / "empty", results=folder) for a in args]
    (tmp_path / "empty").mkdir()
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(folder) == before
    assert os.listdir(tmp_path / "empty") == []


def test_report_of_rich_scenario_has_intervals_and_sources(tmp_path):
    folder = copy_results(RICH, tmp_path, replications=3)
    write_report(folder, "fr", formats=["html"])
    html = (folder / "report.fr.html").read_text(encoding="utf-8")
    assert "Intervalle de confiance à 95" in html
    # the comment is in English in the file (no '# fr:' line): the French report cites the
    # reference and says so, without the English prose
    assert "source: INSEE, 2021 census" not in html and "[insee2021]" in html
    assert "commentaire en anglais dans le fichier du scénario" in html
    write_report(folder, "en", formats=["html"])
    assert "source: INSEE, 2021 census" in (folder / "report.en.html").read_text(encoding="utf-8")
    assert result_set(RICH, 3).replications == 3


def test_report_of_a_scenario_without_treatment(tmp_path, write_yaml):
    scenario = write_yaml({
        "name": "landfill-only", "materials": {"waste": {}},
        "sites": {"town": {"kind": "source", "location": [45.0, 5.0], "supply": {"waste": {"t_per_day": 3}}},
                  "landfill": {"kind": "disposal", "location": [45.05, 5.02], "accepts": ["waste"]}},
        "fleets": {"trucks": {"carries": ["waste"], "vehicles": 1, "payload_t": 10, "speed_kmh": 40,
                              "co2_kg_per_km": 1.0}}})
    out = tmp_path / "res"
    proc = run_cli("run", str(scenario), "--out", str(out), "--days", "30", "--report", "--quiet")
    assert proc.returncode == 0, proc.stderr
    names = {p.stem for p in (out / "figures" / "en").glob("*.png")}
    assert names == {"kpis", "map", "sankey", "jobs", "transport", "climate", "costs"}   # no treatment site: no time series
    assert pdf_pages((out / "report.en.pdf").read_bytes()) >= 3
