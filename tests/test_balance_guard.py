"""Numerical guard (issue #6): a bookkeeping error inside the model is caught by the mass
balance and reported as a SimulationError naming the site and material; the CLI exits 1 with
that message, no traceback, and writes nothing."""

from __future__ import annotations

import pytest

from conftest import MINIMAL
from ptce_flows.cli import main
from ptce_flows.errors import SimulationError
from ptce_flows.experiment import run_scenario
from ptce_flows.scenario import load_scenario
from ptce_flows.sim.treatment import TreatmentSite


@pytest.fixture
def leaky(monkeypatch):
    """Make every maturing batch lose 1 kg that nobody records."""
    original = TreatmentSite.mature

    def mature(self, material, mass):
        original(self, material, mass)
        self.store[self.info.out_mats[0]] -= 0.001

    monkeypatch.setattr(TreatmentSite, "mature", mature)


def test_leak_is_named(leaky):
    with pytest.raises(SimulationError) as info:
        run_scenario(load_scenario(MINIMAL))
    text = str(info.value)
    assert "mass balance does not close" in text
    assert "site 'platform'" in text and "material 'compost'" in text


def test_cli_reports_leak_cleanly(leaky, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(MINIMAL), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "mass balance does not close" in err and "Traceback" not in err
    assert not out.exists()


def test_nan_is_never_a_silent_summary(monkeypatch):
    original = TreatmentSite.mature

    def mature(self, material, mass):
        original(self, material, mass)
        self.losses = float("nan")

    monkeypatch.setattr(TreatmentSite, "mature", mature)
    with pytest.raises(SimulationError):
        run_scenario(load_scenario(MINIMAL))
