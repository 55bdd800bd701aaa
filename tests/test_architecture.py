"""The dependency rules of docs/architecture.md, read from the imports with ``ast``.

Layers, top to bottom: errors/units/i18n -> scenario -> network -> sim -> metrics -> experiment
-> results -> plotting -> reports -> bench -> cli. A module may import only from its own layer
and the layers above it. The layer of a module is its folder (``ptce_flows.reports.pdf`` is in
``reports``), so imports between subpackages are checked like any other; inside
``experiment/`` the modules are ranked too (records -> cache -> execution -> run -> plans,
faults), so the one execution path cannot come to depend on the commands that use it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "ptce_flows"

#: layer of each folder (or top-level module), by dotted prefix below ``ptce_flows``; the
#: longest matching prefix wins, so a subpackage's modules can be ranked among themselves
RANK = {
    "errors": 0, "units": 0, "i18n": 0, "i18n_words": 0, "gcpause": 0, "__init__": 0,
    "scenario": 1,
    "network": 2,
    "sim": 3,
    "metrics": 4,
    "siting": 4.5,       # facility location: the exact solver, the static annual model
    "experiment": 5.9,   # the package itself re-exports its modules; each module has its rank below
    "experiment.records": 5.1, "experiment.cache": 5.2, "experiment.execution": 5.3,
    "experiment.run": 5.4, "experiment.plans": 5.5, "experiment.faults": 5.5, "experiment.optimise": 5.6,
    "experiment.sensitivity": 5.6,   # one-at-a-time plans built on plans.run_layouts
    "results": 6,
    "plotting": 7,
    "reports": 8,
    "bench": 9,
    "cli": 10, "cli_options": 10, "cli_optimise": 10, "cli_sensitivity": 10, "cli_exit": 10,
}

#: the longest module and function allowed (lines)
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: functions still over the limit, in files other work owns (each to be split there);
#: ``(module, function): lines at most``. Nothing may be added to this list.
LONG_FUNCTIONS = {
    ("ptce_flows.bench.territory", "territory"): 83,
}


def _rel(module: str) -> str:
    return module.split(".", 1)[1] if "." in module else "__init__"


def _layer(module: str) -> str:
    """The RANK key of ``module`` (the longest dotted prefix known)."""
    rel = _rel(module)
    parts = rel.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in RANK:
            return key
    return parts[0]


def _rank(module: str) -> float:
    return RANK[_layer(module)]


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, path


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno


MODULES = list(_modules())


def test_every_module_has_a_known_layer():
    unknown = {name for name, _ in MODULES if _layer(name) not in RANK}
    assert not unknown, f"add these to RANK and docs/architecture.md: {unknown}"


@pytest.mark.parametrize("name,path", MODULES, ids=[m for m, _ in MODULES])
def test_imports_flow_downwards(name, path):
    mine = _rank(name)
    for imported, line in _imports(path):
        if imported.startswith("ptce_flows.") or imported == "ptce_flows":
            theirs = _rank(imported) if imported != "ptce_flows" else 0
            assert theirs <= mine, (f"{path.relative_to(PKG.parent)}:{line} ({_layer(name)}) imports "
                                    f"{imported} ({_layer(imported)}, a lower layer)")


def test_layer_ranks_see_subpackages():
    """The check reads folders, not only the first path segment."""
    assert _layer("ptce_flows.reports.pdf") == "reports" and _layer("ptce_flows.results.derive") == "results"
    assert _rank("ptce_flows.plotting.map") < _rank("ptce_flows.reports.pdf")
    assert _rank("ptce_flows.results.resultset") < _rank("ptce_flows.plotting.map")
    assert _rank("ptce_flows.experiment.execution") < _rank("ptce_flows.experiment.plans")
    assert _rank("ptce_flows.experiment.plans") < _rank("ptce_flows.results") < _rank("ptce_flows.cli")


@pytest.mark.parametrize("name,path", MODULES, ids=[m for m, _ in MODULES])
def test_matplotlib_only_in_plotting(name, path):
    if _layer(name) == "plotting":
        return
    for imported, line in _imports(path):
        assert not imported.startswith("matplotlib"), f"{path.name}:{line} imports matplotlib"


@pytest.mark.parametrize("name,path", [m for m in MODULES if _layer(m[0]) == "sim"], ids=lambda x: str(x))
def test_sim_imports_no_reporting(name, path):
    for imported, line in _imports(path):
        for banned in ("matplotlib", "pandas", "ptce_flows.cli", "ptce_flows.reports", "ptce_flows.plotting"):
            assert not imported.startswith(banned), f"{path.name}:{line} imports {imported}"


def test_import_package_does_not_import_matplotlib_or_simpy():
    code = ("import sys, ptce_flows, ptce_flows.scenario; "
            "bad = [m for m in ('matplotlib', 'simpy', 'ptce_flows.cli') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PKG.parent, check=True)
    assert out.stdout.strip() == ""


def test_nothing_imports_the_cli():
    for name, path in MODULES:
        if _rank(name) < RANK["cli"]:   # cli.py, cli_options.py, cli_sensitivity.py may
            assert not [m for m, _ in _imports(path) if m.startswith("ptce_flows.cli")], name


def test_data_of_results_lives_below_plotting_and_reports():
    """Reports read result data from ``results``; only figures come from ``plotting``."""
    assert not (PKG / "plotting" / "data.py").exists() and not (PKG / "plotting" / "derive.py").exists()
    for name, path in MODULES:
        if _layer(name) in ("results", "experiment", "metrics"):
            assert not [m for m, _ in _imports(path) if m.startswith(("ptce_flows.plotting", "ptce_flows.reports"))]


def test_no_module_too_long():
    long = {name: n for name, path in MODULES if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these modules by concept: {long}"


def _functions():
    for name, path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield name, node.name, node.end_lineno - node.lineno + 1


def test_no_function_too_long():
    long = {(name, fn): n for name, fn, n in _functions()
            if n > MAX_FUNCTION_LINES and n > LONG_FUNCTIONS.get((name, fn), 0)}
    assert not long, f"split these functions (at most {MAX_FUNCTION_LINES} lines): {long}"


def test_exceptions_are_still_needed():
    """An entry of LONG_FUNCTIONS goes as soon as its function is short enough."""
    lengths = {(name, fn): n for name, fn, n in _functions()}
    stale = [key for key in LONG_FUNCTIONS if lengths.get(key, 0) <= MAX_FUNCTION_LINES]
    assert not stale, f"remove from LONG_FUNCTIONS: {stale}"


def test_no_grab_bag_modules():
    assert not [p for p in PKG.rglob("utils.py")] and not [p for p in PKG.rglob("helpers.py")]
