"""The corpus of malformed scenarios in tests/data/invalid/ (issue #6).

Each file must fail validation with the message and key path given in cases.yaml, exit code 2
from the CLI, no traceback, and nothing written. Extra cases are made at test time: a
directory, a 50 MB file, an unreadable file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from conftest import run_cli
from ptce_flows.cli import main
from ptce_flows.errors import ScenarioError
from ptce_flows.scenario import load_with_variants
from ptce_flows.sim.world import build_world

CORPUS = Path(__file__).parent / "data" / "invalid"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())


def _validate(file: Path):
    for loaded in load_with_variants(file):
        build_world(loaded)


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert sorted(CASES) == sorted(p.name for p in CORPUS.glob("*.yaml") if p.name != "cases.yaml")


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_fails_cleanly(name):
    case = CASES[name]
    file = CORPUS / name
    with pytest.raises(ScenarioError) as info:
        _validate(file)
    problems = info.value.problems
    text = "\n".join(p.format() for p in problems)
    assert case["message"] in text, text
    assert all(p.file == str(file) for p in problems)
    if case["path"]:
        hit = [p for p in problems if p.path == case["path"]]
        assert hit, text
        assert hit[0].line is not None, text
        assert hit[0].format().startswith(f"{file}:{hit[0].line}: {case['path']}: ")


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_exit_2_nothing_written(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = CORPUS / name
    assert main(["run", str(file)]) == 2
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(file) in err
    assert list(tmp_path.iterdir()) == []


def test_some_cases_through_the_real_entry_point(tmp_path):
    for name in ("tabs_for_indent.yaml", "billion_laughs.yaml", "non_utf8.yaml", "unreachable_site.yaml"):
        proc = run_cli("run", str(CORPUS / name), "--out", str(tmp_path / "out"))
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert CASES[name]["message"] in proc.stderr
    assert not (tmp_path / "out").exists()


def test_billion_laughs_is_refused_fast():
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match="expands to more than"):
        _validate(CORPUS / "billion_laughs.yaml")
    assert time.perf_counter() - started < 10  # a guard against hanging, not a benchmark


def test_directory(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        _validate(tmp_path)


def test_fifty_megabyte_file(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: instant, but 50 MB to the loader
    with pytest.raises(ScenarioError, match="larger than the 10 MB limit"):
        _validate(big)


def test_unreadable_file(tmp_path, monkeypatch):
    file = tmp_path / "locked.yaml"
    file.write_text("name: x\n")
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path) == str(file):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(ScenarioError, match="cannot read: Permission denied"):
        _validate(file)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_for_real(tmp_path):
    file = tmp_path / "locked.yaml"
    file.write_text("name: x\n")
    file.chmod(0)
    with pytest.raises(ScenarioError, match="cannot read"):
        _validate(file)
