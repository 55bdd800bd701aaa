"""Shared fixtures: the minimal scenario as data and helpers to write scenario files."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
MINIMAL = SCENARIOS / "minimal_loop.yaml"


@pytest.fixture
def minimal_data() -> dict:
    return copy.deepcopy(yaml.safe_load(MINIMAL.read_text()))


@pytest.fixture
def write_yaml(tmp_path):
    def write(data, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        if isinstance(data, str):
            path.write_text(data)
        else:
            path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path
    return write


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real entry point (the installed console script's module) in a subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "ptce_flows.cli", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout,
    )
