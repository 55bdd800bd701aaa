"""Work on the second core (issue 15, item 9): ``reports.background`` and the run files it
computes while the simulation runs.

``background(fn, *args).result()`` is ``fn(*args)`` whether a forked child computed it or this
process did (``PTCE_FLOWS_NO_FORK=1``, or no safe fork): the same value, the same exception.
A child prints nothing, runs no ``atexit`` handler, and never outlives its handle or its
parent. ``ptce-flows run`` writes the same results folder with and without children (every
file byte for byte but manifest.json, results.xlsx cell for cell).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import MINIMAL, ROOT, SCENARIOS
from ptce_flows.reports import background as bg
from ptce_flows.reports.background import NO_FORK_ENV, background, fork_allowed

needs_fork = pytest.mark.skipif(not fork_allowed(), reason="no safe fork here")


def _double(x):
    return 2 * x


def _fail(message):
    raise ValueError(message)


class _Odd(Exception):
    """An exception that pickles but does not unpickle (its __init__ takes two arguments)."""

    def __init__(self, a, b):
        super().__init__(f"{a}/{b}")


def _fail_odd():
    raise _Odd(1, 2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:   # a zombie is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@needs_fork
def test_result_from_the_child():
    job = background(_double, 21)
    assert job.forked
    assert job.result() == 42 and job.result() == 42   # the value is kept
    big = background(bytes, 3_000_000)                   # more than a pipe holds
    assert big.result() == bytes(3_000_000)


@needs_fork
@pytest.mark.parametrize("fn, exc, message", [(_fail, ValueError, "boom"), (_fail_odd, _Odd, "1/2")])
def test_errors_are_raised_by_result(fn, exc, message, capfd):
    args = (message,) if fn is _fail else ()
    job = background(fn, *args)
    assert job.forked
    with pytest.raises(exc, match=message):
        job.result()
    out, err = capfd.readouterr()
    assert out == "" and err == ""   # the child printed nothing (no traceback)


def test_inline_when_fork_is_off(monkeypatch):
    monkeypatch.setenv(NO_FORK_ENV, "1")
    assert not fork_allowed()
    job = background(_double, 21)
    assert not job.forked and job.result() == 42
    with pytest.raises(ValueError, match="boom"):
        background(_fail, "boom").result()


@needs_fork
def test_inline_and_forked_values_are_equal(monkeypatch):
    from ptce_flows.reports.run_output import run_files
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "organic_vallee.yaml")
    forked = background(run_files, loaded, "fr")
    assert forked.forked
    monkeypatch.setenv(NO_FORK_ENV, "1")
    inline = background(run_files, loaded, "fr")
    assert not inline.forked
    assert forked.result() == inline.result() == run_files(loaded, "fr")


@needs_fork
def test_a_child_that_dies_is_computed_here():
    parent = os.getpid()

    def dies_in_the_child():
        if os.getpid() != parent:
            os._exit(3)
        return "here"

    assert background(dies_in_the_child).result() == "here"


@needs_fork
def test_unpicklable_value_is_computed_here():
    job = background(lambda: (lambda: 7))   # a function does not pickle
    assert job.forked and job.result()() == 7


@needs_fork
def test_cancelled_or_dropped_child_is_killed_and_reaped():
    job = background(time.sleep, 30)
    pid = job._pid
    assert _alive(pid)
    job.cancel()
    assert not _alive(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)   # reaped: no zombie left
    job = background(time.sleep, 30)
    pid = job._pid
    del job
    assert not _alive(pid)


@needs_fork
def test_the_child_runs_no_atexit_handler_and_dies_with_its_parent(tmp_path):
    """In a process of its own: an atexit handler runs once (in the parent), and a child still
    computing when the parent is killed outright dies with it."""
    marks = tmp_path / "atexit.txt"
    script = textwrap.dedent(f"""
        import atexit, os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from ptce_flows.reports.background import background
        atexit.register(lambda: open({str(marks)!r}, "a").write(f"{{os.getpid()}}\\n"))
        job = background(sum, [1, 2, 3])
        assert job.forked and job.result() == 6
        slow = background(time.sleep, 60)
        print(os.getpid(), slow._pid, flush=True)
        if sys.argv[1] == "kill":
            time.sleep(60)
    """)
    proc = subprocess.run([sys.executable, "-c", script, "exit"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    parent, child = proc.stdout.split()
    assert marks.read_text().split() == [parent]   # the parent's handler, not the children's
    assert not _alive(int(child))                  # the sleeping child was stopped at exit
    proc = subprocess.Popen([sys.executable, "-c", script, "kill"], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline().split()[1])
    assert _alive(child)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


# --- ptce-flows run: the same folder with and without children --------------------------------

def _folder(out: Path) -> dict[str, object]:
    """Every file's sha256 (manifest.json left out: it holds the time), results.xlsx cell by cell."""
    openpyxl = pytest.importorskip("openpyxl")
    got: dict[str, object] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel == "manifest.json":
            continue
        if rel.endswith(".xlsx"):
            book = openpyxl.load_workbook(path)
            got[rel] = [(ws.title, ws.freeze_panes,
                         {k: d.width for k, d in ws.column_dimensions.items()},
                         [(c.coordinate, c.value, c.data_type, c.number_format, c.font.b)
                          for row in ws.iter_rows() for c in row]) for ws in book.worksheets]
        else:
            got[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return got


def _run(out: Path, *args: str, fork: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(NO_FORK_ENV, None)
    if not fork:
        env[NO_FORK_ENV] = "1"
    return subprocess.run([sys.executable, "-m", "ptce_flows.cli", "run", *args, "--out", str(out), "--quiet"],
                          capture_output=True, text=True, env=env, timeout=300)


@needs_fork
@pytest.mark.parametrize("args", [
    [str(MINIMAL), "--lang", "fr"],
    [str(SCENARIOS / "organic_vallee.yaml"), "--replications", "3", "--jobs", "2", "--days", "60"],
])
def test_run_writes_the_same_folder_with_and_without_children(tmp_path, args):
    forked = _run(tmp_path / "fork", *args, fork=True)
    inline = _run(tmp_path / "inline", *args, fork=False)
    assert forked.returncode == inline.returncode == 0, forked.stderr + inline.stderr
    assert forked.stderr == inline.stderr == ""
    a, b = _folder(tmp_path / "fork"), _folder(tmp_path / "inline")
    assert set(a) >= {"summary.json", "timeseries.csv", "scenario.resolved.yaml", "results.xlsx"}
    assert a == b


@needs_fork
def test_write_run_with_and_without_prepared_files(tmp_path):
    from ptce_flows.experiment import run_scenario
    from ptce_flows.reports.run_output import prepare_run_files, write_run
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "organic_vallee.yaml", overrides={"horizon_days": 40})
    prepared = prepare_run_files(loaded, "fr")
    result = run_scenario(loaded, seed=3)
    write_run(result, tmp_path / "prepared", ["test"], lang="fr", prepared=prepared)
    write_run(result, tmp_path / "plain", ["test"], lang="fr")
    other = prepare_run_files(loaded, "en")   # another language: not used, computed again
    write_run(result, tmp_path / "other", ["test"], lang="fr", prepared=other)
    assert _folder(tmp_path / "prepared") == _folder(tmp_path / "plain") == _folder(tmp_path / "other")


@needs_fork
def test_interrupted_run_leaves_no_child_behind(tmp_path):
    """SIGINT while the simulation runs (the scenario's files being computed by a child): exit
    130 as before, the folder untouched, and no child of the run left."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(NO_FORK_ENV, None)
    out = tmp_path / "res"
    proc = subprocess.Popen([sys.executable, "-m", "ptce_flows.cli", "run", str(MINIMAL), "--out", str(out),
                             "--quiet", "--replications", "150", "--seed", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children: set[int] = set()
    deadline = time.monotonic() + 60
    while not children and proc.poll() is None and time.monotonic() < deadline:
        children = _children(proc.pid)
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(120)
    if code == 0:
        pytest.skip("the run ended before the signal")
    assert code in (130, -signal.SIGINT), code
    assert "Traceback" not in proc.stderr.read()
    assert not out.exists()
    assert children, "no child seen"
    time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def test_no_fork_inside_a_child(monkeypatch):
    monkeypatch.setattr(bg, "_IN_CHILD", True)
    assert not fork_allowed()
    assert background(_double, 1).result() == 2



def _pair(first, given, extra):
    return first, given, extra, os.getpid()


@needs_fork
def test_follow_up_runs_in_the_same_child_with_its_own_arguments():
    handle = background(_double, 21, follow_up=True)
    handle.send(_pair, "extra")
    first, (value, given, extra, pid) = handle.result()
    assert (first, value, given, extra) == (42, 42, (21,), "extra")
    assert handle.forked and pid != os.getpid()


@pytest.mark.parametrize("fork", [True, False])
def test_follow_up_inline_is_the_same(monkeypatch, fork):
    if not fork:
        monkeypatch.setenv(NO_FORK_ENV, "1")
    handle = background(_double, 21, follow_up=True)
    handle.send(_pair, "extra")
    first, (value, given, extra, _pid) = handle.result()
    assert (first, value, given, extra) == (42, 42, (21,), "extra")
    assert background(_double, 4, follow_up=True).result() == (8, None)   # nothing sent


def test_follow_up_errors_and_odd_requests_are_handled_here():
    handle = background(_double, 1, follow_up=True)
    handle.send(lambda first, given: ("not picklable", first))   # computed here instead
    assert handle.result() == (2, ("not picklable", 2))
    handle = background(_double, 1, follow_up=True)
    handle.send(_fail_follow_up, "boom")
    with pytest.raises(ValueError, match="boom"):
        handle.result()
    handle = background(_double, 1, follow_up=True)
    handle.cancel()
    handle.send(_pair, "x")
    assert handle.result()[1][:3] == (2, (1,), "x")
    with pytest.raises(RuntimeError):
        handle.send(_pair, "twice")


def _fail_follow_up(first, given, message):
    raise ValueError(message)
