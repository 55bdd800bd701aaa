"""The dependency rules of docs/architecture.md, read from the imports with ``ast``.

Layers, top to bottom: errors/units -> scenario -> network -> sim -> metrics -> experiment ->
plotting/reports -> cli. A module may import only from its own layer and the layers above it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "ptce_flows"

RANK = {
    "errors": 0, "units": 0, "i18n": 0, "__init__": 0,
    "scenario": 1,
    "network": 2,
    "sim": 3,
    "metrics": 4,
    "experiment": 5, "execution": 5, "cache": 5, "compare": 5, "faults": 5,
    "plotting": 6,
    "reports": 7,
    "bench": 8,
    "cli": 9,
}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


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
    mine = RANK[_layer(name)]
    for imported, line in _imports(path):
        if imported.startswith("ptce_flows"):
            theirs = RANK.get(_layer(imported), 0) if imported != "ptce_flows" else 0
            assert theirs <= mine, f"{path.name}:{line} ({_layer(name)}) imports {imported} (a lower layer)"


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


def test_no_module_too_long():
    long = {name: n for name, path in MODULES if (n := len(path.read_text().splitlines())) > 650}
    assert not long, f"split these modules by concept: {long}"


def test_no_grab_bag_modules():
    assert not [p for p in PKG.rglob("utils.py")] and not [p for p in PKG.rglob("helpers.py")]
