"""Fuzzing the loader and the CLI (issue #6): random valid and broken scenarios either load
(and then run) or fail with a ScenarioError; no other exception, ever."""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL
from ptce_flows.cli import main
from ptce_flows.errors import ScenarioError
from ptce_flows.experiment import run_replication
from ptce_flows.scenario import load_scenario, parse_override
from ptce_flows.sim.world import build_world

BASE = yaml.safe_load(MINIMAL.read_text())

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["biowaste", "compost", "town", "platform", "farm", "landfill", "composting",
                     "collection", "source", "treatment", "disposal", "outlet", "gamma"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _get(node, path):
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated(draw):
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(data, path[:-1])
        op = draw(st.sampled_from(["delete", "replace", "add", "number"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(values)
        elif op == "number":
            parent[path[-1]] = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                              st.integers(-10**20, 10**20)))
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(values)
        else:
            parent.append(draw(values))
    return data


def _check(file):
    try:
        loaded = load_scenario(file, overrides={"horizon_days": 20})
        world = build_world(loaded)
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return False
    summary = run_replication(world, np.random.SeedSequence(0))
    assert math.isfinite(summary.kpis["generated_t"])
    return True


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_scenarios_load_or_fail_cleanly(tmp_path, data):
    file = tmp_path / "fuzz.yaml"
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return
    file.write_text(text)
    _check(file)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(MINIMAL.read_text()) - 1), st.text(min_size=1, max_size=5),
       st.sampled_from(["insert", "delete", "replace"]))
def test_corrupted_text_loads_or_fails_cleanly(tmp_path, at, chunk, op):
    text = MINIMAL.read_text()
    if op == "insert":
        text = text[:at] + chunk + text[at:]
    elif op == "delete":
        text = text[:at] + text[at + len(chunk):]
    else:
        text = text[:at] + chunk + text[at + len(chunk):]
    file = tmp_path / "fuzz.yaml"
    file.write_bytes(text.encode("utf-8", errors="replace"))
    _check(file)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated())
def test_cli_on_mutated_scenarios(tmp_path, capsys, data):
    # tmp_path is shared by every example hypothesis tries: give each its own folder
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    file = work / "fuzz.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    out = work / "out"
    code = main(["run", str(file), "--days", "10", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert not out.exists()
        assert str(file) in err


HOSTILE_TOKENS = ["1:10", "010", "0o10", "0x1F", "no", "yes", "on", "~", "", "9" * 5000, "-" + "9" * 40,
                  "[" * 200 + "]" * 200, "{a: " * 80 + "1" + "}" * 80, "&a [*a]", "&a [x, *a]", "*nowhere",
                  "1e-300", "1e309", "-0", ".nan", "-.inf", "2024-05-01", "{<<: {a: 1}, a: 2}", "1_000",
                  "!!python/object:os.system", "'quoted'", "[1, 2", "0.049", "50.01", "130.5", "1e-9"]
PARAM_PATHS = ["seed", "horizon_days", "fleets.collection.payload_t", "fleets.collection.speed_kmh",
               "fleets.collection.vehicles", "sites.town.supply.biowaste.t_per_day",
               "sites.platform.capacity_t_per_day", "processes.composting.residence_days", "materials",
               "sites.farm.demand.compost.t_per_year", "variants", "roads.0.2", "name",
               ".".join(["sites"] * 80)]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PARAM_PATHS), st.one_of(st.sampled_from(HOSTILE_TOKENS), st.text(max_size=20)))
def test_hostile_param_values_load_or_fail_cleanly(path, value):
    """--param PATH=VALUE with YAML 1.1 forms, huge numbers, deep nesting, alias loops: the value
    parse and the load end in a ScenarioError or a valid scenario, never another exception."""
    try:
        key, parsed = parse_override(f"{path}={value}")
        load_scenario(MINIMAL, overrides={key: parsed, "horizon_days": 20})
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(MINIMAL.read_text()) - 1), st.sampled_from(HOSTILE_TOKENS))
def test_hostile_tokens_in_the_text_load_or_fail_cleanly(tmp_path, at, token):
    text = MINIMAL.read_text()
    file = tmp_path / "fuzz.yaml"
    file.write_text(text[:at] + token + text[at:])
    _check(file)
