"""The report of a comparison (issue 15, item 7) and progress on a terminal only (item 8)."""

from __future__ import annotations

import html
import io
import json
import re

import pytest

from conftest import MINIMAL, run_cli


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Two layouts of the minimal loop: the platform where it is, and 30 km further east."""
    folder = tmp_path_factory.mktemp("cmp")
    text = MINIMAL.read_text() + (
        "\nvariants:\n  far_platform:\n    label: {en: Far platform, fr: Plateforme éloignée}\n"
        "    description: {en: The platform moved east., fr: La plateforme déplacée vers l'est.}\n"
        "    set:\n      sites.platform.location: [43.45, 2.20]\n      roads: [[town, platform, 65], "
        "[platform, farm, 30], [town, landfill, 20]]\n")
    scenario = folder / "loop.yaml"
    scenario.write_text(text)
    out = folder / "out"
    proc = run_cli("compare", str(scenario), "--days", "20", "--replications", "2", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


def test_comparison_report_in_french(compared):
    proc = run_cli("report", str(compared), "--lang", "fr")
    assert proc.returncode == 0, proc.stderr
    assert (compared / "report.fr.pdf").read_bytes().startswith(b"%PDF")
    page = (compared / "report.fr.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)))
    assert "Plateforme éloignée" in text and "far_platform" not in text
    assert "La plateforme déplacée vers l'est." in text and "Implantation de base" in text
    assert page.count("data:image/svg+xml") == 3   # maps, key figures, benefits
    doc = json.loads((compared / "comparison.json").read_text())
    far = next(lay for lay in doc["layouts"] if lay["name"] == "far_platform")
    assert far["map"]["sites"]["platform"]["location"] == [43.45, 2.2]
    # 10 t/day over 35 km then over 65 km, one full 10 t load a day: 20 x 10 t x 30 km more
    tonne_km = far["benefits"]["avoided_tonne_km"]["mean"]
    assert tonne_km == pytest.approx(-20 * 10 * 30, rel=0.1)
    assert "\u2212" in text and re.search(r"\d\u202f\d{3}", text)   # French minus and thousands
    assert "results.xlsx" in {p.name for p in compared.iterdir()}


def test_report_refuses_a_folder_that_is_neither(tmp_path):
    (tmp_path / "x").mkdir()
    proc = run_cli("report", str(tmp_path / "x"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_on_a_terminal():
    from ptce_flows.experiment.execution import Progress
    from ptce_flows.reports.console import ProgressBar, StepProgress

    p = Progress(total=2, done=2, reused=0, running=0, failed=0, elapsed_s=1.0, eta_s=None)
    log = io.StringIO()
    bar = ProgressBar(stream=log)
    bar(p)
    bar.close()
    assert log.getvalue() == ""          # a pipe or a log: silent
    tty = _Tty()
    bar = ProgressBar(stream=tty)
    bar(p)
    bar.close()
    assert "2/2" in tty.getvalue()
    steps, quiet = _Tty(), io.StringIO()
    for stream in (steps, quiet):
        s = StepProgress(3, "figures", stream=stream)
        s(1, "map")
        s.close()
    assert "1/3 figures | map" in steps.getvalue() and quiet.getvalue() == ""


def test_compare_terminal_summary_in_french(compared):
    scenario = compared.parent / "loop.yaml"
    proc = run_cli("compare", str(scenario), "--days", "20", "--replications", "2", "--out", str(compared),
                   "--lang", "fr")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Plateforme éloignée" in out and "far_platform" not in out and "Tonnes-km évitées (t·km)" in out
    assert "4 reprises" in out   # the runs of the fixture are reused
    assert "\u2212" in out and not re.search(r"\b(layout|baseline|Ranking|Benefits|runs)\b", out)
