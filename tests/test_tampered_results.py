"""A tampered results folder given to ``report`` (issue 10): bad JSON, wrong types, NaN, deep
or huge files, a FIFO or a device in place of a file, missing files. Each ends with exit code 2
and a message naming the file, never blocks, never a traceback, and nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from report_support import copy_results

from conftest import MINIMAL, run_cli
from ptce_flows.errors import UsageError
from ptce_flows.reports import load
from ptce_flows.reports.report import write_report


def edit_json(name: str, change):
    def damage(folder: Path):
        data = json.loads((folder / name).read_text())
        change(data)
        (folder / name).write_text(json.dumps(data))
    return damage


def replace(name: str, text: str):
    def damage(folder: Path):
        (folder / name).write_text(text)
    return damage


def special(name: str, make):
    def damage(folder: Path):
        (folder / name).unlink()
        make(folder / name)
    return damage


CASES = {
    "nan_kpi": (replace("summary.json", '{"kpis": {"generated_t": NaN}, "by_fleet": {}, "jobs": {}}'),
                "summary.json: not valid JSON"),
    "string_kpi": (edit_json("summary.json", lambda d: d["kpis"].update(generated_t="lots")),
                   "kpis.generated_t: expected a number"),
    "fleet_list": (edit_json("summary.json", lambda d: d.update(by_fleet=[1, 2])), "malformed .by_fleet."),
    "jobs_text": (edit_json("summary.json", lambda d: d["jobs"].update(by_site={"platform": {"fte": "x"}})),
                  "jobs.by_site.platform.fte: expected a number"),
    "bad_interval": (edit_json("summary.json", lambda d: d.update(uncertainty={"generated_t": {"ci95": [1]}})),
                     "uncertainty.generated_t.ci95"),
    "replications_text": (edit_json("summary.json", lambda d: d.update(replications="many")), "replications"),
    "deep_json": (replace("summary.json", "[" * 100_000 + "]" * 100_000), "summary.json"),
    "deep_but_parses": (edit_json("summary.json", lambda d: d.update(x=json.loads("[" * 50 + "]" * 50))),
                        "nested more than"),
    "not_utf8": (lambda f: (f / "flows.csv").write_bytes(b"\xff\xfe\x00bad"), "not UTF-8"),
    "inf_in_csv": (lambda f: (f / "flows.csv").write_text(
        (f / "flows.csv").read_text().replace(",365,", ",inf,", 1)), "is not a number"),
    "short_row": (lambda f: (f / "flows.csv").write_text(
        (f / "flows.csv").read_text().splitlines()[0] + "\na,b\n"), "not as many cells"),
    "location_text": (replace("scenario.resolved.yaml", "sites: {a: {kind: source, location: [x, y]}}\n"),
                      "location"),
    "yaml_bomb": (replace("scenario.resolved.yaml", "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))), "scenario.resolved.yaml"),
    "fifo": (special("summary.json", os.mkfifo), "not a regular file"),
    "dev_zero": (special("flows.csv", lambda p: os.symlink("/dev/zero", p)), "symbolic link"),
    "folder": (special("timeseries.csv", os.mkdir), "not a regular file"),
    "missing": (lambda f: (f / "scenario.resolved.yaml").unlink(), "missing scenario.resolved.yaml"),
    "manifest_fifo": (special("manifest.json", os.mkfifo), "manifest.json"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampered_folder_is_an_input_error_and_writes_nothing(tmp_path, case):
    damage, message = CASES[case]
    folder = copy_results(MINIMAL, tmp_path / "res")
    damage(folder)
    before = sorted(os.listdir(folder))
    with pytest.raises(UsageError, match=message):
        write_report(folder, "en", formats=["svg"], dpi=30)
    assert sorted(os.listdir(folder)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    folder = copy_results(MINIMAL, tmp_path / "res")
    with open(folder / "summary.json", "r+b") as handle:   # sparse: large without using the disk
        handle.truncate(load.MAX_DOC_BYTES + 1)
    with pytest.raises(UsageError, match="larger than"):
        write_report(folder, "en", formats=["svg"], dpi=30)


def test_cli_fifo_does_not_block_and_exits_2(tmp_path):
    folder = copy_results(MINIMAL, tmp_path / "res")
    (folder / "flows.csv").unlink()
    os.mkfifo(folder / "flows.csv")
    proc = run_cli("report", str(folder), timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "flows.csv" in proc.stderr and "Traceback" not in proc.stderr
