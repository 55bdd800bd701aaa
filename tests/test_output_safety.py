"""Files on disk (issue 10): a command never deletes or changes a file it did not write, never
follows a link planted in a results folder, and ends a full disk or a read-only folder with
exit 2 and nothing half-written. Each test here failed before the fix.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from report_support import copy_results

from conftest import MINIMAL, ROOT, run_cli
from ptce_flows.errors import OutputError, UsageError
from ptce_flows.reports.files import atomic_dir, is_ours

FAST = ("--days", "20", "--quiet")


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder`` (links not followed): content and inode of files, link targets."""
    out = {}
    for dirpath, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_file():
                out[rel] = ("file", path.read_bytes(), path.stat().st_ino)
            elif path.is_dir():
                out[rel] = ("dir",)
    return out


def user_folder(root: Path) -> Path:
    work = root / "work"
    work.mkdir()
    shutil.copy(MINIMAL, work / "my.yaml")
    (work / "notes.txt").write_text("my notes")
    (work / "sub").mkdir()
    (work / "sub" / "data.csv").write_text("=SUM(A1)\n")
    return work


# --- a folder that is not ours ---------------------------------------------------------------

def test_run_into_a_users_folder_is_refused_and_changes_nothing(tmp_path):
    work = user_folder(tmp_path)
    before = tree(work)
    proc = run_cli("run", "work/my.yaml", "--out", "work", *FAST, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "not a ptce-flows results folder" in proc.stderr and "--force" in proc.stderr
    assert tree(work) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_force_writes_only_our_files_and_keeps_every_other(tmp_path):
    work = user_folder(tmp_path)
    before = tree(work)
    proc = run_cli("run", "work/my.yaml", "--out", "work", "--force", *FAST, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    after = tree(work)
    assert {k: v for k, v in after.items() if k in before} == before    # same bytes, same inodes
    assert {k for k in after if k not in before} == {
        "summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml", "scenario.yaml", "results.xlsx",
        "manifest.json"}
    assert not [p for p in list(tmp_path.iterdir()) + list(work.iterdir()) if p.name.startswith(".")]


def test_out_dot_refused_in_a_users_folder_and_works_in_an_empty_one(tmp_path):
    work = user_folder(tmp_path)
    before = tree(work)
    proc = run_cli("run", "my.yaml", "--out", ".", *FAST, cwd=work)
    assert proc.returncode == 2 and "internal error" not in proc.stderr, proc.stderr
    assert tree(work) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    inode = empty.stat().st_ino
    proc = run_cli("run", str(MINIMAL), "--out", ".", *FAST, cwd=empty)
    assert proc.returncode == 0, proc.stderr
    assert empty.stat().st_ino == inode          # written in place: the shell's folder is not swapped
    assert (empty / "summary.json").is_file()
    proc = run_cli("run", str(MINIMAL), "--out", ".", "--quiet", cwd=empty)   # ours now: rerun is fine
    assert proc.returncode == 0, proc.stderr
    assert json.loads((empty / "summary.json").read_text())["horizon_days"] == 365
    assert not [p for p in empty.iterdir() if p.name.startswith(".")]


def test_out_naming_a_file_or_a_broken_link_exits_2(tmp_path):
    (tmp_path / "f").write_text("x")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    for out in ("f", "dangling"):
        proc = run_cli("run", str(MINIMAL), "--out", out, *FAST, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert (tmp_path / "f").read_text() == "x" and not (tmp_path / "nowhere").exists()


def test_compare_and_report_into_a_users_folder_are_refused(tmp_path):
    work = user_folder(tmp_path)
    before = tree(work)
    proc = run_cli("compare", "work/my.yaml", "--out", "work", "--days", "10", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "not a ptce-flows results folder" in proc.stderr, proc.stderr
    folder = copy_results(MINIMAL, tmp_path / "res")
    (folder / "manifest.json").unlink()          # the run files, but no manifest of ours
    snap = tree(folder)
    proc = run_cli("report", str(folder), "--formats", "html", cwd=tmp_path)
    assert proc.returncode == 2 and "--force" in proc.stderr, proc.stderr
    assert tree(folder) == snap and tree(work) == before


def test_rerun_keeps_users_files_in_a_results_folder(tmp_path):
    out = tmp_path / "res"
    assert run_cli("run", str(MINIMAL), "--out", str(out), *FAST).returncode == 0
    (out / "notes.txt").write_text("mine")
    (out / "figures").mkdir()
    (out / "figures" / "my-chart.png").write_bytes(b"png")
    (out / "figures" / "map.png").write_bytes(b"a compare figure of ours, stale")
    keep = {k: v for k, v in tree(out).items() if k.startswith(("notes", "figures/my"))}
    assert run_cli("run", str(MINIMAL), "--out", str(out), "--days", "30", "--quiet").returncode == 0
    assert {k: v for k, v in tree(out).items() if k.startswith(("notes", "figures/my"))} == keep
    assert json.loads((out / "summary.json").read_text())["horizon_days"] == 30


# --- both languages side by side ------------------------------------------------------------

def test_run_report_in_french_then_english_keeps_both(tmp_path):
    out = tmp_path / "res"
    for lang in ("fr", "en"):
        proc = run_cli("run", str(MINIMAL), "--out", str(out), "--days", "40", "--quiet", "--report", "--lang", lang)
        assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert {"report.fr.pdf", "report.fr.html", "report.en.pdf", "report.en.html"} <= names
    assert (out / "figures" / "fr" / "map.svg").is_file() and (out / "figures" / "en" / "map.svg").is_file()
    # new results: the old reports describe results that are gone, so they go too
    proc = run_cli("run", str(MINIMAL), "--out", str(out), "--days", "41", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert not [p for p in out.iterdir() if p.name.startswith("report.")]
    assert not (out / "figures").exists()


# --- links planted in a results folder --------------------------------------------------------

def test_report_never_deletes_or_writes_through_a_planted_directory_link(tmp_path):
    from ptce_flows.reports.report import write_report

    folder = copy_results(MINIMAL, tmp_path / "res")
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in ("a.png", "b.svg", "c.pdf", "d.html", "map.png", "kpis.svg"):
        (victim / name).write_text(f"precious {name}")
    before = tree(victim)
    (folder / "figures").mkdir()
    os.symlink(victim, folder / "figures" / "en")
    write_report(folder, "en", formats=["png", "svg"], dpi=30)
    assert tree(victim) == before
    assert not (folder / "figures" / "en").is_symlink() and (folder / "figures" / "en" / "map.svg").is_file()


def test_report_never_creates_the_target_of_a_dangling_link(tmp_path):
    from ptce_flows.reports.report import write_report

    folder = copy_results(MINIMAL, tmp_path / "res")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere / "x", folder / "report.en.html")
    os.symlink(elsewhere / "y", folder / "report.fr.pdf")     # the other language: kept as a link
    write_report(folder, "en", formats=["html"], dpi=30)
    assert list(elsewhere.iterdir()) == []
    assert not (folder / "report.en.html").is_symlink()
    assert "<html" in (folder / "report.en.html").read_text()
    assert os.readlink(folder / "report.fr.pdf") == str(elsewhere / "y")


def test_a_link_in_place_of_an_input_file_is_refused(tmp_path):
    folder = copy_results(MINIMAL, tmp_path / "res")
    outside = tmp_path / "outside.json"
    outside.write_bytes((folder / "summary.json").read_bytes())
    (folder / "summary.json").unlink()
    os.symlink(outside, folder / "summary.json")
    proc = run_cli("report", str(folder), "--formats", "html")
    assert proc.returncode == 2 and "symbolic link" in proc.stderr, proc.stderr


def test_forced_write_never_goes_through_a_link_to_a_folder(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    victim = tmp_path / "victim"
    victim.mkdir()
    os.symlink(victim, work / "figures")
    (work / "notes.txt").write_text("n")
    with pytest.raises(OutputError, match="link"), atomic_dir(work, force=True) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "figures" / "comparison.png").write_bytes(b"x")
    assert list(victim.iterdir()) == []


# --- the user's environment: full disk, read-only folder ----------------------------------------

@pytest.mark.parametrize("code,message", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"),
                                          (errno.EACCES, "permission denied")])
def test_file_system_errors_exit_2_and_leave_the_folder(tmp_path, monkeypatch, capsys, code, message):
    from ptce_flows.cli import main

    out = tmp_path / "res"
    assert main(["run", str(MINIMAL), "--out", str(out), *FAST]) == 0
    before = tree(out)
    real = Path.write_text

    def failing(self, *args, **kwargs):
        if self.name == "timeseries.csv":
            raise OSError(code, os.strerror(code), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)
    capsys.readouterr()
    assert main(["run", str(MINIMAL), "--out", str(out), "--days", "30", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_a_folder_that_cannot_be_created_exits_2(tmp_path, monkeypatch, capsys):
    from ptce_flows.cli import main

    parent = tmp_path / "ro"
    parent.mkdir()
    if os.geteuid() != 0:
        parent.chmod(0o500)        # for real when the tests do not run as root
    else:
        real = Path.mkdir

        def refused(self, *args, **kwargs):
            if parent in self.parents:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", refused)
    try:
        assert main(["run", str(MINIMAL), "--out", str(parent / "res"), *FAST]) == 2
    finally:
        parent.chmod(0o700)
    assert "permission denied" in capsys.readouterr().err
    assert list(parent.iterdir()) == []


# --- benchmarks ---------------------------------------------------------------------------------

def test_bench_quick_never_writes_the_tracked_results(tmp_path):
    import argparse

    from ptce_flows.bench.runner import add_arguments, out_path, write_results

    p = argparse.ArgumentParser()
    add_arguments(p)
    tracked = ROOT / "benchmarks" / "results.json"
    assert out_path(p.parse_args(["--quick"])) == Path("results") / "bench-quick.json"
    assert out_path(p.parse_args([])) == tracked
    assert out_path(p.parse_args(["--quick", "--out", str(tracked)])) == tracked
    write_results(tmp_path / "r" / "q.json", {"quick": True})
    assert json.loads((tmp_path / "r" / "q.json").read_text()) == {"quick": True}
    with pytest.raises(OutputError):
        write_results(tmp_path / "r", {})


def test_our_file_names():
    assert is_ours("summary.json") and is_ours("figures/fr/sankey.png") and is_ours("report.en.pdf")
    assert is_ours("figures/comparison.svg")
    assert not is_ours("notes.txt") and not is_ours("figures/en/custom.png") and not is_ours("my.yaml")
    with pytest.raises(UsageError):
        with atomic_dir(MINIMAL.parent):    # scenarios/: not ours
            pass


def test_compare_out_dot_in_an_empty_folder_keeps_its_cache_outside(tmp_path):
    here = tmp_path / "here"
    here.mkdir()
    proc = run_cli("compare", str(MINIMAL), "--out", ".", "--days", "10", "--quiet", cwd=here)
    assert proc.returncode == 0, proc.stderr
    assert (here / "comparison.csv").is_file() and not [p for p in here.iterdir() if p.name.startswith(".")]
    assert (tmp_path / ".here.runs").is_dir()


def test_every_report_figure_is_known_as_ours():
    """A figure the report draws but files.py does not know would be kept as a user's file."""
    from ptce_flows.plotting.figures import FIGURES
    from ptce_flows.reports.files import REPORT_FIGURES

    assert set(REPORT_FIGURES) == set(FIGURES)
