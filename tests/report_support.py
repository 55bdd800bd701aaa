"""Results folders for the figure and report tests, made once per test session.

Runs go through the same functions as ``ptce-flows run`` (load, run, write_run), in process,
into a temporary folder removed at exit; tests copy a folder before writing into it.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from conftest import ROOT, SCENARIOS

RICH = ROOT / "tests" / "data" / "report_rich.yaml"
SHIPPED = [SCENARIOS / "organic_vallee.yaml", SCENARIOS / "cluster_jura.yaml"]

_TMP = Path(tempfile.mkdtemp(prefix="ptce-report-tests-"))
atexit.register(shutil.rmtree, _TMP, True)


def results_dir(scenario: Path, replications: int = 1) -> Path:
    """A results folder of ``scenario`` (shared by the session: copy it before writing)."""
    return _results_dir(Path(scenario), int(replications))


@functools.cache
def _results_dir(scenario: Path, replications: int) -> Path:
    from ptce_flows.experiment import run_scenario
    from ptce_flows.reports.run_output import write_run
    from ptce_flows.scenario import load_scenario

    loaded = load_scenario(str(scenario))
    result = run_scenario(loaded, replications=replications)
    out = _TMP / f"{scenario.stem}-r{replications}"
    write_run(result, out, ["ptce-flows", "run", str(scenario)])
    return out


def result_set(scenario: Path, replications: int = 1):
    """The ResultSet of :func:`results_dir` (shared: do not modify)."""
    return _result_set(Path(scenario), int(replications))


@functools.cache
def _result_set(scenario: Path, replications: int):
    from ptce_flows.reports.load import load_results

    return load_results(results_dir(scenario, replications))


def copy_results(scenario: Path, dest: Path, replications: int = 1) -> Path:
    """A private copy of a results folder, to write a report into."""
    target = dest / f"{scenario.stem}-results"
    shutil.copytree(results_dir(scenario, replications), target)
    return target


def shipped() -> list[Path]:
    """The shipped scenarios that exist in this checkout."""
    return [p for p in SHIPPED if p.exists()]
