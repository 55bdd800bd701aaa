"""Hostile text (issue 10): never a spreadsheet formula, never a terminal escape, never
mathtext, and a 50 KB word does not stall the report. Through the real CLI where it matters.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
from pathlib import Path

import yaml

from conftest import MINIMAL, ROOT, run_cli
from ptce_flows.reports.files import plain_cell, safe_cell, write_csv

EVIL = "=cmd|' /C calc'!A0"
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"


def scenario(tmp_path: Path, file_name: str = "x.yaml", **changes) -> Path:
    data = yaml.safe_load(MINIMAL.read_text())
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node[key]
        node[last] = value
    file = tmp_path / file_name
    file.write_text(yaml.safe_dump(data, allow_unicode=True))
    return file


def cells(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def dangerous(cell: str) -> bool:
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"-?[\d.e+-]+|-", cell)


# --- CSV --------------------------------------------------------------------------------------

def test_csv_cells_are_formula_safe_and_numbers_stay_numbers(tmp_path):
    rows = [{"a": EVIL, "b": -3.5, "c": "-3.5", "d": "+SUM(A1)", "e": "@x", "f": "\tx", "g": -2, "h": "-"}]
    write_csv(tmp_path / "t.csv", rows)
    head, row = cells(tmp_path / "t.csv")
    assert row == ["'" + EVIL, "-3.5", "-3.5", "'+SUM(A1)", "'@x", "'\tx", "-2", "-"]
    for text in (EVIL, "'=x", "''@y", "-3.5", "plain", "'", "", "-", "+1e3"):
        assert plain_cell(safe_cell(text)) == text


def test_run_tables_neutralise_a_hostile_scenario_name(tmp_path):
    file = scenario(tmp_path, **{"name": EVIL})
    out = tmp_path / "res"
    proc = run_cli("run", str(file), "--out", str(out), "--days", "20", "--quiet")
    assert proc.returncode == 0, proc.stderr
    for table in ("flows.csv", "timeseries.csv"):
        rows = cells(out / table)
        assert rows[1][0] == "'" + EVIL
        assert not any(dangerous(c) for row in rows for c in row), table
    # the report reads its own tables back unchanged
    proc = run_cli("report", str(out), "--formats", "svg", "--dpi", "30")
    assert proc.returncode == 0, proc.stderr


def test_compare_tables_neutralise_a_hostile_file_name(tmp_path):
    file = tmp_path / '=HYPERLINK("evil.example","x").yaml'
    shutil.copy(MINIMAL, file)
    other = scenario(tmp_path, "two.yaml", **{"sites.platform.capacity_t_per_day": 6})
    out = tmp_path / "cmp"
    proc = run_cli("compare", str(file), str(other), "--out", str(out), "--days", "10", "--quiet")
    assert proc.returncode == 0, proc.stderr
    seen = False
    for table in ("comparison.csv", "benefits.csv", "ranking.csv", "replications.csv"):
        for row in cells(out / table):
            assert not any(dangerous(c) for c in row), (table, row)
            seen |= any(c.startswith("'=HYPERLINK") for c in row)
    assert seen


def test_every_table_goes_through_write_csv():
    users = [p for p in (ROOT / "ptce_flows").rglob("*.py")
             if "csv.writer" in p.read_text() or "csv.DictWriter" in p.read_text()]
    assert [p.relative_to(ROOT).as_posix() for p in users] == ["ptce_flows/reports/files.py"]


# --- terminal ---------------------------------------------------------------------------------

def test_validate_and_run_print_control_characters_escaped(tmp_path):
    file = scenario(tmp_path, **{"name": ESCAPES})
    for args in (("validate", str(file)), ("run", str(file), "--days", "5", "--out", str(tmp_path / "r"))):
        proc = run_cli(*args)
        assert proc.returncode == 0, proc.stderr
        assert "\x1b" not in proc.stdout + proc.stderr and "\x07" not in proc.stdout
        assert "\\x1b]0;pwned\\x07\\x1b[2J" in proc.stdout


def test_a_bad_value_is_echoed_escaped_in_the_error(tmp_path):
    file = scenario(tmp_path, **{"sites.farm.kind": "farm\x1b[31m\x9b2J"})
    proc = run_cli("validate", str(file))
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and "\x9b" not in proc.stderr
    assert "farm\\x1b[31m\\x9b2J" in proc.stderr


# --- matplotlib text --------------------------------------------------------------------------

def test_labels_are_text_not_mathtext(tmp_path):
    file = scenario(tmp_path, **{"sites.platform.label": r"$\undefinedmacro{x}$",
                                 "materials.biowaste.label": "$5 and $10"})
    out = tmp_path / "res"
    proc = run_cli("run", str(file), "--out", str(out), "--days", "40", "--quiet", "--report")
    assert proc.returncode == 0, proc.stderr
    svgs = {p.name: p.read_text() for p in (out / "figures" / "en").glob("*.svg")}
    assert "$5 and $10" in svgs["map.svg"]                          # the legend of flows
    assert r"$\undefinedmacro{x}$" in svgs["jobs.svg"]                # a site label


# --- a huge word --------------------------------------------------------------------------------

def test_wrap_text_of_a_50_kb_word_is_linear(monkeypatch):
    from ptce_flows.plotting import pages

    measured = []
    real = pages.text_width_pt

    def counting(text, size=8.0, bold=False):
        measured.append(len(text))
        return real(text, size, bold)

    monkeypatch.setattr(pages, "text_width_pt", counting)
    word = "x" * 50_000
    started = time.perf_counter()
    lines = pages.wrap_text(f"{word} end", 6.9, 8.0)
    assert time.perf_counter() - started < 10
    assert "".join(lines)[:50_000] == word and lines[-1].endswith(" end")
    assert all(real(line, 8.0) <= 6.9 * 72 for line in lines)
    assert sum(measured) < 30 * 50_000        # each character measured a bounded number of times
    assert max(measured) < 2_000              # never the whole word at once


def test_run_report_with_a_50_kb_description(tmp_path):
    # a description is at most 5,000 characters: 50 KB is refused before anything is written ...
    file = scenario(tmp_path, description="y" * 50_000)
    proc = run_cli("run", str(file), "--out", str(tmp_path / "r"), "--days", "20", "--quiet", "--report")
    assert proc.returncode == 2, proc.stderr
    assert "description" in proc.stderr and "5000" in proc.stderr.replace(",", "")
    assert not (tmp_path / "r").exists()
    # ... and the longest one allowed, a single 5,000-character token, is reported promptly
    file = scenario(tmp_path, description="y" * 5_000)
    started = time.perf_counter()
    proc = run_cli("run", str(file), "--out", str(tmp_path / "r"), "--days", "20", "--quiet", "--report",
                   timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert time.perf_counter() - started < 120
